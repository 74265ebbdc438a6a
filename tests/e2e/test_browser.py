"""Real-browser tests: the guided flexion step through the live webcam path (Chromium's fake
camera fed a rendered flexion trial), and an upload whose replay video plays. Screenshots go to
test-artifacts/."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from lumbar_rom.studio.scenarios import Scenario, render_scenario
from tests.fixtures.browser import shot, start_screening
from tests.fixtures.y4m import video_to_y4m

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]

# a long still start: framing (1 s) + countdown (3 s) + neutral (1.5 s) happen before the reps
FLEXION = Scenario("flexion", (70.0, 72.0, 71.0), width=640, height=480, fps=30.0,
                   neutral_s=7.0, rest_s=1.0)


@pytest.fixture(scope="module")
def flexion_camera(tmp_path_factory):
    d = tmp_path_factory.mktemp("camera")
    video, sidecar = render_scenario(FLEXION, d)
    truth = json.loads(sidecar.read_text())["truth"]["rom_deg"]
    return video_to_y4m(video, d / "flexion.y4m"), truth


def test_guided_flexion_through_the_live_webcam(server, browser_factory, flexion_camera):
    y4m, truth = flexion_camera
    ctx = browser_factory(y4m)
    page = ctx.new_page()
    start_screening(page, server)
    page.get_by_role("link", name="Guided webcam test").click()
    page.get_by_text("Forward bending (flexion)").first.wait_for(timeout=60_000)
    frame = page.frame_locator("iframe[title*='streamlit_webrtc']")
    value = None
    for attempt in range(3):  # the stream is started more than once if it does not come up
        frame.get_by_role("button", name="START").click(timeout=60_000)
        deadline = time.time() + 20
        while time.time() < deadline:
            if re.search(r"Processed\s*[1-9]", page.inner_text("body")):
                break
            time.sleep(0.5)
        else:
            shot(page, f"guided-no-frames-{attempt}")
            frame.get_by_role("button", name="STOP").click()
            continue
        deadline = time.time() + 90
        while time.time() < deadline:
            m = re.search(r"Live result: flexion ([\d.]+) degrees", page.inner_text("body"))
            if m:
                value = float(m.group(1))
                break
            time.sleep(0.5)
        break
    shot(page, "guided-flexion")
    assert value is not None, "no live flexion result was shown"
    print(f"live flexion {value:.1f} deg, truth {truth:.1f} deg")
    assert abs(value - truth) <= 5.0


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
    page.get_by_text("Sessions").first.wait_for(timeout=60_000)
    shot(page, "progress-after-save")
    body = page.inner_text("body")
    assert "no goal" not in body.split("Forward bending (flexion)")[1][:40]  # it has a goal
