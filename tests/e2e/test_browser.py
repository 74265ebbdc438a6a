"""Real-browser tests: the whole guided webcam test (Chromium's fake camera fed each step's
rendered sample clip; the pose model runs in the page while both cores are kept busy by an
artificial load), a wrong view (the page's camera and the server camera fallback), a stopped
camera; and an upload whose replay video plays. Screenshots go to test-artifacts/."""

from __future__ import annotations

import json
import os
import re
import statistics
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from lumbar_rom.app.live import STALLED
from lumbar_rom.assessment.protocol import MOVEMENTS, movement_spec
from tests.e2e.test_requests import outside
from tests.fixtures.browser import (
    ARTIFACTS,
    WEBRTC_IFRAME,
    body_text,
    busy_processes,
    page_pose,
    processed,
    shot,
    start_camera,
    start_screening,
    start_stream,
    stop_camera,
    stop_stream,
    wait_for_text,
)
from tests.fixtures.y4m import clip_to_y4m

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]

SAMPLES = ROOT / "sample_videos"
TOLERANCE = {"rotation-left": 7.0, "rotation-right": 7.0}  # deg; 5 for the others
# the fake camera sends 15 pictures a second (a webcam in room light): the app processes at most
# that, above the 8 it needs, and the browser's and the server's video work is halved
CAMERA_FPS = 15


def truth(movement: str) -> float:
    return float(json.loads((SAMPLES / f"{movement}.json").read_text())["truth"]["rom_deg"])


def open_guided(page, server) -> None:
    start_screening(page, server)
    page.get_by_role("link", name="Guided webcam test").click()
    page.get_by_role("heading", name=movement_spec(MOVEMENTS[0]).label).wait_for(timeout=60_000)


def measure_step(page, movement: str, timeout_s: float = 240.0,
                 server_camera: bool = False) -> tuple[float | None, float]:
    """Start the camera, wait for this step's live result, stop it: (value or None, median
    processed fps). The page's camera (default) or the server camera (streamlit-webrtc)."""
    start, stop = (start_stream, stop_stream) if server_camera else (start_camera, stop_camera)
    start(page)
    rates: list[float] = []
    deadline = time.time() + timeout_s
    value = None
    stalls = 0
    pattern = re.compile(rf"Live result: {re.escape(movement)} ([\d.]+) degrees")
    while time.time() < deadline:
        text = body_text(page)
        m = pattern.search(text)
        if m:
            value = float(m.group(1))
            break
        fps = processed(page)[0]
        if fps > 0:
            rates.append(fps)
        if STALLED in text:
            print(f"{movement}: the camera stopped; Start again")  # what the page asks for
            stalls += 1
            stop(page)
            start(page)
        if "inconclusive" in text or re.search(r"Phase\s+help", text):
            why = text[text.find("inconclusive"):][:200] if "inconclusive" in text else ""
            print(f"{movement}: redo after {text[text.find('Phase'):][:300]!r} {why!r}")
            shot(page, f"guided-{movement}-failed")
            if not server_camera:  # what the page sent, to replay the step (GuidedTrial.feed)
                (ARTIFACTS / f"guided-{movement}-failed.json").write_text(
                    json.dumps(page_pose(page)))
            if server_camera:
                page.get_by_role("button", name="Redo this movement").click()
                time.sleep(3)
            else:  # the clip from its start again (its still start), as a person would stand
                stop(page)
                page.get_by_role("button", name="Redo this movement").click()
                time.sleep(3)
                start(page)
        time.sleep(0.5)
    shot(page, f"guided-{movement}")
    if value is None:
        text = body_text(page)
        shown = text[text.find("Phase"):][:400]
        print(f"{movement}: no result; {stalls} restarts; page: {shown!r}")
    stop(page)
    return value, statistics.median(rates) if rates else float("nan")


def see_and_save_results(page, e2e_db: str, shown: dict[str, float | None]) -> None:
    """'See results', 'Save to my history': the saved session holds the values shown live."""
    t0 = time.time()
    see = page.get_by_role("button", name="See results")
    see.click()
    save = page.get_by_role("button", name="Save to my history")
    try:
        # here the Results page shows in about 3 s (two cores busy too, 2026-12-02); one CI run
        # (a slower machine) still showed the guided page after 30 s: a click that lands while
        # the app re-runs (the status fragment, every 0.5 s) can be lost, and a user would
        # press again. Pressed once more, said so; a second loss fails.
        try:
            save.wait_for(timeout=30_000)
        except Exception:
            if not see.count():
                raise
            print(f"still on the guided page {time.time() - t0:.0f} s after 'See results': "
                  "pressed again")
            see.click()
        save.wait_for(timeout=180_000)
    except Exception:
        shot(page, "guided-no-results")
        print(f"no Save button {time.time() - t0:.0f} s after 'See results'; page: "
              f"{body_text(page)[:1500]!r}")
        raise
    print(f"results shown {time.time() - t0:.1f} s after 'See results'")
    save.click()
    m = wait_for_text(page, r"Saved as session (\d+)", 60)
    assert m is not None, "the session was not saved"
    from lumbar_rom.history.store import Store

    row = Store(e2e_db).get_session(int(m.group(1)))
    assert row is not None
    saved = {t.movement: t.value_deg for t in row.trials}
    assert set(saved) == set(MOVEMENTS)
    for movement, value in shown.items():
        assert saved[movement] == pytest.approx(value, abs=0.01)


# In the default run, three times in a row (issues 12 and 32: "three runs in a row without a
# failure"), with BOTH cores kept busy by two other processes: the pose model runs in the
# browser (app.pose_component), so the server only runs the state machine and the analysis.
@pytest.mark.live_guided
@pytest.mark.parametrize("attempt", [1, 2, 3])
def test_the_whole_guided_test_all_six_motions(server, e2e_db, browser_factory, tmp_path,
                                               attempt):
    """One browser session (one visit), six steps, each fed its own rendered sample clip: the
    fake camera's file is swapped between steps (Chromium re-reads it when the camera starts:
    the page's camera is stopped after each step and started in the next)."""
    cam = clip_to_y4m(SAMPLES / f"{MOVEMENTS[0]}.mp4", tmp_path / "camera.y4m", still_s=10.0,
                      fps=CAMERA_FPS)
    ctx = browser_factory(cam)
    requests: list[str] = []
    ctx.on("request", lambda r: requests.append(r.url))
    page = ctx.new_page()
    shown: dict[str, float | None] = {}
    with busy_processes(0 if os.environ.get("LUMBAR_ROM_E2E_LOAD", "1") == "0" else 2):
        open_guided(page, server)
        for i, movement in enumerate(MOVEMENTS):
            if i:
                clip_to_y4m(SAMPLES / f"{movement}.mp4", cam, still_s=10.0, fps=CAMERA_FPS)
                nxt = page.get_by_role("button", name="Next movement")
                expect(nxt).to_be_enabled(timeout=60_000)
                nxt.click()
                page.get_by_role("heading", name=movement_spec(movement).label).wait_for(
                    timeout=60_000)
            shown[movement], fps = measure_step(page, movement)
            print(f"{movement}: shown {shown[movement]} deg, truth {truth(movement):.1f} deg, "
                  f"analysed in the page {fps:.1f} fps")
            if shown[movement] is None:
                break
        wrong = {m: v for m, v in shown.items()
                 if v is None or abs(v - truth(m)) > TOLERANCE.get(m, 5.0)}
        assert len(shown) == len(MOVEMENTS) and not wrong, f"off or missing: {wrong}"
        pose = page_pose(page)
        spoken = pose.get("spoken", [])
        assert any("Repetition 3 done" in c for c in spoken), spoken  # cues spoken in the page
        # nothing left the machine in these minutes (tasks-vision's usage-log post, every 60 s,
        # is refused by the page's Content-Security-Policy: listed in "blocked")
        print(f"{len(requests)} requests; refused by the page's policy: {pose['blocked']}")
        leaked = sorted({u for u in requests if outside(u)})
        assert not leaked, f"requests left the machine: {leaked}"
        see_and_save_results(page, e2e_db, shown)


def test_a_wrong_view_is_named(server, browser_factory, busy_core, tmp_path):
    """The side-bend clip (front view) in the flexion step (side view): the page's camera."""
    cam = clip_to_y4m(SAMPLES / "side-bend-left.mp4", tmp_path / "camera.y4m")
    page = browser_factory(cam).new_page()
    open_guided(page, server)
    start_camera(page)
    m = wait_for_text(page, r"Wrong view: turn side-on to the camera", 90)
    shot(page, "guided-wrong-view")
    stop_camera(page)
    assert m is not None, "the wrong view was not named"


def use_server_camera(page) -> None:  # type: ignore[no-untyped-def]
    page.get_by_text("Camera not working?").click()
    page.get_by_role("button", name="Use the server camera instead").click()
    page.frame_locator(WEBRTC_IFRAME).get_by_role("button", name="START").wait_for(
        timeout=60_000)


def test_the_server_camera_fallback_names_a_wrong_view(server, browser_factory, busy_core,
                                                       tmp_path):
    """The fallback for a browser that cannot run the model (streamlit-webrtc: the video goes
    to the server) still measures: the same wrong view, named."""
    cam = clip_to_y4m(SAMPLES / "side-bend-left.mp4", tmp_path / "camera.y4m")
    page = browser_factory(cam).new_page()
    open_guided(page, server)
    use_server_camera(page)
    start_stream(page)
    m = wait_for_text(page, r"Wrong view: turn side-on to the camera", 90)
    shot(page, "guided-wrong-view-server-camera")
    stop_stream(page)
    assert m is not None, "the wrong view was not named"


def test_the_camera_stopping_is_said_and_the_step_resumes(server, browser_factory, busy_core,
                                                          tmp_path):
    cam = clip_to_y4m(SAMPLES / "flexion.mp4", tmp_path / "camera.y4m")
    page = browser_factory(cam).new_page()
    open_guided(page, server)
    start_camera(page)
    stop_camera(page)
    m = wait_for_text(page, re.escape(STALLED), 30)
    shot(page, "guided-camera-stopped")
    assert m is not None, "the stopped camera was not reported"
    start_camera(page)  # the same step carries on (returns once new landmarks arrive)
    assert wait_for_text(page, r"Get into position|Good|Starting in|Stand still", 60)
    assert processed(page)[1] > 0
    assert STALLED not in body_text(page)
    stop_camera(page)


def test_upload_sample_and_replay_plays(server, browser_factory):
    ctx = browser_factory()
    page = ctx.new_page()
    start_screening(page, server)
    page.get_by_role("link", name="Upload videos").click()
    page.get_by_text("Upload movement videos").wait_for(timeout=60_000)
    page.locator("input[type=file]").set_input_files(
        str(ROOT / "sample_videos" / "flexion-restricted.mp4"))
    analyse = page.get_by_role("button", name="Analyse")
    # the upload has reached the server once the app re-ran and enabled "Analyse"
    expect(analyse).to_be_enabled(timeout=60_000)
    shot(page, "upload-selected")
    analyse.click()
    page.get_by_text("Forward bending (flexion) measured").wait_for(timeout=180_000)
    page.get_by_role("link", name="See your results").click()
    page.get_by_text("Your results").wait_for(timeout=60_000)
    page.get_by_text("restricted").first.wait_for(timeout=60_000)
    video = page.locator("video").first
    video.wait_for(timeout=60_000)
    played = page.evaluate("""async () => {
        const v = document.querySelector('video');
        v.muted = true;
        await v.play();
        await new Promise(r => setTimeout(r, 1500));
        return {time: v.currentTime, ready: v.readyState, error: v.error && v.error.code};
    }""")
    shot(page, "results-after-upload")
    assert played["error"] is None
    assert played["ready"] >= 2 and played["time"] > 0.2
    page.get_by_role("button", name="Save to my history").click()
    page.get_by_text("Saved as session").wait_for(timeout=60_000)
    page.get_by_role("link", name="Progress").click()
    page.get_by_role("heading", name="Progress").wait_for(timeout=60_000)
    page.get_by_text("Forward bending (flexion)").first.wait_for(timeout=60_000)
    page.get_by_role("heading", name="Sessions", exact=True).wait_for(timeout=60_000)
    shot(page, "progress-after-save")
    body = page.inner_text("body")
    assert "no goal" not in body.split("Forward bending (flexion)")[1][:40]  # it has a goal
