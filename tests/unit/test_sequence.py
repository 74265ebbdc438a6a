import numpy as np
import pytest

from lumbar_rom.pose.sequence import PoseSequence


def make_seq(n: int = 4, missing: tuple[int, ...] = (2,)) -> PoseSequence:
    rng = np.random.default_rng(0)
    image = rng.uniform(0, 500, (n, 33, 3))
    world = rng.uniform(-1, 1, (n, 33, 3))
    vis = rng.uniform(0, 1, (n, 33))
    image[0, 0] = 0.0  # a real zero stays a zero
    for i in missing:
        image[i], world[i], vis[i] = np.nan, np.nan, np.nan
    return PoseSequence(np.arange(n) / 30.0, image, world, vis, (640, 480), "clip.mp4")


def test_shapes_are_checked():
    seq = make_seq()
    with pytest.raises(ValueError, match="image"):
        PoseSequence(seq.time_s, seq.image[:, :32], seq.world, seq.visibility, (640, 480))
    with pytest.raises(ValueError, match="visibility"):
        PoseSequence(seq.time_s, seq.image, seq.world, seq.visibility[:3], (640, 480))


def test_time_must_increase():
    seq = make_seq()
    with pytest.raises(ValueError, match="increasing"):
        PoseSequence(seq.time_s[::-1], seq.image, seq.world, seq.visibility, (640, 480))


def test_arrays_are_read_only_copies():
    image = np.zeros((2, 33, 3))
    seq = PoseSequence(np.array([0.0, 0.1]), image, image, np.zeros((2, 33)), (10, 10))
    image[0, 0, 0] = 5.0
    assert seq.image[0, 0, 0] == 0.0
    with pytest.raises(ValueError):
        seq.image[0, 0, 0] = 1.0


def test_detected_uses_nan_not_zero():
    seq = make_seq(missing=(2,))
    assert seq.detected.tolist() == [True, True, False, True]
    assert seq.fps == pytest.approx(30.0)


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_save_load_round_trip_keeps_nan_and_zero(tmp_path, suffix):
    seq = make_seq()
    path = seq.save(tmp_path / f"lm{suffix}")
    back = PoseSequence.load(path)
    assert back.frame_size == (640, 480)
    assert back.source == "clip.mp4"
    np.testing.assert_allclose(back.image, seq.image, rtol=1e-5, equal_nan=True)
    np.testing.assert_allclose(back.world, seq.world, rtol=1e-5, equal_nan=True)
    np.testing.assert_allclose(back.visibility, seq.visibility, rtol=1e-5, equal_nan=True)
    assert back.image[0, 0, 0] == 0.0
    assert np.isnan(back.image[2]).all()


def test_slice():
    seq = make_seq(6, missing=())
    part = seq.slice(2, 5)
    assert part.n_frames == 3
    np.testing.assert_array_equal(part.time_s, seq.time_s[2:5])


def test_landmark_enum_matches_the_names():
    from lumbar_rom.pose.landmarks import LANDMARK_NAMES, Landmark

    assert [m.name.lower() for m in Landmark] == list(LANDMARK_NAMES)
    assert Landmark.LEFT_HIP == 23 and Landmark.RIGHT_FOOT_INDEX == 32


def test_from_frames_stores_missing_frames_as_nan():
    from lumbar_rom.pose.estimator import FramePose

    rng = np.random.default_rng(1)
    pose = FramePose(rng.uniform(0, 500, (33, 3)), rng.uniform(-1, 1, (33, 3)),
                     rng.uniform(0, 1, 33), 0)
    seq = PoseSequence.from_frames([0.0, 0.04, 0.08], [pose, None, pose], (640, 480), "cam")
    assert seq.detected.tolist() == [True, False, True]
    np.testing.assert_array_equal(seq.image[2], pose.image)
    np.testing.assert_array_equal(seq.visibility[0], pose.visibility)
    assert np.isnan(seq.world[1]).all() and np.isnan(seq.visibility[1]).all()
    assert seq.frame_size == (640, 480) and seq.source == "cam"
    with pytest.raises(ValueError, match="3 times but 2 poses"):
        PoseSequence.from_frames([0.0, 0.1, 0.2], [pose, None], (640, 480))


def test_recorder_grows_past_its_capacity_and_keeps_missing_frames_nan():
    from lumbar_rom.pose.estimator import FramePose
    from lumbar_rom.pose.sequence import PoseRecorder

    rng = np.random.default_rng(2)
    poses = [FramePose(rng.uniform(0, 1900, (33, 3)), rng.uniform(-1, 1, (33, 3)),
                       rng.uniform(0, 1, 33), i) for i in range(40)]
    rec = PoseRecorder(capacity=16)  # grown twice
    for i, p in enumerate(poses):
        rec.add(i / 30, None if i % 7 == 3 else p)
    seq = rec.sequence((1920, 1080), "clip.mp4", damaged_from_s=1.0)
    assert seq.n_frames == len(rec) == 40 and seq.image.dtype == np.float64
    assert seq.detected.tolist() == [i % 7 != 3 for i in range(40)]
    np.testing.assert_allclose(seq.image[39], poses[39].image, rtol=1e-6)  # float32 storage
    np.testing.assert_allclose(seq.world[20], poses[20].world, atol=1e-7)
    np.testing.assert_allclose(seq.visibility[0], poses[0].visibility, atol=1e-7)
    assert np.isnan(seq.world[10]).all() and np.isnan(seq.visibility[17]).all()
    np.testing.assert_array_equal(seq.time_s, np.arange(40) / 30)
    assert seq.damaged_from_s == 1.0 and seq.source == "clip.mp4"


def test_recorder_costs_under_a_kilobyte_a_frame():
    from lumbar_rom.pose.sequence import PoseRecorder

    rec = PoseRecorder(capacity=18_000)
    held = rec._time.nbytes + rec._image.nbytes + rec._world.nbytes + rec._vis.nbytes
    assert held / 18_000 == 8 + 4 * 33 * 7  # 932 bytes: float32 landmarks, float64 time
