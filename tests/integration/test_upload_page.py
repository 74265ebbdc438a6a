"""Upload page: one bar over several files, Cancel stops the job in one sentence, and the
"mirrored" tick reaches the analysis (AppTest; the analysis itself is faked)."""

import pytest

from lumbar_rom.app import page_upload, service
from tests.fixtures.app import PAGE, SAMPLES, screened

pytestmark = pytest.mark.slow


def test_cancel_stops_the_samples_after_the_current_one(app, monkeypatch):
    import streamlit as st

    calls = []

    def fake(path, movement, height_cm, on_progress=None, mirrored=False, on_wait=None):
        calls.append(path.name)
        on_progress(1, 10)
        st.session_state["upload_cancelled"] = True  # what the Cancel button's click sets
        on_progress(2, 10)
        raise AssertionError("not reached")

    monkeypatch.setattr(service, "analyse_upload", fake)
    screened(app)
    app.switch_page(PAGE.format("upload")).run()
    next(b for b in app.button if b.label == "Try a sample").click().run()
    assert not app.exception
    assert len(calls) == 1
    assert [i.value for i in app.info].count(page_upload.CANCELLED) == 1  # said once


def test_several_files_share_one_bar_and_the_mirrored_tick(app, monkeypatch):
    seen = []

    def fake(path, movement, height_cm, on_progress=None, mirrored=False, on_wait=None):
        seen.append((path.name, mirrored))
        for k in range(1, 5):
            on_progress(k, 4)
        return [], b""

    monkeypatch.setattr(service, "analyse_upload", fake)
    screened(app)
    app.switch_page(PAGE.format("upload")).run()
    up = app.get("file_uploader")[0]
    data = (SAMPLES / "side-bend-left.mp4").read_bytes()
    up.upload("a.mp4", data, "video/mp4")
    up.upload("b.mp4", data, "video/mp4")
    app.run()
    next(c for c in app.checkbox if c.key == "mirrored").check().run()
    next(b for b in app.button if b.label == "Analyse").click().run()
    assert not app.exception
    # each upload is written under a name made from an id (never the uploaded name)
    assert seen == [("upload.mp4", True), ("upload.mp4", True)]
