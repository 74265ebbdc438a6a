"""Never a false decision (issue 11 item 2) and neutral / repetitions from real movement (item 1),
on hand-built trials with known answers (tests/fixtures/skeleton.py)."""

import numpy as np
import pytest

from lumbar_rom.assessment.gates import (
    ARM_LIFT_MAX,
    LIMITS_DEG,
    arms_gate,
    compensation_gate,
    limit_gate,
    plane_gate,
    turn_gate,
)
from lumbar_rom.assessment.trial import analyze_trial
from lumbar_rom.pipeline import analyze_sequence
from lumbar_rom.pose.landmarks import Landmark as L
from lumbar_rom.pose.sequence import PoseSequence
from tests.fixtures.skeleton import Pose3D, body, make_trial, profile, project, ry


def codes(r):
    return {f.code for f in r.flags}


def from_angles(kind: str, angles: np.ndarray, view: str, fps: float = 30.0) -> PoseSequence:
    """A trial following ``angles (T,)`` deg frame by frame (flexion: + forward; side bend:
    + left)."""
    images, worlds = [], []
    for v in angles:
        p = Pose3D(flexion=v if kind == "flexion" else 0.0,
                   side_bend=v if kind == "side_bend" else 0.0)
        img, wor = project(body(p), view)
        images.append(img)
        worlds.append(wor)
    image, world = np.array(images), np.array(worlds)
    t = np.arange(len(angles)) / fps
    return PoseSequence(t, image, world, np.full(image.shape[:2], 0.99), (720, 1280),
                        f"synthetic-{kind}")


def one_bend(start: float, peak: float, *, upright_s: float, fps: float = 30.0) -> np.ndarray:
    """``upright_s`` at ``start`` deg, one smooth bend to ``peak``, a hold, back, a short rest."""
    ramp = 0.5 - 0.5 * np.cos(np.linspace(0, np.pi, int(1.2 * fps)))
    return np.concatenate([np.full(max(1, int(round(upright_s * fps))), start),
                           start + (peak - start) * ramp, np.full(int(0.6 * fps), peak),
                           start + (peak - start) * ramp[::-1], np.full(int(0.3 * fps), start)])


# ---- item 2: the gates ------------------------------------------------------------------------


def test_a_compensation_larger_than_the_motion_blocks():
    r = analyze_trial(make_trial("flexion", [20, 20, 20], "side", knee_bend=30), "flexion")
    assert r.extras["knee_bend_deg"] > r.value_deg
    assert r.status == "inconclusive" and "compensation_exceeds" in codes(r)
    assert "knee bend" in " ".join(r.reasons)
    small = analyze_trial(make_trial("flexion", [60, 61, 60], "side", knee_bend=25), "flexion")
    assert small.status == "ok" and "compensation_exceeds" not in codes(small)
    # the rule itself: the "leaning 124" beside a larger value passes this gate, a
    # larger lean blocks
    assert not compensation_gate(144.0, {"lean_deg": 124.0}, "Side bending to the left")
    assert compensation_gate(20.0, {"lean_deg": 24.0}, "Side bending to the left")[0].blocking


def test_motion_in_another_plane_blocks():
    # a "side bend" that is mostly a forward lean seen from the front
    r = analyze_trial(make_trial("side_bend", [18, 18, 18], "front", lean=40), "side-bend-left")
    assert r.value_deg == pytest.approx(18, abs=2)
    assert abs(r.extras["sagittal_3d_deg"]) > abs(r.extras["frontal_3d_deg"])
    assert r.status == "inconclusive" and "wrong_plane" in codes(r)
    clean = analyze_trial(make_trial("side_bend", [30, 30, 30], "front"), "side-bend-left")
    assert clean.status == "ok" and clean.extras["frontal_3d_deg"] == pytest.approx(30, abs=1)
    assert plane_gate("frontal", 144.0, 120.0, 40.0, "Side bending")[0].code == "wrong_plane"
    assert not plane_gate("sagittal", 60.0, 60.0, 10.0, "Flexion")
    assert plane_gate("rotation", 7.0, 1.0, 12.0, "Rotation")  # tilted more than it turned
    assert not plane_gate("frontal", 20.0, 5.0, 20.0, "Side bending")  # below the noise floor


def test_physiologically_impossible_values_block():
    assert LIMITS_DEG == {"flexion": 150.0, "extension": 60.0, "side-bend-left": 60.0,
                          "side-bend-right": 60.0, "rotation-left": 90.0, "rotation-right": 90.0}
    r = analyze_trial(make_trial("side_bend", [70, 70, 70], "front"), "side-bend-left")
    assert r.value_deg == pytest.approx(70, abs=1)
    assert r.status == "inconclusive" and "impossible_value" in codes(r)
    assert "beyond what a trunk can do" in " ".join(r.reasons)
    assert limit_gate("side-bend-left", 144.0, "Side bending to the left")
    assert not limit_gate("flexion", 140.0, "Forward bending")


def test_a_rotation_without_a_shoulder_turn_blocks():
    assert turn_gate(8.4, 1.1, 0.5, "Turning to the left")[0].code == "no_turn"
    assert turn_gate(22.0, 6.0, 0.5, "Turning to the left")[0].code == "no_turn"
    assert not turn_gate(44.7, 25.8, 0.5, "Turning to the left")
    # the face makes up the rest of an under-read turn, never a turn on its own
    assert not turn_gate(23.4, -7.1, 0.5, "Turning to the right", face_deg=-17.0)
    assert turn_gate(23.4, -7.1, 0.5, "Turning to the right", face_deg=17.0)
    assert turn_gate(8.5, 1.0, 0.5, "Turning to the left", face_deg=9.5)
    r = analyze_trial(make_trial("rotation", [40, 41, 40], "front", arms="dowel"),
                      "rotation-left")
    assert r.status == "ok", r.flags


def arms_only(how: str, *, narrow: float = 0.07, lift_m: float = 0.0, forward_m: float = 0.0,
              yaw_noise: float = 6.0) -> PoseSequence:
    """Three repetitions of the arms alone, the trunk still (seated rotation set-up, dowel grip,
    front view): at each peak the wrists come ``narrow`` (fraction of their span) closer
    together, rise ``lift_m`` and come ``forward_m`` toward the camera. The image shoulders stay
    put; in the world landmarks the shoulder line turns ``yaw_noise`` deg at each peak (the
    3D noise MediaPipe showed on issue 28's real clip of arms raising a stick)."""
    t, frac = profile([1.0, 1.0, 1.0])
    images, worlds = [], []
    for f in frac:
        pts = body(Pose3D(arms="dowel"))
        for wrist in (L.LEFT_WRIST, L.RIGHT_WRIST):
            pts[wrist] = pts[wrist] * [1 - narrow * f, 1, 1] + [0, lift_m * f, forward_m * f]
        img, _ = project(pts, "front")
        turned = pts.copy()
        mid = 0.5 * (pts[L.LEFT_SHOULDER] + pts[L.RIGHT_SHOULDER])
        for sh in (L.LEFT_SHOULDER, L.RIGHT_SHOULDER):
            turned[sh] = mid + ry(yaw_noise * f) @ (pts[sh] - mid)
        _, wor = project(turned, "front")
        images.append(img)
        worlds.append(wor)
    image, world = np.array(images), np.array(worlds)
    return PoseSequence(t, image, world, np.full(image.shape[:2], 0.99), (720, 1280),
                        f"synthetic-arms-{how}")


@pytest.mark.parametrize(("how", "kw", "code"), [
    ("raised", {"lift_m": 0.25}, "arms_moved"),
    ("lowered", {"lift_m": -0.25}, "arms_moved"),
    ("bent", {"forward_m": 0.2}, "no_turn"),
    ("swung", {"narrow": 0.15, "forward_m": 0.3}, "no_turn"),
])
def test_arms_moving_with_a_still_trunk_never_give_a_rotation(how, kw, code):
    """Issue 28 item 3: a change of the wrist span without a matching turn of the shoulders
    blocks at any size; the 3D shoulder line's noise (6 deg here) is not a turn. Before, a 6 deg
    3D yaw passed the quarter-of-the-value check for a 20-24 deg wrist reading."""
    seq = arms_only(how, **kw)
    for movement in ("rotation-left", "rotation-right"):
        r = analyze_trial(seq, movement)
        assert r.status == "inconclusive", (movement, r.value_deg, codes(r))
        if movement == "rotation-left":  # the side the 3D noise turned to
            assert r.value_deg > 8.0 and code in codes(r), (r.value_deg, codes(r))
    assert not [t for t in analyze_sequence(seq, "auto").trials if t.status == "ok"]


def test_the_arms_gate_reads_the_lift_against_the_shoulder_span():
    assert arms_gate(ARM_LIFT_MAX + 0.05, "Turning to the left")[0].code == "arms_moved"
    assert "not turning to the left" in arms_gate(0.5, "Turning to the left")[0].message
    assert not arms_gate(ARM_LIFT_MAX - 0.05, "Turning to the left")
    assert not arms_gate(float("nan"), "Turning to the left")
    r = analyze_trial(make_trial("rotation", [40, 41, 40], "front", arms="dowel"),
                      "rotation-left")
    assert r.status == "ok" and r.extras["arm_lift"] < 0.01


def test_a_flexion_seen_from_the_front_is_detected_as_flexion_in_the_wrong_view():
    seq = make_trial("flexion", [50, 52, 51], "front")
    trials = analyze_sequence(seq, "auto").trials
    assert [t.movement for t in trials] == ["flexion"]
    assert trials[0].status == "inconclusive" and "wrong_view" in codes(trials[0])
    assert not [t for t in trials if t.movement.startswith("side-bend")]
    bend = analyze_sequence(make_trial("side_bend", [30, 30, 30], "front"), "auto").trials
    assert [t.movement for t in bend] == ["side-bend-left"] and bend[0].status == "ok"


def test_the_same_gates_apply_when_the_movement_is_detected():
    seq = make_trial("side_bend", [70, 70, 70], "front")
    trials = analyze_sequence(seq, "auto").trials
    assert trials and not [t for t in trials if t.status == "ok"]
    assert "impossible_value" in codes(trials[0])


def test_no_ok_trial_with_a_blocking_flag():
    for seq, movement in ((make_trial("side_bend", [18, 18, 18], "front", lean=40),
                           "side-bend-left"),
                          (make_trial("flexion", [20, 20, 20], "side", knee_bend=30), "flexion"),
                          (make_trial("side_bend", [70, 70, 70], "front"), "side-bend-left")):
        r = analyze_trial(seq, movement)
        assert any(f.blocking for f in r.flags) and r.status == "inconclusive"


# ---- item 1: neutral and repetitions from real movement -------------------------------------


def test_a_short_upright_start_then_one_bend_is_measured():
    seq = from_angles("flexion", one_bend(0.0, 60.0, upright_s=0.1), "side")
    r = analyze_trial(seq, "flexion")
    assert r.status == "ok", r.flags
    assert r.value_deg == pytest.approx(60.0, abs=1.0)
    assert "fewer_than_3" in codes(r) and "wider uncertainty" in " ".join(
        f.message for f in r.flags)
    # three frames upright at the start, a still upright 0.3 s end: the end is the neutral
    assert r.neutral_s[0] > r.repetitions[0].peak_s and r.extras["neutral_s"] < 0.5
    long = analyze_trial(from_angles("flexion", one_bend(0.0, 60.0, upright_s=1.5), "side"),
                         "flexion")
    assert long.neutral_s[0] == 0.0
    assert long.status == "ok" and r.uncertainty_deg > long.uncertainty_deg
    auto = analyze_sequence(seq, "auto").trials
    assert [t.movement for t in auto] == ["flexion"] and auto[0].status == "ok"
    assert auto[0].value_deg == pytest.approx(60.0, abs=1.0)


def bend_profile(upright_s: float, peak: float, hold_s: float, end_s: float,
                 fps: float = 30.0) -> np.ndarray:
    """``upright_s`` at 0, a brisk bend (0.6 s) to ``peak`` held ``hold_s``, back, ``end_s``
    at 0."""
    ramp = 0.5 - 0.5 * np.cos(np.linspace(0, np.pi, int(0.6 * fps)))
    return np.concatenate([np.zeros(max(1, int(round(upright_s * fps)))), peak * ramp,
                           np.full(int(round(hold_s * fps)), peak), peak * ramp[::-1],
                           np.zeros(max(1, int(round(end_s * fps))))])


def test_a_still_upright_end_is_the_neutral_after_a_tenth_of_a_second_start():
    """Issue 28 item 1: one forward bend after ~0.1 s upright, then standing still upright at
    the end, read "No still, upright start was found"."""
    seq = from_angles("flexion", bend_profile(0.07, 55.0, 0.6, 1.2), "side")  # two frames
    r = analyze_trial(seq, "flexion")
    assert r.status == "ok", r.reasons
    assert r.value_deg == pytest.approx(55.0, abs=1.0)
    assert r.neutral_s[0] > r.repetitions[0].peak_s  # the upright end
    auto = analyze_sequence(seq, "auto").trials
    assert [(t.movement, t.status) for t in auto] == [("flexion", "ok")]


def test_an_end_range_hold_after_a_short_upright_start_is_not_the_neutral():
    """Issue 28 item 1: 0.25 s upright, then a one-second hold in a side bend: the bent hold
    (16 deg, within the 20-deg "upright" limit) was taken as the neutral, so the real bend read
    as the other way. The most upright stretch is the neutral."""
    seq = from_angles("side_bend", bend_profile(0.25, 16.0, 1.0, 0.1), "front")
    r = analyze_trial(seq, "side-bend-left")
    assert r.status == "ok", r.reasons
    assert r.value_deg == pytest.approx(16.0, abs=1.0)
    assert abs(r.neutral_angle_deg) < 1.0 and r.neutral_s[1] < 0.6  # the hold starts at 1.25 s
    # the uncertainty reflects the short neutral: wider than with a long upright start
    long = analyze_trial(from_angles("side_bend", bend_profile(1.5, 16.0, 1.0, 0.1), "front"),
                         "side-bend-left")
    assert long.status == "ok" and r.uncertainty_deg > long.uncertainty_deg


def test_a_held_end_range_is_never_the_neutral():
    """No upright moment at all (the clip holds a 30-deg side bend, bends further and comes
    back to the hold): the neutral would be the hold, which is refused with that reason."""
    angles = 30.0 + bend_profile(1.0, 15.0, 0.6, 1.0)
    r = analyze_trial(from_angles("side_bend", angles, "front"), "side-bend-left")
    assert r.status == "inconclusive" and "start_not_upright" in codes(r)
    assert "bent to the left about 30 deg" in r.reasons[-1]


def test_two_repetitions_are_reported_not_blocked():
    r = analyze_trial(make_trial("side_bend", [30, 31], "front"), "side-bend-left")
    assert r.status == "ok" and "fewer_than_3" in codes(r)
    assert r.value_deg == pytest.approx(30.5, abs=1.0)


@pytest.mark.parametrize(("movement", "start", "peak", "words"), [
    ("extension", -35.0, -60.0, "bent back about 35 deg"),
    ("flexion", 40.0, 80.0, "bent forward about 40 deg"),
])
def test_a_clip_that_starts_away_from_upright_is_refused_in_words(movement, start, peak, words):
    seq = from_angles("flexion", one_bend(start, peak, upright_s=0.5), "side")
    r = analyze_trial(seq, movement)
    assert r.status == "inconclusive" and codes(r) >= {"start_not_upright"}
    assert r.reasons[-1] == f"Start the clip standing upright; this one starts already {words}."
    moving = from_angles("flexion", one_bend(start, peak, upright_s=0.0), "side")
    assert f"already {words}" in analyze_trial(moving, movement).reasons[-1]


def test_a_seated_clip_is_not_told_to_stand():
    """Issue 28 item 6: "start the clip standing upright" was said of a seated exercise."""
    angles = bend_profile(0.0, 30.0, 0.6, 0.0) + 40.0  # starts bent forward 40 deg, seated
    images, worlds = [], []
    for v in angles:
        img, wor = project(body(Pose3D(flexion=v, knee_bend=90.0)), "side")
        images.append(img)
        worlds.append(wor)
    image = np.array(images)
    seq = PoseSequence(np.arange(len(angles)) / 30.0, image, np.array(worlds),
                       np.full(image.shape[:2], 0.99), (720, 1280), "synthetic-seated")
    r = analyze_trial(seq, "flexion")
    assert r.status == "inconclusive" and "start_not_upright" in codes(r)
    assert r.reasons[-1].startswith("Start the clip sitting upright"), r.reasons
