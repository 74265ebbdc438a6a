"""The Streamlit app driven headlessly with AppTest: screening paths, upload of a sample, results,
errors, progress. (The live webcam path needs a real browser: tests/e2e.)"""

from datetime import datetime, timedelta

import pytest

from tests.fixtures.app import PAGE, SAMPLES, radio, screened, submit, texts

pytestmark = pytest.mark.slow


def test_start_page_and_clean_screening(app):
    assert not app.exception
    assert app.title[0].value == "lumbar-rom"
    assert "not diagnose" in texts(app)
    screened(app)
    assert "Choose how to measure" in texts(app)


def test_red_flag_stops_with_emergency_guidance(app):
    submit(app, safety=lambda at: radio(
        at, "Have you recently had new or worsening difficulty starting to pass").set_value("Yes"))
    assert not app.exception
    assert "emergency" in " ".join(e.value for e in app.error)
    app.switch_page(PAGE.format("upload")).run()
    assert "emergency" in " ".join(e.value for e in app.error)  # upload stays blocked
    assert not [b for b in app.button if b.label == "Try a sample"]


def test_recent_injury_blocks_testing_for_72_hours(app):
    when = datetime.now() - timedelta(hours=3)

    def injured(at):
        radio(at, "Did you injure your back recently").set_value("Yes").run()  # shows the date
        at.date_input[0].set_value(when.date())
        at.time_input[0].set_value(when.time().replace(second=0, microsecond=0))

    submit(app, safety=injured)
    assert not app.exception
    assert "72 hours" in " ".join(w.value for w in app.warning)
    assert "You can do the test after" in " ".join(i.value for i in app.info)


def test_pages_need_screening_first(app):
    for page in ("upload", "guided", "results"):
        app.switch_page(PAGE.format(page)).run()
        assert not app.exception
        assert "safety questions" in " ".join(w.value for w in app.warning)


def test_upload_a_sample_then_results_and_save(app):
    screened(app)
    app.switch_page(PAGE.format("upload")).run()
    up = app.get("file_uploader")[0]
    up.upload("flexion-restricted.mp4", (SAMPLES / "flexion-restricted.mp4").read_bytes(),
              "video/mp4")
    app.run()
    next(b for b in app.button if b.label == "Analyse").click().run(timeout=300)
    assert not app.exception
    assert "Forward bending (flexion) measured" in texts(app)
    app.switch_page(PAGE.format("results")).run()
    assert not app.exception
    body = texts(app)
    assert "Forward bending (flexion): **restricted**" in body
    assert "S11" in body  # sources one click away
    assert "Knees to chest" in body
    assert app.get("video")  # the annotated replay
    assert len(app.get("download_button")) >= 2
    assert "Your pain rose" not in texts(app)
    next(s for s in app.slider if s.key == "pain_after").set_value(6).run()  # 2 before
    assert "Your pain rose from 2 to 6" in " ".join(w.value for w in app.warning)
    next(b for b in app.button if b.label == "Save to my history").click().run()
    assert "Saved as session" in texts(app)
    from lumbar_rom.app.state import store

    saved = store().sessions("me")[-1]  # the assessment shown is the one saved
    assert saved.pain_after == 6
    assert any("pain rose from 2 to 6" in w for w in saved.assessment["warnings"])
    app.switch_page(PAGE.format("progress")).run()
    assert not app.exception
    assert "Forward bending (flexion)" in texts(app)


def test_unreadable_upload_shows_one_sentence(app):
    screened(app)
    app.switch_page(PAGE.format("upload")).run()
    app.get("file_uploader")[0].upload("notes.mp4", b"this is not a video" * 50, "video/mp4")
    app.run()
    next(b for b in app.button if b.label == "Analyse").click().run()
    assert not app.exception
    assert "not a video file that can be read" in " ".join(e.value for e in app.error)


def test_video_with_no_person(app, tmp_path):
    from tests.fixtures.videos import make_video

    empty = make_video(tmp_path / "room.mp4", n_frames=15, width=320, height=240)
    screened(app)
    app.switch_page(PAGE.format("upload")).run()
    app.get("file_uploader")[0].upload("room.mp4", empty.read_bytes(), "video/mp4")
    app.run()
    next(b for b in app.button if b.label == "Analyse").click().run(timeout=120)
    assert not app.exception
    assert "No person was found" in " ".join(e.value for e in app.error)


def test_guided_page_renders_instructions_and_camera_panel(app):
    screened(app)
    app.switch_page(PAGE.format("guided")).run()
    assert not app.exception
    assert "Guided webcam test" in app.title[0].value
    body = texts(app)
    assert "Put the camera to your side" in body
    assert [b for b in app.button if b.label == "Stop: it hurts"]


def test_progress_page_empty_and_with_history(app, tmp_path):
    app.switch_page(PAGE.format("progress")).run()
    assert not app.exception
    assert "No saved sessions yet" in texts(app)

    import os

    from lumbar_rom.assessment.trial import Posture
    from lumbar_rom.clinical.engine import Profile, Screening, assess
    from lumbar_rom.history.store import Store
    from tests.fixtures.clinical import trial

    store = Store(os.environ["LUMBAR_ROM_DB"])
    prof = Profile(age=40)
    t0 = datetime.now() - timedelta(days=35)
    for day, flex, pain in ((0, 40.0, 6), (33, 42.0, 4)):
        trials = [trial("flexion", flex, 3, posture=Posture(pelvic_obliquity_deg=6.0)),
                  trial("extension", 30.0, 3)]
        scr = Screening(pain_before=pain)
        when = t0 + timedelta(days=day)
        store.save_session("cai", prof, scr, trials, assess(prof, scr, trials, now=when),
                           started_at=when, notes=f"day {day}")
    app.run()
    assert not app.exception
    assert app.selectbox[0].value is None  # nobody's history opens by default
    app.selectbox[0].set_value("cai").run()
    body = texts(app)
    assert "Forward bending (flexion)**: behind" in body  # 42 deg: far below the goal line
    assert "Backward bending (extension)**: no goal" in body  # never restricted
    assert "Side bending" not in body  # not measured: not listed
    assert "**Pain**: " in body
    sessions = [m.value for m in app.markdown if "(#" in m.value]
    assert len(sessions) == 2 and "flexion 42°" in sessions[0] and "flexion 40°" in sessions[1]
    captions = " ".join(c.value for c in app.caption)
    assert "+6.0°" in captions and "more than 5° suggests a leg-length" in captions
    opened = [b for b in app.button if b.label == "Open"]
    assert len(opened) == 2
    opened[1].click().run()  # the older session, drawn by the results renderer
    assert not app.exception
    assert app.title[0].value == f"Session of {store.sessions('cai')[0].started_at:%Y-%m-%d %H:%M}"
    body = texts(app)
    assert f"Session {store.sessions('cai')[0].id} of cai" in " ".join(
        h.value for h in app.subheader)
    assert "Forward bending (flexion): **restricted**" in body
    assert "Measured **40°**" in body
    assert "day 0" in " ".join(c.value for c in app.caption)


def test_progress_page_stalled_and_reached(app, tmp_path):
    """A hand-built history: flexion behind after four weeks (stall checklist), side bend left
    reached (maintenance, .ics reminders)."""
    import os

    from lumbar_rom.clinical.engine import Profile, Screening, assess
    from lumbar_rom.history.store import Store
    from tests.fixtures.clinical import trial

    store = Store(os.environ["LUMBAR_ROM_DB"])
    prof = Profile(age=40)
    t0 = datetime.now() - timedelta(days=35)
    for day, flex, side in ((0, 40.0, 10.0), (14, 41.0, 20.0), (30, 42.0, 30.0)):
        trials = [trial("flexion", flex, 3, extras={"lumbar_estimate_deg": 20.0}),
                  trial("side-bend-left", side, 2, view="front")]
        scr = Screening(pain_before=5)
        when = t0 + timedelta(days=day)
        store.save_session("ana", prof, scr, trials, assess(prof, scr, trials, now=when),
                           started_at=when)
    app.switch_page(PAGE.format("progress")).run()
    app.selectbox[0].set_value("ana").run()
    assert not app.exception
    body = texts(app)
    assert "Forward bending (flexion)**: behind" in body
    assert "Side bending to the left**: reached" in body
    assert "Behind after four weeks" in " ".join(w.value for w in app.warning)
    labels = [c.label for c in app.checkbox]
    assert "Are you still sleeping on your stomach?" in labels
    assert any(b.label.startswith("Reminders") for b in app.get("download_button"))
    next(c for c in app.checkbox if c.label.startswith("Are you wearing")).check()
    next(b for b in app.button if b.label == "Record my answers").click().run()
    assert store.stall_answers("ana")[0].answers["Are you wearing the proper shoes?"] is True
    assert store.maintenance("ana").get("side-bend-left") is not None
