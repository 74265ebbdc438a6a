"""Coherent state between pages (issue 31), with AppTest and a faked analysis: sample results are
marked, never saved and never outrank the person's own upload; the uploader starts empty after
an analysis; a stored session opened from Progress is shown as that session, and "your results"
are the current visit's again once the person goes on."""

import pytest

from lumbar_rom.app import service
from lumbar_rom.clinical.engine import Profile, Screening, assess
from tests.fixtures.app import PAGE, SAMPLES, screened, texts
from tests.fixtures.clinical import restricted_set, trial

pytestmark = pytest.mark.slow

SAMPLE_DEG = {"flexion": 95.0, "extension": 30.0, "side-bend-left": 32.0,
              "side-bend-right": 32.0, "rotation-left": 45.0, "rotation-right": 45.0}


def fake_analysis(monkeypatch, own=None):
    """Each sample clip measures its movement (named by the file); an upload (``upload.mp4``)
    gives ``own`` (a list of trials). Returns the list of (file name, movement) analysed."""
    calls = []

    def fake(path, movement, height_cm, on_progress=None, mirrored=False, on_wait=None):
        calls.append((path.name, movement))
        if path.name.startswith("upload"):
            return list(own or []), b"own"
        return [trial(path.stem, SAMPLE_DEG[path.stem], 3)], b"sample"

    monkeypatch.setattr(service, "analyse_upload", fake)
    return calls


def press(at, label):
    next(b for b in at.button if b.label == label).click().run()
    assert not at.exception
    return at


def the_visit(at):
    return at.session_state["visit"]


def to_upload_and_try_a_sample(app):
    screened(app)
    app.switch_page(PAGE.format("upload")).run()
    press(app, "Try a sample")


def test_sample_results_are_marked_and_never_saved(app, monkeypatch):
    fake_analysis(monkeypatch)
    to_upload_and_try_a_sample(app)
    assert "sample flexion: Forward bending (flexion) measured 95 deg" in texts(app)
    assert [p.proto.label for p in app.get("page_link")] == ["See the sample results"]
    app.switch_page(PAGE.format("results")).run()
    assert app.title[0].value == "Sample results"
    assert "Sample videos, not you: " in texts(app)
    save = next(b for b in app.button if b.label == "Save to my history")
    assert save.disabled
    with pytest.raises(ValueError, match="never saved"):
        v = the_visit(app)
        service.save(v, service.current_assessment(v), 2, "")
    from lumbar_rom.app.state import store

    assert store().people() == []  # nothing of the samples reached a history


def test_the_persons_own_trial_replaces_a_sample_and_samples_can_be_removed(app, monkeypatch):
    own = [trial("flexion", 40, 6, status="inconclusive")]  # worse than the sample's, yet own
    calls = fake_analysis(monkeypatch, own)
    to_upload_and_try_a_sample(app)
    up = app.get("file_uploader")[0]
    up.upload("mine.mp4", (SAMPLES / "flexion.mp4").read_bytes(), "video/mp4")
    app.run()
    press(app, "Analyse")
    v = the_visit(app)
    assert v.trials["flexion"].value_deg == 40 and "flexion" not in v.samples
    press(app, "Try a sample")  # a sample again never takes the person's place
    assert "your own video of this movement is kept" in texts(app)
    v = the_visit(app)
    assert v.trials["flexion"].value_deg == 40 and "flexion" not in v.samples
    assert len(v.samples) == 5
    app.switch_page(PAGE.format("results")).run()
    assert app.title[0].value == "Your results"
    press(app, "Remove the sample results")
    v = the_visit(app)
    assert list(v.trials) == ["flexion"] and not v.samples
    assert not next(b for b in app.button if b.label == "Save to my history").disabled
    assert ("upload.mp4", "auto") in calls


def test_the_uploader_starts_empty_after_an_analysis(app, monkeypatch):
    calls = fake_analysis(monkeypatch, [trial("flexion", 60, 3)])
    screened(app)
    app.switch_page(PAGE.format("upload")).run()
    next(s for s in app.selectbox if s.label == "Which movement is in the video?").set_value(
        "flexion")
    up = app.get("file_uploader")[0]
    up.upload("mine.mp4", (SAMPLES / "flexion.mp4").read_bytes(), "video/mp4")
    app.run()
    press(app, "Analyse")
    assert calls == [("upload.mp4", "flexion")]
    assert "mine\\.mp4: Forward bending (flexion) measured 60 deg" in texts(app)
    assert not app.get("file_uploader")[0].value  # the analysed file is gone
    next(s for s in app.selectbox if s.label == "Which movement is in the video?").set_value(
        "extension").run()
    assert next(b for b in app.button if b.label == "Analyse").disabled
    assert calls == [("upload.mp4", "flexion")]  # never analysed again as another movement


def test_a_stored_session_is_shown_as_such_and_your_results_are_this_visit(app, monkeypatch):
    from lumbar_rom.app.state import store

    old = store().save_session("me", Profile(age=40, sex="female"), Screening(), [],
                               assess(Profile(age=40), Screening(), restricted_set()))
    started = store().get_session(old).started_at
    fake_analysis(monkeypatch, [trial("extension", 28, 3)])
    screened(app)
    app.switch_page(PAGE.format("progress")).run()
    next(b for b in app.button if b.label == "Open").click().run()
    assert app.title[0].value == f"Session of {started:%Y-%m-%d %H:%M}"
    assert "not the current visit" in " ".join(c.value for c in app.caption)
    app.switch_page(PAGE.format("upload")).run()  # going on with this visit closes it
    up = app.get("file_uploader")[0]
    up.upload("mine.mp4", (SAMPLES / "extension.mp4").read_bytes(), "video/mp4")
    app.run()
    press(app, "Analyse")
    assert [p.proto.label for p in app.get("page_link")] == ["See your results"]
    app.switch_page(PAGE.format("results")).run()
    assert app.title[0].value == "Your results"
    body = texts(app)
    assert "Backward bending (extension)" in body and "Measured **40°**" not in body
