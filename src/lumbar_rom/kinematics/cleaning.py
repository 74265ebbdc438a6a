"""Cleaning of landmark or angle series: NaN-aware, frame-rate aware.

Order for recorded files (as Sports2D/Pose2Sim do): low visibility -> NaN, interpolate short gaps,
Hampel outlier rejection, zero-phase low-pass on each contiguous valid run. For the live camera,
:class:`OneEuroFilter` is the causal counterpart. Every function takes arrays of shape ``(T, ...)``
(time first) and returns a new array of the same shape; NaN means missing and is never replaced by
0. Gaps longer than ``max_gap_s`` and NaN at the ends stay NaN.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from scipy.signal import butter, sosfiltfilt


def mask_low_visibility(points: np.ndarray, visibility: np.ndarray,
                        threshold: float = 0.5) -> np.ndarray:
    """Set landmarks whose visibility is below ``threshold`` to NaN.

    ``points (T, K, D), visibility (T, K) -> (T, K, D)``. NaN visibility counts as missing.
    """
    out = np.array(points, dtype=float, copy=True)
    out[~(visibility >= threshold)] = np.nan
    return out


def runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """``(start, stop)`` index pairs (stop exclusive) of the True runs of a 1-D bool array.

    ``mask (T,) -> [(start, stop), ...]`` in order; ``runs([0, 1, 1, 0, 1]) == [(1, 3), (4, 5)]``.
    """
    d = np.diff(np.concatenate([[0], np.asarray(mask).astype(np.int8), [0]]))
    return [(int(a), int(b)) for a, b in zip(np.flatnonzero(d == 1), np.flatnonzero(d == -1),
                                             strict=True)]


def interpolate_gaps(x: np.ndarray, time_s: np.ndarray, max_gap_s: float = 0.25) -> np.ndarray:
    """Linearly fill interior NaN gaps lasting at most ``max_gap_s`` seconds (per column).

    ``x (T, ...)``, ``time_s (T,)`` -> ``(T, ...)``. Gaps at the start or end are left NaN.
    """
    x = np.array(x, dtype=float, copy=True)
    flat = x.reshape(len(x), -1)
    for j in range(flat.shape[1]):
        col = flat[:, j]
        bad = np.isnan(col)
        if not bad.any() or bad.all():
            continue
        for start, stop in runs(bad):
            if start == 0 or stop == len(col):
                continue
            if time_s[stop] - time_s[start - 1] <= max_gap_s + 1e-9:
                col[start:stop] = np.interp(time_s[start:stop], [time_s[start - 1], time_s[stop]],
                                            [col[start - 1], col[stop]])
    return x


def hampel_half_window(fps: float, window_s: float = 0.3) -> int:
    """Hampel half-width in frames for a window of ``window_s`` seconds (at least 1)."""
    return max(1, int(round(window_s * fps / 2)))


def _nanmedian_last(a: np.ndarray) -> np.ndarray:
    """``np.nanmedian(a, axis=-1)`` (NaN for an all-NaN row), by one sort: NaN sorts last, so
    the median of a row's ``n`` finite values sits at ``(n - 1) // 2`` and ``n // 2``. Several
    times faster than ``np.nanmedian``, which falls back to masked arrays when NaN is present."""
    srt = np.sort(a, axis=-1)
    n = np.sum(~np.isnan(a), axis=-1)
    lo = np.take_along_axis(srt, np.maximum(n - 1, 0)[..., None] // 2, axis=-1)[..., 0]
    hi = np.take_along_axis(srt, (n // 2)[..., None], axis=-1)[..., 0] if a.shape[-1] else lo
    return np.where(n > 0, 0.5 * (lo + hi), np.nan)


def hampel(x: np.ndarray, half_window: int, n_sigmas: float = 3.0) -> np.ndarray:
    """Replace outliers by the rolling median (NaN-aware Hampel filter).

    A sample is an outlier when it is further than ``n_sigmas`` scaled MADs from the median of the
    ``2 * half_window + 1`` samples around it. ``x (T, ...) -> (T, ...)``; NaN stays NaN.
    """
    x = np.asarray(x, dtype=float)
    flat = x.reshape(len(x), -1)
    padded = np.pad(flat, ((half_window, half_window), (0, 0)), constant_values=np.nan)
    win = sliding_window_view(padded, 2 * half_window + 1, axis=0)  # (T, C, W)
    med = np.empty_like(flat)
    mad = np.empty_like(flat)
    # in blocks of frames: the (block, C, W) temporaries stay ~16 MB however long the video
    step = max(1, 2**21 // max(1, win.shape[1] * win.shape[2]))
    with np.errstate(all="ignore"):
        for a in range(0, len(flat), step):
            w = win[a:a + step]
            m = _nanmedian_last(w)
            med[a:a + step] = m
            mad[a:a + step] = 1.4826 * _nanmedian_last(np.abs(w - m[..., None]))
    out = flat.copy()
    outlier = np.abs(flat - med) > n_sigmas * mad
    outlier &= mad > 0
    out[outlier] = med[outlier]
    return out.reshape(x.shape)


def lowpass(x: np.ndarray, fps: float, cutoff_hz: float = 6.0, order: int = 4) -> np.ndarray:
    """Zero-phase Butterworth low-pass on each contiguous valid run of each column.

    Runs too short for the filter's padding are left as they are. ``x (T, ...) -> (T, ...)``.
    A cutoff at or above Nyquist leaves the data unchanged.
    """
    x = np.asarray(x, dtype=float)
    if cutoff_hz >= 0.5 * fps:
        return x.copy()
    sos = butter(order, cutoff_hz, fs=fps, output="sos")
    padlen = 3 * (2 * len(sos) + 1)
    flat = x.reshape(len(x), -1).copy()
    # columns with the same missing frames (a landmark's x, y, z; most landmarks when the
    # person is out of view) are filtered together: one call per run and group, not per column
    valid = ~np.isnan(flat)
    groups: dict[bytes, list[int]] = {}
    for j in range(flat.shape[1]):
        groups.setdefault(np.packbits(valid[:, j]).tobytes(), []).append(j)
    for cols in groups.values():
        for start, stop in runs(valid[:, cols[0]]):
            if stop - start > padlen:
                flat[start:stop, cols] = sosfiltfilt(sos, flat[start:stop, cols], axis=0,
                                                     padlen=padlen)
    return flat.reshape(x.shape)


@dataclass(frozen=True)
class CleaningSettings:
    """Defaults for :func:`clean` (one place)."""

    visibility_threshold: float = 0.5
    max_gap_s: float = 0.25
    hampel_window_s: float = 0.3
    hampel_sigmas: float = 3.0
    cutoff_hz: float = 6.0


DEFAULT_CLEANING = CleaningSettings()


def clean(points: np.ndarray, time_s: np.ndarray, visibility: np.ndarray | None = None,
          settings: CleaningSettings = DEFAULT_CLEANING) -> np.ndarray:
    """The offline chain: visibility mask -> short-gap interpolation -> Hampel -> low-pass.

    ``points (T, K, D)`` (or ``(T, ...)`` without visibility), ``time_s (T,)`` -> same shape.
    """
    fps = 1.0 / float(np.median(np.diff(time_s))) if len(time_s) > 1 else 30.0
    x = points if visibility is None else mask_low_visibility(
        points, visibility, settings.visibility_threshold)
    x = interpolate_gaps(x, time_s, settings.max_gap_s)
    x = hampel(x, hampel_half_window(fps, settings.hampel_window_s), settings.hampel_sigmas)
    return lowpass(x, fps, settings.cutoff_hz)


class OneEuroFilter:
    """Causal One Euro filter (Casiez et al., CHI 2012) for live streams.

    Works on arrays of any fixed shape; NaN samples pass through as NaN and do not disturb the
    state. ``min_cutoff`` (Hz) sets smoothing at rest, ``beta`` how fast it opens with speed.
    """

    def __init__(self, min_cutoff: float = 1.0, beta: float = 0.05, d_cutoff: float = 1.0):
        self.min_cutoff, self.beta, self.d_cutoff = min_cutoff, beta, d_cutoff
        self._x: np.ndarray | None = None
        self._dx: np.ndarray | None = None
        self._t: float | None = None

    @staticmethod
    def _alpha(cutoff: np.ndarray | float, dt: float) -> np.ndarray:
        tau = 1.0 / (2 * np.pi * np.asarray(cutoff))
        return 1.0 / (1.0 + tau / dt)

    def __call__(self, x: np.ndarray, t: float) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        if self._x is None or self._t is None or t <= self._t:
            self._x = x.copy()
            self._dx = np.zeros_like(x)
            self._t = t
            return x.copy()
        dt = t - self._t
        self._t = t
        prev = np.where(np.isnan(self._x), x, self._x)
        dx = (x - prev) / dt
        a_d = self._alpha(self.d_cutoff, dt)
        dx_hat = np.asarray(np.where(np.isnan(dx), self._dx, a_d * dx + (1 - a_d) * self._dx))
        cutoff = self.min_cutoff + self.beta * np.abs(dx_hat)
        a = self._alpha(cutoff, dt)
        x_hat = a * x + (1 - a) * prev
        out = np.where(np.isnan(x), np.nan, x_hat)
        self._x = np.where(np.isnan(x), self._x, x_hat)
        self._dx = dx_hat
        return out
