"""Upload page: one bar over several files, Cancel stops the job in one sentence, and the
"mirrored" tick reaches the analysis (AppTest; the analysis itself is faked)."""

import pytest

from lumbar_rom.app import page_upload, service
from lumbar_rom.app.text import md
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
    assert md(page_upload.CANCELLED) in [i.value for i in app.info]


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


@pytest.mark.parametrize("tick, words", [
    (False, "(the person's left as the video shows it; if the video is a mirror image, as front "
            "cameras often save, it was their right: tick 'These videos are mirrored'"),
    (True, "(the person's left; the video was turned back from a mirror image)"),
])
def test_a_side_specific_value_says_which_side_of_the_body(app, monkeypatch, tick, words):
    """Issue 29 item 9: no side-specific value without the side of the body it is, and what a
    mirror image would change."""
    from tests.fixtures.clinical import trial

    def fake(path, movement, height_cm, on_progress=None, mirrored=False, on_wait=None):
        return [trial("side-bend-left", 21.0, 2.0, view="front")], b""

    monkeypatch.setattr(service, "analyse_upload", fake)
    screened(app)
    app.switch_page(PAGE.format("upload")).run()
    app.get("file_uploader")[0].upload("a.mp4", (SAMPLES / "side-bend-left.mp4").read_bytes(),
                                       "video/mp4")
    app.run()
    if tick:
        next(c for c in app.checkbox if c.key == "mirrored").check().run()
    next(b for b in app.button if b.label == "Analyse").click().run()
    assert not app.exception
    [line] = [s.value for s in app.success if "measured 21 deg" in s.value]
    assert words in line
