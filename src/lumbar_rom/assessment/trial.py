"""Trial analysis: from a pose sequence of one movement to one trustworthy number.

Steps: clean the landmarks (once per video: :class:`CleanedPose`) -> check the camera view ->
find the neutral (still, upright) phase -> excursion from neutral -> repetitions and their
end-range peaks -> the reported value with its uncertainty -> compensation and quality flags ->
the gates against a false decision (assessment/gates.py: a compensation larger than the motion,
motion in another plane, an impossible value) -> "ok" or "inconclusive" with the reasons.

Reported value (the rule, stated once): the mean of the peaks of three consecutive repetitions that
each lie within the larger of ``consistency_deg`` (5 deg, data/protocol.toml) and 10 % of their
mean (AMA Guides validity rule, S31; :func:`consistency_tolerance`); when several such triplets
exist, the one with the largest mean (later repetitions are usually freer). With fewer than three
repetitions the mean of those done is reported with a warning and a wider uncertainty; when no
three consecutive repetitions agree the trial is inconclusive.

A repetition's peak is plateau-aware: the repetition's robust top (the median of its highest
~0.1 s of frames) and then the median of the excursion over the frames around the peak within
``plateau_tol_deg`` of that top (the end-range hold); one wild frame cannot set it.

Uncertainty (95 %): ``1.96 * sqrt(sd_camera**2 + sd_reps**2 / n + se_neutral**2)``, with the
camera's own error per motion from ``data/camera_error.toml``, the spread of the repetitions used
(one repetition: the camera's error again) and the neutral's standard error (a short neutral, a
larger term).

Neutral: the most upright steady stretch of the clip (:func:`find_neutral`): a still phase or a
stretch of a few frames (``neutral_min_s``), at the start, between repetitions or at the end,
the one closest to the view's vertical (the longest among the nearly as upright), its standard
error part of the uncertainty. A neutral further than ``neutral_upright_max_deg`` from upright
is refused in words ("Start the clip standing upright; this one starts already bent back about
35 deg."), and so is a clip that starts away from upright and holds no repetition.
"""

from __future__ import annotations

import functools
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal

import numpy as np
from scipy.signal import find_peaks

from lumbar_rom.assessment.gates import Flag, gate_flags
from lumbar_rom.assessment.protocol import MOVEMENTS, Movement, MovementSpec, movement_spec
from lumbar_rom.assessment.units import unit_extras
from lumbar_rom.data import load_toml
from lumbar_rom.kinematics import angles as A
from lumbar_rom.kinematics import deep_flexion as DF
from lumbar_rom.kinematics.cleaned import CleanedPose
from lumbar_rom.kinematics.cleaning import CleaningSettings, runs
from lumbar_rom.kinematics.view import ViewEstimate, classify_view
from lumbar_rom.pose.landmarks import Landmark as L
from lumbar_rom.pose.sequence import PoseSequence
from lumbar_rom.serialize import json_safe

SCHEMA_VERSION = 1
Status = Literal["ok", "inconclusive"]
MovementId = Movement | Literal["unknown"]  # "unknown": nothing recognised (auto-detection)

TRUNK = [L.LEFT_SHOULDER, L.RIGHT_SHOULDER, L.LEFT_HIP, L.RIGHT_HIP]
LIMBS = [L.NOSE, L.LEFT_KNEE, L.RIGHT_KNEE, L.LEFT_ANKLE, L.RIGHT_ANKLE]


_PROTOCOL = load_toml("protocol.toml")["analysis"]
_T = _PROTOCOL["trial"]  # each default below is explained (with its source) in protocol.toml
_N = _PROTOCOL["neutral"]


@dataclass(frozen=True)
class AnalysisSettings:
    """Every threshold of the trial analysis and the segmentation, in one place (degrees,
    seconds, fractions); the defaults are data/protocol.toml's ``[analysis]``."""

    cleaning: CleaningSettings = CleaningSettings()
    min_detected_frames: int = int(_T["min_detected_frames"])
    neutral_window_s: float = float(_T["neutral_window_s"])
    neutral_max_range_deg: float = float(_T["neutral_max_range_deg"])
    neutral_max_rel_span_range: float = float(_T["neutral_max_rel_span_range"])
    neutral_min_s: float = float(_N["min_s"])
    neutral_upright_max_deg: float = float(_N["upright_max_deg"])
    neutral_frame_sd_deg: float = float(_N["frame_sd_deg"])
    min_peak_deg: float = float(_T["min_peak_deg"])
    small_peak_deg: float | None = None  # None: from data/noise_floor.toml, read on first use
    small_reps_needed: int = int(_T["small_reps_needed"])
    min_prominence_fraction: float = float(_T["min_prominence_fraction"])
    min_prominence_of_min_peak: float = float(_T["min_prominence_of_min_peak"])
    min_rep_interval_s: float = float(_T["min_rep_interval_s"])
    robust_top_s: float = float(_T["robust_top_s"])
    plateau_tol_deg: float = float(_T["plateau_tol_deg"])
    consistency_deg: float = float(_PROTOCOL["consistency_deg"])  # S31
    out_of_frame_fraction: float = float(_T["out_of_frame_fraction"])
    limbs_out_of_frame_fraction: float = float(_T["limbs_out_of_frame_fraction"])
    low_visibility_fraction: float = float(_T["low_visibility_fraction"])
    trunk_visibility_min: float = float(_T["trunk_visibility_min"])
    knee_bend_max_deg: float = float(_T["knee_bend_max_deg"])
    side_bend_lean_max_deg: float = float(_T["side_bend_lean_max_deg"])
    side_bend_twist_max_deg: float = float(_T["side_bend_twist_max_deg"])
    pelvis_turn_max_deg: float = float(_T["pelvis_turn_max_deg"])
    pelvis_turn_noise_deg: float = float(_T["pelvis_turn_noise_deg"])
    rotation_off_front_max_deg: float = float(_T["rotation_off_front_max_deg"])
    rotation_crosscheck_max_deg: float = float(_T["rotation_crosscheck_max_deg"])
    segment_active_fraction: float = float(_T["segment_active_fraction"])
    segment_upright_fraction: float = float(_T["segment_upright_fraction"])
    rotation_min_yaw_fraction: float = float(_T["rotation_min_yaw_fraction"])
    rotation_span_min_deg: float = float(_T["rotation_span_min_deg"])
    rotation_min_turn_fraction: float = float(_T["rotation_min_turn_fraction"])


DEFAULT_ANALYSIS = AnalysisSettings()


@functools.cache
def _noise_floor_peak_deg() -> float:
    """The smallest protocol movement measured: max(small_peak_min_deg, noise_floor_factor x the
    noise floor measured on still clips, data/noise_floor.toml); read on first use, not at
    import (no file is read when a module is imported)."""
    return max(float(_T["small_peak_min_deg"]),
               float(_T["noise_floor_factor"]) * float(load_toml("noise_floor.toml")["floor_deg"]))


def small_peak_deg(settings: AnalysisSettings) -> float:
    """``settings.small_peak_deg``, or the measured noise floor's when it is None."""
    return (settings.small_peak_deg if settings.small_peak_deg is not None
            else _noise_floor_peak_deg())


@dataclass(frozen=True)
class Repetition:
    start_s: float
    peak_s: float
    end_s: float
    peak_deg: float
    hold_s: float


@dataclass(frozen=True)
class Posture:
    """Neutral-phase posture. Front view: obliquities (deg, + = left side higher), lateral shift
    (fraction of hip width, + = toward the left). Side view: trunk lean and forward head (deg,
    + = forward). NaN when the view does not show it."""

    pelvic_obliquity_deg: float = float("nan")
    shoulder_obliquity_deg: float = float("nan")
    lateral_shift: float = float("nan")
    trunk_lean_deg: float = float("nan")
    forward_head_deg: float = float("nan")


@dataclass(frozen=True)
class TrialResult:
    """Everything known about one movement trial. ``time_s`` and ``excursion_deg`` (T,) are the
    cleaned curve (excursion from neutral in the movement's direction, deg) for plotting."""

    movement: MovementId
    status: Status
    value_deg: float
    uncertainty_deg: float
    rule: str
    repetitions: tuple[Repetition, ...]
    used_repetitions: tuple[int, ...]
    spread_deg: float
    view: ViewEstimate
    neutral_s: tuple[float, float]
    neutral_angle_deg: float
    posture: Posture
    flags: tuple[Flag, ...]
    extras: dict[str, float] = field(default_factory=dict)
    time_s: np.ndarray = field(default_factory=lambda: np.zeros(0), repr=False)
    excursion_deg: np.ndarray = field(default_factory=lambda: np.zeros(0), repr=False)
    source: str = ""

    @classmethod
    def unmeasured(cls, movement: MovementId, flags: list[Flag], source: str = "") -> TrialResult:
        """An inconclusive trial with nothing measured, carrying the reasons in ``flags``."""
        nan = float("nan")
        return cls(movement, "inconclusive", nan, nan, "", (), (), nan,
                   ViewEstimate("unknown", nan, nan), (nan, nan), nan, Posture(), tuple(flags),
                   source=source)

    @property
    def reasons(self) -> list[str]:
        return [f.message for f in self.flags if f.blocking]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (NaN -> None), with ``schema_version``."""
        d = asdict(self)
        d["time_s"] = self.time_s.tolist()
        d["excursion_deg"] = self.excursion_deg.tolist()
        d["schema_version"] = SCHEMA_VERSION
        return json_safe(d)


RULE = ("mean of the end-range peaks of 3 consecutive repetitions within the larger of "
        "{tol:.0f} deg and 10 % of their mean (AMA, S31)")


# ---- helpers ----------------------------------------------------------------------------------


def _rolling_range(x: np.ndarray, n: int) -> np.ndarray:
    """Centered rolling max - min over ``n`` samples (NaN where the window has NaN)."""
    out = np.full(len(x), np.nan)
    if len(x) < n:
        return out
    w = np.lib.stride_tricks.sliding_window_view(x, n)
    half = n // 2
    out[half:half + len(w)] = np.ptp(w, axis=-1)
    return out


def _fraction(mask: np.ndarray) -> float:
    return float(np.mean(mask)) if mask.size else 0.0


def find_neutral(signal: np.ndarray, time_s: np.ndarray, *, rel: bool,
                 settings: AnalysisSettings) -> tuple[int, int] | None:
    """The neutral: the most upright steady stretch of the clip, ``(start, stop)`` frame
    indices, or None when nothing is steady.

    ``signal (T,)`` is the raw movement angle (deg from the image vertical) or, with
    ``rel=True``, a span (the widest is the most "upright": the rotation's neutral). The
    candidates are the still phases of at least ``neutral_window_s`` and the steady stretches
    of at least ``neutral_min_s`` (a few frames), anywhere in the clip: the start, the rests
    between repetitions, the end (issue 28: a clip with 0.1 s upright at its start and a still
    upright end). The one closest to vertical wins; among those within
    ``neutral_max_range_deg`` of it (a span: within ``neutral_max_rel_span_range``) the longest,
    then the earliest. So a held end-range position (a one-second side-bend hold after a short
    upright start) is never taken when an upright moment exists; when none does, the caller
    refuses a neutral further than ``neutral_upright_max_deg`` from vertical.
    """
    fps = 1.0 / float(np.median(np.diff(time_s)))
    n = max(3, int(round(settings.neutral_window_s * fps)))
    n_min = max(3, int(round(settings.neutral_min_s * fps)))
    cands = _steady_runs(signal, n, 1.0, rel=rel, settings=settings)
    # the short stretches: steady at the still phase's rate (its range per its duration)
    cands += _steady_runs(signal, n_min, n_min / n, rel=rel, settings=settings)
    if not cands:
        return None
    med = np.array([float(A.nanmedian(signal[a:b])) for a, b in cands])
    score = -med if rel else np.abs(med)
    ok = np.isfinite(score)
    if not ok.any():
        return None
    best = float(np.min(score[ok]))
    tol = (settings.neutral_max_rel_span_range * abs(float(np.nanmax(med))) if rel
           else settings.neutral_max_range_deg)
    near = [k for k in np.flatnonzero(ok) if score[k] <= best + tol]
    k = min(near, key=lambda i: (-(cands[i][1] - cands[i][0]), cands[i][0]))
    return cands[k]


def rotation_neutral(pts: np.ndarray, time_s: np.ndarray, settings: AnalysisSettings
                     ) -> tuple[int, int] | None:
    """A rotation's neutral: the widest steady wrist span (:func:`find_neutral` with ``rel``)
    inside the trunk's most upright stretch (a hand sliding down a thigh widens the span: the
    widest span alone can be a side bend's hold). ``pts (T, 33, >=2)`` -> frame indices."""
    span = A.movement_signal(pts, "rotation")
    tb = find_neutral(A.movement_signal(pts, "sagittal"), time_s, rel=False, settings=settings)
    if tb is None or tb[1] - tb[0] < 3:
        return find_neutral(span, time_s, rel=True, settings=settings)
    inner = find_neutral(span[tb[0]:tb[1]], time_s[tb[0]:tb[1]], rel=True, settings=settings)
    return (tb[0] + inner[0], tb[0] + inner[1]) if inner is not None else tb


def _still(signal: np.ndarray, n: int, *, rel: bool, settings: AnalysisSettings,
           scale: float = 1.0) -> np.ndarray:
    """(T,) bool: the ``n``-frame window centred on each frame is still (its range within
    ``scale`` times the still phase's)."""
    spread = _rolling_range(signal, n)
    if rel:
        still = spread / A.nanmedian(signal) <= scale * settings.neutral_max_rel_span_range
    else:
        still = spread <= scale * settings.neutral_max_range_deg
    return np.nan_to_num(still, nan=0).astype(bool)


def _steady_runs(signal: np.ndarray, n: int, scale: float, *, rel: bool,
                 settings: AnalysisSettings) -> list[tuple[int, int]]:
    """Every steady stretch of at least ``n`` frames: each run of frames whose centred
    ``n``-frame window is still (:func:`_still` at ``scale``) cut into level pieces (each
    within half the stillness tolerance of its first frame: windows each still can chain
    along a slow ramp), the pieces of at least ``n`` frames."""
    out = []
    for start, stop in runs(_still(signal, n, rel=rel, settings=settings, scale=scale)):
        lo, end = max(0, start - n // 2), min(len(signal), stop + n // 2)
        while lo < end:
            ref = signal[lo]
            tol = scale * (settings.neutral_max_rel_span_range * abs(ref) if rel
                           else settings.neutral_max_range_deg)
            hi = lo + 1
            while hi < end and abs(signal[hi] - ref) <= tol / 2:
                hi += 1
            if hi - lo >= n and np.isfinite(ref):
                out.append((int(lo), int(hi)))
            lo = hi
    return out


def detect_repetitions(excursion: np.ndarray, time_s: np.ndarray,
                       settings: AnalysisSettings) -> list[Repetition]:
    """End-range peaks of the excursion curve ``(T,)`` (deg, positive = into the movement)."""
    valid = np.isfinite(excursion)
    if valid.sum() < 3:
        return []
    e = np.where(valid, excursion, np.nanmin(excursion))
    top = float(np.max(e))
    if top < settings.min_peak_deg:
        return []
    fps = 1.0 / float(np.median(np.diff(time_s)))
    prominence = max(settings.min_prominence_of_min_peak * settings.min_peak_deg,
                     settings.min_prominence_fraction * top)
    peaks, _ = find_peaks(e, height=settings.min_peak_deg, prominence=prominence,
                          distance=max(1, int(settings.min_rep_interval_s * fps)))
    reps: list[Repetition] = []
    bounds = [0, *[int(np.argmin(e[a:b])) + a for a, b in zip(peaks[:-1], peaks[1:],
                                                              strict=True)], len(e) - 1]
    k_top = max(3, int(round(settings.robust_top_s * fps)))
    for k, p in enumerate(peaks):
        # robust top: the median of the repetition's k highest frames (one wild frame cannot
        # set it), then the plateau: the frames around the peak within tol of that top
        window = e[bounds[k]:bounds[k + 1] + 1]
        top_k = float(np.median(np.sort(window)[-k_top:]))
        level = top_k - settings.plateau_tol_deg
        lo, hi = p, p
        while lo > 0 and e[lo - 1] >= level:
            lo -= 1
        while hi < len(e) - 1 and e[hi + 1] >= level:
            hi += 1
        plateau = e[lo:hi + 1]
        value = float(np.median(plateau[plateau <= top_k + settings.plateau_tol_deg]))
        reps.append(Repetition(float(time_s[bounds[k]]), float(time_s[p]),
                               float(time_s[bounds[k + 1]]), value,
                               float(time_s[hi] - time_s[lo])))
    return reps


def consistency_tolerance(peaks: list[float] | np.ndarray, floor_deg: float) -> float:
    """The AMA Guides' consistency tolerance for a set of peaks (S31, S82): the larger of
    ``floor_deg`` (5 deg, protocol.toml ``consistency_deg``) and ``consistency_fraction`` (10 %)
    of their mean."""
    frac = float(_PROTOCOL.get("consistency_fraction", 0.10))
    return max(floor_deg, frac * abs(float(np.mean(peaks))))


def choose_repetitions(peaks: list[float], tol: float) -> tuple[tuple[int, ...], bool]:
    """Indices of the repetitions the reported value uses, and whether they satisfy the rule.

    The AMA Guides' rule: three consecutive peaks each within the larger of ``tol`` (deg) and
    10 % of their mean (:func:`consistency_tolerance`); the triplet with the largest mean. The
    reported value is the MEAN of that triplet: the reference studies (norms.toml: Laird, Esola)
    report means of repeated efforts, not the Guides' maximum. Fewer than three peaks: all of
    them (consistent if they agree within the same tolerance).
    """
    n = len(peaks)
    if n == 0:
        return (), False
    if n < 3:
        m = float(np.mean(peaks))
        t = consistency_tolerance(peaks, tol)
        return tuple(range(n)), all(abs(p - m) <= t for p in peaks)
    best: tuple[int, ...] | None = None
    best_mean = -np.inf
    for i in range(n - 2):
        trip = peaks[i:i + 3]
        m = float(np.mean(trip))
        t = consistency_tolerance(trip, tol)
        if all(abs(p - m) <= t for p in trip) and m > best_mean:
            best, best_mean = (i, i + 1, i + 2), m
    if best is None:
        top3 = tuple(sorted(np.argsort(peaks)[-3:].tolist()))
        return top3, False
    return best, True


# ---- the analysis -------------------------------------------------------------------------------


def _too_short(seq: PoseSequence, spec: MovementSpec, s: AnalysisSettings) -> TrialResult | None:
    if seq.n_frames >= s.min_detected_frames and seq.detected.sum() >= s.min_detected_frames:
        return None
    too_short = Flag("too_short", "The clip is too short or the person was found in fewer "
                     f"than {s.min_detected_frames} frames; record the whole movement.", True)
    return TrialResult.unmeasured(spec.id, [too_short], seq.source)


def analyze_trial(seq: PoseSequence, movement: MovementSpec | str, *,
                  height_cm: float | None = None,
                  settings: AnalysisSettings = DEFAULT_ANALYSIS) -> TrialResult:
    """Analyse one trial of ``movement`` (its spec, or its name: ``ValueError`` if unknown) in
    ``seq``: cleans the landmarks, then :func:`analyze_cleaned`. Never raises for bad trials: it
    returns an "inconclusive" result with the reasons."""
    spec = movement_spec(movement)
    return _too_short(seq, spec, settings) or analyze_cleaned(
        CleanedPose.from_sequence(seq, settings.cleaning), spec, height_cm=height_cm,
        settings=settings)


def analyze_cleaned(kin: CleanedPose, movement: MovementSpec | str, *,
                    height_cm: float | None = None,
                    settings: AnalysisSettings = DEFAULT_ANALYSIS) -> TrialResult:
    """:func:`analyze_trial` on landmarks already cleaned (a slice of a video's
    :class:`CleanedPose`)."""
    spec = movement_spec(movement)
    seq = kin.seq
    flags: list[Flag] = []
    t = seq.time_s
    short = _too_short(seq, spec, settings)
    if short is not None:
        return short
    pts, world = kin.image, kin.world

    flags += _quality_flags(seq, settings)

    # -- neutral phase and the movement's signal
    raw = A.movement_signal(pts, spec.signal)
    nb = (rotation_neutral(pts, t, settings) if spec.signal == "rotation"
          else find_neutral(raw, t, rel=False, settings=settings))
    start = _start_posture(spec, pts, nb, t, settings)
    if start is not None or nb is None:
        no_neutral = start or Flag("no_neutral", "No still, upright moment was found; hold "
                                   "still, upright, for a moment before or after moving.", True)
        return TrialResult.unmeasured(spec.id, [*flags, no_neutral], seq.source)
    n0, n1 = nb
    neutral_pts, neutral_world = pts[n0:n1], world[n0:n1]
    view = classify_view(neutral_pts, neutral_world)
    if view.view != spec.view:
        flags.append(Flag("wrong_view", f"This clip was filmed from the {view.view}, but "
                          f"{spec.label.lower()} needs a {spec.view} view. "
                          f"{_view_instruction(spec.view)}", True))
    facing = A.facing_sign(neutral_pts)
    left = A.left_side_sign(neutral_pts)
    extras: dict[str, float] = {"off_front_deg": view.off_front_deg}

    sign = facing if spec.signal == "sagittal" else left
    if not np.isfinite(sign):
        sign = 1.0
    neutral_raw = float(A.nanmedian(raw[n0:n1]))
    if spec.signal == "rotation":  # signed by the trunk's turn: the other side reads < 0
        excursion = spec.direction * A.signed_rotation(
            pts, world, slice(n0, n1), settings.segment_active_fraction * settings.min_peak_deg)
    else:
        excursion = A.excursion(raw, spec.signal, neutral_raw, sign, spec.direction)
    neutral_angle = 0.0 if spec.signal == "rotation" else neutral_raw * sign

    flags += _wrong_direction(spec, excursion, n1, settings)

    reps = detect_repetitions(excursion, t, settings)
    if not reps and spec.signal != "rotation":  # a small motion, if clear (protocol.toml)
        small = detect_repetitions(excursion, t, replace(settings,
                                                         min_peak_deg=small_peak_deg(settings)))
        if len(small) >= settings.small_reps_needed:
            reps = small
            flags.append(Flag("small_motion", "The movement was small (under "
                              f"{settings.min_peak_deg:.0f} degrees); it is measured, close to "
                              "the least the camera tells apart from standing still "
                              f"({small_peak_deg(settings):.0f} degrees).", False))
    peaks = [r.peak_deg for r in reps]
    used, consistent = choose_repetitions(peaks, settings.consistency_deg)
    # no repetition in a clip that starts away from upright: the start is the reason (it began
    # at the end range and only came back; its one movement has no start to measure from)
    start_away = _start_posture(spec, pts, None, t, settings) if not reps else None
    flags += [start_away] if start_away else _repetition_flags(len(reps), consistent, settings)

    used_peaks = np.array([peaks[i] for i in used]) if used else np.array([])
    value = float(np.mean(used_peaks)) if used_peaks.size else float("nan")
    spread = float(np.ptp(used_peaks)) if used_peaks.size else float("nan")
    uncertainty = _uncertainty(spec, used_peaks, raw[n0:n1], settings)

    peak_idx = [int(np.argmin(np.abs(t - reps[i].peak_s))) for i in used] if reps else []
    flags += _compensation(spec.signal, spec.id, pts, world, n0, n1, peak_idx, facing, left,
                           raw, extras, settings, height_cm, value)
    sag3, fro3 = A.trunk_plane_angles(world, neutral_world)
    extras["sagittal_3d_deg"], extras["frontal_3d_deg"] = _at(sag3, peak_idx), _at(fro3, peak_idx)
    extras["neutral_s"] = float(t[n1 - 1] - t[n0])
    extras["lr_swaps_repaired"] = float(kin.swaps_repaired)
    flags += gate_flags(spec.id, spec.signal, spec.label, value, extras,
                        settings.rotation_min_turn_fraction)
    posture = _posture(neutral_pts, view)
    status: Status = "inconclusive" if any(f.blocking for f in flags) else "ok"
    return TrialResult(spec.id, status, value, uncertainty,
                       RULE.format(tol=settings.consistency_deg), tuple(reps), used, spread, view,
                       (float(t[n0]), float(t[n1 - 1])), neutral_angle, posture, tuple(flags),
                       extras, t.copy(), excursion, seq.source)


def _uncertainty(spec: MovementSpec, used_peaks: np.ndarray, neutral_raw: np.ndarray,
                 settings: AnalysisSettings) -> float:
    """95 % uncertainty of the reported value:
    ``1.96 * sqrt(camera^2 + spread^2 / n + neutral_se^2)``. With one repetition its spread is
    the camera's error again (wider); ``neutral_se``: the standard error of the neutral's angle,
    ``max(sd, frame_sd_deg) / sqrt(frames)`` over its frames (a short neutral: a larger term;
    none for rotations, whose neutral is a span)."""
    sd_cam = float(load_toml("camera_error.toml")[spec.id]["sd_deg"])
    sd_reps = float(np.std(used_peaks, ddof=1)) if used_peaks.size > 1 else sd_cam
    n_used = max(1, used_peaks.size)
    se_neutral = 0.0
    seen = neutral_raw[np.isfinite(neutral_raw)]
    if spec.signal != "rotation" and seen.size:
        sd = float(np.std(seen, ddof=1)) if seen.size > 1 else 0.0
        se_neutral = max(sd, settings.neutral_frame_sd_deg) / float(np.sqrt(seen.size))
    return 1.96 * float(np.sqrt(sd_cam ** 2 + sd_reps ** 2 / n_used + se_neutral ** 2))


def _start_posture(spec: MovementSpec, pts: np.ndarray, nb: tuple[int, int] | None,
                   t: np.ndarray, settings: AnalysisSettings) -> Flag | None:
    """A refusal when the neutral (or, without one, the clip's first ``neutral_min_s``) is
    further from upright than ``neutral_upright_max_deg``, in words (the angle the clip starts
    at when that is not upright either); else None."""
    first = (0, max(1, int(np.searchsorted(t, t[0] + settings.neutral_min_s))))
    part = pts[slice(*(nb or first))]
    angle = float(A.nanmedian(A.trunk_image_angle(part)))
    if not np.isfinite(angle) or abs(angle) <= settings.neutral_upright_max_deg:
        return None
    start = float(A.nanmedian(A.trunk_image_angle(pts[slice(*first)])))
    if np.isfinite(start) and abs(start) > settings.neutral_upright_max_deg:
        part, angle = pts[slice(*first)], start  # word it with how the clip starts
    if spec.signal == "sagittal":
        sign, words = A.facing_sign(part), ("bent forward", "bent back")
    else:
        sign, words = A.left_side_sign(part), ("bent to the left", "bent to the right")
    how = "bent" if not np.isfinite(sign) else words[0] if angle * sign > 0 else words[1]
    pose = "sitting" if _seated(part) else "standing"  # no standing advice for a seated clip
    return Flag("start_not_upright", f"Start the clip {pose} upright; this one starts "
                f"already {how} about {abs(angle):.0f} deg.", True)


def _seated(pts: np.ndarray) -> bool:
    """The person sits in these frames ``(N, 33, >=2)``: the knees bent beyond 45 deg (side
    view) or the thighs, pointing at the camera, under 0.6 of the shins' length in the picture
    (front view); both legs' median."""
    thigh = A.nanmedian(np.stack([A.span_2d(pts, L.LEFT_HIP, L.LEFT_KNEE),
                                  A.span_2d(pts, L.RIGHT_HIP, L.RIGHT_KNEE)]), axis=0)
    shin = A.nanmedian(np.stack([A.span_2d(pts, L.LEFT_KNEE, L.LEFT_ANKLE),
                                 A.span_2d(pts, L.RIGHT_KNEE, L.RIGHT_ANKLE)]), axis=0)
    knee = float(A.nanmedian(A.knee_flexion(pts)))
    ratio = float(A.nanmedian(np.asarray(thigh) / np.asarray(shin)))
    return bool((np.isfinite(knee) and knee > 45.0) or (np.isfinite(ratio) and ratio < 0.6))


def _quality_flags(seq: PoseSequence, settings: AnalysisSettings) -> list[Flag]:
    """Framing and visibility over the whole trial."""
    flags: list[Flag] = []
    w, h = seq.frame_size
    xy = seq.image[:, :, :2]
    inside = (xy[..., 0] >= 0) & (xy[..., 0] <= w) & (xy[..., 1] >= 0) & (xy[..., 1] <= h)
    seen = inside & (seq.visibility >= settings.cleaning.visibility_threshold)
    trunk_out = ~np.all(seen[:, TRUNK], axis=1)
    if _fraction(trunk_out) > settings.out_of_frame_fraction:
        flags.append(Flag("out_of_frame", "Your hips or shoulders were out of the picture for "
                          f"{_fraction(trunk_out):.0%} of the clip; step back so the camera "
                          "sees your whole body.", True))
    elif _fraction(~np.all(inside[:, LIMBS], axis=1)) > settings.limbs_out_of_frame_fraction:
        # (side views hide a leg: normal)
        flags.append(Flag("limbs_out_of_frame", "Your head, knees or feet were partly out of "
                          "view; the trunk angle is still measured.", False))
    vis_trunk = np.mean(seq.visibility[:, TRUNK], axis=1)  # NaN (no person) counts as unseen
    if _fraction(~(vis_trunk >= settings.trunk_visibility_min)) > settings.low_visibility_fraction:
        flags.append(Flag("low_visibility", "The body was hard to see in much of the clip; use "
                          "more light, a plain background and fitted clothes.", True))

    return flags


def _wrong_direction(spec: MovementSpec, excursion: np.ndarray, n1: int,
                     settings: AnalysisSettings) -> list[Flag]:
    """The biggest excursion went the other way (a rotation: the trunk turned the other way)."""
    after = excursion[n1:] if n1 < len(excursion) else excursion
    if np.isfinite(after).any() and -np.nanmin(after) > max(settings.min_peak_deg,
                                                            2 * max(np.nanmax(after), 0)):
        if spec.signal == "rotation":
            return [Flag("wrong_direction", "The upper body turned the other way from the "
                         "movement chosen; check left and right.", True)]
        return [Flag("wrong_direction", f"The movement went the other way from "
                     f"{spec.label.lower()}; check the movement chosen.", True)]
    return []


def _repetition_flags(n_reps: int, consistent: bool, settings: AnalysisSettings
                      ) -> list[Flag]:
    """How many repetitions were found and whether they agree (the AMA rule)."""
    flags: list[Flag] = []
    if n_reps == 0:
        flags.append(Flag("no_repetitions", "No repetition of the movement was found; move "
                          f"at least {settings.min_peak_deg:.0f} degrees from the start "
                          "position and come back (a smaller movement counts when it is "
                          "repeated three times).", True))
    if 0 < n_reps < 3:
        flags.append(Flag("fewer_than_3", f"Only {n_reps} repetition(s) found: the value is "
                          "reported with a wider uncertainty; three give a more reliable "
                          "value.", False))
    if n_reps >= 3 and not consistent:
        flags.append(Flag("inconsistent", "No three consecutive repetitions were within "
                          f"{settings.consistency_deg:.0f} degrees or "
                          f"{100 * float(_PROTOCOL.get('consistency_fraction', 0.10)):.0f} % "
                          "of their mean, whichever is larger; repeat the movement at the "
                          "same effort.", True))
    if 0 < n_reps < 3 and not consistent:
        flags.append(Flag("inconsistent", "The repetitions differ by more than "
                          f"{settings.consistency_deg:.0f} degrees or "
                          f"{100 * float(_PROTOCOL.get('consistency_fraction', 0.10)):.0f} % "
                          "of their mean, whichever is larger.", True))
    return flags


def _view_instruction(view: str) -> str:
    return str(load_toml("protocol.toml")["views"].get(view, ""))


def _at(x: np.ndarray, idx: list[int]) -> float:
    vals = x[idx] if idx else np.array([np.nan])
    return float(np.nanmean(vals)) if np.isfinite(vals).any() else float("nan")  # quiet NaN


@dataclass(frozen=True)
class _Comp:
    """What the compensation checks read: the trial's cleaned points ``pts`` / ``world``
    ``(T, 33, 3)``, the neutral frames ``n0:n1``, the end-range frames, the view signs, the
    reported value; ``extras`` collects the measured compensations (deg)."""

    movement: str
    pts: np.ndarray
    world: np.ndarray
    n0: int
    n1: int
    peak_idx: list[int]
    facing: float
    left: float
    extras: dict[str, float]
    s: AnalysisSettings
    height_cm: float | None
    value: float


def _compensation(signal: str, movement: str, pts: np.ndarray, world: np.ndarray, n0: int,
                  n1: int, peak_idx: list[int], facing: float, left: float, raw: np.ndarray,
                  extras: dict[str, float], s: AnalysisSettings, height_cm: float | None,
                  value: float) -> list[Flag]:
    c = _Comp(movement, pts, world, n0, n1, peak_idx, facing, left, extras, s, height_cm, value)
    check = {"sagittal": _sagittal_checks, "frontal": _frontal_checks}.get(signal, _rotation_checks)
    return check(c)


def _sagittal_checks(c: _Comp) -> list[Flag]:
    """Flexion/extension: knees, hip share, lumbar estimate, fingertip-to-floor (units.py)."""
    flags: list[Flag] = []
    f = c.facing if np.isfinite(c.facing) else 1.0
    knee = A.knee_flexion(c.pts)
    knee_bend = _at(knee, c.peak_idx) - float(A.nanmedian(knee[c.n0:c.n1]))
    hip = A.hip_flexion(c.pts, f)
    c.extras["knee_bend_deg"] = knee_bend
    c.extras["hip_flexion_deg"] = _at(hip, c.peak_idx) - float(A.nanmedian(hip[c.n0:c.n1]))
    signed = c.value if c.movement == "flexion" else -c.value
    lumbar = A.estimated_lumbar_flexion(np.array(signed))
    c.extras["lumbar_estimate_deg"] = abs(float(lumbar))
    if c.movement == "flexion" and knee_bend > c.s.knee_bend_max_deg:
        flags.append(Flag("knees_bent", f"Your knees bent by about {knee_bend:.0f} degrees; "
                          "keep them straight so the back does the bending.", False))
    c.extras.update(unit_extras(c.movement, c.pts, c.pts[c.n0:c.n1], c.peak_idx, c.height_cm))
    return flags


def _frontal_checks(c: _Comp) -> list[Flag]:
    """Side bends: forward/backward lean and twist seen in 3D; lateral fingertip-to-floor and
    its BASMI score (units.py)."""
    flags: list[Flag] = []
    # forward/backward lean and twist seen in 3D (world: y down, z away from the camera)
    trunk3 = A.mid_shoulder(c.world) - A.mid_hip(c.world)
    lean = np.degrees(np.arctan2(-trunk3[:, 2], -trunk3[:, 1]))  # + = toward the camera
    lean_change = abs(_at(lean, c.peak_idx) - float(A.nanmedian(lean[c.n0:c.n1])))
    yaw = A.shoulder_yaw(c.world)
    twist = abs(_at(yaw, c.peak_idx) - float(A.nanmedian(yaw[c.n0:c.n1])))
    c.extras["lean_deg"], c.extras["twist_deg"] = lean_change, twist
    c.extras.update(unit_extras(c.movement, c.pts, c.pts[c.n0:c.n1], c.peak_idx, c.height_cm))
    if lean_change > c.s.side_bend_lean_max_deg:
        flags.append(Flag("leaning", f"You leaned forward or backward by about "
                          f"{lean_change:.0f} degrees; bend straight to the side.", False))
    if twist > c.s.side_bend_twist_max_deg:
        flags.append(Flag("twisting", f"Your shoulders turned by about {twist:.0f} degrees; "
                          "bend to the side without turning.", False))
    return flags


def _rotation_checks(c: _Comp) -> list[Flag]:
    """Rotation: camera square, pelvis turn, hands vs shoulders, the arms' lift (the direction
    is in the signed excursion: :func:`_wrong_direction`)."""
    flags: list[Flag] = []
    if c.extras.get("off_front_deg", 0.0) > c.s.rotation_off_front_max_deg:
        # one camera cannot tell a camera off to one side from a person sitting turned: the
        # words name both (issue 28: a square camera and a person who started turned)
        flags.append(Flag("camera_off_front", "At rest your hips were about "
                          f"{c.extras['off_front_deg']:.0f} degrees off square to the camera "
                          "(the camera off to one side, or you turned away from it); face the "
                          "camera directly.", True))
    # The pelvis turn is read from the knees' span: MediaPipe's hip landmarks turn with the
    # shoulders even with the pelvis still (measurement-findings 3-4; seen on our rendered
    # trials too), while the knees stay put unless the pelvis (and thighs) turn.
    knees = A.span_2d(c.pts, L.LEFT_KNEE, L.RIGHT_KNEE)
    pelvis = A.rotation_from_span(knees, float(A.nanmedian(knees[c.n0:c.n1])))
    shoulders = A.span_2d(c.pts, L.LEFT_SHOULDER, L.RIGHT_SHOULDER)
    sh_rot = A.rotation_from_span(shoulders, float(A.nanmedian(shoulders[c.n0:c.n1])))
    yaw = A.shoulder_yaw(c.world)
    yaw_change = _at(yaw, c.peak_idx) - float(A.nanmedian(yaw[c.n0:c.n1]))
    c.extras["pelvis_turn_deg"] = _at(pelvis, c.peak_idx)
    c.extras["shoulder_span_rotation_deg"] = _at(sh_rot, c.peak_idx)
    c.extras["shoulder_yaw_change_deg"] = yaw_change
    neutral = slice(c.n0, c.n1)
    c.extras["arm_lift"] = _at(A.arm_lift(c.pts, neutral), c.peak_idx)
    c.extras["face_turn_deg"] = _at(A.face_turn(c.pts, neutral), c.peak_idx)
    # the gate's shoulder turn: the span's foreshortening counts at any size (no floor)
    c.extras["shoulder_turn_deg"] = _at(A.shoulder_turn(c.pts, c.world, neutral, 0.0),
                                        c.peak_idx)
    # the note fits the clip (issue 28: a still pelvis read 10.3 deg in one frame of a standing
    # right turn): the turn is sustained with the rotation (every used repetition's hold, the
    # median over the frames around its peak) and beyond both the limit and the knees' noise
    held = _held_turn(pelvis, c.peak_idx)
    if held > max(c.s.pelvis_turn_max_deg, c.s.pelvis_turn_noise_deg):
        flags.append(Flag("pelvis_turning", f"Your hips turned by about "
                          f"{c.extras['pelvis_turn_deg']:.0f} degrees; the value includes hip "
                          "motion. Sit with knees together and hips still.", False))
    if np.isfinite(c.value) and abs(c.value - c.extras["shoulder_span_rotation_deg"]) \
            > c.s.rotation_crosscheck_max_deg:
        flags.append(Flag("crosscheck", "The hands and the shoulders disagree on how far "
                          "you turned; keep the broom handle (or arms) fixed to the chest.",
                          False))
    return flags


def _held_turn(turn: np.ndarray, peak_idx: list[int], half: int = 3) -> float:
    """The least, over the repetitions, of ``turn (T,)``'s median over the frames within
    ``half`` of each peak in ``peak_idx``: a turn held in every repetition (NaN: none)."""
    held = [float(np.nanmedian(turn[max(0, i - half):i + half + 1])) for i in peak_idx
            if np.isfinite(turn[max(0, i - half):i + half + 1]).any()]
    return min(held) if held else float("nan")


def _posture(neutral_pts: np.ndarray, view: ViewEstimate) -> Posture:
    if view.view in ("front", "back"):
        left = A.left_side_sign(neutral_pts)
        return Posture(
            pelvic_obliquity_deg=float(A.nanmedian(A.pelvic_obliquity(neutral_pts, left))),
            shoulder_obliquity_deg=float(A.nanmedian(A.shoulder_obliquity(neutral_pts, left))),
            lateral_shift=float(A.nanmedian(A.lateral_trunk_shift(neutral_pts, left))),
        )
    if view.view == "side":
        facing = A.facing_sign(neutral_pts)
        if not np.isfinite(facing):
            return Posture()
        return Posture(
            trunk_lean_deg=float(A.nanmedian(A.sagittal_trunk_angle(neutral_pts, facing))),
            forward_head_deg=float(A.nanmedian(A.forward_head_angle(neutral_pts, facing))),
        )
    return Posture()


__all__ = ["MOVEMENTS", "AnalysisSettings", "Flag", "Posture", "Repetition", "TrialResult",
           "analyze_cleaned", "analyze_trial", "choose_repetitions", "detect_repetitions",
           "find_neutral"]


# ---- deep flexion: the back-anchored correction (side-view flexion only) -----------------------


def flexion_windows(trial: TrialResult, settings: AnalysisSettings = DEFAULT_ANALYSIS
                    ) -> tuple[np.ndarray, list[np.ndarray]]:
    """Frame positions (into the trial's frames) of its neutral stand and of each repetition's
    end-range plateau (the frames of the repetition within ``plateau_tol_deg`` of its peak)."""
    t, e = trial.time_s, trial.excursion_deg
    if not len(t) or not np.isfinite(trial.neutral_s[0]):
        return np.zeros(0, int), []
    neutral = np.flatnonzero((t >= trial.neutral_s[0]) & (t <= trial.neutral_s[1]))
    windows = []
    for r in trial.repetitions:
        inside = (t >= r.start_s) & (t <= r.end_s) & np.isfinite(e)
        windows.append(np.flatnonzero(inside & (np.nan_to_num(e, nan=-np.inf)
                                                >= r.peak_deg - settings.plateau_tol_deg)))
    return neutral, windows


def deep_flexion_applies(trial: TrialResult) -> bool:
    """The correction is made for flexion measured in a side view with repetitions."""
    return (trial.movement == "flexion" and trial.view.view == "side"
            and len(trial.repetitions) > 0)


def with_deep_flexion(trial: TrialResult, corrections: np.ndarray,
                      settings: AnalysisSettings = DEFAULT_ANALYSIS) -> TrialResult:
    """``trial`` with each repetition's peak moved by ``corrections`` (``(n_reps,)`` deg, from
    :func:`lumbar_rom.kinematics.deep_flexion.kept_corrections`), the repetitions chosen again
    and the value, spread and uncertainty recomputed. ``extras`` gains
    ``deep_flexion_corrected`` (1.0) and ``deep_flexion_correction_deg`` (new - old value). The
    trial is returned unchanged when the correction does not apply or any correction is NaN
    (then ``deep_flexion_corrected`` = 0.0). The flags and the plotted excursion curve are kept
    (the correction moves the value by a few degrees, less than any gate's margin)."""
    corrections = np.asarray(corrections, dtype=float)
    if (not deep_flexion_applies(trial) or corrections.shape != (len(trial.repetitions),)
            or not np.isfinite(corrections).all()):
        if trial.movement == "flexion":
            return replace(trial, extras={**trial.extras, "deep_flexion_corrected": 0.0})
        return trial
    reps = tuple(replace(r, peak_deg=float(r.peak_deg + c))
                 for r, c in zip(trial.repetitions, corrections, strict=True))
    peaks = [r.peak_deg for r in reps]
    used, _ = choose_repetitions(peaks, settings.consistency_deg)
    used_peaks = np.array([peaks[i] for i in used])
    value = float(np.mean(used_peaks))
    spec = movement_spec("flexion")
    neutral, _ = flexion_windows(trial, settings)
    raw = trial.excursion_deg[neutral] if neutral.size else np.zeros(0)
    extras = {**trial.extras, "deep_flexion_corrected": 1.0,
              "deep_flexion_correction_deg": value - trial.value_deg}
    return replace(trial, repetitions=reps, used_repetitions=used, value_deg=value,
                   spread_deg=float(np.ptp(used_peaks)),
                   uncertainty_deg=_uncertainty(spec, used_peaks, raw, settings), extras=extras)


def correct_deep_flexion(trial: TrialResult, seq: PoseSequence, offset: int,
                         keeper: DF.PeakFrameKeeper, masker: DF.Masker,
                         settings: AnalysisSettings = DEFAULT_ANALYSIS) -> TrialResult:
    """The back-anchored deep-flexion correction of one trial (frames ``offset:`` of ``seq``,
    the video's sequence) from the frames ``keeper`` held during the decode: a few mask calls
    (``masker``) on its neutral and end-range frames, then :func:`with_deep_flexion`. Trials it
    does not apply to are returned unchanged."""
    if not deep_flexion_applies(trial):
        return trial
    neutral, windows = flexion_windows(trial, settings)
    facing = A.facing_sign(seq.image[offset + neutral]) if neutral.size else float("nan")
    if not np.isfinite(facing):
        return with_deep_flexion(trial, np.full(len(trial.repetitions), np.nan), settings)
    corr = DF.kept_corrections(seq.image, keeper, masker, offset + neutral,
                               [offset + w for w in windows], facing, mirrored=seq.mirrored)
    return with_deep_flexion(trial, corr, settings)
