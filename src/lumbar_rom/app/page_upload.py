"""Upload page: analyse video files (or the bundled samples) of the movements, or time an
endurance hold from a video (the movement choice lists the four holds; ``app.holds``).

One progress bar runs over the whole job (every file's tracking, analysis and replay, "n of N"
for several files) and a Cancel button stops it: clicking it interrupts the run (Streamlit
reruns the page); the flag it sets also makes the progress callback raise
:class:`~lumbar_rom.pipeline.Cancelled`, and the next run says so in one sentence.
"""

from __future__ import annotations

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
    holds,
    keep_hold,
    readiness_check,
    show_hold,
)
from lumbar_rom.app.navigation import need_screening, page
from lumbar_rom.app.state import MAX_UPLOAD_MB, SAMPLES, visit
from lumbar_rom.app.text import md
from lumbar_rom.assessment.hold import HOLD_TESTS
from lumbar_rom.assessment.protocol import MOVEMENTS, movement_spec, side_measured
from lumbar_rom.errors import LumbarRomError

CANCELLED = "The analysis was cancelled; the videos finished before it are kept."
Job = tuple[str, str, Callable[[], AbstractContextManager[Path]]]  # label, movement, path


def upload_page() -> None:
    st.title("Upload movement videos")
    if need_screening():
        return
    if st.session_state.pop("upload_cancelled", False):
        st.info(CANCELLED)
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
                             accept_multiple_files=True)
    mirrored = st.checkbox("These videos are mirrored (front camera)", key="mirrored",
                           help="Front cameras can save mirror images: a bend to your left "
                           "then looks like a bend to your right. Tick this to turn them back.")
    # issue 27: a hold of your own is timed only after the short readiness check
    ready = movement not in HOLD_TESTS or readiness_check("upload_ready")
    c1, c2 = st.columns(2)
    run = c1.button("Analyse", type="primary", disabled=not files or not ready)
    sample = c2.button("Try a sample", help="Analyse the sample clips that come with lumbar-rom")
    if run and files:
        _run_jobs([job for f in files if (job := _upload_job(f, movement)) is not None],
                  mirrored)
    if sample:
        _run_jobs(_sample_jobs(), False)
    if visit().trials or holds():
        st.page_link(page("results"), label="See your results", icon=":material/bar_chart:")


def _upload_job(f: UploadedFile, movement: str) -> Job | None:
    if f.size > MAX_UPLOAD_MB * 1024 * 1024:
        st.error(f"{file_label(f.name)} is larger than {MAX_UPLOAD_MB} MB; trim it to the movement "
                 "and try again.")
        return None

    @contextmanager
    def written() -> Iterator[Path]:
        with tempfile.TemporaryDirectory() as tmp:
            # named from an id, never from the uploaded name (which may be long or hostile)
            path = Path(tmp) / f"upload{Path(f.name).suffix.lower()[:8]}"
            path.write_bytes(f.getvalue())
            yield path

    return file_label(f.name), movement, written  # shown as text, never a link


def file_label(name: str) -> str:
    """An uploaded file's name as markdown that shows it as typed and never as a link: every
    ASCII punctuation character is backslash-escaped (:func:`~lumbar_rom.app.text.md`), which
    also breaks the patterns GitHub-flavoured markdown turns into links by itself (``www.``,
    ``http://``, ``user@host``: the escaped ``.``, ``:``, ``/`` and ``@`` are no longer those
    characters to the autolinker); at most 120 characters are shown."""
    return md(" ".join(name.split())[:120])


def _sample_jobs() -> list[Job]:
    names = sorted(p for p in SAMPLES.glob("*.mp4") if "restricted" not in p.stem)
    if not names:
        st.error("The sample videos are missing from this installation.")
    return [(f"sample {p.stem}", "auto", _as_is(p)) for p in names]


def _as_is(path: Path) -> Callable[[], AbstractContextManager[Path]]:
    return lambda: nullcontext(path)


def _cancel() -> None:
    st.session_state["upload_cancelled"] = True


def _run_jobs(jobs: list[Job], mirrored: bool) -> None:
    """Analyse the jobs one after the other under one progress bar and a Cancel button."""
    from lumbar_rom.pipeline import Cancelled

    if not jobs:
        return
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
                show_hold(result, visit().profile.sex)
                continue
            with path_of() as path:
                trials, replay = service.analyse_upload(path, movement, visit().profile.height_cm,
                                                        on_progress, mirrored=mirrored,
                                                        on_wait=on_wait)
        except Cancelled as err:
            bar.empty()
            st.info(md(err))
            return
        except LumbarRomError as err:
            st.error(f"{label}: {md(err)}")
            continue
        _show(label, trials, replay)
    bar.empty()


def _show(label: str, trials: list, replay: bytes) -> None:
    service.keep_trials(visit(), trials, replay)
    for trial in trials:
        if trial.movement not in MOVEMENTS:
            st.error(f"{label}: " + md(" ".join(trial.reasons)))
        elif trial.status == "ok":
            side = side_measured(trial.movement, bool(st.session_state.get("mirrored")),
                                 "tick 'These videos are mirrored' and analyse it again")
            st.success(f"{label}: {movement_spec(trial.movement).label}{side} measured "
                       f"{trial.value_deg:.0f} deg ± {trial.uncertainty_deg:.0f}.")
        else:
            st.warning(f"{label}: {movement_spec(trial.movement).label} could not be "
                       "trusted: " + " ".join(trial.reasons))
