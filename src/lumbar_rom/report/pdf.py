"""PDF report for a clinician (matplotlib's PDF backend: no extra dependency).

Sections: header (person, date and time of day, notes, video files, software and model
version), screening, measured values with uncertainty against the norms, decisions with
explanations, likely muscles, stretch plan, goals, contributing factors, progress charts of every
motion measured more than once up to and including the reported session, and a numbered
reference list (the text cites ``[n]``).

Layout rules: every text is drawn as plain text (a ``$`` in a name or note is never read as
maths); a heading is kept with what follows it (it never ends a page); a chart's value axis
covers its points, goal line and norm line (:mod:`lumbar_rom.report.scales`).
"""

from __future__ import annotations

import functools
import os
import re
import textwrap
from datetime import datetime
from pathlib import Path, PurePath
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.backends.backend_pdf import PdfPages  # noqa: E402
from matplotlib.dates import AutoDateLocator, DateFormatter, date2num  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from lumbar_rom.assessment.hold import HOLD_TESTS, endurance_knowledge  # noqa: E402
from lumbar_rom.assessment.units import unit_rows  # noqa: E402
from lumbar_rom.clinical.engine import (  # noqa: E402
    Advice,
    Assessment,
    Decision,
    Profile,
    is_chronic,
    pain_milestones,
    strength_goals,
)
from lumbar_rom.clinical.knowledge import Source, knowledge, sources_for  # noqa: E402
from lumbar_rom.clinical.summary import (  # noqa: E402
    DISCLAIMER,
    STOP_NOTE,
    basmi_context,
    headline,
    is_basmi,
    plain_sentence,
)
from lumbar_rom.history.models import SessionRow, TrialRow  # noqa: E402
from lumbar_rom.history.progress import (  # noqa: E402
    HoldPoint,
    MotionProgress,
    hold_points,
    motion_progress,
    pain_points,
    pain_status,
    points_from_sessions,
    strength_lags,
    strength_progress,
    strength_rule,
)
from lumbar_rom.report.scales import (  # noqa: E402
    MAX_DATE_TICKS,
    date_format,
    goal_line,
    norm_name,
    norm_of,
    time_domain,
    value_domain,
)

A4 = (8.27, 11.69)
SECTIONS = ("Screening", "Measured range of motion", "Muscles", "Stretch plan", "Goals",
            "Contributing factors", "Progress", "References")
TOP, BOTTOM, LEFT = 0.95, 0.06, 0.07
LINE = 0.0155  # height of a 9-pt line, in page fractions
CHART = 0.30  # height of a progress chart, in page fractions
COLORS = {"measured": "#1f77b4", "goal": "#d97706", "norm": "#15803d"}
# A source key in running text: S11, S3b, S28-S29, seed (not the S1 of "L5-S1").
_KEY = re.compile(r"(?<![\w-])(?:S\d+[a-z]?(?:-S\d+)?|seed)\b")




@functools.cache
def _dejavu_chars() -> frozenset[int]:
    """The code points DejaVu Sans (matplotlib's bundled font, offline) can draw."""
    from fontTools.ttLib import TTFont  # type: ignore[import-untyped]
    from matplotlib import font_manager

    path = font_manager.findfont(font_manager.FontProperties(family="DejaVu Sans"))
    return frozenset(TTFont(path, fontNumber=0).getBestCmap())


def drawable(text: str) -> str:
    """``text`` with every character DejaVu Sans cannot draw (an emoji, most CJK) written as its
    code, e.g. "Ana [U+1F600]": the PDF's clear fallback instead of an empty box. DejaVu Sans
    covers Latin, Greek, Cyrillic, Arabic, Hebrew, Armenian, Georgian and many symbols."""
    chars = _dejavu_chars()
    return "".join(c if ord(c) in chars or c.isspace() else f"[U+{ord(c):04X}]" for c in text)

class _Writer:
    """Flowing plain text (and charts) onto A4 pages."""

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
        self.y = TOP

    def room(self, height: float) -> Figure:
        """The page to draw ``height`` (page fractions) on: a new one when it does not fit."""
        if self.y - height < BOTTOM:
            self._new()
        assert self.fig is not None
        return self.fig

    def line(self, text: str, size: float = 9.0, bold: bool = False, gap: float = 0.0) -> None:
        text = drawable(text)  # a character DejaVu Sans lacks (an emoji) is named, not a box
        step = LINE * size / 9.0
        width = int(105 * 9.0 / size)  # characters of DejaVu Sans across the page
        for part in textwrap.wrap(text, width=width, break_on_hyphens=False) or [""]:
            fig = self.room(step)
            # parse_math=False: "$x^2$ Smith" stays "$x^2$ Smith" (matplotlib's mathtext is off)
            fig.text(LEFT, self.y, part, fontsize=size, fontweight="bold" if bold else "normal",
                     va="top", family="DejaVu Sans", usetex=False, parse_math=False)
            self.y -= step
        self.y -= gap

    def link(self, url: str, size: float = 8.0) -> None:
        """``url`` as a clickable link, wrapped over as many lines as it needs (each line links
        to the whole address): a long link never runs off the page."""
        step = LINE * size / 9.0
        width = int(100 * 9.0 / size)
        for i in range(0, max(len(url), 1), width):
            fig = self.room(step)
            fig.text(LEFT + 0.02, self.y, url[i:i + width], fontsize=size, va="top",
                     family="DejaVu Sans", color="#1d4ed8", url=url, usetex=False,
                     parse_math=False)
            self.y -= step

    def heading(self, text: str, keep: float = 3 * LINE) -> None:
        """A section heading, kept with the next ``keep`` (page fractions) of what follows."""
        self.y -= 0.01
        self.room(LINE * 12 / 9 + 0.004 + keep)
        self.line(text, size=12, bold=True, gap=0.004)

    def axes(self, height: float = CHART) -> Axes:
        """Axes for a chart of ``height`` (page fractions) in the flow of the text."""
        fig = self.room(height)
        ax = fig.add_axes((0.12, self.y - height + 0.045, 0.8, height - 0.075))
        self.y -= height
        return ax

    def close(self) -> None:
        if self.fig is not None:
            self.pdf.savefig(self.fig)
            plt.close(self.fig)
            self.fig = None


class _References:
    """Numbers the cited sources in order of first citation (``[n]`` in the text)."""

    def __init__(self) -> None:
        self.sources: list[Source] = []
        self._number: dict[str, int] = {}

    def _n(self, s: Source) -> int:
        if s.key not in self._number:
            self.sources.append(s)
            self._number[s.key] = len(self.sources)
        return self._number[s.key]

    def inline(self, text: str) -> str:
        """``text`` with every known source key replaced by its number(s): ``S11`` -> ``[1]``."""
        def sub(m: re.Match[str]) -> str:
            found = sources_for(m.group(0))
            return ("[" + ", ".join(str(self._n(s)) for s in found) + "]") if found else \
                m.group(0)
        return _KEY.sub(sub, text)

    def cite(self, source: str) -> str:
        """The citation to append for a ``source`` field: `` [1, 2]`` when it names only
        sources, `` [1] (qualifier)`` or `` (other text [2])`` when it says more."""
        text = self.inline(source).strip()
        if text in ("", "-"):
            return ""
        if re.fullmatch(r"\[[\d, ]+\](?:\s*[,;]\s*\[[\d, ]+\])*", text):
            return " [" + ", ".join(dict.fromkeys(re.findall(r"\d+", text))) + "]"
        return f" {text}" if text.startswith("[") else f" ({text})"


def _n(x: float | None) -> str:
    return "-" if x is None or x != x else f"{x:.0f}"  # None or NaN


def sessions_until(session: SessionRow, history: list[SessionRow]) -> list[SessionRow]:
    """The sessions of ``history`` up to and including ``session`` (by start), oldest first: a
    report never shows what was measured after it."""
    return sorted((s for s in history if s.started_at <= session.started_at),
                  key=lambda s: s.started_at)


def write_report(session: SessionRow, history: list[SessionRow], out: Path) -> Path:
    """Write the PDF for ``session`` (with the person's ``history`` for the charts: only the
    sessions up to and including ``session`` are shown). Written to a temporary file beside
    ``out``, then renamed: a failure never leaves a partial PDF."""
    tmp = out.with_name(f".{out.name}.part")
    try:
        _write(session, history, tmp)
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return out


def _write(session: SessionRow, history: list[SessionRow], out: Path) -> None:
    a = session.read_assessment()
    refs = _References()
    with PdfPages(out, metadata={"Title": "lumbar-rom report", "Creator": "lumbar-rom"}) as pdf:
        w = _Writer(pdf)
        _header(w, session, a)
        _screening(w, session, a, refs)
        shown = sessions_until(session, history)
        later = [s.started_at for s in history if s.started_at > session.started_at]
        if a.status == "complete":  # a stopped session measured nothing: no such sections
            _measured(w, session, a, refs)
            _units(w, session, a, refs)
            _muscles(w, a, refs)
            _plan(w, a, refs)
        _goals_and_factors(w, session, shown, min(later, default=None), a, refs)
        _progress(w, shown)
        _references(w, refs)
        w.close()


def _header(w: _Writer, session: SessionRow, a: Assessment) -> None:
    w.line("lumbar-rom: lower-back range of motion report", size=16, bold=True, gap=0.01)
    p = session.person
    w.line(f"Person: {p.name}   age {_n(p.age)}   sex {p.sex or '-'}   height "
           f"{_n(p.height_cm)} cm")
    w.line(f"Session {session.id}: {session.started_at:%Y-%m-%d} at "
           f"{session.started_at:%H:%M} (measure at the same time of day each session)")
    if session.notes:
        w.line(f"Notes: {session.notes}")
    videos = [PurePath(str(t.result.get("source"))).name for t in session.trials
              if (t.result or {}).get("source")]
    if videos:
        w.line(f"Video files: {', '.join(dict.fromkeys(videos))}")
    w.line(f"Software lumbar-rom {session.software_version}; pose model SHA-256 "
           f"{session.model_sha256[:16] or '-'}")
    # an emergency stop is not softened by "if in doubt"
    w.line(STOP_NOTE if a.status == "stopped-red-flag" else DISCLAIMER, gap=0.01)


def _screening(w: _Writer, session: SessionRow, a: Assessment, refs: _References) -> None:
    """The screening answers; a stopped or deferred session says so first, in one line ("No
    measurement: severe pain 9/10.", "Deferred: injury under 72 hours, re-test after ...") and
    its report has no measurement, muscle, stretch or goal sections (nothing was measured)."""
    w.heading("Screening")
    if a.status != "complete":
        w.line(headline(a), size=11, bold=True, gap=0.004)
    scr = session.read_screening()
    flags = [k for k, v in scr.red_flags.items() if v]
    w.line(f"Red flags answered yes: {', '.join(flags) or 'none'}")
    w.line(f"Pain (NRS 0-10): before {_n(session.pain_before)}, after "
           f"{_n(session.pain_after)}; stopped because of pain: "
           f"{', '.join(scr.pain_limited) or 'none'}")
    if a.status != "complete":
        for s in a.safety:
            w.line(f"- {refs.inline(s.text)}{refs.cite(s.source)}")
    elif a.safety:  # answers worth telling a doctor that did not stop the test
        w.line("Worth telling your doctor:")
        for s in a.safety:
            w.line(f"- {refs.inline(s.text)}{refs.cite(s.source)}")


def _reason(d: Decision, t: TrialRow | None) -> str:
    """Why ``d`` gives no decision from its value (or why nothing was measured)."""
    if d.status == "pain-limited":
        return "stopped because of pain"
    if t is None or d.status == "not tested":
        return "not tested in this session"
    blocking = [f.message for f in t.read_flags() if f.blocking]
    if blocking:
        return " ".join(blocking)
    if t.status != "ok" or d.value_deg != d.value_deg:
        return "the trial could not be trusted"
    if d.status == "no decision":
        return "no age given: add the age for a restriction decision"
    return (f"its 95 % band ({d.value_deg - d.uncertainty_deg:.0f}-"
            f"{d.value_deg + d.uncertainty_deg:.0f} deg) straddles the lower limit "
            f"({d.threshold_deg:.0f} deg, the 5th centile for the age)")


def measured_cell(d: Decision, t: TrialRow | None) -> str:
    """The "measured" column: ``62 +/- 3``; ``62 +/- 3, <decision word>: <reason>`` when a
    value was measured but decides no restriction (the same words as the app and the CLI:
    borderline, pain-limited, inconclusive, no decision); ``not measured: <reason>`` when none
    was."""
    if d.value_deg != d.value_deg:  # NaN: nothing measured
        return f"not measured: {_reason(d, t)}"
    meas = f"{d.value_deg:.0f} +/- {_n(d.uncertainty_deg)}"
    if d.status in ("inconclusive", "pain-limited", "not tested", "no decision", "borderline"):
        return f"{meas}, {d.status}: {_reason(d, t)}"
    return meas


RULE_PLAIN = (
    "How to read the decisions: each motion is compared with people of the same age without "
    "back pain, measured the way the camera measures (the whole trunk: hips and spine "
    "together; rotation seated, mostly the upper back). The centile says where the value falls: "
    "'the 8th centile' means about 8 in 100 such people move less. The band (+/-) allows for "
    "the camera's error and for how much the repetitions differed. RESTRICTED: the whole band "
    "lies below the 5th centile. BORDERLINE: the band straddles it (measure again another "
    "day). MORE THAN TYPICAL: the whole band lies above the 95th centile (never said from a "
    "reference worked out from related studies, marked DERIVED). Pain-limited motions are "
    "never stretched.")


def _limits(d: Decision) -> str:
    """The "typical for the age" column: 5th-95th centile, or why there is none."""
    if d.threshold_deg != d.threshold_deg or d.upper_deg != d.upper_deg:
        return "no age given"
    derived = " DERIVED" if d.derived else ""
    return f"{d.threshold_deg:.0f}-{d.upper_deg:.0f}{derived}"


def _centile(d: Decision) -> str:
    return d.centile_text or "-"



def _measured(w: _Writer, session: SessionRow, a: Assessment, refs: _References) -> None:
    w.heading("Measured range of motion")
    w.line(RULE_PLAIN, size=8)
    w.line("motion | measured (deg, +/- 95 %) | typical for the age (5th-95th centile, deg) | "
           "centile | decision", bold=True)
    trials = {t.movement: t for t in session.trials}
    for d in a.decisions:
        w.line(f"{d.label} | {measured_cell(d, trials.get(d.movement))} | {_limits(d)} | "
               f"{_centile(d)} | {d.status.upper()}")
    for d in a.decisions:  # the app's and the CLI's plain sentence first, then the numbers
        w.line(f"- {plain_sentence(d)} {refs.inline(d.explanation)}{refs.cite(d.norm_source)}",
               size=8)
    stats = [d for d in a.decisions if d.statistics]
    if stats:
        w.line("Statistics behind the limits:", size=8)
        for d in stats:
            w.line(f"- {d.label}: {refs.inline(d.statistics)} MDC for change: "
                   f"{_n(d.mdc_deg)} deg ({d.mdc_kind or 'see source'}){refs.cite(d.mdc_source)}",
                   size=7)
    for x in a.asymmetries:
        w.line(f"- {refs.inline(x.text)}{refs.cite(x.source)}", size=8)
    for t in session.trials:
        notes = [f.message for f in t.read_flags() if not f.blocking]
        if notes:
            w.line(f"- {t.movement} quality notes: {refs.inline(' '.join(notes))}", size=8)


def _units(w: _Writer, session: SessionRow, a: Assessment, refs: _References) -> None:
    """Clinical units of the session's trials (stored extras), each with its definition and
    smallest real change; the section is left out when none was measured (no height). The
    BASMI item is shown only with its context (the NG65 screen's referral advice)."""
    rows = unit_rows({t.movement: (t.result or {}).get("extras") or {} for t in session.trials})
    context = basmi_context(a)
    rows = [r for r in rows if context is not None or not is_basmi(r.key)]
    if not rows:
        return
    w.heading("Clinical units")
    for r in rows:
        w.line(f"{r.text()}{refs.cite(r.source)}")
        w.line(f"- {refs.inline(r.definition)}", size=8)
    if context is not None and any(is_basmi(r.key) for r in rows):
        w.line(f"- {context}", size=8)


def _muscles(w: _Writer, a: Assessment, refs: _References) -> None:
    w.heading("Muscles")
    measured = any(d.value_deg == d.value_deg for d in a.decisions)  # a value, not NaN
    if not a.muscles:  # "no motion is restricted" only when a motion was measured
        w.line("- none: no motion is restricted" if measured else
               "- none: no motion was measured in this session", size=8)
    for m in a.muscles:
        side = "" if m.side == "both" else m.side + " "
        w.line(f"- {m.status} {side}{m.name} {m.movement}: {refs.inline(m.reason)}"
               f"{refs.cite(m.source)}", size=8)


def _plan(w: _Writer, a: Assessment, refs: _References) -> None:
    w.heading("Stretch plan")
    if not a.plan:
        measured = any(d.value_deg == d.value_deg for d in a.decisions)
        w.line("No stretches: no motion was found truly restricted." if measured else
               "No stretches: no motion was measured in this session.")
    for item in a.plan:
        how = f" ({item.how})" if item.how else ""
        w.line(refs.inline(f"- {item.name}{how}: {item.cues} Dose: {item.dose}. Caution: "
                           f"{item.contraindications}") + refs.cite(item.source), size=8)
    for g in a.general:
        w.line(f"- {refs.inline(g.text)}{refs.cite(g.source)}", size=8)


def _person_rows(session: SessionRow, attr: str, until: datetime | None) -> list[Any]:
    """The person's stored ``holds`` / ``pain_entries`` before ``until`` (the next session's
    start; None: all), none when the row was read without them."""
    from sqlalchemy import inspect as sa_inspect

    person = session.person
    if person is None or attr in sa_inspect(person).unloaded:
        return []
    return [r for r in getattr(person, attr) if until is None or r.at < until]


def _goals_and_factors(w: _Writer, session: SessionRow, sessions: list[SessionRow],
                       until: datetime | None, a: Assessment, refs: _References) -> None:
    """Goals: range of motion, strength (endurance holds) and pain, each with its status (the
    holds and diary entries up to the next session)."""
    w.heading("Goals")
    _rom_goals(w, sessions, a, refs)
    _strength_goals(w, session, until, refs)
    _pain_goals(w, session, sessions, until, refs)
    w.heading("Contributing factors")
    for f in a.factors or (Advice("none", "none reported", "-"),):
        w.line(f"- {refs.inline(f.text)}{refs.cite(f.source)}", size=8)


def _rom_goals(w: _Writer, sessions: list[SessionRow], a: Assessment, refs: _References) -> None:
    w.line("Range of motion", size=9, bold=True)
    rom = [g for g in a.goals if g.kind == "rom"]
    if a.status != "complete":
        w.line("- none: nothing was measured in this session", size=8)
    elif not rom:
        w.line("- none (no motion restricted)", size=8)
    for goal in rom:
        status = motion_progress(goal.movement, points_from_sessions(sessions, goal.movement))
        ms = ", ".join(f"{v} by {d}" for d, v in goal.milestones)
        w.line(f"- {goal.movement}: from {goal.baseline}: {ms}. Status: {status.status}. "
               f"{refs.inline(goal.evidence)}{refs.cite(goal.source)}", size=8)


def _strength_goals(w: _Writer, session: SessionRow, until: datetime | None,
                    refs: _References) -> None:
    w.line("Strength (endurance holds)", size=9, bold=True)
    points = hold_points(_person_rows(session, "holds", until))
    sex = session.person.sex if session.person is not None else None
    firsts: dict[str, HoldPoint] = {}
    for p in sorted(points, key=lambda p: p.when):
        if p.held_s == p.held_s:
            firsts.setdefault(p.test, p)
    if not firsts:
        w.line("- no endurance hold timed yet", size=8)
        return
    k = endurance_knowledge()
    for test in (t for t in HOLD_TESTS if t in firsts):
        prog = strength_progress(test, points, sex)
        first = firsts[test]
        age = session.person.age if session.person is not None else None
        goal = strength_goals({test: first.held_s}, sex, first.when.date(), age)
        latest = f"latest {prog.points[-1].held_s:.0f} s" if prog.points else "not timed"
        target = (", ".join(f"{v:.0f} s by {d}" for d, v in goal[0].milestones) if goal
                  else "no norm for this sex" if prog.status == "no goal"
                  else "no goal: the norms come from younger adults"
                  if age is not None and not goal and first.held_s < prog.target
                  else "at the norm")
        w.line(f"- {k['tests'][test]['name']}: from {first.held_s:.0f} s: {target}; {latest}. "
               f"Status: {prog.status}.", size=8)
    w.line(refs.inline(strength_rule()) + refs.cite(k["goals"]["source"]), size=8)
    lags = strength_lags(points, sex)
    if lags:
        w.line(f"- Strength lags: {'; '.join(lags)}.{refs.cite(k['goals']['lagging']['source'])}",
               size=8)


def _pain_goals(w: _Writer, session: SessionRow, sessions: list[SessionRow],
                until: datetime | None, refs: _References) -> None:
    """The pain goal from the first pain recorded (diary or session) and the trend's status."""
    w.line("Pain", size=9, bold=True)
    diary = _person_rows(session, "pain_entries", until)
    pts = pain_points(sessions, diary)
    if not pts:
        w.line("- no pain recorded", size=8)
        return
    injury = session.person.injury_at if session.person is not None else None
    chronic = is_chronic(Profile(injury=injury), session.started_at)
    status, line = pain_status(pts, chronic)
    g = knowledge().goals
    if line:
        p0 = line[0][1]  # the goals in whole NRS points, as the assessment states them
        goals = pain_milestones(p0, [f"{t:%Y-%m-%d}" for t, _ in line[1:]],
                                [1 - v / p0 for _, v in line[1:]])
        ms = ", ".join(f"{v:.0f} by {d}" for d, v in goals)
        w.line(f"- pain (NRS 0-10): from {line[0][1]:g} on {line[0][0]:%Y-%m-%d}: {ms}. "
               f"{refs.inline(g.pain_evidence)}{refs.cite(g.pain_source)}", size=8)
    trend = ", ".join(f"{x.nrs} on {x.when:%Y-%m-%d}" for x in pts[-6:])
    w.line(f"- Pain trend ({len(diary)} diary entr{'y' if len(diary) == 1 else 'ies'} and the "
           f"sessions' pain; {'long-standing' if chronic else 'recent injury'}): {trend}. "
           f"Status: {status}.", size=8)


def _progress(w: _Writer, sessions: list[SessionRow]) -> None:
    """One chart per motion measured more than once in ``sessions``."""
    movements = sorted({t.movement for s in sessions for t in s.trials})
    charted = [motion_progress(m, points_from_sessions(sessions, m)) for m in movements]
    charted = [p for p in charted if len(p.points) > 1]
    w.heading("Progress", keep=3 * LINE + (CHART if charted else 0.0))
    if not charted:
        w.line("Only one session so far: progress charts appear from the second session.")
        return
    w.line(charted[0].rule, size=8)
    for prog in charted:
        _chart(w.axes(), prog)


def _chart(ax: Axes, prog: MotionProgress) -> None:
    """The measured values (95 % bars), the goal line and the line of the lower limit of the
    usual range for the age (5th centile; :func:`~lumbar_rom.report.scales.norm_name`)."""
    pts = prog.points
    when = [p.when for p in pts]
    ax.errorbar(date2num(when), [p.value for p in pts], yerr=[p.uncertainty for p in pts],
                fmt="o-", capsize=3, color=COLORS["measured"], label="measured (+/- 95 %)")
    goal = goal_line(prog, when[-1], n=20)
    if goal:
        ax.plot(date2num([t for t, _ in goal]), [v for _, v in goal], "--",
                color=COLORS["goal"], label="goal line")
    norm = norm_of(prog)
    if norm == norm:
        ax.axhline(norm, color=COLORS["norm"], lw=1.2,
                   label=f"{norm_name(prog)}: {norm:.0f} deg")
    ax.set_ylim(*value_domain(prog, goal))
    ax.set_xlim(*(date2num(t) for t in time_domain(prog, goal)))
    _date_axis(ax, when)
    ax.set_title(f"Progress: {prog.movement} ({prog.status})", fontsize=10, parse_math=False)
    ax.set_ylabel("degrees")
    ax.legend(loc="best", fontsize=7)


def _date_axis(ax: Axes, when: list[Any]) -> None:
    """Ticks on the session dates (``25 Nov 2026``; with the 24-hour time when two share a
    day), or automatic ones when there are many sessions."""
    fmt = date_format(when).replace(" %H", "\n%H")  # the time of day on a second line
    ax.xaxis.set_major_formatter(DateFormatter(fmt))
    if len(when) <= MAX_DATE_TICKS:
        ax.set_xticks(date2num(when))
    else:
        ax.xaxis.set_major_locator(AutoDateLocator(maxticks=MAX_DATE_TICKS))
    ax.tick_params(axis="x", labelsize=7)


def _references(w: _Writer, refs: _References) -> None:
    """The numbered list of every source cited above: text, kind and knowledge key, then its
    link (clickable) on a line of its own."""
    if not refs.sources:
        return
    w.heading("References")
    for i, s in enumerate(refs.sources, 1):
        kind = f" ({s.kind})" if s.kind else ""
        w.line(f"[{i}] {s.text.rstrip('.')}{kind}. (key {s.key})", size=8)
        if s.url:
            w.link(s.url)
