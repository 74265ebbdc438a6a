"""Left and right stay themselves (issue 11 item 4): swaps of the hips and shoulders repaired
from continuity and the face, on hand-built trials (tests/fixtures/skeleton.py)."""

import numpy as np
import pytest

from lumbar_rom.assessment.trial import analyze_trial
from lumbar_rom.kinematics.cleaned import CleanedPose
from lumbar_rom.kinematics.swaps import find_swaps, repair_swaps
from lumbar_rom.pose.landmarks import Landmark as L
from lumbar_rom.pose.sequence import PoseSequence
from tests.fixtures.skeleton import make_trial

PAIRS = ((L.LEFT_SHOULDER, L.RIGHT_SHOULDER), (L.LEFT_HIP, L.RIGHT_HIP))


def swapped(seq: PoseSequence, frames: np.ndarray) -> PoseSequence:
    """``seq`` with the hips and shoulders' labels exchanged in ``frames``."""
    image, world, vis = seq.image.copy(), seq.world.copy(), seq.visibility.copy()
    for li, ri in PAIRS:
        for arr in (image, world, vis):
            arr[frames, li], arr[frames, ri] = arr[frames, ri].copy(), arr[frames, li].copy()
    return PoseSequence(seq.time_s, image, world, vis, seq.frame_size, seq.source)


@pytest.mark.parametrize("view", ["front", 30.0, 60.0])
def test_swapped_frames_are_found_and_put_back(view):
    seq = make_trial("side_bend", [25, 25, 25], view, noise_px=0.5)
    bad = np.r_[20:30, 60:75, 140:141]
    broken = swapped(seq, bad)
    found = find_swaps(broken.image, broken.world)
    assert np.array_equal(np.flatnonzero(found[:, 0]), bad)
    assert np.array_equal(np.flatnonzero(found[:, 1]), bad)
    image, world, vis, fired = repair_swaps(broken.image, broken.world, broken.visibility)
    assert fired.sum() == len(bad)
    assert np.allclose(image, seq.image) and np.allclose(world, seq.world)
    assert not find_swaps(seq.image, seq.world).any()  # nothing to repair: nothing changes


def test_a_clip_that_starts_swapped_is_put_right_by_the_face():
    seq = make_trial("rotation", [30, 30, 30], "front", arms="dowel")
    bad = np.r_[0:40]  # the start is the wrong way round: continuity alone would follow it
    fired = repair_swaps(*(lambda s: (s.image, s.world, s.visibility))(swapped(seq, bad)))[3]
    assert np.array_equal(np.flatnonzero(fired), bad)


def test_the_repair_is_counted_in_the_cleaned_data_and_the_trial():
    seq = make_trial("side_bend", [30, 30, 30], "front")
    bad = np.r_[50:76]
    broken = swapped(seq, bad)
    kin = CleanedPose.from_sequence(broken)
    assert kin.swaps_repaired == 26 and kin.slice(0, 60).swaps_repaired == 10
    r = analyze_trial(broken, "side-bend-left")
    assert r.extras["lr_swaps_repaired"] == 26
    ref = analyze_trial(seq, "side-bend-left")
    assert r.status == "ok" and r.value_deg == pytest.approx(ref.value_deg, abs=0.05)
    assert r.posture.pelvic_obliquity_deg == pytest.approx(ref.posture.pelvic_obliquity_deg,
                                                           abs=0.05)


def test_the_landmarks_export_is_repaired(tmp_path):
    """Issue 28 item 7: `lumbar-rom landmarks` exported the raw labels (the repair ran only
    inside the analysis). The exported table holds the repaired labels, the count beside it."""
    from lumbar_rom.pipeline import repaired_landmarks

    seq = make_trial("side_bend", [25, 25, 25], "front", noise_px=0.5)
    bad = np.r_[20:30, 60:75]
    fixed, n = repaired_landmarks(swapped(seq, bad))
    assert n == len(bad)
    np.testing.assert_allclose(fixed.image, seq.image)
    saved = PoseSequence.load(fixed.save(tmp_path / "landmarks.csv"))
    for li, ri in PAIRS:
        assert np.all(saved.image[:, li, 0] > saved.image[:, ri, 0])  # left on the image right
