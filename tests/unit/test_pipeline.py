from dataclasses import replace

import numpy as np
import pytest

from lumbar_rom.errors import NoPersonError
from lumbar_rom.pipeline import Timing, track_video
from lumbar_rom.pose.estimator import PoseEstimator
from lumbar_rom.video.reader import iter_frames
from tests.fixtures.fakes import FakeEstimator
from tests.fixtures.videos import make_video


def test_fake_satisfies_the_interface():
    assert isinstance(FakeEstimator(), PoseEstimator)


def test_missing_frames_are_nan_and_timestamps_increase(tmp_path):
    path = make_video(tmp_path / "v.mp4", n_frames=8)
    fake = FakeEstimator(missing={2, 5})
    seq = track_video(path, estimator=fake, max_side=None)
    assert seq.n_frames == 8
    assert seq.detected.tolist() == [True, True, False, True, True, False, True, True]
    assert np.isnan(seq.image[2]).all() and np.isnan(seq.world[5]).all()
    stamps = [ts for _, ts in fake.calls]
    assert stamps == sorted(set(stamps))
    assert not fake.closed  # a caller's estimator stays open


def test_landmarks_are_mapped_back_to_full_size(tmp_path):
    path = make_video(tmp_path / "big.mp4", n_frames=3, width=320, height=240)
    fake = FakeEstimator()
    seq = track_video(path, estimator=fake, max_side=160)
    assert fake.calls[0][0] == (120, 160, 3)  # inference saw the small frame
    assert seq.frame_size == (320, 240)
    # the landmarks are kept as float32 (PoseRecorder)
    np.testing.assert_allclose(seq.image[0, :, 0], fake.frac[:, 0] * 320, rtol=1e-6)
    np.testing.assert_allclose(seq.image[0, :, 1], fake.frac[:, 1] * 240, rtol=1e-6)


def test_no_person_anywhere(tmp_path):
    path = make_video(tmp_path / "empty.mp4", n_frames=4)
    with pytest.raises(NoPersonError, match="No person was found"):
        track_video(path, estimator=FakeEstimator(missing={0, 1, 2, 3}))


def test_annotated_video_and_timing(tmp_path):
    path = make_video(tmp_path / "v.mp4", n_frames=6, width=160, height=120)
    timing = Timing()
    out = tmp_path / "ann.mp4"
    seq = track_video(path, estimator=FakeEstimator(missing={1}), annotate_to=out,
                      annotate_max_side=80, timing=timing)
    frames = list(iter_frames(out))
    assert len(frames) == 6 and frames[0].rgb.shape == (60, 80, 3)
    assert timing.frames == 6 and timing.total_s >= timing.inference_s > 0
    np.testing.assert_allclose([f.time_s for f in frames], seq.time_s, atol=2e-3)


def test_progress_callback(tmp_path):
    path = make_video(tmp_path / "v.mp4", n_frames=5)
    seen = []
    track_video(path, estimator=FakeEstimator(), on_progress=lambda d, t: seen.append((d, t)))
    assert [d for d, _ in seen] == [1, 2, 3, 4, 5]


def test_write_outputs_builds_the_angle_table_once(tmp_path, monkeypatch):
    import json

    from lumbar_rom import pipeline

    path = make_video(tmp_path / "v.mp4", n_frames=12, width=160, height=120)
    analysis = pipeline.analyze_sequence(track_video(path, estimator=FakeEstimator()), "auto")
    calls = []
    real = pipeline.angle_table
    monkeypatch.setattr(pipeline, "angle_table", lambda a: calls.append(1) or real(a))
    paths = pipeline.write_outputs(analysis, path, tmp_path / "out")  # drawn again (no replay)
    assert len(calls) == 1
    assert len(list(iter_frames(paths["video"]))) == 12
    assert paths["captions"].read_text().startswith("WEBVTT")
    trials = json.loads(paths["result"].read_text())["trials"]
    assert [t["movement"] for t in trials] == ["unknown"]


def test_annotation_labels():
    from lumbar_rom.pipeline import excursion_labels, trunk_label

    table = {"movement": ["", "flexion", "rotation-left", "flexion"],
             "excursion_deg": [float("nan"), 42.4, 30.6, float("nan")]}
    assert excursion_labels(table) == ["", "Forward bending: 42 deg",
                                       "Turning to the left: 31 deg", ""]
    assert trunk_label(None) == "No person found"
    fake = FakeEstimator()
    pose = fake.process(np.zeros((100, 100, 3), np.uint8), 0)
    assert trunk_label(pose).startswith("Trunk ") and trunk_label(pose).endswith(" deg")


def test_frame_drawer_fits_the_frame_and_draws():
    from lumbar_rom.pipeline import frame_drawer

    rgb = np.zeros((240, 320, 3), np.uint8)
    blank = frame_drawer(None, None, None, False, 160, 120)(rgb)
    assert blank.shape == (120, 160, 3) and not blank.any()
    labelled = frame_drawer(None, None, "No person found", False, 160, 120)(rgb)
    assert labelled.any()


def _counting_decoder(monkeypatch):
    """Count the frames decoded per path through pipeline.iter_frames."""
    from lumbar_rom import pipeline

    decoded: dict[str, int] = {}
    opens: dict[str, int] = {}
    real = pipeline.iter_frames

    def counting(path, *args, **kwargs):
        opens[str(path)] = opens.get(str(path), 0) + 1
        for f in real(path, *args, **kwargs):
            decoded[str(path)] = decoded.get(str(path), 0) + 1
            yield f

    monkeypatch.setattr(pipeline, "iter_frames", counting)
    return opens, decoded


def test_analyze_decodes_the_source_once_and_cleans_once(tmp_path, monkeypatch):
    import json

    from lumbar_rom import pipeline
    from lumbar_rom.kinematics import cleaned

    path = make_video(tmp_path / "v.mp4", n_frames=20, width=160, height=120)
    opens, decoded = _counting_decoder(monkeypatch)
    cleans = []
    real_clean = cleaned.CleanedPose.from_sequence.__func__
    monkeypatch.setattr(cleaned.CleanedPose, "from_sequence", classmethod(
        lambda cls, seq, *a: cleans.append(1) or real_clean(cls, seq, *a)))
    out = tmp_path / "out"
    pipeline.analyze_video(path, "auto", estimator=FakeEstimator(), out_dir=out)
    assert opens[str(path)] == 1 and decoded[str(path)] == 20
    assert len(cleans) <= 1
    frames = list(iter_frames(out / "annotated.mp4"))
    assert len(frames) == 20 and max(frames[0].rgb.shape[:2]) == 160
    assert (out / "annotated.vtt").read_text().startswith("WEBVTT")
    assert sorted(p.name for p in out.iterdir()) == ["angles.csv", "annotated.mp4",
                                                     "annotated.vtt", "result.json"]
    assert json.loads((out / "result.json").read_text())["damaged_from_s"] is None


def test_analyze_progress_covers_the_whole_job(tmp_path):
    from lumbar_rom.pipeline import analyze_video

    path = make_video(tmp_path / "v.mp4", n_frames=12, width=160, height=120)
    seen = []
    analyze_video(path, "auto", estimator=FakeEstimator(), out_dir=tmp_path / "o",
                  on_progress=lambda d, t: seen.append((d, t)))
    done = [d for d, _ in seen]
    assert done == sorted(done) and len(seen) >= 12  # each tracked frame, then the analysis
    assert seen[-1][0] == seen[-1][1]
    assert all(d <= t for d, t in seen)
    # the tracking pass (the replay drawn in it) is TRACK_UNITS / (TRACK_UNITS + 0.5) of the
    # bar, not all of it: the analysis has its share
    assert 0.85 < seen[11][0] / seen[11][1] < 0.95


def test_a_cancelled_job_stops_and_leaves_no_thread(tmp_path):
    import threading

    from lumbar_rom.pipeline import Cancelled, analyze_video

    path = make_video(tmp_path / "v.mp4", n_frames=30, width=160, height=120)
    calls = []

    def cancel_at_5(done, total):
        calls.append(done)
        if len(calls) == 5:
            raise Cancelled()

    with pytest.raises(Cancelled, match="cancelled"):
        analyze_video(path, "auto", estimator=FakeEstimator(), out_dir=tmp_path / "o",
                      on_progress=cancel_at_5)
    assert len(calls) == 5
    for t in threading.enumerate():
        if t.name in ("video-decoder", "video-writer"):
            t.join(2)
            assert not t.is_alive()


def test_progress_keeps_beating_through_a_slow_analysis(tmp_path, monkeypatch):
    import time

    from lumbar_rom import pipeline

    path = make_video(tmp_path / "v.mp4", n_frames=40, width=160, height=120)
    real = pipeline.analyze_sequence

    def slow(*a, **k):
        time.sleep(1.6)
        return real(*a, **k)

    monkeypatch.setattr(pipeline, "analyze_sequence", slow)
    stamps, seen = [time.perf_counter()], []

    def on_progress(d, t):
        stamps.append(time.perf_counter())
        seen.append(d)

    pipeline.analyze_video(path, "auto", estimator=FakeEstimator(), on_progress=on_progress)
    stamps.append(time.perf_counter())
    assert max(b - a for a, b in zip(stamps, stamps[1:], strict=False)) < 0.8
    assert seen == sorted(seen) and len(set(seen[40:])) >= 3  # it moves during the analysis


def test_the_people_landmarker_is_released_after_the_last_count_not_at_the_end(tmp_path):
    """The people count's landmarker (about 75 MB) is closed once the last probed frame is
    counted, while the video is still being tracked (not held to the end of the tracking)."""
    import threading

    from lumbar_rom.pipeline import PROBE_AT

    n = 40
    last_probe = round(max(PROBE_AT) * (n - 1))
    released = threading.Event()
    seen_at_end: list[bool] = []

    class Counting(FakeEstimator):
        def __init__(self) -> None:
            super().__init__()
            self.counted: list[int] = []
            self.releases = 0

        def people(self, rgb):
            self.counted.append(len(self.calls))
            return []

        def release_people(self) -> None:
            self.releases += 1
            released.set()

        def process(self, rgb, timestamp_ms):
            if len(self.calls) == n - 1:  # the last frame: the release came before it
                seen_at_end.append(released.wait(5.0))
            return super().process(rgb, timestamp_ms)

    est = Counting()
    video = make_video(tmp_path / "v.mp4", n_frames=n)
    track_video(video, estimator=est)
    assert len(est.counted) == len(PROBE_AT) and last_probe < n - 1
    assert seen_at_end == [True]
    assert est.releases >= 1


def test_auto_merges_one_movement_across_a_refused_candidate_only():
    """Issue 28: two valid trials of one movement with only refused candidates between them are
    analysed again as one (the refused ones dropped when that is valid); a valid trial of another
    movement between them is never merged across; an invalid merge leaves the parts."""
    from lumbar_rom.assessment.trial import TrialResult
    from lumbar_rom.pipeline import _merged_across_refused

    def trial(movement: str, ok: bool) -> TrialResult:
        t = TrialResult.unmeasured(movement, [])
        return replace(t, status="ok", value_deg=20.0) if ok else t

    calls: list[tuple[int, int, str]] = []

    def analyse(start: int, stop: int, movement: str) -> TrialResult:
        calls.append((start, stop, movement))
        return trial(movement, True)

    sb, rot = "side-bend-left", "rotation-right"
    found = [(trial(sb, True), 0, 115), (trial(rot, False), 111, 131), (trial(sb, True), 117, 177)]
    merged = _merged_across_refused(found, analyse)
    assert calls == [(0, 177, sb)]
    assert [(t.movement, t.status, a) for t, a in merged] == [(sb, "ok", 0)]
    # a valid trial of another movement between them: nothing merged, nothing re-analysed
    calls.clear()
    between = [found[0], (trial(rot, True), 111, 131), found[2]]
    assert [t.movement for t, _ in _merged_across_refused(between, analyse)] == [sb, rot, sb]
    assert calls == []
    # the merged span not valid: the parts stay as they were
    kept = _merged_across_refused(found, lambda a, b, m: trial(m, False))
    assert [(t.movement, t.status) for t, _ in kept] == [(sb, "ok"), (rot, "inconclusive"),
                                                       (sb, "ok")]
