"""The 2D reference derived from the Pose2Sim demo's .trc and calibration
(tests/fixtures/pose2sim.py) is the one the landmark tests were first calibrated against."""

import numpy as np

from tests.fixtures.pose2sim import projected, reference_trunk_angle_2d, trc_points

# the first frames of the reference CSV first used by the project (Pose2Sim demo, same trial,
# same projection; 2 decimals): camera -> trunk angle (deg) of frames 0-3, mid-hip and
# mid-shoulder (px) of frame 0
FIRST = {"01": ([8.06, 8.29, 8.61, 9.13], (410.3, 722.4), (443.9, 485.5))}


def test_the_reference_angle_is_the_first_one(pose2sim):
    angles, hip, shoulder = FIRST["01"]
    got = reference_trunk_angle_2d(pose2sim, "01")
    assert got.shape == (100,)
    assert np.allclose(got[:4], angles, atol=0.01)
    pts = trc_points(pose2sim)
    mid_hip = projected(pose2sim, "01", (pts["LHip"] + pts["RHip"]) / 2)[0]
    mid_sh = projected(pose2sim, "01", (pts["LShoulder"] + pts["RShoulder"]) / 2)[0]
    assert np.allclose(mid_hip, hip, atol=0.06) and np.allclose(mid_sh, shoulder, atol=0.06)


def test_the_trial_leans_as_described(pose2sim):
    """The balancing trial leans the trunk up to ~45 deg: the two cameras see it differently
    but both see a large range (a broken projection would give a near-constant angle)."""
    for cam in ("01", "03"):
        a = reference_trunk_angle_2d(pose2sim, cam)
        assert np.all(np.isfinite(a)) and np.ptp(a) > 20.0
