"""The guided test's live endurance hold (app.live_hold) on a rendered hold's frames, fed one by
one as the camera would (real pose model): framing, countdown, "Start", the hold timed by the
offline rule, "Stop" when the posture drops."""

import json
import math

import cv2
import numpy as np
import pytest

from lumbar_rom.app.live_hold import GuidedHold
from lumbar_rom.pose.estimator import MediaPipeEstimator
from lumbar_rom.studio.holds import HOLD_SAMPLES, render_hold

pytestmark = pytest.mark.slow
LEAD_S = 6.0  # the person lies in the set-up posture while framing and countdown run


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    video, sidecar = render_hold(HOLD_SAMPLES["extensor-hold"], tmp_path_factory.mktemp("lh"),
                                 stem="extensor-hold")
    cap = cv2.VideoCapture(str(video))
    frames = []
    while True:
        ok, bgr = cap.read()
        if not ok:
            break
        frames.append(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
    cap.release()
    return frames, json.loads(sidecar.read_text())["truth"], HOLD_SAMPLES["extensor-hold"].fps


class Clock:
    def __init__(self):
        self.t = 0.0

    def __call__(self):
        return self.t


def feed(hold, frames, fps, clock, t0=100.0):
    """The frames at ``fps`` after LEAD_S of the first one; ticks every half second."""
    seq = [frames[0]] * int(LEAD_S * fps) + frames + [frames[-1]] * int(2 * fps)
    phases = []
    for i, rgb in enumerate(seq):
        t = t0 + i / fps
        clock.t = t
        out = hold.process(rgb, t)
        assert out.shape == rgb.shape
        if i % max(1, int(fps / 2)) == 0:
            hold.tick()
        phases.append(hold.snapshot().phase)
    hold.tick()
    return phases


def test_a_live_hold_is_timed_and_stopped_when_the_posture_drops(clip):
    frames, truth, fps = clip
    clock = Clock()
    with MediaPipeEstimator(mode="video") as est:
        hold = GuidedHold("extensor-hold", est, clock=clock)
        phases = feed(hold, frames, fps, clock)
    order = [p for i, p in enumerate(phases) if i == 0 or phases[i - 1] != p]
    assert order[:4] == ["framing", "countdown", "timing", "done"], order
    s = hold.snapshot()
    assert s.result is not None and s.result.end_reason == "posture_dropped"
    print(f"live hold {s.result.held_s:.2f} s, truth {truth['held_s']:.2f} s")
    assert abs(s.result.held_s - truth["held_s"]) <= 1.0
    assert s.cue == f"Stop. You held {s.result.held_s:.0f} seconds."


def test_stop_ends_the_hold_as_a_lower_bound_and_redo_starts_over(clip):
    frames, truth, fps = clip
    clock = Clock()
    with MediaPipeEstimator(mode="video") as est:
        hold = GuidedHold("extensor-hold", est, clock=clock)
        lead = [frames[0]] * int(LEAD_S * fps)
        held = frames[: int((1.0 + 1.0 + 4.0) * fps)]  # set-up, rise, 4 s of the hold
        for i, rgb in enumerate(lead + held):
            clock.t = 100.0 + i / fps
            hold.process(rgb, clock.t)
        assert hold.snapshot().phase == "timing"
        hold.command("stop")
        hold.tick()
    s = hold.snapshot()
    assert s.phase == "done" and s.result.end_reason == "clip_ended"
    assert 2.0 <= s.result.held_s <= 4.5  # the hold so far, a lower bound
    hold.command("redo")
    assert hold.snapshot().phase == "framing" and hold.snapshot().result is None


class Nobody:
    name = "nobody"

    def process(self, rgb, timestamp_ms):
        return None


def test_nobody_in_view_stays_framing_and_a_silent_camera_stalls():
    clock = Clock()
    hold = GuidedHold("side-plank-left", Nobody(), clock=clock)
    for i in range(20):
        clock.t = i / 10
        hold.process(np.zeros((48, 64, 3), np.uint8), clock.t)
    s = hold.snapshot()
    assert s.phase == "framing" and s.problem == "nobody" and s.result is None
    assert "Nobody found" in s.cue
    clock.t += 5.0
    hold.tick()
    assert hold.snapshot().phase == "stalled"
    assert not math.isnan(hold.snapshot().fps)
