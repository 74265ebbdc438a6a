"""A plain-text summary of an :class:`~lumbar_rom.clinical.engine.Assessment` (CLI, reports)."""

from __future__ import annotations

import math

from lumbar_rom.clinical.engine import Assessment
from lumbar_rom.clinical.knowledge import knowledge

DISCLAIMER = ("lumbar-rom measures range of motion; it does not diagnose. If in doubt, see a "
              "physiotherapist or doctor.")


def _num(x: float, fmt: str = ".0f") -> str:
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else format(x, fmt)


def _stopped(a: Assessment) -> list[str]:
    s = knowledge().safety
    header = {"stopped-red-flag": "ASSESSMENT STOPPED",
              "severe-pain": f"NO END-RANGE TEST TODAY (pain {s.severity.severe_nrs:g}/10 or more)",
              }.get(a.status, f"NO END-RANGE TEST YET (injury under {s.acute.hours:g} hours)")
    lines = [header] + [f"- {x.text} [{x.source}]" for x in a.safety]
    if a.retest_after:
        lines.append(f"Re-test after: {a.retest_after}")
    return [*lines, DISCLAIMER]


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
    lines += [f"* {d.explanation}" + (f" [{d.norm_source}]" if d.centile_text else "")
              for d in a.decisions]
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
        if any(d.status == "no decision" for d in a.decisions):
            return [*lines, "\nNo stretch plan: no restriction decision without an age "
                    "(add --age)."]
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
