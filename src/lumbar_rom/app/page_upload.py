"""Upload page: analyse video files (or the bundled samples) of the movements, or time an
endurance hold from a video (the movement choice lists the four holds; ``app.holds``).

After an analysis the page is drawn again with an empty uploader and the outcome of each file
(issue 31): files analysed once are never analysed again under a movement chosen afterwards.
The sample clips' results are marked "sample" (``Visit.samples``).

One progress bar runs over the whole job (every file's tracking, analysis and replay, "n of N"
for several files) and a Cancel button stops it: clicking it interrupts the run (Streamlit
reruns the page); the flag it sets also makes the progress callback raise
:class:`~lumbar_rom.pipeline.Cancelled`, and the next run says so in one sentence.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path

import streamlit as st
from streamlit.runtime.uploaded_file_manager import UploadedFile

from lumbar_rom.app import service
from lumbar_rom.app.holds import (
    analyse_hold_upload,
    hold_label,
    hold_text,
    holds,
    keep_hold,
    readiness_check,
)
from lumbar_rom.app.navigation import need_screening, page
from lumbar_rom.app.state import MAX_UPLOAD_MB, SAMPLES, visit
from lumbar_rom.app.text import md
from lumbar_rom.assessment.hold import HOLD_TESTS
from lumbar_rom.assessment.protocol import MOVEMENTS, movement_spec
from lumbar_rom.errors import LumbarRomError

CANCELLED = "The analysis was cancelled; the videos finished before it are kept."
UPLOADER = "uploader_round"  # the uploader's key changes after each analysis: it starts empty
DONE = "upload_done"  # the outcome of the last analysis, shown after the page is drawn again
Job = tuple[str, str, Callable[[], AbstractContextManager[Path]]]  # label, movement, path


def upload_page() -> None:
    st.title("Upload movement videos")
    if need_screening():
        return
    visit().opened_session = None  # "your results" are this visit's again
    if st.session_state.pop("upload_cancelled", False):
        st.info(CANCELLED)
    _last_outcome()
    st.write("Film each movement as the guide says: flexion and extension from the side, side "
             "bends and rotation from the front; stand still for a second first, then do the "
             "movement three times. MP4, MOV or WebM, up to "
             f"{MAX_UPLOAD_MB} MB each.")
    options = ["auto"] + list(MOVEMENTS) + list(HOLD_TESTS)
    movement = st.selectbox("Which movement is in the video?", options,
                            format_func=lambda m: "Detect it for me" if m == "auto"
                            else hold_label(m) + " (endurance hold)" if m in HOLD_TESTS
                            else movement_spec(m).label,
                            help="The endurance holds are timed, not detected: choose the one "
                            "you filmed.")
    files = st.file_uploader("Videos", type=["mp4", "mov", "webm", "m4v"],
                             accept_multiple_files=True,
                             key=f"uploads_{st.session_state.get(UPLOADER, 0)}")
    mirrored = st.checkbox("These videos are mirrored (front camera)", key="mirrored",
                           help="Front cameras can save mirror images: a bend to your left "
                           "then looks like a bend to your right. Tick this to turn them back.")
    if movement in HOLD_TESTS:  # issue 31: the position in a picture, and how long to hold it
        _hold_position(movement)
    # issue 27: a hold of your own is timed only after the short readiness check
    ready = movement not in HOLD_TESTS or readiness_check("upload_ready")
    c1, c2 = st.columns(2)
    run = c1.button("Analyse", type="primary", disabled=not files or not ready)
    sample = c2.button("Try a sample", help="Analyse the sample clips that come with lumbar-rom")
    if run and files:
        _run_jobs([job for f in files if (job := _upload_job(f, movement)) is not None],
                  mirrored)
    if sample:
        _run_jobs(_sample_jobs(), False, sample=True)
    if visit().trials or holds():
        label = "See the sample results" if visit().sample_only() else "See your results"
        st.page_link(page("results"), label=label, icon=":material/bar_chart:")


def _hold_position(test: str) -> None:
    from lumbar_rom.app.widgets import position_picture
    from lumbar_rom.assessment.hold import endurance_knowledge

    most = endurance_knowledge()["tests"][test].get("max_s")
    pic = position_picture(test)
    if pic is not None:
        st.image(str(pic), caption=f"{hold_label(test)}: hold the position as long as you can"
                 + (f" (at most {most // 60} minutes)" if most else "")
                 + "; stop at once if it hurts.", width=360)


def _upload_job(f: UploadedFile, movement: str) -> Job | None:
    if f.size > MAX_UPLOAD_MB * 1024 * 1024:
        st.error(f"{md(f.name)} is larger than {MAX_UPLOAD_MB} MB; trim it to the movement "
                 "and try again.")
        return None

    @contextmanager
    def written() -> Iterator[Path]:
        with tempfile.TemporaryDirectory() as tmp:
            # named from an id, never from the uploaded name (which may be long or hostile)
            path = Path(tmp) / f"upload{Path(f.name).suffix.lower()[:8]}"
            path.write_bytes(f.getvalue())
            yield path

    return md(f.name), movement, written  # the label is shown as text (escaped)


def _sample_jobs() -> list[Job]:
    names = sorted(p for p in SAMPLES.glob("*.mp4") if "restricted" not in p.stem)
    if not names:
        st.error("The sample videos are missing from this installation.")
    return [(f"sample {p.stem}", "auto", _as_is(p)) for p in names]


def _as_is(path: Path) -> Callable[[], AbstractContextManager[Path]]:
    return lambda: nullcontext(path)


def _cancel() -> None:
    st.session_state["upload_cancelled"] = True


def _say(kind: str, text: str) -> None:
    """Keep one line of the analysis' outcome (``kind``: success, warning, error, info) for the
    page drawn after it."""
    st.session_state.setdefault(DONE, []).append((kind, text))


def _last_outcome() -> None:
    for kind, text in st.session_state.pop(DONE, []):
        getattr(st, kind)(text)


def _run_jobs(jobs: list[Job], mirrored: bool, sample: bool = False) -> None:
    """Analyse the jobs one after the other under one progress bar and a Cancel button, then
    draw the page again with an empty uploader and each file's outcome."""
    if not jobs:
        return
    st.session_state[DONE] = []
    _analyse(jobs, mirrored, sample)
    st.session_state[UPLOADER] = st.session_state.get(UPLOADER, 0) + 1
    st.rerun()


def _analyse(jobs: list[Job], mirrored: bool, sample: bool) -> None:
    from lumbar_rom.pipeline import Cancelled

    st.session_state["upload_cancelled"] = False
    bar = st.progress(0.0, text="Starting…")
    st.button("Cancel", key="cancel_upload", on_click=_cancel)
    n = len(jobs)
    for i, (label, movement, path_of) in enumerate(jobs):
        text = f"Analysing {label}" + (f" ({i + 1} of {n})" if n > 1 else "") + "…"

        def on_progress(done: int, total: int, i: int = i, text: str = text) -> None:
            if st.session_state.get("upload_cancelled"):
                raise Cancelled(CANCELLED)
            bar.progress(min(1.0, (i + (done / total if total else 0.0)) / n), text=text)

        def on_wait(ahead: int, i: int = i, label: str = label) -> None:
            if st.session_state.get("upload_cancelled"):
                raise Cancelled(CANCELLED)
            bar.progress(i / n, text=f"Waiting to analyse {label}: {ahead} ahead of you…")

        try:
            if movement in HOLD_TESTS:  # issue 14: a timed endurance hold (app.holds)
                with path_of() as path:
                    result = analyse_hold_upload(path, movement, on_progress, mirrored)
                keep_hold(result)
                _say("success" if math.isfinite(result.held_s) else "warning",
                     hold_text(result, visit().profile.sex))
                continue
            with path_of() as path:
                trials, replay = service.analyse_upload(path, movement, visit().profile.height_cm,
                                                        on_progress, mirrored=mirrored,
                                                        on_wait=on_wait)
        except Cancelled:  # the flag it raised on is said once, on the page drawn next
            bar.empty()
            st.session_state["upload_cancelled"] = True
            return
        except LumbarRomError as err:
            _say("error", f"{label}: {md(err)}")
            continue
        _show(label, trials, replay, sample)
    bar.empty()


def _show(label: str, trials: list, replay: bytes, sample: bool = False) -> None:
    service.keep_trials(visit(), trials, replay, sample=sample)
    for trial in trials:
        if trial.movement not in MOVEMENTS:
            _say("error", f"{label}: " + md(" ".join(trial.reasons)))
        elif sample and trial.movement not in visit().samples:
            _say("info", f"{label}: {movement_spec(trial.movement).label}: your own video of "
                 "this movement is kept, not the sample's.")
        elif trial.status == "ok":
            _say("success", f"{label}: {movement_spec(trial.movement).label} measured "
                 f"{trial.value_deg:.0f} deg ± {trial.uncertainty_deg:.0f}.")
        else:
            _say("warning", f"{label}: {movement_spec(trial.movement).label} could not be "
                 "trusted: " + " ".join(trial.reasons))
