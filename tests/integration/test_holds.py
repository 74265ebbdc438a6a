"""The real pose model on rendered endurance holds against their truth sidecars."""

import json

import numpy as np
import pytest

from lumbar_rom.assessment.hold import HOLD_TESTS, analyze_hold, hold_ratios
from lumbar_rom.pipeline import track_video
from lumbar_rom.pose.estimator import MediaPipeEstimator
from lumbar_rom.studio.holds import HoldClip, render_hold

pytestmark = pytest.mark.slow

CLIPS = {
    **{test: HoldClip(test) for test in HOLD_TESTS},
    "never-in-position": HoldClip("extensor-hold", reach=0.5, hold_s=3.0, body="female"),
    "still-holding": HoldClip("flexor-hold", drop=False, hold_s=5.0, body="female"),
}


@pytest.fixture(scope="module")
def held(tmp_path_factory):
    """One fresh landmarker per clip: MediaPipe's VIDEO mode carries its tracking region from one
    video into the next, and a body lying the other way round at the start of the next clip is
    then tracked badly for a second or two (seen with the shared ``estimator`` fixture)."""
    out_dir = tmp_path_factory.mktemp("holds")
    out = {}
    for name, clip in CLIPS.items():
        video, sidecar = render_hold(clip, out_dir)
        with MediaPipeEstimator(mode="video") as est:
            seq = track_video(video, estimator=est)
        out[name] = (json.loads(sidecar.read_text())["truth"], seq, analyze_hold(seq, clip.test))
    return out


@pytest.mark.parametrize("name", HOLD_TESTS)
def test_the_held_time_matches_the_truth(held, name):
    truth, seq, r = held[name]
    print(f"{name}: truth {truth['held_s']:.2f} s, measured {r.held_s:.2f} +/- "
          f"{r.uncertainty_s:.2f} s ({r.end_reason}); start {r.start_s:.2f} vs "
          f"{truth['start_s']:.2f}, end {r.end_s:.2f} vs {truth['end_s']:.2f}")
    assert seq.detected.mean() > 0.9
    assert r.end_reason == truth["end_reason"] == "posture_dropped"
    assert abs(r.held_s - truth["held_s"]) <= 1.0
    assert abs(r.end_s - truth["end_s"]) <= 0.5  # the drop is timed tightly
    assert abs(r.held_deg - truth["held_deg"]) <= 6.0
    assert 0.0 < r.uncertainty_s < 1.0


def test_a_hold_that_never_reaches_the_position_is_not_timed(held):
    truth, _, r = held["never-in-position"]
    assert truth["end_reason"] == r.end_reason == "never_in_position"
    assert np.isnan(r.held_s)


def test_a_hold_still_on_when_the_clip_ends_is_a_lower_bound(held):
    truth, _, r = held["still-holding"]
    assert truth["end_reason"] == r.end_reason == "clip_ended"
    assert abs(r.held_s - truth["held_s"]) <= 1.0
    assert any("lower bound" in f for f in r.flags)


def test_ratios_from_the_rendered_battery(held):
    ratios = {x.key: x for x in hold_ratios([held[t][2] for t in HOLD_TESTS])}
    truth = {t: held[t][0]["held_s"] for t in HOLD_TESTS}
    assert ratios["side_right_left"].value == pytest.approx(
        truth["side-plank-right"] / truth["side-plank-left"], abs=0.2)
    assert ratios["flexor_extensor"].value == pytest.approx(
        truth["flexor-hold"] / truth["extensor-hold"], abs=0.2)
