"""Issue 16: mirrored videos keep their side; damaged videos are decoded past the damage and say
so; still images are refused."""

import logging

import numpy as np
import pytest

from lumbar_rom.errors import VideoError
from lumbar_rom.pipeline import analyze_sequence, analyze_video, track_video
from lumbar_rom.pose.estimator import MIRROR_INDEX
from lumbar_rom.pose.landmarks import Landmark as L
from lumbar_rom.video.reader import DecodeReport, iter_frames
from tests.fixtures.fakes import FakeEstimator
from tests.fixtures.skeleton import make_trial
from tests.fixtures.videos import make_video


def test_flipping_swaps_left_and_right_and_mirrors_x():
    seq = make_trial("side_bend", [25, 25, 25], "front")
    back = seq.flipped()
    w = seq.frame_size[0]
    assert MIRROR_INDEX[L.LEFT_HIP] == L.RIGHT_HIP and MIRROR_INDEX[L.NOSE] == L.NOSE
    np.testing.assert_allclose(back.image[:, L.LEFT_HIP, 0], w - seq.image[:, L.RIGHT_HIP, 0])
    np.testing.assert_allclose(back.world[:, L.LEFT_HIP, 0], -seq.world[:, L.RIGHT_HIP, 0])
    assert back.mirrored and not back.flipped().mirrored
    np.testing.assert_allclose(back.flipped().image, seq.image)


def test_a_mirrored_left_side_bend_stays_left_and_says_which_side():
    mirror_image = make_trial("side_bend", [25, 25, 25], "front").flipped()
    mirror_image = type(mirror_image)(mirror_image.time_s, mirror_image.image, mirror_image.world,
                                      mirror_image.visibility, mirror_image.frame_size)
    as_filmed = analyze_sequence(mirror_image, "auto").trials[0]
    assert as_filmed.movement == "side-bend-right"  # what a mirror image looks like
    fixed = analyze_sequence(mirror_image.flipped(), "auto").trials[0]
    assert fixed.movement == "side-bend-left"
    note = next(f for f in fixed.flags if f.code == "side_measured")
    assert "left side" in note.message and "mirrored" in note.message and "frame" in note.message
    assert not note.blocking


def test_track_video_mirrored_flips_the_landmarks(tmp_path):
    path = make_video(tmp_path / "v.mp4", n_frames=4, width=160, height=120)
    fake = FakeEstimator()
    seq = track_video(path, estimator=fake, mirrored=True)
    assert seq.mirrored
    np.testing.assert_allclose(seq.image[0, L.LEFT_HIP, 0], 160 - fake.frac[L.RIGHT_HIP, 0] * 160)


def _corrupt(path, at=0.5, n_bytes=None):
    data = bytearray(path.read_bytes())
    n_bytes = n_bytes or len(data) // 8
    m = int(len(data) * at)
    data[m:m + n_bytes] = np.random.default_rng(1).integers(0, 256, n_bytes, np.uint8).tobytes()
    path.write_bytes(bytes(data))
    return path


def _noisy_video(path, n=90):
    rng = np.random.default_rng(0)
    frames = [rng.integers(0, 255, (96, 128, 3), np.uint8) for _ in range(n)]
    return make_video(path, n_frames=n, width=128, height=96, frames=frames)


def test_decoding_goes_past_damage_in_the_middle_and_records_it(tmp_path, caplog):
    path = _corrupt(_noisy_video(tmp_path / "v.mp4"))
    report = DecodeReport()
    with caplog.at_level(logging.WARNING):
        frames = list(iter_frames(path, report=report))
    assert frames[-1].time_s > 2.8  # the second half is kept (90 frames at 30 fps: 2.97 s)
    assert report.damaged_from_s is not None and 0.5 < report.damaged_from_s < 2.5
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_truncated_video_is_recorded_as_damaged(tmp_path):
    from pathlib import Path

    sample = Path(__file__).resolve().parents[2] / "sample_videos" / "side-bend-left.mp4"
    path = tmp_path / "cut.mp4"  # the index first (faststart), so the cut keeps a readable head
    path.write_bytes(sample.read_bytes()[: int(sample.stat().st_size * 0.6)])
    report = DecodeReport()
    frames = list(iter_frames(path, report=report))
    assert 50 < len(frames) < 177
    assert report.damaged_from_s == pytest.approx(frames[-1].time_s, abs=0.3)


def test_damage_reaches_the_result_and_every_trial(tmp_path):
    import json

    path = _corrupt(_noisy_video(tmp_path / "v.mp4"))
    out = tmp_path / "out"
    analysis = analyze_video(path, "flexion", estimator=FakeEstimator(), out_dir=out)
    assert analysis.seq.damaged_from_s is not None
    flag = next(f for f in analysis.trials[0].flags if f.code == "video_damaged")
    assert flag.message.startswith("The video is damaged from ")
    assert json.loads((out / "result.json").read_text())["damaged_from_s"] == pytest.approx(
        analysis.seq.damaged_from_s)


@pytest.mark.parametrize("suffix", [".jpg", ".png"])
def test_a_still_image_is_refused_in_one_sentence(tmp_path, suffix):
    import cv2

    img = tmp_path / f"photo{suffix}"
    cv2.imwrite(str(img), np.zeros((64, 64, 3), np.uint8))
    with pytest.raises(VideoError, match="is a still image, not a video"):
        track_video(img, estimator=FakeEstimator())
