"""Deep-flexion trunk lines (kinematics.deep_flexion): geometry on synthetic frames and masks."""

import numpy as np
import pytest

from lumbar_rom.kinematics.angles import trunk_image_angle
from lumbar_rom.kinematics.deep_flexion import (
    back_anchored,
    dorsal_gap,
    line_angle,
    to_frame,
    trunk_angle_through,
    upright_crop,
    window_corrections,
)
from lumbar_rom.pose.landmarks import Landmark as L


def trunk(hip: tuple[float, float], shoulder: tuple[float, float], n: int = 1) -> np.ndarray:
    pts = np.full((n, 33, 3), np.nan)
    pts[:, [L.LEFT_HIP, L.RIGHT_HIP], :2] = hip
    pts[:, [L.LEFT_SHOULDER, L.RIGHT_SHOULDER], :2] = shoulder
    pts[:, [L.LEFT_EAR, L.RIGHT_EAR], :2] = 2 * np.array(shoulder) - 0.7 * np.array(hip) - (
        0.3 * np.array(shoulder))
    pts[:, [L.LEFT_KNEE, L.RIGHT_KNEE], :2] = (hip[0], hip[1] + 150)
    pts[:, :, 2] = 0.0
    return pts


def test_upright_crop_turns_the_trunk_upright_and_maps_back():
    pts = trunk((100.0, 300.0), (250.0, 250.0))[0]
    a = float(trunk_image_angle(pts[None])[0])
    assert a == pytest.approx(71.57, abs=0.01)
    crop, affine = upright_crop(np.zeros((480, 640, 3), np.uint8), pts, a)
    moved = pts.copy()
    moved[:, :2] = pts[:, :2] @ affine[:, :2].T + affine[:, 2]
    assert float(trunk_image_angle(moved[None])[0]) == pytest.approx(0.0, abs=1e-6)
    seen = moved[np.isfinite(moved[:, 0]), :2]
    assert (seen > 0).all() and (seen < crop.shape[0]).all()  # the body lies inside the crop
    assert np.nanmax(np.abs(to_frame(moved, affine) - pts)) < 1e-9


def test_dorsal_gap_inside_and_outside_the_body():
    mask = np.zeros((200, 200), np.float32)
    mask[50:150, 60:120] = 1.0
    up = np.array([0.0, -1.0])  # pixel rows 50..149 are the body: its edge lies at y = 49.5
    assert dorsal_gap(mask, np.array([90.0, 60.0]), up, 40) == pytest.approx(10.5, abs=0.6)
    assert dorsal_gap(mask, np.array([90.0, 45.0]), up, 40) == pytest.approx(-4.5, abs=0.6)
    assert np.isnan(dorsal_gap(mask, np.array([90.0, 100.0]), up, 20))  # no edge within reach
    assert np.isnan(dorsal_gap(mask, np.array([np.nan, 60.0]), up, 40))


def test_back_anchored_undoes_a_ventral_slide_of_the_shoulder():
    # side view, figure facing the image right: its back is toward the image left (x = 100)
    mask = np.zeros((480, 300), np.float32)
    mask[100:400, 100:160] = 1.0
    neutral = trunk((130.0, 380.0), (130.0, 120.0), n=3)
    slid = trunk((130.0, 380.0), (145.0, 120.0))  # shoulder 15 px toward the belly
    image = np.concatenate([neutral, slid])
    assert float(trunk_image_angle(slid)[0]) == pytest.approx(3.30, abs=0.01)
    fixed = back_anchored(image, [mask] * 4, np.arange(3), facing=1.0)
    assert line_angle(fixed)[-1] == pytest.approx(0.0, abs=0.3)
    assert fixed[-1, 0] == pytest.approx([130.0, 380.0], abs=0.5)  # the hip had not moved
    with pytest.raises(ValueError, match="masks"):
        back_anchored(image, [mask], np.arange(3), facing=1.0)


def test_trunk_axis_through_collinear_points_is_the_trunk_line():
    pts = trunk((100.0, 300.0), (180.0, 200.0))
    pts[:, [L.LEFT_EAR, L.RIGHT_EAR], :2] = (220.0, 150.0)  # on the same line
    assert trunk_angle_through(pts)[0] == pytest.approx(trunk_image_angle(pts)[0], abs=1e-6)
    pts[:, [L.LEFT_EAR, L.RIGHT_EAR], :2] = np.nan
    assert np.isnan(trunk_angle_through(pts)[0])


def test_window_corrections_take_the_slide_off_each_peak():
    mask = np.zeros((480, 300), np.float32)
    mask[100:400, 100:160] = 1.0
    neutral = trunk((130.0, 380.0), (130.0, 120.0), n=3)
    slid = trunk((130.0, 380.0), (145.0, 120.0), n=2)
    lost = trunk((130.0, 380.0), (130.0, 120.0), n=2)
    image = np.concatenate([neutral, slid, lost])
    masks = [mask] * 5 + [np.zeros_like(mask)] * 2  # the last window finds no body
    d = window_corrections(image, masks, np.arange(3), [np.array([3, 4]), np.array([5, 6])], 1.0)
    assert d[0] == pytest.approx(-3.30, abs=0.3)
    assert np.isnan(d[1])


def test_keeper_keeps_upright_and_deep_frames_only_and_bounded():
    from lumbar_rom.kinematics.deep_flexion import PeakFrameKeeper

    keeper = PeakFrameKeeper(max_frames=3, max_side=320)
    rgb = np.full((640, 360, 3), 120, np.uint8)
    upright = trunk((180.0, 400.0), (180.0, 200.0))[0]
    halfway = trunk((180.0, 400.0), (300.0, 300.0))[0]  # 50 deg: deep
    leaning = trunk((180.0, 400.0), (260.0, 230.0))[0]  # 25 deg: neither
    keeper.put(0, rgb, 1.0, upright)
    keeper.put(1, rgb, 1.0, leaning)
    keeper.put(2, rgb, 1.0, halfway)
    keeper.put(3, rgb, 1.0, None)
    assert len(keeper) == 2 and keeper.frame(1) is None and keeper.frame(3) is None
    assert 0 in keeper and 2 in keeper and 1 not in keeper and 3 not in keeper
    got = keeper.frame(2)
    assert got is not None
    small, scale = got
    assert small.shape == (320, 180, 3) and scale == pytest.approx(0.5)
    assert abs(int(small[100, 90, 0]) - 120) <= 3  # the JPEG keeps the picture
    for i in range(4, 8):
        keeper.put(i, rgb, 1.0, upright)
    assert len(keeper) == 3  # bounded



def test_keeper_holds_few_full_frames_while_its_helper_is_busy():
    """A busy helper (a people count) must not let 1080p frames pile up behind it: past
    ``max_waiting`` they are shrunk on the caller's thread, and every frame is still kept,
    with the same picture and scale as when the helper is free."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from lumbar_rom.kinematics.deep_flexion import PeakFrameKeeper

    rgb = np.full((1080, 608, 3), 90, np.uint8)
    rgb[200:800, 250:350] = 200
    upright = trunk((300.0, 700.0), (300.0, 350.0))[0]
    free = PeakFrameKeeper(max_side=320)
    free.put(0, rgb, 0.5, upright)
    keeper = PeakFrameKeeper(max_side=320, max_waiting=2)
    gate = threading.Event()
    with ThreadPoolExecutor(max_workers=1) as helper:
        helper.submit(gate.wait, 10.0)  # the helper is busy
        frames = [rgb.copy() for _ in range(8)]
        for i, f in enumerate(frames):
            keeper.put_on(helper, i, f, 0.5, upright)
        queued = [f for f in keeper._pending if not f.done()]
        assert keeper._waiting == 2 and len(queued) == 8  # 2 full-size, 6 shrunk, all queued
        gate.set()
        assert len(keeper) == 8 and keeper._waiting == 0
    want, want_scale = free.frame(0)
    for i in range(8):
        got, scale = keeper.frame(i)
        assert scale == pytest.approx(want_scale)
        np.testing.assert_array_equal(got, want)


def _trial(peaks, movement="flexion", view="side"):
    from lumbar_rom.assessment.trial import Posture, Repetition, TrialResult
    from lumbar_rom.kinematics.view import ViewEstimate

    t = np.arange(0, 10, 0.1)
    reps = tuple(Repetition(1.0 + 2 * k, 2.0 + 2 * k, 3.0 + 2 * k, p, 0.5)
                 for k, p in enumerate(peaks))
    return TrialResult(movement, "ok", float(np.mean(peaks)), 5.0, "rule", reps,
                       tuple(range(len(peaks))), float(np.ptp(peaks)),
                       ViewEstimate(view, 85.0, 0.9), (0.0, 0.9), 0.0, Posture(), (),
                       {}, t, np.zeros_like(t))


def test_with_deep_flexion_moves_the_peaks_and_says_so():
    from lumbar_rom.assessment.trial import with_deep_flexion

    trial = _trial([92.0, 94.0, 93.0])
    fixed = with_deep_flexion(trial, np.array([-3.0, -4.0, -3.5]))
    assert fixed.value_deg == pytest.approx(89.5)
    assert [r.peak_deg for r in fixed.repetitions] == pytest.approx([89.0, 90.0, 89.5])
    assert fixed.extras["deep_flexion_corrected"] == 1.0
    assert fixed.extras["deep_flexion_correction_deg"] == pytest.approx(-3.5)
    # one window without a correction: nothing changed, and the result says so
    kept = with_deep_flexion(trial, np.array([-3.0, np.nan, -3.5]))
    assert kept.value_deg == trial.value_deg and kept.extras["deep_flexion_corrected"] == 0.0
    # flexion filmed from the front: not corrected, and marked so; other motions: untouched
    front = with_deep_flexion(_trial([92.0, 94.0, 93.0], view="front"), np.array([-3.0] * 3))
    assert front.value_deg == 93.0 and front.extras["deep_flexion_corrected"] == 0.0
    ext = _trial([20.0, 21.0, 22.0], movement="extension")
    assert with_deep_flexion(ext, np.array([-3.0, -4.0, -3.5])) is ext


def test_a_dark_frame_is_masked_again_with_its_contrast_stretched():
    from lumbar_rom.pose.masks import PersonMasker, stretched

    dark = np.full((40, 30, 3), 20, np.uint8)
    dark[10:30, 10:20] = 60
    s = stretched(dark)
    assert s.min() == 0 and s.max() == 255 and s[20, 15, 0] == 255 and s[0, 0, 0] == 0

    class Found:
        def __init__(self, shape):
            self.shape = shape

        def numpy_view(self):
            return np.ones(self.shape, np.float32)

    class Landmarker:  # finds somebody only in a bright enough picture
        def __init__(self):
            self.seen = []

        def detect(self, img):
            rgb = img.numpy_view()
            self.seen.append(float(rgb.mean()))
            masks = [Found(rgb.shape[:2])] if rgb.max() > 200 else []
            return type("R", (), {"segmentation_masks": masks})()

    m = PersonMasker.__new__(PersonMasker)
    m._lm, m._mp, m._closed = Landmarker(), __import__("mediapipe"), False
    assert m.mask(dark).min() == 1.0  # found on the second try
    assert len(m._lm.seen) == 2 and m._lm.seen[1] > m._lm.seen[0]
    m._lm.seen.clear()
    assert m.mask(np.full((40, 30, 3), 20, np.uint8)).max() == 0.0  # nobody: zeros
    assert len(m._lm.seen) == 2
    bright = np.full((40, 30, 3), 230, np.uint8)
    m._lm.seen.clear()
    assert m.mask(bright).min() == 1.0 and len(m._lm.seen) == 1  # found at once: one call
