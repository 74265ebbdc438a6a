"""Endurance holds on hand-built landmark series with known start and end times."""

import json
import math
import re
import tomllib
from pathlib import Path

import numpy as np
import pytest

from lumbar_rom.assessment.hold import (
    HOLD_TESTS,
    HoldResult,
    analyze_hold,
    body_sag,
    detect_hold,
    endurance_knowledge,
    hold_norm,
    hold_ratios,
    hold_spec,
    trunk_elevation,
)
from lumbar_rom.clinical.knowledge import missing_sources
from lumbar_rom.pose.landmarks import Landmark as L
from lumbar_rom.pose.sequence import PoseSequence

# (setup, protocol position, dropped) of each test's measure, degrees
VALUES = {"extensor-hold": (-45.0, 0.0, -30.0), "flexor-hold": (85.0, 60.0, 35.0),
          "side-plank-left": (25.0, 0.0, 25.0), "side-plank-right": (25.0, 0.0, 25.0)}
SETUP_S, RISE_S, DROP_S = 1.0, 1.0, 1.0


def ramp(u):
    return 0.5 - 0.5 * np.cos(np.pi * np.clip(u, 0.0, 1.0))


def profile(test, fps=30.0, hold_s=5.0, after_s=1.5, reach=1.0, drop=True):
    setup, pos, dropped = VALUES[test]
    n = int(round((SETUP_S + RISE_S + hold_s + (DROP_S + after_s if drop else 0.0)) * fps))
    t = np.arange(n) / fps
    v = setup + reach * (pos - setup) * ramp((t - SETUP_S) / RISE_S)
    if drop:
        v = v + (dropped - pos) * ramp((t - SETUP_S - RISE_S - hold_s) / DROP_S)
    return t, v


def expected_times(test, hold_s=5.0):
    """The rule applied analytically to the profile (settle 5 deg, drop 10 deg)."""
    setup, pos, dropped = VALUES[test]
    u_start = math.acos(1 - 2 * (1 - 5.0 / abs(pos - setup))) / math.pi
    u_end = math.acos(1 - 2 * (10.0 / abs(dropped - pos))) / math.pi
    start = SETUP_S + u_start * RISE_S
    return start, SETUP_S + RISE_S + hold_s + u_end * DROP_S


def skeleton(test, v):
    """Image landmarks ``(T, 33, 3)`` with the test's measure equal to ``v (T,)``."""
    n = len(v)
    img = np.full((n, 33, 3), np.nan)
    img[:, :, 2] = 0.0
    r = np.radians
    if test.startswith("side-plank"):  # front view: legs and trunk around a 14 deg body line
        ankle = np.tile([100.0, 400.0], (n, 1))
        leg = r(14.0 - v / 2)
        hip = ankle + 240 * np.stack([np.cos(leg), -np.sin(leg)], 1)
        tr = r(14.0 + v / 2)
        shoulder = hip + 160 * np.stack([np.cos(tr), -np.sin(tr)], 1)
        knee = 0.5 * (hip + ankle)
    else:  # side view, facing the image right
        hip = np.tile([300.0, 300.0], (n, 1))
        shoulder = hip + 150 * np.stack([np.cos(r(v)), -np.sin(r(v))], 1)
        if test == "extensor-hold":
            knee, ankle = hip + [-120.0, 0.0], hip + [-240.0, 0.0]
        else:  # thighs 30 deg up, shins down to the floor: knees at ~90 deg
            knee = hip + 120 * np.array([np.cos(r(30)), -np.sin(r(30))])
            ankle = knee + 110 * np.array([np.cos(r(60)), np.sin(r(60))])
    low = -3.0 if test == "side-plank-right" else 3.0  # the supporting side is lower (y down)
    for lm, p, dy in ((L.LEFT_HIP, hip, low), (L.RIGHT_HIP, hip, -low),
                      (L.LEFT_SHOULDER, shoulder, low), (L.RIGHT_SHOULDER, shoulder, -low),
                      (L.LEFT_KNEE, knee, low), (L.RIGHT_KNEE, knee, -low),
                      (L.LEFT_ANKLE, ankle, low), (L.RIGHT_ANKLE, ankle, -low)):
        img[:, lm, :2] = p + [0.0, dy]  # the pair symmetric about the joint line
    return img


def sequence(test, t, v, noise_deg=0.0, seed=0):
    rng = np.random.default_rng(seed)
    v = v + rng.normal(0.0, noise_deg, len(v)) if noise_deg else v
    img = skeleton(test, v)
    world = np.zeros_like(img)
    vis = np.where(np.isnan(img[:, :, 0]), 0.0, 0.99)
    return PoseSequence(t, img, world, vis, (640, 480), f"synthetic-{test}")


def test_the_knowledge_is_sourced_and_covers_the_four_tests():
    k = endurance_knowledge()
    assert missing_sources(k) == []
    assert set(k["tests"]) == set(HOLD_TESTS)
    for test in HOLD_TESTS:
        assert {"male", "female"} <= set(k["norms"][test])
    assert {"flexor_extensor", "side_right_left", "side_extensor"} == set(k["ratios"])


def test_every_source_key_is_cited():
    root = Path(__file__).resolve().parents[2] / "src" / "lumbar_rom" / "clinical" / "data"
    cited = tomllib.loads((root / "sources.toml").read_text())["sources"]  # merged there
    text = (root / "endurance.toml").read_text()
    used = set(re.findall(r"\bS\d+\b", text))
    assert used and used <= set(cited)


def test_measures_read_the_built_angles():
    v = np.array([-30.0, 0.0, 20.0, 60.0])
    np.testing.assert_allclose(trunk_elevation(skeleton("extensor-hold", v)), v, atol=1e-9)
    s = np.array([0.0, 10.0, 25.0, -5.0])
    np.testing.assert_allclose(body_sag(skeleton("side-plank-left", s)), s, atol=1e-9)


@pytest.mark.parametrize("test", HOLD_TESTS)
def test_a_dropped_hold_is_timed_from_position_to_the_tolerance(test):
    t, v = profile(test)
    r = analyze_hold(sequence(test, t, v), test)
    start, end = expected_times(test)
    assert r.end_reason == "posture_dropped"
    assert r.start_s == pytest.approx(start, abs=0.03)
    assert r.end_s == pytest.approx(end, abs=0.03)
    assert r.held_s == pytest.approx(end - start, abs=0.05)
    assert r.held_deg == pytest.approx(VALUES[test][1], abs=0.5)
    assert 0 < r.uncertainty_s < 0.25  # noise-free: frame timing and the camera's change error


def test_a_side_plank_on_the_other_side_is_flagged():
    t, v = profile("side-plank-left")
    right = analyze_hold(sequence("side-plank-left", t, v), "side-plank-right")
    left = analyze_hold(sequence("side-plank-left", t, v), "side-plank-left")
    assert any("rest on the left side" in f for f in right.flags)
    assert not any("side" in f for f in left.flags)


def test_a_10_fps_clip_is_timed_within_a_frame():
    t, v = profile("extensor-hold", fps=10.0)
    r = analyze_hold(sequence("extensor-hold", t, v), "extensor-hold")
    start, end = expected_times("extensor-hold")
    assert r.end_reason == "posture_dropped"
    assert abs(r.held_s - (end - start)) < 0.1
    assert 0.05 < r.uncertainty_s < 0.2  # two crossings at 0.1 s frames: ~1.96 * 0.041


def test_noise_widens_the_uncertainty_which_covers_the_error():
    t, v = profile("flexor-hold", fps=15.0)
    start, end = expected_times("flexor-hold")
    r = analyze_hold(sequence("flexor-hold", t, v, noise_deg=1.0, seed=3), "flexor-hold")
    quiet = analyze_hold(sequence("flexor-hold", t, v), "flexor-hold")
    assert r.end_reason == "posture_dropped"
    assert r.noise_deg > 0.3
    assert r.uncertainty_s > quiet.uncertainty_s
    assert abs(r.held_s - (end - start)) < max(r.uncertainty_s, 0.15)


def test_a_hold_still_on_at_the_end_of_the_clip_is_a_lower_bound():
    t, v = profile("side-plank-right", drop=False)
    r = analyze_hold(sequence("side-plank-right", t, v), "side-plank-right")
    start, _ = expected_times("side-plank-right")
    assert r.end_reason == "clip_ended"
    assert r.end_s == pytest.approx(t[-1])
    assert r.held_s == pytest.approx(t[-1] - start, abs=0.05)
    assert any("lower bound" in f for f in r.flags)


def test_never_reaching_the_position_times_nothing():
    t, v = profile("extensor-hold", reach=0.5)
    r = analyze_hold(sequence("extensor-hold", t, v), "extensor-hold")
    assert r.end_reason == "never_in_position"
    assert math.isnan(r.held_s) and math.isnan(r.start_s)
    assert r.to_dict()["held_s"] is None


def test_a_short_tracking_gap_is_bridged():
    t, v = profile("extensor-hold")
    seq = sequence("extensor-hold", t, v)
    image = np.array(seq.image)
    gap = (t > 4.0) & (t < 4.4)  # 0.4 s without a person, mid-hold
    image[gap] = np.nan
    r = analyze_hold(PoseSequence(t, image, seq.world, np.where(gap[:, None], np.nan,
                                                                  seq.visibility),
                                  seq.frame_size), "extensor-hold")
    start, end = expected_times("extensor-hold")
    assert r.end_reason == "posture_dropped"
    assert r.held_s == pytest.approx(end - start, abs=0.05)


def test_leaving_the_view_ends_the_hold_at_the_last_frame_seen():
    t, v = profile("side-plank-left")
    seq = sequence("side-plank-left", t, v)
    image = np.array(seq.image)
    gone = t > 5.0  # the person leaves during the hold and does not come back
    image[gone] = np.nan
    r = analyze_hold(PoseSequence(t, image, seq.world, np.where(gone[:, None], np.nan,
                                                                  seq.visibility),
                                  seq.frame_size), "side-plank-left")
    start, _ = expected_times("side-plank-left")
    assert r.end_reason == "out_of_frame"
    assert r.end_s == pytest.approx(t[t <= 5.0][-1])
    assert r.held_s == pytest.approx(r.end_s - start, abs=0.05)


def test_a_brief_dip_beyond_the_tolerance_does_not_end_the_hold():
    t, v = profile("extensor-hold")
    dip = (t > 4.0) & (t < 4.25)  # 0.25 s below the tolerance: shorter than min_out_s
    v = np.where(dip, -15.0, v)
    r = detect_hold(t, v, hold_spec("extensor-hold"))
    _, end = expected_times("extensor-hold")
    assert r.end_reason == "posture_dropped"
    assert r.end_s == pytest.approx(end, abs=0.03)


def test_the_flexor_hold_needs_bent_knees():
    t, v = profile("flexor-hold")
    img = skeleton("flexor-hold", v)
    img[:, [L.LEFT_KNEE, L.RIGHT_KNEE], :2] = 0.5 * (img[:, [L.LEFT_HIP], :2]
                                                     + img[:, [L.LEFT_ANKLE], :2])
    seq = PoseSequence(t, img, np.zeros_like(img), np.full(img.shape[:2], 0.99), (640, 480))
    assert analyze_hold(seq, "flexor-hold").end_reason == "never_in_position"


def result(test, held, unc=1.0):
    return HoldResult(test, held, unc, 0.0, held, "posture_dropped", 0.0, 0.0, 10.0, 0.1,
                      np.zeros(2), np.zeros(2))


def test_ratios_follow_mcgills_rules():
    r = {x.key: x for x in hold_ratios([result("flexor-hold", 100.0),
                                        result("extensor-hold", 150.0),
                                        result("side-plank-right", 60.0),
                                        result("side-plank-left", 50.0)])}
    assert r["flexor_extensor"].value == pytest.approx(100 / 150)
    assert r["flexor_extensor"].within is True
    assert r["side_right_left"].value == pytest.approx(1.2)
    assert r["side_right_left"].within is False
    assert r["side_extensor"].value == pytest.approx(60 / 150)  # the larger side
    assert r["side_extensor"].within is True
    assert 0 < r["flexor_extensor"].uncertainty < 0.05
    assert all(x.source for x in r.values())
    json.dumps([x.to_dict() for x in r.values()])


def test_a_missing_or_untimed_test_leaves_its_ratios_open():
    never = result("extensor-hold", float("nan"))
    r = {x.key: x for x in hold_ratios({"flexor-hold": result("flexor-hold", 100.0),
                                        "extensor-hold": never})}
    assert math.isnan(r["flexor_extensor"].value) and r["flexor_extensor"].within is None
    assert r["side_right_left"].within is None


def test_norm_comparison_by_sex():
    n = hold_norm(result("extensor-hold", 100.0), "female")
    k = endurance_knowledge()["norms"]["extensor-hold"]["female"]
    assert n.z == pytest.approx((100.0 - k["mean_s"]) / k["sd_s"])
    assert n.confirmed is bool(k["confirmed"])
    with pytest.raises(ValueError, match="sex"):
        hold_norm(result("extensor-hold", 100.0), "other")


def test_bad_input_is_one_clear_error():
    with pytest.raises(ValueError, match="Unknown hold test"):
        hold_spec("plank")
    with pytest.raises(ValueError, match="1-D"):
        detect_hold(np.arange(3.0), np.zeros(4), hold_spec("extensor-hold"))


def test_to_dict_is_json_ready():
    t, v = profile("extensor-hold")
    d = analyze_hold(sequence("extensor-hold", t, v), "extensor-hold").to_dict(series=True)
    text = json.dumps(d)
    assert d["end_reason"] == "posture_dropped" and len(d["time_s"]) == len(t)
    assert "NaN" not in text
