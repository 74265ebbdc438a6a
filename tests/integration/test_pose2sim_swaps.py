"""Left and right stay themselves on the real Pose2Sim balancing trial (issue 11 item 4): after
the swap repair, the hips and shoulders are assigned left/right as the 4-camera reference (the
Pose2Sim demo from `make test-data`, its .trc projected with its calibration:
tests/fixtures/pose2sim.py) in every frame, and the change-from-start trunk angle follows the
reference's."""

import numpy as np
import pytest

from lumbar_rom.kinematics.angles import trunk_image_angle
from lumbar_rom.kinematics.cleaned import CleanedPose
from lumbar_rom.pipeline import track_video
from lumbar_rom.pose.landmarks import Landmark as L
from lumbar_rom.pose.sequence import PoseSequence
from tests.fixtures.pose2sim import reference_points, reference_trunk_angle_2d

pytestmark = pytest.mark.slow

PAIRS = (("LHip", "RHip", L.LEFT_HIP, L.RIGHT_HIP),
         ("LShoulder", "RShoulder", L.LEFT_SHOULDER, L.RIGHT_SHOULDER))
START_FRAMES = 5  # the change from the start: against the mean of the first frames


def crossed_frames(image: np.ndarray, ref: dict[str, np.ndarray]) -> dict[str, int]:
    """Per left/right pair of PAIRS, the frames of ``image`` (n_frames, 33, >=2) whose two points
    lie nearer the reference's other side than their own (a left/right swap)."""
    out = {}
    for left_name, right_name, li, ri in PAIRS:
        a, b = image[:, li, :2], image[:, ri, :2]
        kept = np.linalg.norm(a - ref[left_name], axis=1) + np.linalg.norm(b - ref[right_name],
                                                                            axis=1)
        crossed = np.linalg.norm(a - ref[right_name], axis=1) + np.linalg.norm(
            b - ref[left_name], axis=1)
        out[left_name] = int(np.sum(crossed <= kept))
    return out


def swapped(seq: PoseSequence, frames: np.ndarray) -> PoseSequence:
    """``seq`` with the hips' and shoulders' labels exchanged in ``frames``."""
    image, world, vis = seq.image.copy(), seq.world.copy(), seq.visibility.copy()
    for *_, li, ri in PAIRS:
        for arr in (image, world, vis):
            arr[frames, li], arr[frames, ri] = arr[frames, ri].copy(), arr[frames, li].copy()
    return PoseSequence(seq.time_s, image, world, vis, seq.frame_size, seq.source)


# the committed model labels both cameras right in every frame (checked below); the finding of
# 26 swapped frames in 100 (measurement-findings 7) is replayed on the real landmarks
SWAPPED = np.r_[10:22, 47:55, 80:86]


@pytest.mark.parametrize("cam", ["01", "03"])
@pytest.mark.parametrize("replay", [False, True])
def test_left_and_right_follow_the_reference_after_repair(pose2sim, estimator, cam, replay):
    seq = track_video(pose2sim / f"balancing_cam{cam}.mp4", estimator=estimator)
    if replay:
        assert len(SWAPPED) == 26
        seq = swapped(seq, SWAPPED)
    kin = CleanedPose.from_sequence(seq)
    assert kin.swaps_repaired == (26 if replay else 0)
    ref = reference_points(pose2sim, cam, [n for p in PAIRS for n in p[:2]])
    assert crossed_frames(kin.image, ref) == {p[0]: 0 for p in PAIRS}
    for _left_name, _right_name, li, ri in PAIRS:
        a, b = kin.image[:, li, :2], kin.image[:, ri, :2]
        order = np.sign(a[:, 0] - b[:, 0])
        assert np.all(order == order[0])  # continuous: the pair never changes sides
    angle = trunk_image_angle(kin.image)
    truth = reference_trunk_angle_2d(pose2sim, cam)
    change = (angle - angle[:START_FRAMES].mean()) - (truth - truth[:START_FRAMES].mean())
    mae = float(np.mean(np.abs(change)))
    print(f"cam{cam}: swaps repaired {kin.swaps_repaired}, change-from-start MAE {mae:.2f} deg, "
          f"max {np.max(np.abs(change)):.2f}")
    assert mae < 3.0
