"""Command line: a thin shell over the library (``lumbar-rom --help``)."""

from __future__ import annotations

import json
import platform
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from lumbar_rom import __version__
from lumbar_rom.assessment.protocol import MOVEMENTS, MovementSpec, parse_movement
from lumbar_rom.errors import LumbarRomError

if TYPE_CHECKING:
    from lumbar_rom.assessment.trial import TrialResult

app = typer.Typer(
    name="lumbar-rom",
    help="Measure lower-back range of motion from video. Never a diagnosis.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

ModelOpt = Annotated[
    Path | None,
    typer.Option("--model", help="A PoseLandmarker .task file (default: the bundled full model)."),
]


def _fail(err: Exception) -> typer.Exit:
    typer.echo(f"Error: {err}", err=True)
    return typer.Exit(code=1)


@app.callback()
def _main(verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False) -> None:
    from lumbar_rom.logs import setup_logging

    setup_logging(verbose)


@app.command()
def info(model: ModelOpt = None) -> None:
    """Versions, the pose model in use and its checksum status."""
    import av
    import mediapipe
    import numpy

    from lumbar_rom.pose.model import default_model_path, verify_model

    path = model or default_model_path()
    typer.echo(f"lumbar-rom  {__version__}")
    typer.echo(f"python      {platform.python_version()}")
    typer.echo(f"mediapipe   {mediapipe.__version__}")
    typer.echo(f"pyav        {av.__version__}")
    typer.echo(f"numpy       {numpy.__version__}")
    typer.echo(f"model       {path}")
    try:
        check = verify_model(path)
    except LumbarRomError as err:
        typer.echo(f"checksum    FAILED: {err}")
        raise typer.Exit(code=1) from None
    typer.echo(f"sha256      {check.sha256}")
    typer.echo(f"checksum    {check.status}")


@app.command()
def landmarks(
    video: Annotated[Path, typer.Argument(help="A video file (mp4, mov, webm, ...).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = Path("out"),
    fmt: Annotated[str, typer.Option("--format", help="csv or parquet.")] = "csv",
    annotate: Annotated[bool, typer.Option(help="Write annotated.mp4 as well.")] = True,
    model: ModelOpt = None,
) -> None:
    """Per-frame pose landmarks (CSV/Parquet) and an annotated H.264 MP4."""
    from lumbar_rom.pipeline import track_video

    if fmt not in ("csv", "parquet"):
        raise _fail(ValueError(f"--format must be csv or parquet, not {fmt!r}."))
    try:
        out.mkdir(parents=True, exist_ok=True)
        seq = track_video(video, model_path=model, progress=True,
                          annotate_to=out / "annotated.mp4" if annotate else None)
        table = seq.save(out / f"landmarks.{fmt}")
    except LumbarRomError as err:
        raise _fail(err) from None
    except OSError as err:
        raise _fail(LumbarRomError(f"Cannot write to {out} ({err.strerror}); choose another "
                                   "output folder.")) from None
    found = int(seq.detected.sum())
    typer.echo(f"{found} of {seq.n_frames} frames with a person -> {table}")
    if annotate:
        typer.echo(f"annotated video -> {out / 'annotated.mp4'}")
    summary = {"video": str(video), "frames": seq.n_frames, "frames_with_person": found,
               "fps": seq.fps, "frame_size": list(seq.frame_size)}
    (out / "landmarks.json").write_text(json.dumps(summary, indent=2))


MOVEMENT_CHOICES: tuple[str, ...] = ("auto", *MOVEMENTS)  # from data/protocol.toml


def _parse_movement_option(text: str) -> MovementSpec | str:
    """``--movement``: ``"auto"`` or the movement's spec (parsed once, here)."""
    if text == "auto":
        return text
    try:
        return parse_movement(text)
    except ValueError:
        raise _fail(ValueError(f"--movement must be one of {', '.join(MOVEMENT_CHOICES)}."
                               )) from None


def _print_trial(t: TrialResult) -> None:
    label = t.movement
    if t.status == "ok":
        typer.echo(f"{label}: {t.value_deg:.1f} deg +/- {t.uncertainty_deg:.1f} "
                   f"({len(t.used_repetitions)} repetitions used; "
                   f"view {t.view.view})")
    else:
        typer.echo(f"{label}: inconclusive - " + " ".join(t.reasons))
    for f in t.flags:
        if not f.blocking:
            typer.echo(f"  note: {f.message}")


@app.command()
def analyze(
    video: Annotated[Path, typer.Argument(help="A movement video.")],
    movement: Annotated[str, typer.Option(
        "--movement", "-m", help="One of: " + ", ".join(MOVEMENT_CHOICES) + ".")] = "auto",
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = Path("out"),
    height: Annotated[float | None, typer.Option(
        "--height", help="Your height in cm (fingertip-to-floor in cm).")] = None,
    model: ModelOpt = None,
) -> None:
    """Measure a movement: result.json, per-frame angles.csv and an annotated MP4."""
    from lumbar_rom.pipeline import analyze_video

    spec = _parse_movement_option(movement)
    try:
        result = analyze_video(video, spec, out_dir=out, model_path=model, height_cm=height,
                               progress=True)
    except LumbarRomError as err:
        raise _fail(err) from None
    except OSError as err:
        raise _fail(LumbarRomError(f"Cannot write to {out} ({err.strerror}); choose another "
                                   "output folder.")) from None
    for trial in result.trials:
        _print_trial(trial)
    typer.echo(f"results -> {out / 'result.json'}, {out / 'angles.csv'}, {out / 'annotated.mp4'}")


def _parse_injury(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise _fail(LumbarRomError(f"--injury-date {text!r} is not a date; write it as "
                                   "YYYY-MM-DD or YYYY-MM-DDTHH:MM.")) from None


@app.command()
def assess(
    videos: Annotated[list[Path], typer.Argument(help="One or more movement videos.")],
    age: Annotated[float | None, typer.Option(help="Age in years (age-adjusted norms).")] = None,
    sex: Annotated[str | None, typer.Option(help="female / male / other (recorded only).")] = None,
    height: Annotated[float | None, typer.Option(help="Height in cm.")] = None,
    injury_date: Annotated[str | None, typer.Option(
        help="When a recent injury happened (YYYY-MM-DD[THH:MM]).")] = None,
    pain: Annotated[int | None, typer.Option(help="Pain now, 0-10.")] = None,
    red_flag: Annotated[list[str] | None, typer.Option(
        help="Id of a red-flag question answered yes (see `lumbar-rom questions`).")] = None,
    slr: Annotated[float | None, typer.Option(
        help="Straight-leg raise of the tighter side, degrees.")] = None,
    thomas: Annotated[bool | None, typer.Option(
        "--thomas-positive/--thomas-negative", help="Thomas test result.")] = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the assessment JSON.")
                        ] = None,
    person: Annotated[str | None, typer.Option(
        help="Save the session in the history under this name.")] = None,
    model: ModelOpt = None,
) -> None:
    """Measure each video and print an assessment a physiotherapist can follow."""
    from lumbar_rom.clinical.engine import Profile, Screening
    from lumbar_rom.clinical.engine import assess as run_assess
    from lumbar_rom.clinical.summary import summary_text
    from lumbar_rom.pipeline import analyze_video

    if pain is not None and not 0 <= pain <= 10:
        raise _fail(LumbarRomError("--pain must be a whole number from 0 to 10."))
    profile = Profile(age=age, sex=sex, height_cm=height,
                      injury=_parse_injury(injury_date))
    checks: dict[str, float | bool] = {}
    if slr is not None:
        checks["straight_leg_raise_deg"] = slr
    if thomas is not None:
        checks["thomas_test_positive"] = thomas
    screening = Screening(red_flags={k: True for k in red_flag or []}, pain_before=pain,
                          checks=checks)
    from lumbar_rom.clinical.engine import screen

    gate = screen(screening, profile, datetime.now())
    trials = []
    if gate is None:
        try:
            for v in videos:
                trials += list(analyze_video(v, "auto", model_path=model, height_cm=height,
                                             progress=True).trials)
        except LumbarRomError as err:
            raise _fail(err) from None
    result = gate or run_assess(profile, screening, trials)
    typer.echo(summary_text(result))
    if person:
        from lumbar_rom.history.store import Store
        from lumbar_rom.pose.model import FULL_MODEL_SHA256

        try:
            sid = Store().save_session(person, profile, screening, trials, result,
                                       model_sha256=FULL_MODEL_SHA256)
        except LumbarRomError as err:
            raise _fail(err) from None
        typer.echo(f"saved as session {sid} for {person}")
    if json_out is not None:
        json_out.write_text(json.dumps(result.to_dict(), indent=2, allow_nan=False))
        typer.echo(f"assessment -> {json_out}")


@app.command()
def history(
    person: Annotated[str | None, typer.Option(help="Whose sessions (default: list people).")
                      ] = None,
    csv_out: Annotated[Path | None, typer.Option("--csv", help="Export all trials as CSV.")
                       ] = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="Export all sessions as JSON.")
                        ] = None,
) -> None:
    """Stored people and sessions; CSV / JSON export."""
    from lumbar_rom.history.progress import motion_progress, points_from_sessions
    from lumbar_rom.history.store import Store

    try:
        store = Store()
    except LumbarRomError as err:
        raise _fail(err) from None
    if person is None:
        people = store.people()
        if not people:
            typer.echo("No sessions stored yet.")
        for p in people:
            typer.echo(f"{p.name}: {len(store.sessions(p.name))} session(s)")
        return
    sessions = store.sessions(person)
    if not sessions:
        raise _fail(LumbarRomError(f"No sessions stored for {person!r}; check the name with "
                                   "`lumbar-rom history`."))
    for s in sessions:
        vals = ", ".join(f"{t.movement} {t.value_deg:.0f}" if t.value_deg is not None else
                         f"{t.movement} -" for t in s.trials)
        typer.echo(f"session {s.id}  {s.started_at:%Y-%m-%d %H:%M}  pain {s.pain_before}  {vals}")
    for m in sorted({t.movement for s in sessions for t in s.trials}):
        prog = motion_progress(m, points_from_sessions(sessions, m))
        if prog.status != "no goal":
            typer.echo(f"{m}: {prog.status}" + (" (stalled: see the checklist)" if prog.stalled
                                                 else ""))
    if csv_out:
        csv_out.write_text(store.export_csv(person))
        typer.echo(f"CSV -> {csv_out}")
    if json_out:
        json_out.write_text(json.dumps(store.export_json(person), indent=2))
        typer.echo(f"JSON -> {json_out}")


@app.command()
def report(
    session: Annotated[int, typer.Option("--session", help="Session id (`lumbar-rom history`).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="PDF file to write.")] = Path(
        "report.pdf"),
) -> None:
    """A PDF report of one stored session for a clinician."""
    from lumbar_rom.history.store import Store
    from lumbar_rom.report.pdf import write_report

    try:
        store = Store()
        row = store.get_session(session)
        if row is None:
            raise LumbarRomError(f"There is no session {session}; list them with "
                                 "`lumbar-rom history --person NAME`.")
        write_report(row, store.sessions(row.person.name), out)
    except LumbarRomError as err:
        raise _fail(err) from None
    typer.echo(f"report -> {out}")


@app.command()
def questions() -> None:
    """The safety screening and contributing-factor questions with their ids."""
    from lumbar_rom.clinical.knowledge import knowledge

    k = knowledge()
    typer.echo("Red flags (answer yes with --red-flag ID):")
    for q in k.safety.red_flags:
        typer.echo(f"  {q.id}: {q.question}")
    typer.echo("Contributing factors:")
    for q in k.factors.questions:
        typer.echo(f"  {q.id}: {q.question}")


@app.command()
def batch(
    source: Annotated[Path, typer.Argument(
        help="A folder of videos, or a manifest CSV with columns path[,movement,person,height_cm]."
    )],
    executor: Annotated[str, typer.Option(help="local (processes here) or ray.")] = "local",
    address: Annotated[str | None, typer.Option(
        help="Ray cluster to join, HOST:PORT (default: start a local one).")] = None,
    workers: Annotated[int | None, typer.Option(
        help="Parallel landmarkers (default: the CPUs here / of the Ray cluster).")] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = Path("batch-out"),
    db: Annotated[str | None, typer.Option(
        "--db", help="SQLAlchemy URL keeping the progress (default: the history database).")
    ] = None,
    retry_failed: Annotated[bool, typer.Option(
        help="Analyse again the files that failed in an earlier run.")] = False,
    model: ModelOpt = None,
) -> None:
    """Re-analyse an archive in parallel; resumable; summary.csv lists each file's outcome."""
    from lumbar_rom.batch import run_batch, trials_text

    def show(item: object) -> None:
        i = item  # ItemOutcome
        note = trials_text(i.trials) if i.outcome == "done" else i.reason  # type: ignore[attr-defined]
        earlier = " (earlier run)" if i.earlier_run else ""  # type: ignore[attr-defined]
        typer.echo(f"{i.outcome}{earlier}: {Path(i.path).name}: {note}")  # type: ignore[attr-defined]

    if executor not in ("local", "ray"):
        raise _fail(LumbarRomError(f"--executor must be local or ray, not {executor!r}."))
    try:
        result = run_batch(source, executor=executor, workers=workers,  # type: ignore[arg-type]
                           address=address, out_dir=out, store_url=db, model_path=model,
                           retry_failed=retry_failed, on_item=show)
    except LumbarRomError as err:
        raise _fail(err) from None
    typer.echo(f"{result.total} file(s): {result.analysed} analysed, {result.skipped} from "
               f"earlier runs, {result.failed} failed, {result.errors} internal errors "
               f"({result.workers} worker(s), {result.elapsed_s:.0f} s)")
    typer.echo(f"summary -> {result.summary_csv}")


def main() -> None:  # pragma: no cover - console script entry
    """Console script: filter MediaPipe's native log lines from the terminal, then run."""
    from lumbar_rom.logs import filter_native_stderr

    filter_native_stderr()
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
