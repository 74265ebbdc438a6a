"""A plain-text summary of an :class:`~lumbar_rom.clinical.engine.Assessment` (CLI, reports)."""

from __future__ import annotations

import math

from lumbar_rom.clinical.engine import Assessment
from lumbar_rom.clinical.knowledge import knowledge

DISCLAIMER = ("lumbar-rom measures range of motion; it does not diagnose. If in doubt, see a "
              "physiotherapist or doctor.")


def _num(x: float, fmt: str = ".0f") -> str:
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else format(x, fmt)


def summary_text(a: Assessment) -> str:
    lines: list[str] = []
    if a.status != "complete":
        hours = knowledge().safety.acute.hours
        lines.append("ASSESSMENT STOPPED" if a.status == "stopped-red-flag"
                     else f"NO END-RANGE TEST YET (injury under {hours:g} hours)")
        lines += [f"- {s.text} [{s.source}]" for s in a.safety]
        if a.retest_after:
            lines.append(f"Re-test after: {a.retest_after}")
        lines.append(DISCLAIMER)
        return "\n".join(lines)
    lines.append("MEASURED RANGE OF MOTION (whole trunk, degrees, +/- 95 % uncertainty)")
    lines.append(f"{'motion':34s} {'measured':>14s} {'norm':>6s} {'restricted below':>17s}  "
                 "decision")
    for d in a.decisions:
        meas = f"{_num(d.value_deg)} +/- {_num(d.uncertainty_deg)}"
        lines.append(f"{d.label:34s} {meas:>14s} {_num(d.norm_deg):>6s} "
                     f"{_num(d.threshold_deg):>17s}  {d.status.upper()}")
    lines.append("")
    for d in a.decisions:
        lines.append(f"* {d.explanation}")
    for x in a.asymmetries:
        lines.append(f"* {x.text} [{x.source}]")
    if a.muscles:
        lines.append("\nMUSCLES THAT MAY LIMIT THE RESTRICTED MOTIONS")
        for m in a.muscles:
            side = "" if m.side == "both" else f"{m.side} "
            lines.append(f"- {m.status:9s} {side}{m.name} ({m.movement}): {m.reason} "
                         f"[{m.source}]")
    if a.plan:
        lines.append("\nSTRETCH PLAN (only for restricted motions)")
        for p in a.plan:
            how = f" ({p.how})" if p.how else ""
            lines.append(f"- {p.name}{how}: {p.cues} Dose: {p.dose}. For: "
                         f"{', '.join(p.for_muscles)}. Caution: {p.contraindications} "
                         f"[{p.source}]")
    else:
        lines.append("\nNo stretching is needed for the motions measured as normal.")
    if a.general:
        lines.append("")
        lines += [f"- {g.text} [{g.source}]" for g in a.general]
    if a.goals:
        lines.append("\nGOALS (the founding document's targets)")
        for g in a.goals:
            ms = ", ".join(f"{v:g} by {d}" for d, v in g.milestones)
            unit = "/10 pain" if g.kind == "pain" else " deg"
            lines.append(f"- {g.movement}: from {g.baseline:g}{unit}: {ms}. {g.evidence} "
                         f"[{g.source}]")
    if a.factors:
        lines.append("\nCONTRIBUTING FACTORS")
        lines += [f"- {f.text} [{f.source}]" for f in a.factors]
    lines += [f"! {w}" for w in a.warnings]
    lines.append(DISCLAIMER)
    return "\n".join(lines)
