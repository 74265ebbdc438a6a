"""The app's upload path reports progress at least once a second, from start to end, on a real
clip with the real model (issue 15)."""

import time
from pathlib import Path

import pytest

from lumbar_rom.app import service
from lumbar_rom.pose.estimator import MediaPipeEstimator

pytestmark = pytest.mark.slow
SAMPLE = Path(__file__).resolve().parents[2] / "sample_videos" / "side-bend-left.mp4"


def test_upload_progress_never_freezes_for_a_second(monkeypatch):
    est = MediaPipeEstimator(mode="video")
    try:
        est.process(__import__("numpy").zeros((64, 64, 3), "uint8"), 0)  # loaded, as in the app
        monkeypatch.setattr(service, "file_estimator", lambda: est)
        stamps = [time.perf_counter()]
        seen = []

        def on_progress(done, total):
            stamps.append(time.perf_counter())
            seen.append((done, total))

        trials, replay = service.analyse_upload(SAMPLE, "auto", None, on_progress)
        stamps.append(time.perf_counter())
    finally:
        est.close()
    gaps = [b - a for a, b in zip(stamps, stamps[1:], strict=False)]
    assert max(gaps) < 1.0, f"progress froze for {max(gaps):.2f} s"
    assert seen[-1][0] == seen[-1][1]  # ends full
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    assert trials[0].movement == "side-bend-left" and replay[4:8] == b"ftyp"
