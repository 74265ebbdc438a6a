"""The Streamlit app (first page: model status and a landmarks run on an uploaded video)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import streamlit as st

from lumbar_rom import __version__
from lumbar_rom.errors import LumbarRomError

MAX_UPLOAD_MB = 200


def run() -> None:
    st.set_page_config(page_title="lumbar-rom", layout="wide")
    st.title("lumbar-rom")
    st.write(
        "Measure how far your lower back bends, compared with normal ranges. "
        "This is a measurement tool, not a diagnosis."
    )
    from lumbar_rom.pose.model import verify_model

    try:
        check = verify_model()
    except LumbarRomError as err:
        st.error(str(err))
        return
    st.caption(f"lumbar-rom {__version__} · pose model {check.path.name} ({check.status})")

    upload = st.file_uploader("Upload a movement video", type=["mp4", "mov", "webm", "m4v"])
    if upload is None:
        return
    if upload.size > MAX_UPLOAD_MB * 1024 * 1024:
        st.error(f"The video is larger than {MAX_UPLOAD_MB} MB; "
                 "trim it to the movement and try again.")
        return
    from lumbar_rom.pipeline import track_video

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / Path(upload.name).name
        path.write_bytes(upload.getvalue())
        bar = st.progress(0.0, text="Finding the body in each frame…")
        try:
            seq = track_video(path, annotate_to=Path(tmp) / "annotated.mp4",
                              on_progress=lambda d, t: bar.progress(min(1.0, d / t) if t else 0.0))
        except LumbarRomError as err:
            st.error(str(err))
            return
        bar.empty()
        st.success(f"A person was found in {int(seq.detected.sum())} of {seq.n_frames} frames.")
        st.video((Path(tmp) / "annotated.mp4").read_bytes(), format="video/mp4")
