"""Camera-timed trunk endurance holds (McGill's battery): when the hold starts, when it ends, why.

The four tests, their protocol positions, the rule that ends a hold, the norms and McGill's
ratios are data in ``clinical/data/endurance.toml`` (each with a source). This module turns a
:class:`~lumbar_rom.pose.sequence.PoseSequence` into one number per test, the seconds held, with
a 95 % uncertainty and the reason the hold ended:

``posture_dropped``
    the measure left the held position in the test's failure direction by more than the
    tolerance and stayed beyond it (the protocol's end of the test);
``out_of_frame``
    the person (or the landmarks the measure needs) went missing for longer than allowed;
``clip_ended``
    the video ended while the position was still held (the time is a lower bound);
``never_in_position``
    the protocol position was never reached and held long enough to start timing.

Measures (image pixels, y down; every one NaN where its landmarks are missing)
----------------------------------------------------------------------------
``trunk_elevation``   mid-hip -> mid-shoulder line above the image horizontal, deg (side view).
``body_elevation``    mid-ankle -> mid-shoulder line above the image horizontal, deg.
``body_sag``          180 - the shoulder-hip-ankle angle, + when the hip lies below the
                      ankle -> shoulder line (hips sagging toward the floor), deg (front view).
``knee_flexion``      180 - the hip-knee-ankle angle, deg.
``thigh_elevation``   hip -> knee line above the image horizontal, deg.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from importlib.resources import files
from typing import Any, Literal

import numpy as np

from lumbar_rom.kinematics import angles as A
from lumbar_rom.kinematics.cleaning import CleaningSettings, clean
from lumbar_rom.pose.landmarks import Landmark as L
from lumbar_rom.pose.sequence import PoseSequence

HOLD_TESTS = ("extensor-hold", "side-plank-left", "side-plank-right", "flexor-hold")
EndReason = Literal["posture_dropped", "out_of_frame", "clip_ended", "never_in_position"]
Z95 = 1.959964


@cache
def endurance_knowledge() -> dict[str, Any]:
    """``clinical/data/endurance.toml`` (cached; callers must not mutate it).

    Read with importlib.resources here because ``lumbar_rom.data.load_toml`` only reads the
    ``lumbar_rom/data`` folder."""
    text = files("lumbar_rom.clinical").joinpath("data").joinpath("endurance.toml").read_text(
        encoding="utf-8")
    return tomllib.loads(text)


# ---- measures ---------------------------------------------------------------------------------


def _mid_seen(points: np.ndarray, a: int, b: int) -> np.ndarray:
    """Mean of landmarks ``a`` and ``b`` where both are seen, else whichever is.
    ``(T, 33, >=2) -> (T, 2)``"""
    pa, pb = points[:, a, :2], points[:, b, :2]
    return np.where(np.isnan(pa), pb, np.where(np.isnan(pb), pa, 0.5 * (pa + pb)))


def _elevation(lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """Angle of the ``lower -> upper`` image line above the horizontal, either facing direction.
    ``(T, 2), (T, 2) -> (T,)`` degrees in [-90, 90]."""
    d = upper - lower
    return np.degrees(np.arctan2(-d[:, 1], np.abs(d[:, 0])))


def _hips(image: np.ndarray) -> np.ndarray:
    return _mid_seen(image, L.LEFT_HIP, L.RIGHT_HIP)


def _shoulders(image: np.ndarray) -> np.ndarray:
    return _mid_seen(image, L.LEFT_SHOULDER, L.RIGHT_SHOULDER)


def _ankles(image: np.ndarray) -> np.ndarray:
    return _mid_seen(image, L.LEFT_ANKLE, L.RIGHT_ANKLE)


def _knees(image: np.ndarray) -> np.ndarray:
    return _mid_seen(image, L.LEFT_KNEE, L.RIGHT_KNEE)


def trunk_elevation(image: np.ndarray) -> np.ndarray:
    """Mid-hip -> mid-shoulder line above the image horizontal. ``(T, 33, >=2) -> (T,)`` deg."""
    return _elevation(_hips(image), _shoulders(image))


def body_elevation(image: np.ndarray) -> np.ndarray:
    """Mid-ankle -> mid-shoulder line above the image horizontal. ``(T, 33, >=2) -> (T,)`` deg."""
    return _elevation(_ankles(image), _shoulders(image))


def thigh_elevation(image: np.ndarray) -> np.ndarray:
    """Hip -> knee line above the image horizontal. ``(T, 33, >=2) -> (T,)`` deg."""
    return _elevation(_hips(image), _knees(image))


def body_sag(image: np.ndarray) -> np.ndarray:
    """Bend of the body line at the hips, + when the hip is below the ankle -> shoulder line.
    ``(T, 33, >=2) -> (T,)`` degrees; 0 = straight."""
    s, h, a = _shoulders(image), _hips(image), _ankles(image)
    bend = 180.0 - A.joint_angle(s, h, a)
    d, e = s - a, h - a
    cross = d[:, 0] * e[:, 1] - d[:, 1] * e[:, 0]  # > 0: hip below the line when d points right
    sign = np.sign(cross * np.sign(d[:, 0]))
    return np.where(sign < 0, -bend, bend)


def knee_flexion(image: np.ndarray) -> np.ndarray:
    """180 - the hip-knee-ankle angle (mean of the legs seen). ``(T, 33, >=2) -> (T,)`` deg."""
    return A.knee_flexion(image)


MEASURES: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "trunk_elevation": trunk_elevation,
    "body_elevation": body_elevation,
    "body_sag": body_sag,
    "knee_flexion": knee_flexion,
    "thigh_elevation": thigh_elevation,
}


# ---- the protocol of one test -------------------------------------------------------------------


@dataclass(frozen=True)
class HoldSpec:
    """One test's protocol and the hold-end rule, from ``endurance.toml`` (degrees, seconds)."""

    test: str
    name: str
    view: str
    measure: str
    target_deg: float
    start_window_deg: float
    fail_direction: int
    checks: tuple[tuple[str, float, float], ...]
    min_in_position_s: float
    reference_s: float
    settle_deg: float
    drop_deg: float
    min_out_s: float
    max_missing_s: float
    visibility: float
    camera_change_sd_deg: float
    source: str
    rule_source: str


def hold_spec(test: str) -> HoldSpec:
    """The :class:`HoldSpec` of ``test`` (one of :data:`HOLD_TESTS`)."""
    k = endurance_knowledge()
    if test not in k["tests"]:
        raise ValueError(f"Unknown hold test {test!r}; expected one of {', '.join(HOLD_TESTS)}.")
    t, r = k["tests"][test], k["rule"]
    return HoldSpec(
        test=test, name=t["name"], view=t["view"], measure=t["measure"],
        target_deg=float(t["target_deg"]), start_window_deg=float(t["start_window_deg"]),
        fail_direction=int(t["fail_direction"]),
        checks=tuple((str(c[0]), float(c[1]), float(c[2])) for c in t.get("checks", [])),
        min_in_position_s=float(r["min_in_position_s"]), reference_s=float(r["reference_s"]),
        settle_deg=float(r["settle_deg"]), drop_deg=float(r["drop_deg"]),
        min_out_s=float(r["min_out_s"]), max_missing_s=float(r["max_missing_s"]),
        visibility=float(r["visibility"]),
        camera_change_sd_deg=float(t.get("camera_change_sd_deg",
                                         r.get("camera_change_sd_deg", 0.0))),
        source=t["source"], rule_source=r["source"],
    )


# ---- result ------------------------------------------------------------------------------


@dataclass(frozen=True)
class HoldResult:
    """The timed hold of one test.

    held_s : seconds from the start to the end of the hold (NaN if never in position); a lower
        bound when ``end_reason`` is "clip_ended".
    uncertainty_s : 95 % half-width of ``held_s``: frame timing, and the timing of the start and
        end crossings given the measure's noise and the camera's error of a change
        (angle SD / the measure's rate of change at the crossing).
    start_s, end_s : clip times of the start and the end (NaN if never in position).
    held_deg : the measure's held position (median over the first ``reference_s`` of the hold).
    time_s, measure_deg : ``(T,)`` the clip's times and the measure (NaN = missing).
    """

    test: str
    held_s: float
    uncertainty_s: float
    start_s: float
    end_s: float
    end_reason: EndReason
    held_deg: float
    target_deg: float
    tolerance_deg: float
    noise_deg: float
    time_s: np.ndarray = field(repr=False)
    measure_deg: np.ndarray = field(repr=False)
    flags: tuple[str, ...] = ()
    source: str = ""

    def to_dict(self, series: bool = False) -> dict[str, Any]:
        """JSON-ready dict (NaN -> None); the per-frame series only with ``series=True``."""
        def num(x: float, nd: int = 2) -> float | None:
            return None if not math.isfinite(x) else round(float(x), nd)

        out: dict[str, Any] = {
            "test": self.test, "held_s": num(self.held_s), "uncertainty_s": num(self.uncertainty_s),
            "start_s": num(self.start_s, 3), "end_s": num(self.end_s, 3),
            "end_reason": self.end_reason, "held_deg": num(self.held_deg, 1),
            "target_deg": num(self.target_deg, 1), "tolerance_deg": num(self.tolerance_deg, 1),
            "noise_deg": num(self.noise_deg, 2), "flags": list(self.flags), "source": self.source,
        }
        if series:
            out["time_s"] = [num(x, 4) for x in self.time_s]
            out["measure_deg"] = [num(x, 2) for x in self.measure_deg]
        return out


# ---- timing over a measure series --------------------------------------------------------------


def _status(time_s: np.ndarray, ok: np.ndarray, seen: np.ndarray,
            max_missing_s: float) -> np.ndarray:
    """Per frame True where in position, bridging missing gaps no longer than ``max_missing_s``
    between two in-position frames. ``(T,) -> (T,)`` bool."""
    inpos = ok & seen
    out = inpos.copy()
    idx = np.flatnonzero(seen)
    for a, b in zip(idx[:-1], idx[1:], strict=True):
        if b - a > 1 and inpos[a] and inpos[b] and time_s[b] - time_s[a] <= max_missing_s:
            out[a + 1:b] = True
    return out


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    d = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(d == 1), np.flatnonzero(d == -1), strict=True))


def _crossing(t0: float, t1: float, x0: float, x1: float, level: float) -> float:
    """Time where the line through (t0, x0), (t1, x1) reaches ``level`` (clipped to [t0, t1])."""
    if not np.isfinite(x0) or x1 == x0:
        return t1
    return t0 + float(np.clip((level - x0) / (x1 - x0), 0.0, 1.0)) * (t1 - t0)


def _slope(t: np.ndarray, x: np.ndarray, i: int, half_s: float = 0.2) -> float:
    """Rate of change (per s) of ``x`` around frame ``i``: a line fitted to the frames seen within
    ``half_s`` either side (robust to one noisy frame)."""
    sel = np.isfinite(x) & (np.abs(t - t[i]) <= half_s + 1e-9)
    if sel.sum() < 2:
        return 0.0
    return float(np.polyfit(t[sel], x[sel], 1)[0])


def _noise(values: np.ndarray) -> float:
    """Robust frame-to-frame noise SD of a held measure (MAD of first differences / sqrt 2)."""
    v = values[np.isfinite(values)]
    if v.size < 3:
        return float("nan")
    return float(1.4826 * np.median(np.abs(np.diff(v))) / math.sqrt(2.0))


def detect_hold(time_s: np.ndarray, value_deg: np.ndarray, spec: HoldSpec,
                checks_ok: np.ndarray | None = None) -> HoldResult:
    """Time a hold from its measure series.

    ``time_s (T,)`` strictly increasing, ``value_deg (T,)`` the test's measure (NaN = missing),
    ``checks_ok (T,)`` bool: the test's other posture checks pass (default: all True).
    """
    t = np.asarray(time_s, dtype=float)
    v = np.asarray(value_deg, dtype=float)
    if t.ndim != 1 or v.shape != t.shape:
        raise ValueError(f"time_s and value_deg must be 1-D of one length, got {t.shape} and "
                         f"{v.shape}.")
    ok = np.ones(t.shape, bool) if checks_ok is None else np.asarray(checks_ok, bool)
    seen = np.isfinite(v)
    dt = float(np.median(np.diff(t))) if t.size > 1 else float("nan")
    frame_sd = dt / math.sqrt(12.0) if np.isfinite(dt) else 0.0
    inwin = np.zeros(t.shape, bool)
    inwin[seen] = np.abs(v[seen] - spec.target_deg) <= spec.start_window_deg
    status = _status(t, inwin & ok, seen, spec.max_missing_s)
    flags: list[str] = []

    def result(reason: EndReason, held: float = float("nan"), unc: float = float("nan"),
               start: float = float("nan"), end: float = float("nan"),
               ref: float = float("nan"), noise: float = float("nan")) -> HoldResult:
        return HoldResult(spec.test, held, unc, start, end, reason, ref, spec.target_deg,
                          spec.drop_deg, noise, t, v, tuple(flags), spec.source)

    run = next(((a, b) for a, b in _runs(status)
                if t[b - 1] - t[a] >= spec.min_in_position_s - 1e-9), None)
    if run is None:
        if not seen.any():
            flags.append("no person found")
        return result("never_in_position")
    a, b = run
    ref_sel = seen & (t >= t[a]) & (t <= t[a] + spec.reference_s + 1e-9)
    ref = float(np.median(v[ref_sel]))

    k, start, start_var, slope_s = _hold_start(t, v, seen, a, b, ref, spec, frame_sd, flags)
    # the end: a sustained excursion beyond the tolerance, a long gap, or the end of the clip
    x = (v - ref) * spec.fail_direction  # > 0: toward failure
    reason, end, end_index, last_seen = _hold_end(t, seen, seen & (x > spec.drop_deg), k, spec)
    hold_vals = v[k:end_index if end_index is not None else t.size]
    noise = _noise(hold_vals[(np.abs(hold_vals - ref) <= spec.drop_deg)])
    noise_var = 0.0
    # angle error at a crossing: the measure's own noise and the camera's error of a change
    angle_sd = math.hypot(noise if np.isfinite(noise) else 0.0, spec.camera_change_sd_deg)
    if reason == "posture_dropped":
        assert end_index is not None
        end, slope = _drop_crossing(t, x, seen, end_index, spec.drop_deg)
        if abs(slope) > 0:
            noise_var += (angle_sd / abs(slope)) ** 2
    elif reason == "clip_ended":
        end = float(t[last_seen])
        flags.append("the clip ended while the position was held: the time is a lower bound")
    else:
        flags.append("the person left the view during the hold")
    if abs(slope_s) > 0:
        noise_var += (angle_sd / abs(slope_s)) ** 2
    held = max(0.0, end - start)
    unc = Z95 * math.sqrt(start_var + frame_sd ** 2 + noise_var)
    return result(reason, held, unc, start, end, ref, noise)


def _hold_start(t: np.ndarray, v: np.ndarray, seen: np.ndarray, a: int, b: int, ref: float,
                spec: HoldSpec, frame_sd: float, flags: list[str]
                ) -> tuple[int, float, float, float]:
    """The hold's start: the measure first comes within ``settle_deg`` of the held position
    ``ref`` in the in-position run ``a:b``. Returns its frame, its time, the time's variance
    and the measure's slope there (0 when nothing was seen before it: no crossing)."""
    dist = np.abs(v - ref)
    k = next(i for i in range(a, b) if seen[i] and dist[i] <= spec.settle_deg)
    prev = k - 1
    while prev >= 0 and not seen[prev]:
        prev -= 1
    if prev < 0:
        if k == 0:
            flags.append("in position from the first frame")
        return k, float(t[k]), frame_sd ** 2, 0.0
    start = _crossing(t[prev], t[k], dist[prev], dist[k], spec.settle_deg)
    return k, start, frame_sd ** 2, _slope(t, v, k)


def _hold_end(t: np.ndarray, seen: np.ndarray, beyond: np.ndarray, k: int, spec: HoldSpec
              ) -> tuple[EndReason, float, int | None, int]:
    """How the hold begun at frame ``k`` ends: a sustained excursion ``beyond`` the tolerance
    (``posture_dropped``), a gap longer than ``max_missing_s`` (``out_of_frame``) or the end of
    the clip. Returns the reason, the end time (NaN: set by the caller), the end frame and the
    last frame seen."""
    last_seen = k
    for i in range(k + 1, t.size):
        if not seen[i]:
            continue
        if t[i] - t[last_seen] > spec.max_missing_s + 1e-9:
            return "out_of_frame", float(t[last_seen]), last_seen, last_seen
        if beyond[i] and _sustained(t, seen, beyond, i, spec):
            return "posture_dropped", float("nan"), i, last_seen
        last_seen = i
    if t[-1] - t[last_seen] > spec.max_missing_s + 1e-9:  # gone to the end of the clip
        return "out_of_frame", float(t[last_seen]), last_seen, last_seen
    return "clip_ended", float("nan"), None, last_seen


def _sustained(t: np.ndarray, seen: np.ndarray, beyond: np.ndarray, i: int, spec: HoldSpec
               ) -> bool:
    """The excursion at frame ``i`` lasts ``min_out_s`` (or the person is gone or the clip ends
    first)."""
    horizon = t[i] + spec.min_out_s
    later = seen & (t > t[i]) & (t <= horizon + 1e-9)
    nxt = np.flatnonzero(seen & (t > t[i]))
    gap_after = nxt.size and t[nxt[0]] - t[i] > spec.max_missing_s
    return bool(np.all(beyond[later]) or gap_after or nxt.size == 0 or t[-1] < horizon)


def _drop_crossing(t: np.ndarray, x: np.ndarray, seen: np.ndarray, i: int, drop_deg: float
                   ) -> tuple[float, float]:
    """The time the failure measure ``x`` crosses ``drop_deg`` before frame ``i`` and its
    slope there."""
    j = i - 1
    while not seen[j]:
        j -= 1
    return _crossing(t[j], t[i], x[j], x[i], drop_deg), _slope(t, x, i)


def hold_measures(seq: PoseSequence, spec: HoldSpec,
                  cleaning: CleaningSettings | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The test's measure ``(T,)`` and its posture checks ``(T,)`` bool from a pose sequence
    (landmarks cleaned first; a check that cannot be computed in a frame passes)."""
    settings = cleaning or CleaningSettings(visibility_threshold=spec.visibility)
    image = clean(seq.image, seq.time_s, seq.visibility, settings)
    value = MEASURES[spec.measure](image)
    ok = np.ones(seq.n_frames, bool)
    for name, lo, hi in spec.checks:
        c = MEASURES[name](image)
        ok &= ~np.isfinite(c) | ((c >= lo) & (c <= hi))
    return value, ok


def analyze_hold(seq: PoseSequence, test: str) -> HoldResult:
    """Time the hold of ``test`` (one of :data:`HOLD_TESTS`) in a pose sequence."""
    spec = hold_spec(test)
    if seq.n_frames < 2:
        raise ValueError("A hold needs a video of at least two frames.")
    value, ok = hold_measures(seq, spec)
    result = detect_hold(seq.time_s, value, spec, ok)
    side = endurance_knowledge()["tests"][test].get("side")
    if side and math.isfinite(result.held_s):
        flag = _wrong_side(seq, side, result.start_s, result.end_s)
        if flag:
            result = replace(result, flags=(*result.flags, flag))
    return result


def _wrong_side(seq: PoseSequence, side: str, start_s: float, end_s: float) -> str | None:
    """A flag when the supporting shoulder (the lower one in a side plank) is not ``side``."""
    sel = (seq.time_s >= start_s) & (seq.time_s <= end_s)
    vis = seq.visibility[sel][:, [L.LEFT_SHOULDER, L.RIGHT_SHOULDER]]
    dy = seq.image[sel, L.LEFT_SHOULDER, 1] - seq.image[sel, L.RIGHT_SHOULDER, 1]
    dy = dy[np.all(vis >= 0.5, axis=1) & np.isfinite(dy)]
    if dy.size == 0:
        return None
    lower = "left" if np.median(dy) > 0 else "right"
    if lower != side:
        return (f"the body seems to rest on the {lower} side, not the {side}: check the test "
                "chosen (or a mirrored video)")
    return None


# ---- norms and ratios ----------------------------------------------------------------------


@dataclass(frozen=True)
class NormComparison:
    """A held time against the cited norm for the person's sex (seconds)."""

    test: str
    sex: str
    held_s: float
    mean_s: float
    sd_s: float
    z: float
    confirmed: bool
    source: str

    def to_dict(self) -> dict[str, Any]:
        return {k: (None if isinstance(v, float) and not math.isfinite(v) else v)
                for k, v in self.__dict__.items()}


def hold_norm(result: HoldResult, sex: str) -> NormComparison:
    """Compare ``result`` with the norm of ``sex`` ("male" / "female")."""
    norms = endurance_knowledge()["norms"].get(result.test, {})
    if sex not in norms:
        raise ValueError(f"No {result.test} norm for sex {sex!r}; expected 'male' or 'female'.")
    n = norms[sex]
    z = (result.held_s - n["mean_s"]) / n["sd_s"] if math.isfinite(result.held_s) else math.nan
    return NormComparison(result.test, sex, result.held_s, float(n["mean_s"]), float(n["sd_s"]),
                          float(z), bool(n.get("confirmed", False)), n["source"])


@dataclass(frozen=True)
class RatioResult:
    """One of McGill's ratios of a balanced trunk.

    value : the ratio (the largest over the numerator tests, e.g. either side plank); NaN when a
        test is missing or was never timed.
    within : the ratio meets the cited rule (None when it cannot be computed).
    """

    key: str
    name: str
    value: float
    uncertainty: float
    rule: str
    within: bool | None
    confirmed: bool
    source: str

    def to_dict(self) -> dict[str, Any]:
        return {k: (None if isinstance(v, float) and not math.isfinite(v) else v)
                for k, v in self.__dict__.items()}


def hold_ratios(results: Mapping[str, HoldResult] | Iterable[HoldResult]
                ) -> tuple[RatioResult, ...]:
    """McGill's ratios from the timed holds (keyed by test, or any iterable of results), each
    compared with its rule in ``endurance.toml``. The 95 % uncertainty of a ratio is propagated
    from the held times' uncertainties (first order)."""
    by_test = dict(results) if isinstance(results, Mapping) else {r.test: r for r in results}
    out = []
    for key, r in endurance_knowledge()["ratios"].items():
        den = [by_test.get(x) for x in r["denominator"]]
        values, uncs = [], []
        for num_test in r["numerator"]:
            num = by_test.get(num_test)
            seen_den = [d for d in den if d is not None]
            if num is None or len(seen_den) < len(den):
                continue
            d_held = sum(d.held_s for d in seen_den)
            if not (math.isfinite(num.held_s) and math.isfinite(d_held)) or d_held <= 0:
                continue
            ratio = num.held_s / d_held
            d_unc = math.sqrt(sum(d.uncertainty_s ** 2 for d in seen_den))
            rel = math.hypot(num.uncertainty_s / num.held_s if num.held_s > 0 else math.inf,
                             d_unc / d_held)
            values.append(ratio)
            uncs.append(ratio * rel)
        if r["compare"] == "below":
            rule = f"below {r['limit']:g}"
        else:
            rule = f"within {r['tolerance']:g} of {r['target']:g}"
        if not values:
            out.append(RatioResult(key, r["name"], math.nan, math.nan, rule, None,
                                   bool(r.get("confirmed", False)), r["source"]))
            continue
        i = int(np.argmax(values)) if r["compare"] == "below" else int(
            np.argmax([abs(x - r["target"]) for x in values]))
        value = values[i]
        if r["compare"] == "below":
            within = value < r["limit"]
        else:
            within = abs(value - r["target"]) <= r["tolerance"]
        out.append(RatioResult(key, r["name"], float(value), float(uncs[i]), rule, bool(within),
                               bool(r.get("confirmed", False)), r["source"]))
    return tuple(out)
