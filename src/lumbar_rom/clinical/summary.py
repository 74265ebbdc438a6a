"""A plain-text summary of an :class:`~lumbar_rom.clinical.engine.Assessment` (CLI, reports)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from lumbar_rom.clinical.engine import Assessment
from lumbar_rom.clinical.knowledge import knowledge

DISCLAIMER = ("lumbar-rom measures range of motion; it does not diagnose. If in doubt, see a "
              "physiotherapist or doctor.")
STOP_NOTE = "lumbar-rom measures range of motion; it does not diagnose."  # no "if in doubt"


def headline(a: Assessment) -> str:
    """A stopped or deferred session in one line ("No measurement: severe pain 9/10.",
    "Deferred: injury under 72 hours, re-test after ..."); "" for a complete one. Sessions
    stored before the headline was kept get one from their status."""
    if a.status == "complete":
        return ""
    if a.headline:
        return a.headline
    s = knowledge().safety
    return {"stopped-red-flag": "No measurement: stopped by the safety questions.",
            "severe-pain": f"No measurement: severe pain ({s.severity.severe_nrs:g}/10 or more).",
            }.get(a.status, f"Deferred: injury under {s.acute.hours:g} hours"
                  + (f", re-test after {a.retest_after.replace('T', ' ')}."
                     if a.retest_after else "."))


def session_headline(stored: Mapping[str, Any] | None) -> str:
    """:func:`headline` of a stored session's assessment dict ("" for a complete one or none
    stored; a dict this version cannot read gives "")."""
    if not stored:
        return ""
    try:
        return headline(Assessment.from_dict(stored))
    except (ValueError, TypeError, KeyError):
        return ""


def basmi_context(a: Assessment) -> str | None:
    """The context the BASMI item is shown with (the NG65 screen found inflammatory back pain
    features worth a rheumatology assessment); None: the BASMI item is not shown."""
    return next((x.text for x in a.safety if x.topic == "basmi_context"), None)


def is_basmi(key: str) -> bool:
    """Whether a clinical-unit row (``UnitRow.key``) is the BASMI item."""
    return key.startswith("basmi")


# the motion in plain words, as a person names it ("your forward bend")
MOTION_WORDS = {"flexion": "forward bend", "extension": "backward bend",
                "side-bend-left": "side bend to the left",
                "side-bend-right": "side bend to the right",
                "rotation-left": "turn to the left", "rotation-right": "turn to the right"}
UNCERTAINTY_PLAIN = ("The ± band is how far the true value may lie from the measurement: it "
                     "allows for the camera's error and for how much your repetitions differed.")


def plain_sentence(d: Any) -> str:
    """The decision for one motion in one plain sentence, the same words in the app, the CLI and
    the PDF (issue 27 item 8): "Your forward bend is about the 8th centile for a 45-year-old
    woman: restricted." No source key, no statistics word; those stay in the details."""
    noun = MOTION_WORDS.get(d.movement, str(d.label).lower())
    where = f" is {d.centile_text}" if d.centile_text else ""
    return {
        "restricted": f"Your {noun}{where}: restricted, below the usual range for your age.",
        "borderline": f"Your {noun}{where}: borderline, at the lower edge of the usual range "
                      "for your age; it is not called restricted, measure it again another day.",
        "normal": f"Your {noun}{where}: normal, within the usual range for your age; no "
                  "stretching needed.",
        "more than typical": f"Your {noun}{where}: more than typical for your age; do not "
                             "stretch it.",
        "above normal": f"Your {noun}{where}: more than typical for your age; do not stretch it.",
        "pain-limited": f"Pain stopped your {noun}: pain-limited, so it is not stretched; keep it "
                        "moving gently within what is comfortable, and have it assessed if it "
                        "does not settle.",
        "no decision": f"Your {noun} was measured, but without your age it cannot be compared "
                       "with people of your age: add your age for a decision.",
        "inconclusive": f"Your {noun} could not be measured reliably: inconclusive, no decision "
                        "from it.",
        "not tested": f"Your {noun} was not tested.",
    }.get(str(d.status), f"Your {noun}: {d.status}.")


def _num(x: float, fmt: str = ".0f") -> str:
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else format(x, fmt)


def _stopped(a: Assessment) -> list[str]:
    lines = [headline(a).upper()] + [f"- {x.text} [{x.source}]" for x in a.safety]
    if a.retest_after:
        lines.append(f"Re-test after: {a.retest_after.replace('T', ' ')}")
    return [*lines, STOP_NOTE if a.status == "stopped-red-flag" else DISCLAIMER]


def _decisions(a: Assessment) -> list[str]:
    lines = ["MEASURED RANGE OF MOTION (whole trunk: hips and spine; rotation seated, mostly the "
             "upper back; degrees, +/- 95 % band)",
             f"{'motion':34s} {'measured':>14s} {'typical 5th-95th':>17s}  decision"]
    for d in a.decisions:
        meas = f"{_num(d.value_deg)} +/- {_num(d.uncertainty_deg)}"
        typical = (f"{_num(d.threshold_deg)}-{_num(d.upper_deg)}"
                   if not math.isnan(d.threshold_deg) else "no age given")
        lines.append(f"{d.label:34s} {meas:>14s} {typical:>17s}  {d.status.upper()}"
                     + (f" ({d.centile_text})" if d.centile_text else ""))
    lines.append("")
    lines += [f"* {plain_sentence(d)} {d.explanation}"
              + (f" [{d.norm_source}]" if d.centile_text else "") for d in a.decisions]
    lines += [f"* {x.text} [{x.source}]" for x in a.asymmetries]
    return lines


def _muscles_and_plan(a: Assessment) -> list[str]:
    lines: list[str] = []
    if a.muscles:
        lines.append("\nMUSCLES THAT MAY LIMIT THE RESTRICTED MOTIONS")
        for m in a.muscles:
            side = "" if m.side == "both" else f"{m.side} "
            lines.append(f"- {m.status:11s} {side}{m.name} ({m.movement}): {m.reason} "
                         f"[{m.source}]")
    if not a.plan:
        if not any(not math.isnan(d.value_deg) for d in a.decisions):
            return [*lines, "\nNo motion was measured: no stretching advice."]
        if any(d.status == "no decision" for d in a.decisions):
            return [*lines, "\nNo stretch plan: no restriction decision without an age "
                    "(add --age)."]
        if any(d.status == "pain-limited" for d in a.decisions):  # not "your range is fine"
            return [*lines, "\nNo stretch plan: a motion that pain stopped is never stretched "
                    "(see the advice for it above); no other motion was found restricted."]
        if any(d.status in ("inconclusive", "borderline") for d in a.decisions):
            return [*lines, "\nNo stretch plan: no motion was found truly restricted, but some "
                    "could not be decided (each says why above)."]
        return [*lines, "\nNo stretching is needed for the motions measured."]
    lines.append("\nSTRETCH PLAN (only for restricted motions)")
    for p in a.plan:
        how = f" ({p.how})" if p.how else ""
        lines.append(f"- {p.name}{how}: {p.cues} Dose: {p.dose}. For: "
                     f"{', '.join(p.for_muscles)}. Caution: {p.contraindications} "
                     f"[{p.source}]")
    return lines


def _goals(a: Assessment) -> list[str]:
    if not a.goals:
        return []
    lines = ["\nGOALS"]
    for g in a.goals:
        ms = ", ".join(f"{v:g} by {d}" for d, v in g.milestones)
        unit = "/10 pain" if g.kind == "pain" else " deg"
        lines.append(f"- {g.movement}: from {g.baseline:g}{unit}: {ms}. {g.text} {g.evidence} "
                     f"[{g.source}]")
    return lines


def summary_text(a: Assessment) -> str:
    if a.status != "complete":
        return "\n".join(_stopped(a))
    lines = _decisions(a) + _muscles_and_plan(a)
    if a.general:
        lines.append("")
        lines += [f"- {g.text} [{g.source}]" for g in a.general]
    lines += _goals(a)
    if a.factors:
        lines.append("\nCONTRIBUTING FACTORS")
        lines += [f"- {f.text} [{f.source}]" for f in a.factors]
    if a.safety:
        lines.append("\nWORTH TELLING YOUR DOCTOR")
        lines += [f"- {s.text} [{s.source}]" for s in a.safety]
    lines += [f"! {w}" for w in a.warnings]
    lines.append(DISCLAIMER)
    return "\n".join(lines)


def endurance_words(z: float, sex: str) -> str:
    """A hold against its norm in words, not a z-score: "well below the average for young
    healthy men" (more than 1 SD under the mean), "far below" (more than 2), "about the
    average" (within 1 SD), "above the average" (more than 1 SD over); the norms come from
    young healthy adults (endurance.toml ``[norms_population]``)."""
    from lumbar_rom.assessment.hold import endurance_knowledge

    group = str(endurance_knowledge()["norms_population"]["text"]).split("(")[0]
    people = {"male": "men", "female": "women"}.get(sex, "adults")
    who = " ".join(group.replace("adults", people).split())
    if not math.isfinite(z):
        return f"not compared with the average for {who}"
    if z < -2:
        where = "far below"
    elif z < -1:
        where = "well below"
    elif z <= 1:
        where = "about"
    else:
        where = "above"
    return f"{where} the average for {who}"
