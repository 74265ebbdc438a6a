"""PDF report for a clinician (matplotlib's PDF backend: no extra dependency).

Sections: header (person, date and time of day, software and model version), screening, measured
values with uncertainty against the norms and their sources, decisions with explanations, likely
muscles, stretch plan, goals, contributing factors, and progress charts of every motion measured
more than once.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.backends.backend_pdf import PdfPages  # noqa: E402
from matplotlib.dates import date2num  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from lumbar_rom.clinical.engine import Advice, Assessment  # noqa: E402
from lumbar_rom.clinical.summary import DISCLAIMER  # noqa: E402
from lumbar_rom.history.models import SessionRow  # noqa: E402
from lumbar_rom.history.progress import motion_progress, points_from_sessions  # noqa: E402

A4 = (8.27, 11.69)
SECTIONS = ("Screening", "Measured range of motion", "Muscles", "Stretch plan", "Goals",
            "Contributing factors", "Progress")


class _Writer:
    """Flowing text onto A4 pages."""

    def __init__(self, pdf: PdfPages) -> None:
        self.pdf = pdf
        self.fig: Figure | None = None
        self.y = 0.0
        self._new()

    def _new(self) -> None:
        if self.fig is not None:
            self.pdf.savefig(self.fig)
            plt.close(self.fig)
        self.fig = plt.figure(figsize=A4)
        self.y = 0.95

    def line(self, text: str, size: float = 9.0, bold: bool = False, width: int = 105,
             gap: float = 0.0) -> None:
        wrapped = textwrap.wrap(text, width=width) or [""]
        for part in wrapped:
            if self.y < 0.06:
                self._new()
            assert self.fig is not None
            self.fig.text(0.07, self.y, part, fontsize=size,
                          fontweight="bold" if bold else "normal", va="top", family="DejaVu Sans")
            self.y -= 0.0155 * size / 9.0
        self.y -= gap

    def heading(self, text: str) -> None:
        self.y -= 0.01
        self.line(text, size=12, bold=True, gap=0.004)

    def close(self) -> None:
        if self.fig is not None:
            self.pdf.savefig(self.fig)
            plt.close(self.fig)
            self.fig = None


def _n(x: float | None) -> str:
    return "-" if x is None or x != x else f"{x:.0f}"  # None or NaN


def write_report(session: SessionRow, history: list[SessionRow], out: Path) -> Path:
    """Write the PDF for ``session`` (with the person's ``history`` for the charts)."""
    a = session.read_assessment()
    with PdfPages(out, metadata={"Title": "lumbar-rom report", "Creator": "lumbar-rom"}) as pdf:
        w = _Writer(pdf)
        _header(w, session)
        _screening(w, session, a)
        _measured(w, session, a)
        _plan(w, a)
        w.heading("Progress")
        movements = sorted({t.movement for s in history for t in s.trials})
        charted = [m for m in movements if len(points_from_sessions(history, m)) > 1]
        if not charted:
            w.line("Only one session so far: progress charts appear from the second session.")
        w.close()
        for m in charted:
            _chart_page(pdf, m, history)
    return out


def _header(w: _Writer, session: SessionRow) -> None:
    w.line("lumbar-rom: lower-back range of motion report", size=16, bold=True, gap=0.01)
    p = session.person
    w.line(f"Person: {p.name}   age {_n(p.age)}   sex {p.sex or '-'}   height "
           f"{_n(p.height_cm)} cm")
    w.line(f"Session {session.id}: {session.started_at:%Y-%m-%d} at "
           f"{session.started_at:%H:%M} (measure at the same time of day each session)")
    w.line(f"Software lumbar-rom {session.software_version}; pose model SHA-256 "
           f"{session.model_sha256[:16] or '-'}")
    w.line(DISCLAIMER, gap=0.01)


def _screening(w: _Writer, session: SessionRow, a: Assessment) -> None:
    w.heading("Screening")
    scr = session.read_screening()
    flags = [k for k, v in scr.red_flags.items() if v]
    w.line(f"Red flags answered yes: {', '.join(flags) or 'none'}")
    w.line(f"Pain (NRS 0-10): before {_n(session.pain_before)}, after "
           f"{_n(session.pain_after)}; stopped because of pain: "
           f"{', '.join(scr.pain_limited) or 'none'}")
    if a.status != "complete":
        for s in a.safety:
            w.line(f"- {s.text} [{s.source}]")


def _measured(w: _Writer, session: SessionRow, a: Assessment) -> None:
    w.heading("Measured range of motion")
    w.line("motion | measured (deg, +/- 95 %) | norm (deg) | restricted below | decision",
           bold=True)
    for d in a.decisions:
        meas = f"{_n(d.value_deg)} +/- {_n(d.uncertainty_deg)}"
        w.line(f"{d.label} | {meas} | {_n(d.norm_deg)} | {_n(d.threshold_deg)} | "
               f"{d.status.upper()}")
    for d in a.decisions:
        w.line(f"- {d.explanation}", size=8)
    for x in a.asymmetries:
        w.line(f"- {x.text} [{x.source}]", size=8)
    for t in session.trials:
        notes = [f.message for f in t.read_flags() if not f.blocking]
        if notes:
            w.line(f"- {t.movement} quality notes: {' '.join(notes)}", size=8)
    w.heading("Muscles")
    if not a.muscles:
        w.line("- none: no motion is restricted", size=8)
    for m in a.muscles:
        side = "" if m.side == "both" else m.side + " "
        w.line(f"- {m.status} {side}{m.name} {m.movement}: {m.reason} [{m.source}]", size=8)


def _plan(w: _Writer, a: Assessment) -> None:
    w.heading("Stretch plan")
    if not a.plan:
        w.line("No stretches: no motion was found truly restricted.")
    for item in a.plan:
        how = f" ({item.how})" if item.how else ""
        w.line(f"- {item.name}{how}: {item.cues} Dose: {item.dose}. Caution: "
               f"{item.contraindications} [{item.source}]", size=8)
    for g in a.general:
        w.line(f"- {g.text} [{g.source}]", size=8)
    w.heading("Goals")
    if not a.goals:
        w.line("- none", size=8)
    for goal in a.goals:
        ms = ", ".join(f"{v} by {d}" for d, v in goal.milestones)
        w.line(f"- {goal.movement}: from {goal.baseline}: {ms}. {goal.evidence} "
               f"[{goal.source}]", size=8)
    w.heading("Contributing factors")
    for f in a.factors or (Advice("none", "none reported", "-"),):
        w.line(f"- {f.text} [{f.source}]", size=8)


def _chart_page(pdf: PdfPages, movement: str, history: list[SessionRow]) -> None:
    prog = motion_progress(movement, points_from_sessions(history, movement))
    fig, ax = plt.subplots(figsize=(A4[0], A4[1] / 2.2))
    pts = prog.points
    if pts:
        ax.errorbar(date2num([p.when for p in pts]), [p.value for p in pts],
                    yerr=[p.uncertainty for p in pts], fmt="o-", capsize=3, label="measured")
    if prog.start is not None:
        days = [prog.start + (pts[-1].when - prog.start) * k / 20 for k in range(21)]
        ax.plot(date2num(days), [prog.goal_at(d) for d in days], "--", label="goal line")
        ax.axhline(prog.target, color="grey", lw=0.8, label="norm")
    ax.xaxis_date()
    ax.set_title(f"Progress: {movement} ({prog.status})")
    ax.set_ylabel("degrees")
    ax.legend(loc="lower right")
    fig.autofmt_xdate()
    fig.text(0.07, 0.01, prog.rule, fontsize=6, wrap=True)
    pdf.savefig(fig)
    plt.close(fig)

