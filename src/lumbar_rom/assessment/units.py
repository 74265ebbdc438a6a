"""Clinical units: fingertip-to-floor (flexion), lateral fingertip-to-floor (side bends, the
change from standing) and the BASMI lateral lumbar flexion score, in the units a physiotherapist
reports, from the cleaned landmarks of a trial.

Definitions, the BASMI formula and the scaling's error terms are data
(``clinical/data/units.toml``); the smallest detectable changes are in ``clinical/data/error.toml``
(both validated for sources on load here: they are read below the clinical layer).

Scale: with the person's height ``H`` (cm), ``px_per_cm = span / ((f_eye - f_ankle) * H)``, the
neutral stance's eye-to-ankle vertical span in pixels over the anthropometric fractions
(``data/anthropometry.toml``). Its relative uncertainty (one SD)::

    r = sqrt(proportion_rel_sd^2 + (height_sd_cm / H)^2 + (span_se / span)^2)

(people's proportions and the landmarks' placement against the average fractions, the height's
rounding, the span's own frame noise: its SD over the neutral frames / sqrt(frames)). A distance
``d`` (cm) then has ``sd = sqrt((d * r)^2 + sd_reps^2 / n + tip_sd_cm^2)``, ``sd_reps`` the SD of
the per-repetition distances (one repetition: ``tip_sd_cm`` again). Every value is the mean over
the repetitions the angle used (the reported angle's own rule), read at each repetition's
end-range frame.

Decisions (stated once): the fingertip is MediaPipe's index-finger landmark (the pose model has no
middle fingertip; the clinical tests mark the middle fingertip). That landmark sits near the index
knuckle, so fingertip-to-floor subtracts ``index_to_tip_fraction`` x height (measured on the
rendered samples, LR8; its SD added); the lateral distance is a change from standing and needs no
offset; the lateral distance is that of the hand that moved down more (the hand on
the side bent to; this needs no left/right label, so a label swap cannot flip it); without a
height nothing is given in centimetres (``fingertip_to_floor_px`` / ``lateral_fingertip_floor_px``
instead) and no BASMI score. A side-bend trial's ``basmi_lateral_flexion_score`` is its own side's
score; :func:`basmi_both_sides` gives the item (the mean of both sides' distances, scored).

Fields (in a trial's ``extras``, so in ``result.json``): ``fingertip_to_floor_cm`` and ``_sd``,
``lateral_fingertip_floor_cm`` and ``_sd``, ``basmi_lateral_flexion_score`` and ``_sd``
(one SD each; 95 % = 1.96 SD).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np

from lumbar_rom.data import CLINICAL, DataError, file_problems, load_toml
from lumbar_rom.kinematics import angles as A
from lumbar_rom.pose.landmarks import Landmark as L

FTF = "fingertip_to_floor_cm"
LATERAL = "lateral_fingertip_floor_cm"
BASMI = "basmi_lateral_flexion_score"
FIELDS = (FTF, LATERAL, BASMI)


@cache
def units_knowledge() -> dict[str, Any]:
    """``units.toml`` with the MDCs of ``error.toml`` merged in as ``mdc`` / ``mdc_unit`` /
    ``mdc_source`` per field; :class:`DataError` when a fact has no source."""
    table = load_toml("units.toml", package=CLINICAL)
    problems = file_problems("units.toml", table)
    if problems:
        raise DataError("; ".join(problems))
    err = load_toml("error.toml", package=CLINICAL)
    out = {k: dict(v) for k, v in table.items()}
    for key, unit in (("fingertip_to_floor", "cm"), ("lateral_fingertip_floor", "cm"),
                      ("basmi_lateral_flexion", "points")):
        e = err[key]
        out[key]["mdc"] = float(e.get("sdc_cm", e.get("sdc_points", float("nan"))))
        out[key]["mdc_unit"] = unit
        out[key]["mdc_source"] = str(e["source"])
    return out


# ---- the geometry ------------------------------------------------------------------------------


def _pair_mean(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.where(np.isnan(a), b, np.where(np.isnan(b), a, 0.5 * (a + b)))


@dataclass(frozen=True)
class Scale:
    """Pixels per centimetre at the person and its relative uncertainty (one SD)."""

    px_per_cm: float
    rel_sd: float


def pixel_scale(neutral: np.ndarray, height_cm: float) -> Scale:
    """The scale from the neutral frames ``neutral (N, 33, >=2)`` (image pixels, y down) and the
    height (cm): module docstring. NaN when the eyes or ankles are not seen."""
    anth = load_toml("anthropometry.toml")
    frac = float(anth["eye_height"]["fraction"]) - float(anth["ankle_height"]["fraction"])
    ankle = _pair_mean(neutral[:, L.LEFT_ANKLE, 1], neutral[:, L.RIGHT_ANKLE, 1])
    eye = _pair_mean(neutral[:, L.LEFT_EYE, 1], neutral[:, L.RIGHT_EYE, 1])
    span = ankle - eye
    seen = span[np.isfinite(span)]
    if not seen.size or not height_cm > 0:
        return Scale(float("nan"), float("nan"))
    s = float(np.median(seen))
    se = float(np.std(seen, ddof=1)) / math.sqrt(seen.size) if seen.size > 1 else 0.0
    k = units_knowledge()["scaling"]
    rel = math.sqrt(float(k["proportion_rel_sd"]) ** 2 + (float(k["height_sd_cm"])
                                                          / height_cm) ** 2 + (se / s) ** 2)
    return Scale(s / (frac * height_cm), rel)


def _mean_sd(per_rep: np.ndarray, scale_rel: float) -> tuple[float, float]:
    """Mean of the per-repetition distances (cm) and its SD (module docstring)."""
    x = per_rep[np.isfinite(per_rep)]
    if not x.size:
        return float("nan"), float("nan")
    tip = float(units_knowledge()["scaling"]["tip_sd_cm"])
    d = float(np.mean(x))
    reps = float(np.std(x, ddof=1)) if x.size > 1 else tip
    return d, math.sqrt((d * scale_rel) ** 2 + reps ** 2 / x.size + tip ** 2)


def fingertip_heights_px(image: np.ndarray, neutral: np.ndarray) -> np.ndarray:
    """Per frame, the lower index fingertip's height above the neutral ankle level, pixels
    (+ = above). ``image (T, 33, >=2), neutral (N, 33, >=2) -> (T,)``."""
    ankle_y = A.nanmedian(_pair_mean(neutral[:, L.LEFT_ANKLE, 1], neutral[:, L.RIGHT_ANKLE, 1]))
    return ankle_y - np.fmax(image[:, L.LEFT_INDEX, 1], image[:, L.RIGHT_INDEX, 1])


def fingertip_to_floor(image: np.ndarray, neutral: np.ndarray, peak_idx: list[int],
                       height_cm: float) -> tuple[float, float]:
    """Fingertip-to-floor (cm) and its SD: the lower fingertip's height above the floor (the
    neutral ankle level plus the anthropometric ankle height) at the frames ``peak_idx``,
    averaged (negative = below floor level, reaching past the toes on a step)."""
    scale = pixel_scale(neutral, height_cm)
    if not peak_idx or not np.isfinite(scale.px_per_cm):
        return float("nan"), float("nan")
    ankle_cm = float(load_toml("anthropometry.toml")["ankle_height"]["fraction"]) * height_cm
    k = units_knowledge()["scaling"]
    tip_cm = float(k["index_to_tip_fraction"]) * height_cm
    per_rep = fingertip_heights_px(image[peak_idx], neutral) / scale.px_per_cm + ankle_cm - tip_cm
    d, sd = _mean_sd(per_rep, scale.rel_sd)
    return d, math.hypot(sd, float(k["index_to_tip_sd_fraction"]) * height_cm)


def fingertip_drops_px(image: np.ndarray, neutral: np.ndarray) -> np.ndarray:
    """Per frame, how far each index fingertip moved down from its neutral height (pixels,
    + = down): ``(T, 2)`` (left label, right label)."""
    idx = [L.LEFT_INDEX, L.RIGHT_INDEX]
    base = np.array([A.nanmedian(neutral[:, i, 1]) for i in idx])
    return image[:, idx, 1] - base


def lateral_fingertip_floor(image: np.ndarray, neutral: np.ndarray, peak_idx: list[int],
                            height_cm: float) -> tuple[float, float]:
    """Lateral fingertip-to-floor (cm, the change from standing) and its SD: at each frame of
    ``peak_idx`` the drop of the hand that moved down more (module docstring), averaged."""
    scale = pixel_scale(neutral, height_cm)
    if not peak_idx or not np.isfinite(scale.px_per_cm):
        return float("nan"), float("nan")
    drops = fingertip_drops_px(image[peak_idx], neutral)
    per_rep = np.where(np.isfinite(drops).any(axis=1),
                       np.nanmax(np.where(np.isfinite(drops), drops, -np.inf), axis=1), np.nan)
    return _mean_sd(per_rep / scale.px_per_cm, scale.rel_sd)


# ---- the BASMI item ----------------------------------------------------------------------------


def basmi_lateral_flexion_score(distance_cm: float) -> float:
    """The linear BASMI score (0-10) of a lateral lumbar flexion distance (cm):
    ``(21.1 - A) / 2.1`` kept within 0..10 (S161). NaN stays NaN."""
    k = units_knowledge()["basmi_lateral_flexion"]
    if not np.isfinite(distance_cm):
        return float("nan")
    s = (float(k["intercept_cm"]) - distance_cm) / float(k["slope_cm"])
    return float(min(max(s, float(k["min_score"])), float(k["max_score"])))


def basmi_score_sd(distance_cm: float, sd_cm: float) -> float:
    """The score's SD from the distance's: ``sd / 2.1`` inside the linear range, 0 where the score
    is clamped at 0 or 10 (a change there does not move it)."""
    k = units_knowledge()["basmi_lateral_flexion"]
    lo = float(k["intercept_cm"]) - float(k["slope_cm"]) * float(k["max_score"])
    if not (np.isfinite(distance_cm) and np.isfinite(sd_cm)):
        return float("nan")
    if distance_cm >= float(k["intercept_cm"]) or distance_cm <= lo:
        return 0.0
    return sd_cm / float(k["slope_cm"])


def basmi_both_sides(left_cm: float, right_cm: float, left_sd: float = float("nan"),
                     right_sd: float = float("nan")) -> tuple[float, float]:
    """The BASMI item: the score of the mean of both sides' distances, and its SD (the mean's SD
    ``sqrt(l^2 + r^2) / 2``). NaN unless both sides are measured."""
    if not (np.isfinite(left_cm) and np.isfinite(right_cm)):
        return float("nan"), float("nan")
    mean = 0.5 * (left_cm + right_cm)
    return basmi_lateral_flexion_score(mean), basmi_score_sd(
        mean, 0.5 * math.hypot(left_sd, right_sd))


# ---- a trial's extras ----------------------------------------------------------------------------


def unit_extras(movement: str, image: np.ndarray, neutral: np.ndarray, peak_idx: list[int],
                height_cm: float | None) -> dict[str, float]:
    """The clinical-unit extras of one trial of ``movement``: flexion -> fingertip-to-floor, side
    bends -> lateral fingertip-to-floor and the side's BASMI score (cm with a height; pixels
    without, and no score). ``image (T, 33, >=2)``, ``neutral (N, 33, >=2)``, ``peak_idx``: the
    end-range frames of the repetitions used."""
    nan = float("nan")
    if movement == "flexion":
        if height_cm is None:
            tips = fingertip_heights_px(image[peak_idx], neutral) if peak_idx else np.array([nan])
            return {"fingertip_to_floor_px": float(np.nanmean(tips))
                    if np.isfinite(tips).any() else nan}
        d, sd = fingertip_to_floor(image, neutral, peak_idx, height_cm)
        return {FTF: d, f"{FTF}_sd": sd}
    if movement.startswith("side-bend"):
        if height_cm is None:
            drops = fingertip_drops_px(image[peak_idx], neutral) if peak_idx else np.array([[nan]])
            best = np.nanmax(np.where(np.isfinite(drops), drops, -np.inf), axis=1)
            best = best[np.isfinite(best)]
            return {"lateral_fingertip_floor_px": float(np.mean(best)) if best.size else nan}
        d, sd = lateral_fingertip_floor(image, neutral, peak_idx, height_cm)
        return {LATERAL: d, f"{LATERAL}_sd": sd, BASMI: basmi_lateral_flexion_score(d),
                f"{BASMI}_sd": basmi_score_sd(d, sd)}
    return {}


# ---- what the app and the PDF show ------------------------------------------------------------


@dataclass(frozen=True)
class UnitRow:
    """One clinical-unit value to show: ``value`` with ``u95`` (1.96 SD), in ``unit``, with the
    test's ``definition``, its ``mdc`` (``mdc_unit``) and the source keys ``source``."""

    key: str
    label: str
    value: float
    u95: float
    unit: str
    definition: str
    mdc: float
    mdc_unit: str
    source: str

    def text(self) -> str:
        """``Fingertip-to-floor (flexion): 12.3 +/- 4.0 cm (95 %); smallest real change 9.8 cm``"""
        dec = 1
        return (f"{self.label}: {self.value:.{dec}f} +/- {self.u95:.{dec}f} {self.unit} (95 %); "
                f"smallest real change {self.mdc:g} {self.mdc_unit}")


def _row(key: str, field: str, label: str, value: float, sd: float) -> UnitRow:
    k = units_knowledge()[key]
    unit = "cm" if field != BASMI else "/10"
    return UnitRow(field, label, value, 1.96 * sd if np.isfinite(sd) else float("nan"), unit,
                   str(k["text"]) + (f" {k['caveat']}" if k.get("caveat") else ""),
                   float(k["mdc"]), str(k["mdc_unit"]), f"{k['source']}; {k['mdc_source']}")


def unit_rows(extras: Mapping[str, Mapping[str, Any]]) -> list[UnitRow]:
    """The values to show for a session, from each movement's extras (``movement -> extras``, as
    a :class:`TrialResult` or a stored trial's ``result["extras"]`` holds them; ``None`` = NaN):
    fingertip-to-floor, each side's lateral distance and score, and the BASMI item of both sides
    when both were measured. Values that were not measured are left out."""
    def get(m: str, f: str) -> float:
        v = (extras.get(m) or {}).get(f)
        return float("nan") if v is None else float(v)

    rows: list[UnitRow] = []
    if np.isfinite(get("flexion", FTF)):
        rows.append(_row("fingertip_to_floor", FTF, "Fingertip-to-floor (flexion)",
                         get("flexion", FTF), get("flexion", f"{FTF}_sd")))
    for side in ("left", "right"):
        m = f"side-bend-{side}"
        if np.isfinite(get(m, LATERAL)):
            rows.append(_row("lateral_fingertip_floor", LATERAL,
                             f"Lateral fingertip-to-floor ({side})", get(m, LATERAL),
                             get(m, f"{LATERAL}_sd")))
            rows.append(_row("basmi_lateral_flexion", BASMI,
                             f"BASMI lateral lumbar flexion, {side} side only", get(m, BASMI),
                             get(m, f"{BASMI}_sd")))
    score, sd = basmi_both_sides(get("side-bend-left", LATERAL), get("side-bend-right", LATERAL),
                                 get("side-bend-left", f"{LATERAL}_sd"),
                                 get("side-bend-right", f"{LATERAL}_sd"))
    if np.isfinite(score):
        rows.append(_row("basmi_lateral_flexion", BASMI,
                         "BASMI lateral lumbar flexion (mean of both sides)", score, sd))
    return rows


__all__ = ["BASMI", "FIELDS", "FTF", "LATERAL", "Scale", "UnitRow", "basmi_both_sides",
           "basmi_lateral_flexion_score", "basmi_score_sd", "fingertip_to_floor",
           "lateral_fingertip_floor", "pixel_scale", "unit_extras", "unit_rows",
           "units_knowledge"]
