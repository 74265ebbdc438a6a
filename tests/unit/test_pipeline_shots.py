"""Cuts and frames without a body in the pipeline (issue 11, item 3): tracking restarts at each
cut, and the shots without a full body (a title card, a close-up) are NaN and left out."""

import json

import numpy as np
import pytest

from lumbar_rom import pipeline
from lumbar_rom.pipeline import analyze_sequence, analyze_video, track_video
from lumbar_rom.pose.estimator import FramePose
from lumbar_rom.studio.patterns import title_card
from lumbar_rom.video.shots import (
    META_KEY,
    Shot,
    content_differences,
    cuts_from_differences,
    mark_cuts,
    shots_from_json,
)
from tests.fixtures.fakes import FakeEstimator
from tests.fixtures.skeleton import make_trial
from tests.fixtures.videos import make_video

W, H = 160, 120
LEAD, BODY, TRAIL = 5, 20, 5  # title card, the person, logo card (frames)


class CountingFake(FakeEstimator):
    """A FakeEstimator with ``reset``: records after how many frames each reset came. On the
    frames in ``spurious`` it "finds" a tiny person in a corner (as a landmarker may on a card)."""

    def __init__(self, spurious: set[int] | None = None) -> None:
        super().__init__()
        self.spurious = spurious or set()
        self.resets: list[int] = []

    def reset(self) -> None:
        self.resets.append(len(self.calls))

    def process(self, rgb, timestamp_ms):
        i = len(self.calls)
        pose = super().process(rgb, timestamp_ms)
        if i in self.spurious and pose is not None:
            small = pose.image.copy()
            small[:, :2] *= 0.15
            return FramePose(small, pose.world, 0.6 * pose.visibility, timestamp_ms)
        return pose


def body_frame(i: int) -> np.ndarray:
    """A wall, a floor and a dark figure drifting a pixel every other frame."""
    img = np.full((H, W, 3), (200, 200, 195), np.uint8)
    img[int(0.8 * H):] = (150, 140, 130)
    x = W // 3 + i // 2
    img[H // 5:4 * H // 5, x:x + W // 6] = (60, 40, 90)
    return img


def carded_video(path):
    card = title_card(W, H, "BACK MOBILITY\nweek 3")
    logo = title_card(W, H, "FITGYM")
    frames = [card] * LEAD + [body_frame(i) for i in range(BODY)] + [logo] * TRAIL
    return make_video(path, n_frames=len(frames), width=W, height=H, frames=frames)


def test_streaming_cuts_match_the_batch_rule_and_lag_two_frames():
    frames = [title_card(W, H, "A")] * 4 + [body_frame(i) for i in range(9)] + \
        [title_card(W, H, "B")] * 3
    batch = cuts_from_differences(content_differences(frames)).tolist()
    seen: list[int] = []

    def fed(items):
        for k, f in enumerate(items):
            seen.append(k)
            yield k, f

    out = []
    for (k, _), cut in mark_cuts(fed(frames), lambda item: item[1]):
        assert len(seen) == min(len(frames), k + 3)  # two frames of look-ahead, never more
        out.append((k, cut))
    assert [k for k, _ in out] == list(range(len(frames)))
    assert [k for k, cut in out if cut] == batch == [4, 13]


def test_tracking_restarts_at_each_cut_and_card_frames_are_nan(tmp_path):
    path = carded_video(tmp_path / "cards.mp4")
    cards = set(range(LEAD)) | set(range(LEAD + BODY, LEAD + BODY + TRAIL))
    fake = CountingFake(spurious=cards)
    seq = track_video(path, estimator=fake, max_side=None)
    # a fresh landmarker for the clip, then before the first frame of each new shot
    assert fake.resets == [0, LEAD, LEAD + BODY]
    assert len(fake.calls) == seq.n_frames == LEAD + BODY + TRAIL
    card = np.zeros(seq.n_frames, bool)
    card[sorted(cards)] = True
    assert np.isnan(seq.image[card]).all() and np.isnan(seq.world[card]).all()
    assert np.isnan(seq.visibility[card]).all()
    assert not np.isnan(seq.image[~card]).any()  # the person's shot is kept whole
    assert shots_from_json(seq.meta[META_KEY]) == (
        Shot(0, LEAD, False), Shot(LEAD, LEAD + BODY, True),
        Shot(LEAD + BODY, LEAD + BODY + TRAIL, False))


def test_a_clip_without_cuts_is_tracked_without_restarts_or_shots(tmp_path):
    path = make_video(tmp_path / "one.mp4", n_frames=12, width=W, height=H,
                      frames=[body_frame(i) for i in range(12)])
    fake = CountingFake(spurious={3})
    seq = track_video(path, estimator=fake, max_side=None)
    assert fake.resets == [0]
    assert META_KEY not in seq.meta
    assert not np.isnan(seq.image[3]).any()  # a single shot is never changed


def test_cut_clip_is_decoded_once_and_its_shots_are_in_result_json(tmp_path, monkeypatch):
    path = carded_video(tmp_path / "cards.mp4")
    decoded: dict[str, int] = {}
    real = pipeline.iter_frames

    def counting(p, *a, **k):
        for f in real(p, *a, **k):
            decoded[str(p)] = decoded.get(str(p), 0) + 1
            yield f

    monkeypatch.setattr(pipeline, "iter_frames", counting)
    out = tmp_path / "out"
    cards = set(range(LEAD)) | set(range(LEAD + BODY, LEAD + BODY + TRAIL))
    analysis = analyze_video(path, "auto", estimator=CountingFake(spurious=cards), out_dir=out)
    assert decoded[str(path)] == LEAD + BODY + TRAIL
    result = json.loads((out / "result.json").read_text())
    assert [(s["start_frame"], s["stop_frame"], s["full_body"], s["left_out"])
            for s in result["shots"]] == [(0, LEAD, False, True),
                                           (LEAD, LEAD + BODY, True, False),
                                           (LEAD + BODY, LEAD + BODY + TRAIL, False, True)]
    assert result["excluded_frames"] == [[0, LEAD], [LEAD + BODY, LEAD + BODY + TRAIL]]
    note = [f.message for f in analysis.trials[0].flags if f.code == "shots"]
    assert note and "3 shots" in note[0] and "Left out" in note[0]


# ---- analysis: a close-up over the second repetition -------------------------------------------


def close_up_trial():
    """A side-view flexion of 60, 62, 61 deg whose second repetition is filmed as a close-up
    (the image zoomed 3x about the chest: the hips fall below the frame), and the cuts."""
    seq = make_trial("flexion", [60, 62, 61], "side", noise_px=0.5)
    rep = 30 + 18 + 30 + 18  # rise, hold, fall, rest (frames at 30 fps)
    r2, r3 = 45 + rep, 45 + 2 * rep
    image = seq.image.copy()
    image[r2:r3, :, :2] = (image[r2:r3, :, :2] - [360, 200]) * 3.0 + [360, 200]
    return seq.__class__(seq.time_s, image, seq.world, seq.visibility, seq.frame_size,
                         seq.source), [r2, r3]


def test_a_close_up_does_not_count_against_the_trial():
    seq, cuts = close_up_trial()
    blocked = analyze_sequence(seq, "flexion").trials[0]
    assert blocked.status == "inconclusive"  # what happened before shots were left out
    assert "out_of_frame" in [f.code for f in blocked.flags]

    kept = pipeline._leave_out_shots(seq, cuts)
    assert np.isnan(kept.image[cuts[0]:cuts[1]]).all()
    assert not np.isnan(kept.image[:cuts[0]]).any() and not np.isnan(kept.image[cuts[1]:]).any()
    trial = analyze_sequence(kept, "flexion").trials[0]
    assert trial.status == "ok", [(f.code, f.message) for f in trial.flags]
    assert len(trial.repetitions) == 2  # the close-up's repetition is not measured
    assert trial.value_deg == pytest.approx(60.5, abs=0.8)
    note = next(f.message for f in trial.flags if f.code == "shots")
    assert "cuts at 4.7 s and 7.9 s" in note and "4.7-7.9 s" in note


def test_no_auto_trial_is_built_from_the_close_up():
    seq, cuts = close_up_trial()
    analysis = analyze_sequence(pipeline._leave_out_shots(seq, cuts), "auto")
    assert [t.movement for t in analysis.trials] == ["flexion"]
    assert analysis.trials[0].status == "ok"
    for trial, off in zip(analysis.trials, analysis.offsets, strict=True):
        covered = np.arange(off, off + len(trial.time_s))
        inside = (covered >= cuts[0]) & (covered < cuts[1])
        assert np.isnan(trial.excursion_deg[inside]).all()  # nothing measured in the close-up


def test_a_slice_of_a_cut_clip_does_not_reuse_the_clip_s_frame_indices():
    seq, cuts = close_up_trial()
    part = pipeline._leave_out_shots(seq, cuts).slice(cuts[0] - 40, seq.n_frames)
    trial = analyze_sequence(part, "flexion").trials[0]
    assert "shots" not in [f.code for f in trial.flags]  # the shots no longer line up


def test_a_low_contrast_cut_counts_but_tripled_frames_do_not():
    flat = np.full(30, 0.22)
    flat[[10, 20]] = 13.9  # the close-up cut of a plain rendered wall at 4.5 m
    assert cuts_from_differences(flat).tolist() == [10, 20]
    tripled = np.zeros(30)
    tripled[3::3] = 3.3  # 10 fps stored at 30: every third frame moves, the others repeat
    assert cuts_from_differences(tripled).size == 0
