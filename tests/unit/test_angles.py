"""Angles on hand-built skeletons with known answers (tests/fixtures/skeleton.py)."""

import numpy as np
import pytest

from lumbar_rom.kinematics import angles as A
from tests.fixtures.skeleton import Pose3D, body, project


def one(pose: Pose3D, view="front"):
    img, world = project(body(pose), view)
    return img[None], world[None]


def test_trunk_image_angle_sign_and_value():
    img = np.zeros((3, 33, 3))
    img[:, 23, :2] = img[:, 24, :2] = [100, 200]  # hips
    tops = np.array([[100, 100], [200, 200], [0, 200]])  # straight up, image right, image left
    img[:, 11, :2] = img[:, 12, :2] = tops
    np.testing.assert_allclose(A.trunk_image_angle(img), [0, 90, -90])


@pytest.mark.parametrize("view", ["side", "side-left"])
@pytest.mark.parametrize("flex", [-30.0, 0.0, 20.0, 75.0])
def test_sagittal_angle_is_flexion_positive_whichever_way_the_person_faces(view, flex):
    img, _ = one(Pose3D(flexion=flex), view)
    facing = A.facing_sign(img)
    assert facing == (-1.0 if view == "side" else 1.0)  # "side": camera at the person's left
    assert A.sagittal_trunk_angle(img, facing)[0] == pytest.approx(flex, abs=1e-6)


@pytest.mark.parametrize("bend", [-35.0, -10.0, 0.0, 25.0])
def test_frontal_angle_positive_toward_the_persons_left(bend):
    img, _ = one(Pose3D(side_bend=bend))
    left = A.left_side_sign(img)
    assert left == 1.0
    assert A.frontal_trunk_angle(img, left)[0] == pytest.approx(bend, abs=1e-6)


def test_back_to_camera_flips_left():
    img, _ = one(Pose3D(side_bend=20), view=180.0)
    assert A.left_side_sign(img) == -1.0
    assert A.frontal_trunk_angle(img, -1.0)[0] == pytest.approx(20, abs=1e-6)


@pytest.mark.parametrize("knee", [0.0, 15.0, 40.0])
def test_knee_flexion(knee):
    img, _ = one(Pose3D(knee_bend=knee), "side")
    assert A.knee_flexion(img)[0] == pytest.approx(knee, abs=1e-6)


def test_hip_flexion_is_trunk_plus_thigh():
    img, _ = one(Pose3D(flexion=50), "side")
    f = A.facing_sign(img)
    assert A.hip_flexion(img, f)[0] == pytest.approx(50, abs=1e-6)  # thigh vertical
    img, _ = one(Pose3D(flexion=50, knee_bend=20), "side")
    thigh = A.thigh_angle(img, f)[0]
    assert thigh > 0  # knee ahead of the hip
    assert A.hip_flexion(img, f)[0] == pytest.approx(50 + thigh, abs=1e-6)


def test_lumbar_estimate_follows_the_cited_rhythm():
    # Esola 1996 bands: share r/(1+r) with r = 1.9, 0.9, 0.4 per 30 deg
    expect_90 = 30 * (1.9 / 2.9 + 0.9 / 1.9 + 0.4 / 1.4)
    got = A.estimated_lumbar_flexion(np.array([0.0, 30.0, 90.0, 100.0, -20.0, np.nan]))
    assert got[0] == 0
    assert got[1] == pytest.approx(30 * 1.9 / 2.9)
    assert got[2] == pytest.approx(expect_90)
    assert got[3] == pytest.approx(expect_90 + 10 * 0.4 / 1.4)
    assert got[4] == pytest.approx(-20 * 0.64)
    assert np.isnan(got[5])


@pytest.mark.parametrize("rot", [-45.0, -20.0, 20.0, 45.0])
def test_rotation_from_wrist_span_and_yaw_sign(rot):
    neutral, _ = one(Pose3D(arms="dowel"))
    img, world = one(Pose3D(rotation=rot, arms="dowel"))
    span0 = A.span_2d(neutral, 15, 16)[0]
    got = A.rotation_from_span(A.span_2d(img, 15, 16), span0)[0]
    assert got == pytest.approx(abs(rot), abs=1e-6)
    assert np.sign(A.shoulder_yaw(world)[0]) == np.sign(rot)  # + = turned to the left
    assert A.hip_yaw(world)[0] == pytest.approx(0.0, abs=1e-9)


@pytest.mark.parametrize("rot", [-40.0, 25.0])
def test_shoulder_turn_takes_the_span_when_the_3d_yaw_under_reads(rot):
    """MediaPipe's 3D yaw read 2-12 deg for 25-45 deg of turn with a dowel behind the head; the
    shoulder span's foreshortening still shows the turn, signed by the yaw."""
    img0, world0 = one(Pose3D(arms="dowel"))
    img1, world1 = one(Pose3D(rotation=rot, arms="dowel"))
    img, world = np.concatenate([img0, img1]), np.concatenate([world0, world1])
    full = A.shoulder_turn(img, world, slice(0, 1), 15.0)
    assert full[1] == pytest.approx(rot, abs=1e-6)
    # the same turn with the 3D depth flattened to a fifth: the yaw alone reads far less
    flat = world.copy()
    flat[:, :, 2] *= 0.2
    yaw = A.shoulder_yaw(flat)
    assert abs(yaw[1] - yaw[0]) < 0.4 * abs(rot)
    assert A.shoulder_turn(img, flat, slice(0, 1), 15.0)[1] == pytest.approx(rot, abs=1e-6)
    assert A.shoulder_turn(img, world, slice(0, 1), 15.0)[0] == pytest.approx(0.0, abs=1e-9)
    # below span_min_deg the span does not count: only the (flattened) yaw
    assert A.shoulder_turn(img, flat, slice(0, 1), abs(rot) + 1)[1] == pytest.approx(
        yaw[1] - yaw[0], abs=1e-9)


def test_shoulder_turn_is_nan_without_the_3d_shoulders():
    img, world = one(Pose3D(rotation=30.0))
    world[:, 11] = np.nan
    assert np.isnan(A.shoulder_turn(img, world, slice(0, 1), 15.0)[0])


def test_rotation_span_longer_than_neutral_reads_zero():
    assert A.rotation_from_span(np.array([1.1, 1.0, np.nan]), 1.0).tolist()[:2] == [0.0, 0.0]


def test_obliquities_and_shift():
    img, _ = one(Pose3D(pelvic_tilt=4.0))
    assert A.pelvic_obliquity(img, 1.0)[0] == pytest.approx(4.0, abs=1e-6)
    assert A.shoulder_obliquity(img, 1.0)[0] == pytest.approx(0.0, abs=1e-6)
    img, _ = one(Pose3D(side_bend=10))
    shift = A.lateral_trunk_shift(img, 1.0)[0]
    assert shift == pytest.approx(0.52 * np.sin(np.radians(10)) / 0.24, rel=1e-6)


def test_forward_head_angle_sign():
    img, _ = one(Pose3D(), "side")
    # nose is ahead but the ears are level with the shoulders in the stick figure
    assert A.forward_head_angle(img, 1.0)[0] == pytest.approx(0.0, abs=1e-6)
    img2 = img.copy()
    img2[0, [7, 8], 0] += 30  # ears 30 px ahead
    assert A.forward_head_angle(img2, 1.0)[0] > 5


def test_fingertip_to_floor_in_cm_with_height():
    neutral, _ = one(Pose3D(), "side")
    bent, _ = one(Pose3D(flexion=90), "side")
    d_px, unit = A.fingertip_to_floor(bent, neutral, None)
    assert unit == "px"
    # hanging fingertips 0.65 m below shoulders 1.52 m high, trunk horizontal at hip height 1.0:
    # tips at 1.0 - 0.65 = 0.35 m; ankle landmark at 0.08 m, floor 0.039 * H below the ankle.
    # The stick figure's eye-to-ankle span is 1.67 m, so its "height" is 1.67 / (0.936 - 0.039).
    height_cm = 167.0 / (0.936 - 0.039)
    d_cm, unit = A.fingertip_to_floor(bent, neutral, height_cm)
    assert unit == "cm"
    assert d_cm[0] == pytest.approx((0.35 - 0.08) * 100 + 0.039 * height_cm, abs=0.5)


def test_nan_in_nan_out_and_zero_is_valid():
    img, world = one(Pose3D())
    img = np.repeat(img, 2, axis=0)
    img[1] = np.nan
    a = A.trunk_image_angle(img)
    assert a[0] == pytest.approx(0.0) and np.isnan(a[1])


def test_excursion_from_neutral_in_the_movements_direction():
    from lumbar_rom.kinematics.angles import excursion

    raw = np.array([10.0, 40.0, -20.0])
    # sagittal, person facing the image left (sign -1), flexion (+1): forward lean is -image angle
    np.testing.assert_allclose(excursion(raw, "sagittal", 10.0, -1.0, 1), [0.0, -30.0, 30.0])
    # the same curve read as extension (direction -1)
    np.testing.assert_allclose(excursion(raw, "sagittal", 10.0, -1.0, -1), [0.0, 30.0, -30.0])
    # rotation: arccos of the span over the neutral span, sign and direction unused
    np.testing.assert_allclose(excursion(np.array([100.0, 50.0, 120.0]), "rotation", 100.0,
                                         -1.0, -1), [0.0, 60.0, 0.0], atol=1e-9)
    assert np.isnan(excursion(np.array([np.nan]), "frontal", 0.0)).all()


def test_movement_signal_is_the_trunk_angle_or_the_wrist_span():
    from lumbar_rom.kinematics.angles import movement_signal
    from lumbar_rom.pose.landmarks import Landmark as L

    p = np.full((1, 33, 3), np.nan)
    p[0, L.LEFT_HIP, :2], p[0, L.RIGHT_HIP, :2] = (10, 100), (-10, 100)
    p[0, L.LEFT_SHOULDER, :2], p[0, L.RIGHT_SHOULDER, :2] = (110, 0), (90, 0)
    p[0, L.LEFT_WRIST, :2], p[0, L.RIGHT_WRIST, :2] = (30, 50), (0, 10)
    assert movement_signal(p, "sagittal")[0] == pytest.approx(45.0)
    assert movement_signal(p, "frontal")[0] == pytest.approx(45.0)
    assert movement_signal(p, "rotation")[0] == pytest.approx(50.0)
