"""The repeated-movement test (issue 30, McKenzie): about ten standing flexions or ten standing
extensions in a row; the camera counts them and measures the range of the first and the last.

Input: the same as a trial (:func:`lumbar_rom.assessment.trial.analyze_trial`): a
:class:`PoseSequence` filmed from the side and the movement ("flexion" / "extension"). The
landmarks are cleaned (:class:`CleanedPose`), the trunk angle is the trial's signal
(:func:`lumbar_rom.kinematics.angles.movement_signal`), neutral is found by the trial's
:func:`find_neutral` and the excursion by :func:`lumbar_rom.kinematics.angles.excursion`; then
:func:`count_repetitions` works on that excursion alone, so it is tested on synthetic series.

Counting (decision): short gaps (no person seen for up to ``max_gap_s``, 0.5 s) are bridged by
straight lines; longer gaps are left empty and reported (a repetition inside one may be missed:
the count is then "at least"). The peaks are the trial's (:func:`detect_repetitions`: at least
``min_peak_deg`` from neutral, a prominence of 40 % of the largest, peaks at least 0.8 s apart),
so a slow last repetition still counts once and a pause at the top does not count twice.

Range of a repetition: its end-range value as the trial defines it (plateau-aware peak).
Uncertainty (95 %) of one repetition's range: ``1.96 * sqrt(sd_camera**2 + se_neutral**2)`` with
the camera's error per motion (data/camera_error.toml, LR1) and the neutral's standard error; of
the change from the first to the last repetition: ``1.96 * sqrt(2) * sd_camera`` (the shared
neutral cancels). A change within it is reported as "no measurable change".

Design note - wiring (next session): the guided webcam test (app/live.py) records each set
(flexion, then extension) and calls :func:`analyze_repeated` on its PoseSequence; an uploaded clip
goes through :func:`lumbar_rom.pipeline.track_video` then the same call. After each set the app
asks the person's answer (``clinical.repeated``). Store: one row per set (movement, count, first
and last range with uncertainty, the answer); CLI: ``lumbar-rom repeated VIDEO --movement
flexion --answer centralised``; PDF: one line per set in the one-page summary.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from lumbar_rom.assessment.protocol import movement_spec
from lumbar_rom.assessment.trial import (
    DEFAULT_ANALYSIS,
    AnalysisSettings,
    _start_posture,  # the trial's own refusal of a start that is not upright
    detect_repetitions,
    find_neutral,
)
from lumbar_rom.data import load_toml
from lumbar_rom.kinematics import angles as A
from lumbar_rom.kinematics.cleaned import CleanedPose
from lumbar_rom.pose.sequence import PoseSequence

__all__ = ["REPEATED_MOVEMENTS", "RepeatedResult", "RepeatedSettings", "analyze_repeated",
           "bridge_gaps", "count_repetitions"]

REPEATED_MOVEMENTS = ("flexion", "extension")


@dataclass(frozen=True)
class RepeatedSettings:
    """``max_gap_s``: gaps bridged by interpolation (longer ones reported); ``expected``: the
    number of repetitions asked for (10); ``analysis``: the trial's thresholds (peaks)."""

    max_gap_s: float = 0.5
    expected: int = 10
    analysis: AnalysisSettings = DEFAULT_ANALYSIS


@dataclass(frozen=True)
class RepeatedResult:
    """One set of repeated movements.

    ``count``: repetitions found; ``at_least``: True when a long gap may hide more;
    ``peaks_deg`` / ``peak_times_s`` / ``durations_s``: per repetition (deg from neutral, s, s);
    ``first_deg`` / ``last_deg`` with ``range_uncertainty_deg`` (95 %); ``change_deg`` (last -
    first) with ``change_uncertainty_deg``; ``gaps_s``: unbridged gaps (start, end);
    ``status``: "ok" or "inconclusive" with ``message`` (one sentence for the person).
    NaN where not measured.
    """

    movement: str
    status: str
    message: str
    count: int
    at_least: bool
    peaks_deg: tuple[float, ...]
    peak_times_s: tuple[float, ...]
    durations_s: tuple[float, ...]
    first_deg: float
    last_deg: float
    range_uncertainty_deg: float
    change_deg: float
    change_uncertainty_deg: float
    gaps_s: tuple[tuple[float, float], ...] = ()

    @property
    def measurable_change(self) -> bool:
        return bool(np.isfinite(self.change_deg)
                    and abs(self.change_deg) > self.change_uncertainty_deg)


def camera_sd(movement: str) -> float:
    """The camera method's own error for ``movement`` (deg, data/camera_error.toml)."""
    return float(load_toml("camera_error.toml")[movement]["sd_deg"])


def bridge_gaps(x: np.ndarray, time_s: np.ndarray, max_gap_s: float
                ) -> tuple[np.ndarray, list[tuple[float, float]]]:
    """Linearly fill runs of NaN in ``x (T,)`` no longer than ``max_gap_s`` that have a seen frame
    on both sides; return the filled copy and the (start, end) times of the gaps left open."""
    x = np.asarray(x, dtype=float).copy()
    seen = np.isfinite(x)
    open_gaps: list[tuple[float, float]] = []
    if not seen.any():
        return x, [(float(time_s[0]), float(time_s[-1]))] if len(x) else []
    i, n = 0, len(x)
    while i < n:
        if seen[i]:
            i += 1
            continue
        j = i
        while j < n and not seen[j]:
            j += 1
        inside = i > 0 and j < n
        t0 = float(time_s[i - 1]) if i > 0 else float(time_s[i])
        t1 = float(time_s[j]) if j < n else float(time_s[j - 1])
        if inside and t1 - t0 <= max_gap_s:
            x[i:j] = np.interp(time_s[i:j], [time_s[i - 1], time_s[j]], [x[i - 1], x[j]])
        else:
            open_gaps.append((float(time_s[i]), float(time_s[j - 1])))
        i = j
    return x, open_gaps


def _peak(value: float, e: np.ndarray, t: np.ndarray, start_s: float, end_s: float,
          s: AnalysisSettings) -> float:
    """The trial's plateau peak, or - when noise leaves its plateau empty (a one-frame spike
    above the robust top makes :func:`detect_repetitions` return NaN) - the repetition's robust
    top: the median of its highest ``robust_top_s`` of frames."""
    if np.isfinite(value):
        return float(value)
    w = e[(t >= start_s) & (t <= end_s) & np.isfinite(e)]
    if not w.size:
        return float("nan")
    k = max(3, int(round(s.robust_top_s / float(np.median(np.diff(t))))))
    return float(np.median(np.sort(w)[-k:]))


def count_repetitions(excursion: np.ndarray, time_s: np.ndarray, movement: str, *,
                      se_neutral_deg: float = 0.0,
                      settings: RepeatedSettings = RepeatedSettings()) -> RepeatedResult:
    """Count the repetitions of a set from its excursion from neutral ``(T,)`` (deg, positive =
    into the movement, NaN = not seen) at times ``time_s (T,)``; see the module docstring."""
    if movement not in REPEATED_MOVEMENTS:
        raise ValueError(f"repeated-movement test: {movement!r} is not flexion or extension")
    t = np.asarray(time_s, dtype=float)
    e, gaps = bridge_gaps(excursion, t, settings.max_gap_s)
    with warnings.catch_warnings():  # its empty-plateau median (NaN peak, redone by _peak)
        warnings.simplefilter("ignore", RuntimeWarning)
        reps = detect_repetitions(e, t, settings.analysis)
    nan = float("nan")
    sd = camera_sd(movement)
    u_range = 1.96 * float(np.sqrt(sd ** 2 + se_neutral_deg ** 2))
    u_change = 1.96 * float(np.sqrt(2.0)) * sd
    if not reps:
        return RepeatedResult(movement, "inconclusive", "No repetition was found: bend "
                              f"{'forward' if movement == 'flexion' else 'backward'} at least "
                              f"{settings.analysis.min_peak_deg:.0f} degrees each time and come "
                              "back upright.", 0, bool(gaps), (), (), (), nan, nan, u_range, nan,
                              u_change, tuple(gaps))
    peaks = tuple(_peak(r.peak_deg, e, t, r.start_s, r.end_s, settings.analysis) for r in reps)
    # an unbridged gap strictly between the first peak and the last end may hide a repetition
    at_least = any(g[1] >= reps[0].start_s and g[0] <= reps[-1].end_s for g in gaps)
    n = len(reps)
    if n < settings.expected:
        msg = (f"{'At least ' if at_least else ''}{n} of the {settings.expected} repetitions "
               "were seen" + ("; you were out of view for part of the set." if at_least
                              else "."))
    else:
        msg = f"{n} repetitions counted."
    return RepeatedResult(movement, "ok", msg, n, at_least, peaks,
                          tuple(r.peak_s for r in reps), tuple(r.end_s - r.start_s for r in reps),
                          peaks[0], peaks[-1], u_range, peaks[-1] - peaks[0], u_change,
                          tuple(gaps))


def analyze_repeated(seq: PoseSequence, movement: str, *,
                     settings: RepeatedSettings = RepeatedSettings()) -> RepeatedResult:
    """Analyse one set of repeated ``movement`` ("flexion" / "extension") in ``seq`` (filmed from
    the side, starting upright and still): the trial's neutral and excursion, then
    :func:`count_repetitions`. Never raises for a bad clip: "inconclusive" with the reason."""
    spec = movement_spec(movement)
    s = settings.analysis
    nan = float("nan")
    if seq.n_frames < s.min_detected_frames:
        return RepeatedResult(movement, "inconclusive", "The clip is too short or the person "
                              "was not found; film the whole set from the side.", 0, False, (),
                              (), (), nan, nan, nan, nan, nan)
    kin = CleanedPose.from_sequence(seq, s.cleaning)
    raw = A.movement_signal(kin.image, spec.signal)
    nb = find_neutral(raw, seq.time_s, rel=False, settings=s)
    not_upright = _start_posture(spec, kin.image, nb, seq.time_s, s)
    if not_upright is not None:
        return RepeatedResult(movement, "inconclusive", not_upright.message.replace(
            "the clip", "the set"), 0, False, (), (), (), nan, nan, nan, nan, nan)
    if nb is None:
        return RepeatedResult(movement, "inconclusive", "No still, upright start was found; "
                              "stand still for a second before the first repetition.", 0, False,
                              (), (), (), nan, nan, nan, nan, nan)
    n0, n1 = nb
    facing = A.facing_sign(kin.image[n0:n1])
    sign = facing if np.isfinite(facing) else 1.0
    neutral = raw[n0:n1][np.isfinite(raw[n0:n1])]
    neutral_raw = float(np.median(neutral))
    se = 0.0
    if neutral.size > 1:
        se = max(float(np.std(neutral, ddof=1)), s.neutral_frame_sd_deg) / np.sqrt(neutral.size)
    exc = A.excursion(raw, spec.signal, neutral_raw, sign, spec.direction)
    return count_repetitions(exc, seq.time_s, movement, se_neutral_deg=float(se),
                             settings=settings)
