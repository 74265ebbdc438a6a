"""Shot boundaries and frames without a full body (issue 11, item 3)."""

import numpy as np

from lumbar_rom.studio.patterns import close_up, handheld, title_card
from lumbar_rom.video.shots import cuts_from_differences, detect_cuts, full_body_frames, shots


def scene(n=30, w=90, h=160, seed=0):
    """A wall, a floor and a dark figure drifting right a pixel a frame, ``(n, h, w, 3)``."""
    frames = np.empty((n, h, w, 3), np.uint8)
    frames[:] = (200, 200, 195)
    frames[:, int(0.8 * h):] = (150, 140, 130)
    for i in range(n):
        x = w // 3 + i // 2
        frames[i, h // 5:4 * h // 5, x:x + w // 5] = (60, 40, 90)
    return frames


def test_a_cut_to_a_close_up_and_back_gives_two_boundaries():
    frames, _ = close_up(10, 20, (0.2, 0.1, 0.8, 0.4))(scene())
    assert detect_cuts(list(frames)).tolist() == [10, 20]
    assert shots(np.array([10, 20]), 30) == [(0, 10), (10, 20), (20, 30)]


def test_title_cards_are_their_own_shots():
    body = scene(20)
    card = title_card(90, 160, "TITLE")
    frames = np.concatenate([np.repeat(card[None], 5, 0), body, np.repeat(card[None], 5, 0)])
    assert detect_cuts(list(frames)).tolist() == [5, 25]


def test_no_cut_in_handheld_shake_or_a_steady_clip():
    frames, _ = handheld(seed=3)(scene(w=360, h=640))  # the corpus' clip size
    assert detect_cuts(list(frames)).size == 0
    assert detect_cuts(list(scene())).size == 0


def test_cut_needs_to_stand_out_from_its_neighbours():
    d = np.full(20, 30.0)  # every frame changes a lot (a fast pan): no cut
    assert cuts_from_differences(d).size == 0
    d[8] = 0.9
    assert cuts_from_differences(np.r_[np.zeros(8), 40.0, np.zeros(11)]).tolist() == [8]


def trunk_sequence(n=12):
    image = np.full((n, 33, 3), np.nan)
    vis = np.full((n, 33), np.nan)
    for i in range(n):
        image[i, [11, 12], :2] = [[40, 50], [60, 50]]  # shoulders
        image[i, [23, 24], :2] = [[42, 110], [58, 110]]  # hips
        vis[i, [11, 12, 23, 24]] = 0.95
    return image, vis


def test_full_body_frames_drop_missing_out_of_frame_and_close_up():
    image, vis = trunk_sequence()
    image[2] = np.nan  # no person (a title card)
    vis[2] = np.nan
    image[5, [23, 24], 1] = 170  # hips below the bottom edge
    image[8, [11, 12], :2] = [[10, 10], [80, 10]]  # trunk twice as long: a close-up
    image[8, [23, 24], :2] = [[12, 130], [78, 130]]
    vis[10, 23] = 0.1  # a hip unseen
    ok = full_body_frames(image, vis, (100, 160))
    assert np.flatnonzero(~ok).tolist() == [2, 5, 8, 10]


def _lit(frames, gain, start):
    """``frames`` with every frame from ``start`` on ``gain`` times brighter (clipped)."""
    out = frames.astype(float)
    out[start:] *= gain
    return np.clip(out, 0, 255).astype(np.uint8)


def test_a_change_of_light_is_no_cut_and_a_new_picture_is():
    """Issue 28: the cut rule fired on real clips without a cut (a sun flare gone, the encoder's
    key frames in a dark clip, a change of exposure). A frame that keeps the picture in another
    light is no cut; a new picture still is."""
    from lumbar_rom.video.shots import MAX_SIMILARITY, MIN_CONTENT, frame_changes

    base = scene(w=180, h=320)
    for frames in (_lit(base, 1.25, 15), _lit(base, 0.6, 15)):
        diff, sim = frame_changes(list(frames))
        assert diff[15] > MIN_CONTENT
        assert cuts_from_differences(diff).tolist() == [15]  # the content rule alone: a cut
        assert sim[15] > MAX_SIMILARITY
        assert detect_cuts(list(frames)).size == 0
    other = scene(w=180, h=320)[:, ::-1].copy()  # another picture: a different room
    other[:, :120] = (90, 120, 160)
    cut = np.concatenate([base[:15], other[15:]])
    assert detect_cuts(list(cut)).tolist() == [15]


def test_the_real_clip_with_a_sun_flare_has_no_cut():
    """The committed Sports2D demo clip (benchmarks/real_clips): a sun flare in the trees comes
    and goes at 3.5 s and 3.8 s (content 15 and 19, the old rule's two cuts); one shot."""
    from pathlib import Path

    clip = (Path(__file__).resolve().parents[2] / "benchmarks" / "real_clips" / "clips"
            / "sports2d_walk_trampoline.mp4")
    assert detect_cuts(clip).size == 0
