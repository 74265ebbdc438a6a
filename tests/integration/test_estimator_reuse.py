"""One landmarker reused across videos (the app's per-session estimator, the test session's, a
batch worker's) must give each video the result a fresh landmarker gives: VIDEO-mode tracking
would otherwise carry one clip's body region into the next."""

from pathlib import Path

import pytest

from lumbar_rom.pipeline import track_video
from lumbar_rom.pose.estimator import MediaPipeEstimator

SAMPLES = Path(__file__).resolve().parents[2] / "sample_videos"

pytestmark = pytest.mark.slow


def test_a_reused_landmarker_tracks_each_video_as_a_fresh_one_does():
    import numpy as np

    with MediaPipeEstimator(mode="video") as fresh:
        alone = track_video(SAMPLES / "side-bend-left.mp4", estimator=fresh)
    with MediaPipeEstimator(mode="video") as est:
        track_video(SAMPLES / "flexion.mp4", estimator=est)  # another body region first
        after = track_video(SAMPLES / "side-bend-left.mp4", estimator=est)
    assert after.n_frames == alone.n_frames
    np.testing.assert_allclose(after.image, alone.image, atol=1e-6, equal_nan=True)
