"""Command line: a thin shell over the library (``lumbar-rom --help``).

Every input is checked at the edge, and every output path before the work starts; the heavy
modules (the pipeline, OpenCV, PyAV, MediaPipe, SQLAlchemy) are imported inside the commands, so
``--help`` and a bad argument answer at once. Errors are one sentence, exit code 1, never a
traceback; a database URL's password never appears in them.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import re
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ParamSpec, TypeVar

import typer

from lumbar_rom import __version__
from lumbar_rom.assessment.protocol import (
    MOVEMENTS,
    MovementSpec,
    parse_movement,
    side_measured,
)
from lumbar_rom.cli_users import users_app
from lumbar_rom.data import CLINICAL, load_toml
from lumbar_rom.errors import LumbarRomError
from lumbar_rom.inputs import (
    check_height,
    check_id,
    check_pain,
    check_slr,
    check_video_file,
    clean_name,
)
from lumbar_rom.outputs import atomic_path, atomic_write, check_output_dir, check_output_file

if TYPE_CHECKING:
    from lumbar_rom.assessment.hold import HoldResult, NormComparison
    from lumbar_rom.assessment.trial import TrialResult
    from lumbar_rom.history.store import SessionRow, Store

P = ParamSpec("P")
T = TypeVar("T")

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

MirroredOpt = Annotated[bool, typer.Option(
    "--mirrored/--not-mirrored",
    help="The video is a mirror image (many front cameras save one): left and right are swapped "
         "back, and each side-specific result says which side was measured.")]


def _mask_credentials(text: str) -> str:
    """``text`` with the password of ``$LUMBAR_ROM_DB`` (raw, or inside the URL) replaced."""
    url = os.environ.get("LUMBAR_ROM_DB")
    if not url:
        return text
    from urllib.parse import quote, quote_plus

    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        return text
    if not parsed.password:
        return text
    text = text.replace(url, parsed.render_as_string(hide_password=True))
    secret = str(parsed.password)
    for form in sorted({secret, quote(secret, safe=""), quote_plus(secret)}, key=len,
                       reverse=True):
        text = text.replace(form, "***")
    return text


_BACKGROUND = re.compile(r"\s*\(Background on this error at: [^)]*\)")


def _one_line(text: str) -> str:
    """A message as one line: SQLAlchemy's "Background on this error" link dropped."""
    return " ".join(_BACKGROUND.sub("", text).split())


def _fail(err: Exception) -> typer.Exit:
    typer.echo(f"Error: {_one_line(_mask_credentials(str(err)))}", err=True)
    return typer.Exit(code=1)


def _check(check: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Run an input/output check; its one-sentence error ends the command."""
    try:
        return check(*args, **kwargs)
    except LumbarRomError as err:
        raise _fail(err) from None


@contextlib.contextmanager
def _store_errors() -> Iterator[None]:
    """Database failures (read-only file, server down, full disk) as one sentence."""
    from sqlalchemy.exc import SQLAlchemyError

    try:
        yield
    except LumbarRomError as err:
        raise _fail(err) from None
    except (SQLAlchemyError, OSError) as err:
        cause = getattr(err, "orig", None) or err
        reason = str(cause).splitlines()[0] if str(cause) else type(cause).__name__
        raise _fail(LumbarRomError(
            f"The history database cannot be used ({reason}); check that its file is writable "
            "and the disk has space, or the LUMBAR_ROM_DB setting.")) from None


def _open_store(for_writing: bool = False) -> Store:
    """The history store; ``for_writing``: refuse a SQLite file this process cannot write
    (checked before the work, so a session is never measured and then lost)."""
    from lumbar_rom.history.store import Store

    with _store_errors():
        store = Store()
    url = store.engine.url
    if for_writing and url.get_backend_name() == "sqlite" and url.database not in (None, "",
                                                                                 ":memory:"):
        db = Path(str(url.database))
        if not all(os.access(p, os.W_OK) for p in (db, db.parent) if p.exists()):
            raise _fail(LumbarRomError(f"The history database {db} is read-only; make it "
                                       "writable or set LUMBAR_ROM_DB to another file."))
    return store


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
    mirrored: MirroredOpt = False,
    model: ModelOpt = None,
) -> None:
    """Per-frame pose landmarks (CSV/Parquet) and an annotated H.264 MP4. Left and right of
    the hips and shoulders are repaired as in the analysis (counted in landmarks.json)."""
    if fmt not in ("csv", "parquet"):
        raise _fail(ValueError(f"--format must be csv or parquet, not {fmt!r}."))
    _check(check_video_file, video)
    _check(check_output_dir, out, "--out")
    from lumbar_rom.pipeline import repaired_landmarks, track_video

    try:
        seq = track_video(video, model_path=model, progress=True, mirrored=mirrored,
                          annotate_to=out / "annotated.mp4" if annotate else None)
        seq, repaired = repaired_landmarks(seq)
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
    typer.echo(f"left/right of hips and shoulders repaired in {repaired} frames")
    summary = {"video": str(video), "frames": seq.n_frames, "frames_with_person": found,
               "fps": seq.fps, "frame_size": list(seq.frame_size),
               "left_right": "repaired (hips, shoulders)", "lr_swaps_repaired": repaired}
    _check(atomic_write, out / "landmarks.json", json.dumps(summary, indent=2))


MOVEMENT_CHOICES: tuple[str, ...] = ("auto", *MOVEMENTS)  # from data/protocol.toml
# the endurance holds (assessment.hold.HOLD_TESTS, read from the same endurance.toml here so that
# `--help` and a bad argument do not import the pose stack)
HOLD_CHOICES: tuple[str, ...] = tuple(load_toml("endurance.toml", package=CLINICAL)["tests"])
ANALYZE_CHOICES: tuple[str, ...] = (*MOVEMENT_CHOICES, *HOLD_CHOICES)
HOLD_RESULT_SCHEMA = 1


def _parse_movement_option(text: str) -> MovementSpec | str:
    """``--movement``: ``"auto"`` or the movement's spec (parsed once, here)."""
    if text == "auto":
        return text
    try:
        return parse_movement(text)
    except ValueError:
        raise _fail(ValueError(f"--movement must be one of {', '.join(ANALYZE_CHOICES)}."
                               )) from None


def _print_trial(t: TrialResult, mirrored: bool = False) -> None:
    label = t.movement + side_measured(t.movement, mirrored)
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
        "--movement", "-m", help="One of: " + ", ".join(ANALYZE_CHOICES) + ".")] = "auto",
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = Path("out"),
    height: Annotated[float | None, typer.Option(
        "--height", help="Your height in cm (fingertip-to-floor in cm).")] = None,
    sex: Annotated[str | None, typer.Option(
        help="female / male (endurance holds: compared with the norm for this sex).")] = None,
    person: Annotated[str | None, typer.Option(
        help="Endurance holds: save the timed hold in the history under this name.")] = None,
    mirrored: MirroredOpt = False,
    model: ModelOpt = None,
) -> None:
    """Measure a movement (result.json, angles.csv, annotated MP4) or time an endurance hold
    (result.json)."""
    if movement in HOLD_CHOICES:
        _analyze_hold(video, movement, out, sex, person, model)
        return
    spec = _parse_movement_option(movement)
    if person is not None:
        raise _fail(LumbarRomError("--person saves endurance holds only; save a range-of-motion "
                                   "session with `lumbar-rom assess --person NAME`."))
    _check(check_video_file, video)
    if height is not None:
        height = _check(check_height, height)
    _check(check_output_dir, out, "--out")
    from lumbar_rom.pipeline import analyze_video

    try:
        result = analyze_video(video, spec, out_dir=out, model_path=model, height_cm=height,
                               progress=True, mirrored=mirrored)
    except LumbarRomError as err:
        raise _fail(err) from None
    except OSError as err:
        raise _fail(LumbarRomError(f"Cannot write to {out} ({err.strerror}); choose another "
                                   "output folder.")) from None
    for trial in result.trials:
        _print_trial(trial, mirrored)
    typer.echo(f"results -> {out / 'result.json'}, {out / 'angles.csv'}, {out / 'annotated.mp4'} "
               f"(captions: {out / 'annotated.vtt'})")


def _analyze_hold(video: Path, test: str, out: Path, sex: str | None, person: str | None,
                  model: Path | None) -> None:
    """``analyze --movement <hold test>``: track, time the hold, write result.json, print it."""
    from lumbar_rom.clinical.profile import check_sex

    sex = _check(check_sex, sex)
    name = None if person is None else _check(clean_name, person)
    _check(check_video_file, video)
    _check(check_output_dir, out, "--out")
    store = None if name is None else _open_store(for_writing=True)
    from lumbar_rom.assessment.hold import analyze_hold, hold_norm
    from lumbar_rom.pipeline import track_video

    try:  # a fresh landmarker for this video (track_video opens its own)
        seq = track_video(video, model_path=model, progress=True)
        result = analyze_hold(seq, test)
    except (LumbarRomError, ValueError) as err:
        raise _fail(err) from None
    norm = hold_norm(result, sex) if sex in ("female", "male") else None
    doc: dict[str, object] = {
        "schema_version": HOLD_RESULT_SCHEMA, "software": {"lumbar_rom": __version__},
        "video": str(video), "hold": result.to_dict()}
    if norm is not None:
        doc["norm"] = norm.to_dict()
    _check(atomic_write, out / "result.json", json.dumps(doc, indent=2, allow_nan=False))
    typer.echo(_hold_text(result, norm))
    if store is not None and name is not None:
        with _store_errors():
            hid = store.save_hold(name, result)
        typer.echo(f"saved as hold {hid} for {name}")
    typer.echo(f"results -> {out / 'result.json'}")


END_REASONS = {
    "posture_dropped": "the position was lost",
    "out_of_frame": "the person left the view",
    "clip_ended": "the video ended while the position was held (a lower bound)",
    "never_in_position": "the test position was never reached",
}


def _hold_text(r: HoldResult, norm: NormComparison | None) -> str:
    """One or two plain lines: seconds held +/- uncertainty, why it ended, the norm."""
    import math

    if not math.isfinite(r.held_s):
        line = f"{r.test}: not timed - {END_REASONS[r.end_reason]}."
    else:
        line = (f"{r.test}: held {r.held_s:.1f} s +/- {r.uncertainty_s:.1f} s; ended: "
                f"{END_REASONS[r.end_reason]}.")
    if norm is None:
        return line
    from lumbar_rom.clinical.summary import endurance_words

    caveat = "" if norm.confirmed or "not confirmed" in norm.source else " (not confirmed)"
    where = "" if not math.isfinite(norm.z) else f": {endurance_words(norm.z, norm.sex)}"
    return (f"{line}\nnorm for {norm.sex}s: {norm.mean_s:.0f} s (SD {norm.sd_s:.0f}){where}"
            f"{caveat} [{norm.source}]")


def _parse_injury(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise _fail(LumbarRomError(f"--injury-date {text!r} is not a date; write it as "
                                   "YYYY-MM-DD or YYYY-MM-DDTHH:MM.")) from None


def _profile(age: float | None, sex: str | None, height: float | None,
             injury: datetime | None) -> Any:
    """The one validated :class:`~lumbar_rom.clinical.profile.Profile` (its constructor checks
    every value; a wrong one is one sentence and exit 1, before anything is measured or
    stored)."""
    from lumbar_rom.clinical.profile import Profile

    return _check(Profile, age=age, sex=sex, height_cm=height, injury=injury)


def _stored_profile(store: Any, name: str) -> Any:
    """The stored profile of ``name``; None when there is none or when a value stored before
    the profile was validated (issue 27: e.g. a sex outside the fixed set) no longer passes."""
    from lumbar_rom.inputs import InputError

    try:
        return store.profile(name)
    except InputError:
        return None


def _red_flags(ids: list[str]) -> dict[str, bool]:
    """Every screening question (red flags and the NG65 inflammatory screen) answered: yes for
    the ``--red-flag`` ids, no for the others (the CLI user states the yes-answers; an unknown
    id is refused)."""
    from lumbar_rom.clinical.knowledge import knowledge

    s = knowledge().safety
    known = [q.id for q in s.red_flags] + [q.id for q in s.inflammatory.questions]
    unknown = sorted(set(ids) - set(known))
    if unknown:
        raise _fail(LumbarRomError(f"Unknown red-flag id {unknown[0]!r}; `lumbar-rom questions` "
                                   "lists the ids."))
    return {q: q in ids for q in known}


def _factor_answers(items: list[str]) -> dict[str, bool]:
    """``--factor ID=yes|no`` answers (a bare ID is yes); an unknown id or answer is refused."""
    from lumbar_rom.clinical.knowledge import knowledge

    known = {q.id for q in knowledge().factors.questions}
    out: dict[str, bool] = {}
    for item in items:
        qid, _, ans = item.partition("=")
        answer = (ans or "yes").strip().lower()
        if qid.strip() not in known or answer not in ("yes", "no"):
            raise _fail(LumbarRomError(f"--factor {item!r} is not ID=yes or ID=no with a known "
                                       "id; `lumbar-rom questions` lists the ids."))
        out[qid.strip()] = answer == "yes"
    return out


def _parse_clip(text: str) -> tuple[Path, MovementSpec | str]:
    """``clip.mp4`` (movement auto-detected) or ``clip.mp4:side-bend-left``."""
    path, sep, name = text.rpartition(":")
    if not sep or not name or "/" in name or "\\" in name or Path(text).exists():
        return Path(text), "auto"
    if name == "auto":
        return Path(path), "auto"
    try:
        return Path(path), parse_movement(name)
    except ValueError:
        raise _fail(LumbarRomError(
            f"{name!r} in {text!r} is not a movement; write VIDEO or VIDEO:MOVEMENT with "
            f"MOVEMENT one of {', '.join(MOVEMENT_CHOICES)}.")) from None


@app.command()
def assess(
    videos: Annotated[list[str], typer.Argument(
        help="One or more movement videos, each as VIDEO (movement detected) or VIDEO:MOVEMENT "
             "(e.g. clip.mp4:side-bend-left).")],
    age: Annotated[float | None, typer.Option(help="Age in years (age-adjusted norms).")] = None,
    sex: Annotated[str | None, typer.Option(
        help="female / male / other (endurance norms are per sex).")] = None,
    height: Annotated[float | None, typer.Option(help="Height in cm.")] = None,
    injury_date: Annotated[str | None, typer.Option(
        help="When a recent injury happened (YYYY-MM-DD[THH:MM]).")] = None,
    pain: Annotated[float | None, typer.Option(help="Pain now, 0-10.")] = None,
    red_flag: Annotated[list[str] | None, typer.Option(
        help="Id of a red-flag question answered yes (see `lumbar-rom questions`).")] = None,
    slr: Annotated[float | None, typer.Option(
        help="Straight-leg raise of the tighter side, degrees.")] = None,
    thomas: Annotated[bool | None, typer.Option(
        "--thomas-positive/--thomas-negative", help="Thomas test result.")] = None,
    factor: Annotated[list[str] | None, typer.Option(
        help="A contributing-factor answer as ID=yes or ID=no (see `lumbar-rom questions`).")
        ] = None,
    slr_leg_pain: Annotated[bool | None, typer.Option(
        "--slr-leg-pain/--slr-no-leg-pain",
        help="Did the straight-leg raise bring on pain in the leg?")] = None,
    pain_limited: Annotated[list[str] | None, typer.Option(
        "--pain-limited", help="A movement that pain stopped (alone or with stiffness), e.g. "
        "flexion: it is not stretched. Repeat for several.")] = None,
    leg_pain: Annotated[list[str] | None, typer.Option(
        "--leg-pain", help="A movement that brought on pain or other symptoms in a leg: "
        "treated as pain-limited. Repeat for several.")] = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the assessment JSON.")
                        ] = None,
    person: Annotated[str | None, typer.Option(
        help="Save the session in the history under this name.")] = None,
    mirrored: MirroredOpt = False,
    model: ModelOpt = None,
) -> None:
    """Measure each video and print an assessment a physiotherapist can follow."""
    # everything typed is checked, and every output opened, before any video is measured
    slr = None if slr is None else _check(check_slr, slr)
    pain_nrs = None if pain is None else _check(check_pain, pain)
    name = None if person is None else _check(clean_name, person)
    profile = _profile(age, sex, height, _parse_injury(injury_date))
    clips = [_parse_clip(v) for v in videos]
    for path, _ in clips:
        _check(check_video_file, path)
    if json_out is not None:
        _check(check_output_file, json_out, "--json")
    store = None if name is None else _open_store(for_writing=True)

    from lumbar_rom.clinical.engine import Screening, screen
    from lumbar_rom.clinical.engine import assess as run_assess
    from lumbar_rom.clinical.summary import summary_text

    flags = _red_flags(red_flag or [])
    factors = _factor_answers(factor or [])
    checks: dict[str, float | bool] = {}
    if slr is not None:
        checks["straight_leg_raise_deg"] = slr
    if thomas is not None:
        checks["thomas_test_positive"] = thomas
    if slr_leg_pain is not None:
        checks["slr_leg_pain"] = slr_leg_pain
    stopped = _pain_movements(pain_limited, "--pain-limited")
    legs = _pain_movements(leg_pain, "--leg-pain")
    screening = Screening(red_flags=flags, pain_before=pain_nrs, checks=checks,
                          factors=factors, pain_limited=stopped, leg_pain=legs)
    gate = screen(screening, profile, datetime.now())
    trials = [] if gate is not None else _measure(clips, model, profile.height_cm, mirrored)
    result = gate or run_assess(profile, screening, trials)
    typer.echo(summary_text(result))
    if store is not None and name is not None:
        from lumbar_rom.pose.model import FULL_MODEL_SHA256

        with _store_errors():
            sid = store.save_session(name, profile, screening, trials, result,
                                     model_sha256=FULL_MODEL_SHA256)
        typer.echo(f"saved as session {sid} for {name}")
    if json_out is not None:
        _check(atomic_write, json_out, json.dumps(result.to_dict(), indent=2, allow_nan=False))
        typer.echo(f"assessment -> {json_out}")


def _pain_movements(names: list[str] | None, option: str) -> tuple[str, ...]:
    """The movement ids given to ``--pain-limited`` / ``--leg-pain``, checked (exit 1 with what
    to type on an unknown one)."""
    from lumbar_rom.assessment.protocol import MOVEMENTS

    out = []
    for n in names or []:
        m = n.strip().lower()
        if m not in MOVEMENTS:
            raise _fail(LumbarRomError(f"{option} takes a movement: one of "
                                       f"{', '.join(MOVEMENTS)} (not {n!r})."))
        out.append(m)
    return tuple(dict.fromkeys(out))


def who_was_measured(trials: list[TrialResult]) -> list[str]:
    """The notes saying who was measured when several people were in view (once per clip)."""
    notes = [f.message for t in trials for f in t.flags if f.code == "several_people"]
    return list(dict.fromkeys(notes))


def _measure(clips: list[tuple[Path, MovementSpec | str]], model: Path | None,
             height: float | None, mirrored: bool = False) -> list[TrialResult]:
    from lumbar_rom.pipeline import analyze_video

    trials: list[TrialResult] = []
    try:
        for path, spec in clips:
            found = list(analyze_video(path, spec, model_path=model, height_cm=height,
                                       progress=True, mirrored=mirrored).trials)
            for note in who_was_measured(found):  # several people in view: say who (issue 29)
                typer.echo(f"{path.name}: {note}")
            for t in found:  # which side of the body a side-specific value is
                if side_measured(t.movement, mirrored):
                    typer.echo(f"{path.name}: {t.movement}{side_measured(t.movement, mirrored)}")
            trials += found
    except LumbarRomError as err:
        raise _fail(err) from None
    return trials


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
    name = None if person is None else _check(clean_name, person)
    for out, option in ((csv_out, "--csv"), (json_out, "--json")):
        if out is not None:
            _check(check_output_file, out, option)
    store = _open_store()
    if name is None:
        _print_people(store)
        return
    with _store_errors():
        sessions = store.sessions(name)
        holds, diary = store.holds(name), store.pain_entries(name)
        if not sessions and not holds and not diary:
            raise LumbarRomError(f"No sessions stored for {name!r}; check the name with "
                                 "`lumbar-rom history`.")
        _print_sessions(sessions)
        _print_strength_and_pain(store, name, sessions, holds, diary)
        if csv_out:
            _check(atomic_write, csv_out, store.export_csv(name))
            typer.echo(f"CSV -> {csv_out}")
        if json_out:
            _check(atomic_write, json_out, json.dumps(store.export_json(name), indent=2))
            typer.echo(f"JSON -> {json_out}")


def _print_people(store: Store) -> None:
    with _store_errors():
        people = store.people()
        if not people:
            typer.echo("No sessions stored yet.")
        for p in people:
            extra = [f"{n} {what}" for n, what in ((len(store.holds(p.name)), "hold(s)"),
                     (len(store.pain_entries(p.name)), "pain-diary entr(ies)")) if n]
            typer.echo(f"{p.name}: {len(store.sessions(p.name))} session(s)"
                       + "".join(f", {e}" for e in extra))


def _print_sessions(sessions: list[SessionRow]) -> None:
    from lumbar_rom.clinical.summary import session_headline
    from lumbar_rom.history.progress import motion_progress, points_from_sessions

    for s in sessions:
        vals = ", ".join(f"{t.movement} {t.value_deg:.0f}" if t.value_deg is not None else
                         f"{t.movement} -" for t in s.trials)
        told = session_headline(s.assessment)  # a stopped or deferred session says so
        typer.echo(f"session {s.id}  {s.started_at:%Y-%m-%d %H:%M}  pain {s.pain_before}  "
                   f"{told or vals}")
    for m in sorted({t.movement for s in sessions for t in s.trials}):
        prog = motion_progress(m, points_from_sessions(sessions, m))
        if prog.status != "no goal":
            typer.echo(f"{m}: {prog.status}" + (" (stalled: see the checklist)" if prog.stalled
                                                 else ""))


def _print_strength_and_pain(store: Store, name: str, sessions: list[SessionRow],
                             holds: list[Any], diary: list[Any]) -> None:
    """``history --person``: each endurance test against its strength goal, the pain goal's
    status from the trend (diary and sessions), each motion's latest pain answer, and the
    stall-checklist items that come from strength and pain."""
    from lumbar_rom.clinical.engine import Profile, is_chronic
    from lumbar_rom.history.pain import pain_stall_item
    from lumbar_rom.history.progress import (
        hold_points,
        motion_pain,
        pain_points,
        pain_status,
        strength_lag_item,
        strength_lags,
        strength_summary,
        strength_text,
    )

    prof = _stored_profile(store, name)
    sex = prof.sex if prof is not None else None
    for h in holds:
        held = "not timed" if h.seconds is None else f"{h.seconds:.1f} s"
        typer.echo(f"hold {h.id}  {h.at:%Y-%m-%d %H:%M}  {h.test}  {held}  ({h.end_reason})")
    for prog in strength_summary(holds, sex, prof.age if prof is not None else None):
        typer.echo(f"strength: {strength_text(prog)}")
    for m in sorted({t.movement for s in sessions for t in s.trials}):
        felt = motion_pain(sessions, m).text()
        if felt:
            typer.echo(f"{m}: {felt}")
    pts = pain_points(sessions, diary)
    chronic = is_chronic(prof or Profile(), datetime.now())
    status = pain_status(pts, chronic)[0] if pts else "no pain recorded"
    typer.echo(f"pain goal ({'long-standing' if chronic else 'recent injury'}, {len(diary)} diary "
               f"entr{'y' if len(diary) == 1 else 'ies'}): {status}"
               + (f"; latest {pts[-1].nrs}/10 on {pts[-1].when:%Y-%m-%d}" if pts else ""))
    lags = strength_lags(hold_points(holds), sex)
    if lags:
        typer.echo(f"stall checklist: {strength_lag_item(lags)}")
    if pts and status == "behind":
        typer.echo(f"stall checklist: {pain_stall_item()}")


@app.command()
def report(
    session: Annotated[int, typer.Option("--session", help="Session id (`lumbar-rom history`).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="PDF file to write.")] = Path(
        "report.pdf"),
) -> None:
    """A PDF report of one stored session for a clinician."""
    session = _check(check_id, session, "--session")  # range-checked before the database
    _check(check_output_file, out, "--out")
    store = _open_store()
    from lumbar_rom.report.pdf import write_report

    with _store_errors():
        row = store.get_session(session)
        if row is None:
            raise LumbarRomError(f"There is no session {session}; list them with "
                                 "`lumbar-rom history --person NAME`.")
        with atomic_path(out) as tmp:
            write_report(row, store.sessions(row.person.name), tmp)
    typer.echo(f"report -> {out}")


@app.command()
def questions() -> None:
    """The safety screening and contributing-factor questions with their ids."""
    from lumbar_rom.clinical.knowledge import knowledge

    k = knowledge()
    typer.echo("Safety questions (answer yes with --red-flag ID; the others count as no):")
    for flag in k.safety.red_flags:
        typer.echo(f"  {flag.id} [{flag.category}]: {flag.question}")
    typer.echo(f"{k.safety.inflammatory.title} (answer yes with --red-flag ID):")
    for q in k.safety.inflammatory.questions:
        typer.echo(f"  {q.id}: {q.question}")
    typer.echo("Contributing factors (answer with --factor ID=yes or ID=no):")
    for f in k.factors.questions:
        typer.echo(f"  {f.id}: {f.question}")


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
    from lumbar_rom.batch import ItemOutcome, run_batch, trials_text

    def show(i: ItemOutcome) -> None:
        note = trials_text(i.trials) if i.outcome == "done" else i.reason
        earlier = " (earlier run)" if i.earlier_run else ""
        typer.echo(f"{i.outcome}{earlier}: {Path(i.path).name}: {note}")

    if executor not in ("local", "ray"):
        raise _fail(LumbarRomError(f"--executor must be local or ray, not {executor!r}."))
    try:
        result = run_batch(source, executor="ray" if executor == "ray" else "local",
                           workers=workers,
                           address=address, out_dir=out, store_url=db, model_path=model,
                           retry_failed=retry_failed, on_item=show)
    except LumbarRomError as err:
        raise _fail(err) from None
    typer.echo(f"{result.total} file(s): {result.analysed} analysed, {result.skipped} from "
               f"earlier runs, {result.failed} failed, {result.errors} internal errors "
               f"({result.workers} worker(s), {result.elapsed_s:.0f} s)")
    typer.echo(f"summary -> {result.summary_csv}")


app.add_typer(users_app, name="users")

pain_app = typer.Typer(help="The pain diary: pain 0-10 on any day, without a measurement.",
                       no_args_is_help=True)
app.add_typer(pain_app, name="pain")
PersonOpt = Annotated[str, typer.Option("--person", help="Whose diary.")]


@pain_app.command("add")
def pain_add(
    person: PersonOpt,
    nrs: Annotated[float, typer.Option("--nrs", help="Pain now, 0 (none) to 10 (worst).")],
    note: Annotated[str, typer.Option(help="What you were doing, what helped.")] = "",
    when: Annotated[str | None, typer.Option(
        help="When (YYYY-MM-DD[THH:MM]; default: now).")] = None,
) -> None:
    """Add a pain-diary entry."""
    name = _check(clean_name, person)
    value = _check(check_pain, nrs)
    at = None
    if when is not None:
        try:
            at = datetime.fromisoformat(when)
        except ValueError:
            raise _fail(LumbarRomError(f"--when {when!r} is not a date; write it as YYYY-MM-DD "
                                       "or YYYY-MM-DDTHH:MM.")) from None
    store = _open_store(for_writing=True)
    with _store_errors():
        store.add_pain(name, value, when=at, note=note.strip())
    typer.echo(f"pain {value}/10 recorded for {name}")


@pain_app.command("list")
def pain_list(person: PersonOpt) -> None:
    """The pain diary and each session's pain, oldest first, with the pain goal's status."""
    name = _check(clean_name, person)
    store = _open_store()
    from lumbar_rom.clinical.engine import is_chronic
    from lumbar_rom.history.progress import pain_points, pain_status

    with _store_errors():
        entries = store.pain_entries(name)
        sessions = store.sessions(name)
        profile = _stored_profile(store, name)
    if not entries and not any(s.pain_before is not None for s in sessions):
        raise _fail(LumbarRomError(f"No pain recorded for {name!r}; add one with `lumbar-rom "
                                   "pain add --person NAME --nrs N`."))
    for e in entries:
        typer.echo(f"{e.at:%Y-%m-%d %H:%M}  diary    {e.nrs}/10" + (f"  {e.note}" if e.note
                                                                    else ""))
    for s in sessions:
        if s.pain_before is not None:
            typer.echo(f"{s.started_at:%Y-%m-%d %H:%M}  session  {s.pain_before}/10")
    chronic = profile is None or is_chronic(profile, datetime.now())
    status, _line = pain_status(pain_points(sessions, entries), chronic)
    typer.echo(f"pain goal ({'long-standing' if chronic else 'recent injury'}): {status}")


def main() -> None:  # pragma: no cover - console script entry
    """Console script: filter MediaPipe's native log lines from the terminal, then run."""
    from lumbar_rom.logs import filter_native_stderr

    filter_native_stderr()
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
