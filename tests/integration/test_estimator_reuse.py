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


def test_a_spare_landmarker_runs_inference_on_every_core_not_the_helpers_one():
    """MediaPipe's inference threads inherit the affinity of the thread that creates the
    landmarker. The spare made on the helper thread must not be pinned to the spare core (the
    decoder's): measured, it put inference there and ``analyze`` went from 1.4x to 2.0x pure
    inference (benchmarks/throughput.py)."""
    import os
    import threading
    from pathlib import Path

    import numpy as np

    from lumbar_rom.video.threads import pin_to_spare_core

    if not hasattr(os, "sched_getaffinity") or len(os.sched_getaffinity(0)) < 2:
        pytest.skip("needs Linux and two CPUs")
    everyone = os.sched_getaffinity(0)
    est = MediaPipeEstimator(mode="video")
    try:
        # the first frame is sent from a pinned thread: the spare is created from there
        def first_frame() -> None:
            pin_to_spare_core()
            est.process(np.zeros((64, 64, 3), np.uint8), 0)

        t = threading.Thread(target=first_frame)
        t.start()
        t.join()
        est.reset()  # the spare (created on the helper) becomes the landmarker
        est.process(np.zeros((64, 64, 3), np.uint8), 0)
        def inference_thread_affinity(tid: int) -> set[int] | None:
            # a thread may end between the listing and the reads (another test's landmarker
            # closing, as in one CI run): a thread that is gone is left out
            try:
                if Path(f"/proc/self/task/{tid}/comm").read_text().strip() != "drishti":
                    return None
                return os.sched_getaffinity(tid)
            except (FileNotFoundError, ProcessLookupError):
                return None

        threads = {int(x) for x in os.listdir("/proc/self/task")}
        inference = [a for a in map(inference_thread_affinity, threads) if a is not None]
        assert inference, "no MediaPipe inference thread was found to check"
        pinned = [a for a in inference if a != everyone]
        assert not pinned, f"{len(pinned)} inference threads pinned to one core"
    finally:
        est.close()


def test_a_one_video_estimator_keeps_no_spare_and_still_resets_at_a_cut():
    """``analyze`` makes an estimator for one video: no spare landmarker is held (about 70 MB
    through the whole video); a reset (a cut) then makes a fresh one on the spot, which tracks
    as a fresh landmarker does."""
    import numpy as np

    with MediaPipeEstimator(mode="video") as fresh:
        alone = track_video(SAMPLES / "side-bend-left.mp4", estimator=fresh)
        assert fresh._spare is not None  # the reused kind prepares one
    with MediaPipeEstimator(mode="video", spare=False) as est:
        track_video(SAMPLES / "flexion.mp4", estimator=est)
        assert est._spare is None
        after = track_video(SAMPLES / "side-bend-left.mp4", estimator=est)  # reset: made now
        assert est._spare is None
    np.testing.assert_allclose(after.image, alone.image, atol=1e-6, equal_nan=True)
