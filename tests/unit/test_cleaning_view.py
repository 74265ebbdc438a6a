import numpy as np
import pytest

from lumbar_rom.kinematics.cleaning import (
    OneEuroFilter,
    hampel,
    interpolate_gaps,
    lowpass,
    mask_low_visibility,
)
from lumbar_rom.kinematics.view import classify_view, wrap_90
from tests.fixtures.skeleton import Pose3D, body, project

T = np.arange(20) / 10.0  # 10 fps


def test_mask_low_visibility():
    pts = np.ones((2, 3, 2))
    vis = np.array([[0.9, 0.2, np.nan], [0.5, 0.51, 0.0]])
    out = mask_low_visibility(pts, vis, 0.5)
    assert np.isnan(out[0, 1]).all() and np.isnan(out[0, 2]).all() and np.isnan(out[1, 2]).all()
    assert (out[0, 0] == 1).all() and (out[1, 0] == 1).all()


def test_interpolate_only_short_interior_gaps():
    x = np.arange(20, dtype=float)
    x[[0, 1]] = np.nan  # start: stays NaN
    x[5:7] = np.nan  # 2 frames = 0.3 s span -> filled
    x[10:15] = np.nan  # 5 frames -> too long for 0.25 s
    x[19] = np.nan  # end: stays NaN
    out = interpolate_gaps(x, T, max_gap_s=0.3)
    assert np.isnan(out[:2]).all() and np.isnan(out[19])
    np.testing.assert_allclose(out[5:7], [5, 6])
    assert np.isnan(out[10:15]).all()


def test_hampel_replaces_a_spike_and_keeps_the_rest():
    rng = np.random.default_rng(0)
    x = np.sin(np.linspace(0, 3, 50)) * 10 + rng.normal(0, 0.1, 50)
    spiked = x.copy()
    spiked[25] += 30
    spiked[40] = np.nan
    out = hampel(spiked, half_window=3)
    assert abs(out[25] - x[25]) < 1.0
    assert np.isnan(out[40])
    keep = np.r_[0:24, 27:40]
    np.testing.assert_allclose(out[keep], spiked[keep], atol=0.5)


def test_lowpass_is_zero_phase_and_respects_nan_runs():
    fps = 60.0
    t = np.arange(240) / fps
    slow = 20 * np.sin(2 * np.pi * 0.5 * t)
    noisy = slow + 2 * np.sin(2 * np.pi * 20 * t)
    noisy[100:103] = np.nan
    out = lowpass(noisy, fps, cutoff_hz=6)
    assert np.isnan(out[100:103]).all()
    away = np.r_[30:70, 133:210]  # away from both ends of each valid run
    assert np.max(np.abs(out[away] - slow[away])) < 1.0
    # zero phase: the peak stays where it was
    assert abs(np.argmax(out[:90]) - np.argmax(slow[:90])) <= 1


def test_lowpass_leaves_short_runs_alone():
    x = np.array([1.0, 5.0, 1.0, np.nan, 2.0])
    np.testing.assert_array_equal(lowpass(x, 30.0), x)


def test_one_euro_is_causal_smooth_and_nan_safe():
    f = OneEuroFilter(min_cutoff=1.0, beta=0.0)
    rng = np.random.default_rng(1)
    out = [f(np.array([10 + rng.normal(0, 1)]), i / 30) for i in range(60)]
    out.append(f(np.array([np.nan]), 60 / 30))
    vals = np.array(out[:-1]).ravel()
    assert np.std(vals[30:]) < 0.6  # smoother than the input's SD of 1
    assert np.isnan(out[-1]).all()
    assert f(np.array([10.0]), 61 / 30)[0] == pytest.approx(10.0, abs=1.5)


@pytest.mark.parametrize(("yaw", "expect"), [(0.0, "front"), (8.0, "front"), (90.0, "side"),
                                             (-90.0, "side"), (40.0, "oblique"),
                                             (180.0, "back")])
def test_view_classifier(yaw, expect):
    img, world = project(body(Pose3D()), yaw)
    est = classify_view(img[None], world[None])
    assert est.view == expect
    assert est.off_front_deg == pytest.approx(min(abs(yaw) % 180, 180 - abs(yaw) % 180), abs=1e-6)


def test_wrap_90():
    np.testing.assert_allclose(wrap_90(np.array([0, 90.0, 100, -100, 180, 270])),
                               [0, -90, -80, 80, 0, -90])


def test_runs_gives_start_stop_pairs():
    from lumbar_rom.kinematics.cleaning import runs

    assert runs(np.array([0, 1, 1, 0, 1], bool)) == [(1, 3), (4, 5)]
    assert runs(np.zeros(4, bool)) == []
    assert runs(np.ones(3, bool)) == [(0, 3)]


def test_cleaning_touches_only_the_landmarks_the_analysis_reads(monkeypatch):
    from lumbar_rom.kinematics import cleaned as C
    from lumbar_rom.kinematics.cleaning import clean
    from tests.fixtures.skeleton import make_trial

    seq = make_trial("flexion", [60, 60, 60], "side", noise_px=1.0)
    shapes = []

    def spy(points, time_s, visibility=None, settings=C.DEFAULT_CLEANING):
        shapes.append(points.shape)
        return clean(points, time_s, visibility, settings)

    monkeypatch.setattr(C, "clean", spy)
    kin = C.CleanedPose.from_sequence(seq)
    used = list(C.CLEANED_LANDMARKS)
    unused = [j for j in range(33) if j not in used]
    assert len(used) == 21 and len(unused) == 12
    # only the used landmarks are handed to the cleaning, image and world once each
    assert shapes == [(seq.n_frames, len(used), 3)] * 2
    assert np.isnan(kin.image[:, unused]).all() and np.isnan(kin.world[:, unused]).all()
    # each landmark is cleaned on its own: the same numbers as cleaning all 33
    full = clean(seq.image, seq.time_s, seq.visibility)
    np.testing.assert_array_equal(kin.image[:, used], full[:, used])
    assert not kin.image.flags.writeable
    part = kin.slice(10, 40)
    assert part.n_frames == 30 and part.seq.n_frames == 30
    np.testing.assert_array_equal(part.image, kin.image[10:40])
