"""Upload page: analyse video files (or the bundled samples) of the movements."""

from __future__ import annotations

import tempfile
from pathlib import Path

import streamlit as st
from streamlit.runtime.uploaded_file_manager import UploadedFile

from lumbar_rom.app import service
from lumbar_rom.app.navigation import need_screening, page
from lumbar_rom.app.state import MAX_UPLOAD_MB, SAMPLES, visit
from lumbar_rom.app.text import md
from lumbar_rom.assessment.protocol import MOVEMENTS, movement_spec
from lumbar_rom.errors import LumbarRomError


def upload_page() -> None:
    st.title("Upload movement videos")
    if need_screening():
        return
    st.write("Film each movement as the guide says: flexion and extension from the side, side "
             "bends and rotation from the front; stand still for a second first, then do the "
             "movement three times. MP4, MOV or WebM, up to "
             f"{MAX_UPLOAD_MB} MB each.")
    options = ["auto"] + list(MOVEMENTS)
    movement = st.selectbox("Which movement is in the video?", options,
                            format_func=lambda m: "Detect it for me" if m == "auto"
                            else movement_spec(m).label)
    files = st.file_uploader("Videos", type=["mp4", "mov", "webm", "m4v"],
                             accept_multiple_files=True)
    c1, c2 = st.columns(2)
    run = c1.button("Analyse", type="primary", disabled=not files)
    sample = c2.button("Try a sample", help="Analyse the sample clips that come with lumbar-rom")
    if run and files:
        for f in files:
            _analyse_uploaded(f, movement)
    if sample:
        _analyse_samples()
    if visit().trials:
        st.page_link(page("results"), label="See your results", icon="📊")


def _analyse_uploaded(f: UploadedFile, movement: str) -> None:
    if f.size > MAX_UPLOAD_MB * 1024 * 1024:
        st.error(f"{md(f.name)} is larger than {MAX_UPLOAD_MB} MB; trim it to the movement "
                 "and try again.")
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / Path(f.name).name
        path.write_bytes(f.getvalue())
        _analyse_file(path, movement, md(f.name))


def _analyse_samples() -> None:
    names = sorted(p for p in SAMPLES.glob("*.mp4") if "restricted" not in p.stem)
    if not names:
        st.error("The sample videos are missing from this installation.")
    for p in names:
        _analyse_file(p, "auto", f"sample {p.stem}")


def _analyse_file(path: Path, movement: str, label: str) -> None:
    v = visit()
    text = f"Analysing {label}…"
    bar = st.progress(0.0, text=text)

    def on_progress(done: int, total: int) -> None:
        bar.progress(min(1.0, done / total) if total else 0.5, text=text)

    try:
        trials, replay = service.analyse_upload(path, movement, v.profile.height_cm, on_progress)
    except LumbarRomError as err:
        bar.empty()
        st.error(f"{label}: {md(err)}")
        return
    bar.empty()
    service.keep_trials(v, trials, replay)
    for trial in trials:
        if trial.movement not in MOVEMENTS:
            st.error(f"{label}: " + " ".join(trial.reasons))
        elif trial.status == "ok":
            st.success(f"{label}: {movement_spec(trial.movement).label} measured "
                       f"{trial.value_deg:.0f} deg ± {trial.uncertainty_deg:.0f}.")
        else:
            st.warning(f"{label}: {movement_spec(trial.movement).label} could not be "
                       "trusted: " + " ".join(trial.reasons))
