"""Progress toward the goals over sessions (pure functions over measurement histories).

Rules (stated once, shown on the Progress page):

- Only comparable measurements are compared: the same movement measured with the same view and
  protocol version (``protocol``); inconclusive trials are shown but not used.
- The goal starts at the first session where the motion was restricted: baseline ``b`` (that
  value), target ``n`` (the lower reference limit for the age then: back in the typical range;
  sessions stored before issue 26 keep their norm). For a recent injury the clock starts no
  earlier than the acute hours (safety.toml, 72 h) after the injury. The goal line follows the
  founding document: ``b + gap * f(day)`` with ``f`` rising linearly to 0.75 at day 30 and 1.0
  at day 42, flat after (goals.toml).
- Status of the latest measurement ``v +/- u`` on day ``d``:
  ``reached`` when its decision is no longer "restricted" (normal or more) or ``v >= n``;
  ``behind`` when the shortfall against the goal line is more than the motion's MDC for change
  (engine ``mdc_for``, its type written beside it): a smaller shortfall cannot be told from
  measurement noise; otherwise ``on track``. A change from the baseline counts as real
  (``real_change``) only beyond the MDC.
- Stalled: ``behind`` four weeks (28 days, factors.toml ``stall_checklist``) or more after the
  start -- the founding document's "stretching faithfully for four weeks": only then the seed's
  stall checklist is shown.
- Reached: the motion switches to maintenance ("keep doing what got you here") with reminders on
  the days listed in goals.toml, exportable as an iCalendar file.
- Strength (endurance holds, endurance.toml ``[goals]``): the same goal line from the first timed
  hold of a test toward the norm mean for the person's sex, on the founding document's
  range-of-motion schedule (marked as such: no strength timetable was found in the sources).
  ``reached`` when a later hold reaches the norm mean; ``behind`` when ``held + u`` is below the
  line, or (extensor hold) when the gain is smaller than the test's MDC while the line asks for
  more; stalled as for the motions. "Strength lags" (a stall-checklist item): the latest hold of
  a test more than ``z_below`` SD under its norm, or a McGill ratio outside its rule.
- Pain: the pain trend is the pain diary and each session's pain, together, against the pain
  milestones (goals.toml ``[pain]``); "behind" adds "pain not improving" to the stall checklist.
  Each motion's own pain answers (hurt, where, what stopped it) are summarised beside its goal
  (:func:`motion_pain`); when pain (not stiffness) stopped the latest measurement, the motion's
  range goal is said to wait on the pain goal.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal, cast

import numpy as np

from lumbar_rom.assessment.hold import (
    EndReason,
    HoldResult,
    endurance_knowledge,
    hold_norm,
    hold_ratios,
)
from lumbar_rom.clinical.engine import Assessment
from lumbar_rom.clinical.knowledge import knowledge
from lumbar_rom.history.pain import TrialPain, pain_stall_item, pain_vocabulary

if TYPE_CHECKING:
    from lumbar_rom.history.models import HoldRow, PainEntry, SessionRow

Status = Literal["on track", "behind", "reached", "no goal"]


@dataclass(frozen=True)
class Point:
    """One stored measurement of a motion."""

    when: datetime
    value: float
    uncertainty: float
    decision: str  # the clinical decision then ("restricted", "normal", ...)
    norm: float
    protocol: str
    status: str = "ok"  # the trial's own status


@dataclass(frozen=True)
class MotionProgress:
    movement: str
    protocol: str
    points: tuple[Point, ...]
    start: datetime | None
    baseline: float
    target: float
    status: Status
    stalled: bool
    rule: str
    mdc: float = float("nan")  # the MDC for change used (deg)
    real_change: bool = False  # the latest value differs from the baseline by more than it

    def goal_at(self, when: datetime) -> float:
        return line_at(self.start, self.baseline, self.target, when, goal_fraction)


def schedule_fraction(day: float, milestones: Iterable[Sequence[float]]) -> float:
    """Share of the gap closed by ``day``: piecewise linear through ``(day, fraction)``
    milestones, from 0 at day 0, flat after the last."""
    ms = list(milestones)
    return float(np.interp(day, [0.0] + [float(d) for d, _ in ms],
                           [0.0] + [float(f) for _, f in ms]))


def line_at(start: datetime | None, baseline: float, target: float, when: datetime,
            fraction: Callable[[float], float]) -> float:
    """A goal line's value at ``when`` (NaN before any measurement)."""
    if start is None:
        return float("nan")
    return baseline + (target - baseline) * fraction((when - start).total_seconds() / 86400)


def goal_fraction(day: float) -> float:
    """Share of the gap closed by ``day`` (goals.toml range-of-motion milestones)."""
    return schedule_fraction(day, knowledge().goals.rom_milestones)


def goal_value(baseline: float, target: float, day: float) -> float:
    return baseline + (target - baseline) * goal_fraction(day)


def progress_rule() -> str:
    """The rule shown beside each progress chart (the schedule from goals.toml)."""
    steps = ", ".join(f"{frac * 100:.0f} % by day {day}"
                      for day, frac in knowledge().goals.rom_milestones)
    return (f"Goal line: the gap to the typical range for your age (its 5th centile) closed "
            f"{steps} (the founding document's schedule). A change counts as real only when it "
            "is larger than the smallest real change (MDC) of the motion. Behind: more than "
            "that below the line; on track: otherwise; reached: the motion is no longer "
            "restricted. The stall checklist appears only after four weeks behind. Only "
            "measurements taken the same way (same view and protocol) are compared.")


def motion_progress(movement: str, points: list[Point], injury: datetime | None = None,
                    now: datetime | None = None) -> MotionProgress:
    """Progress of one motion from its stored points (any order)."""
    rule = progress_rule()
    pts = sorted((p for p in points if p.status == "ok" and np.isfinite(p.value)),
                 key=lambda p: p.when)
    if not pts:
        return MotionProgress(movement, "", tuple(), None, np.nan, np.nan, "no goal", False, rule)
    first_restricted = next((p for p in pts if p.decision == "restricted"), None)
    protocol = first_restricted.protocol if first_restricted else pts[-1].protocol
    same = tuple(p for p in pts if p.protocol == protocol)
    if first_restricted is None:
        return MotionProgress(movement, protocol, same, None, np.nan, np.nan, "no goal", False,
                              rule)
    start = first_restricted.when
    if injury is not None:
        start = max(start, injury + timedelta(hours=knowledge().safety.acute.hours))
    b, n = first_restricted.value, first_restricted.norm
    last = same[-1]
    day = (last.when - start).total_seconds() / 86400
    line = goal_value(b, n, day)
    from lumbar_rom.clinical.engine import mdc_for

    mdc = mdc_for(movement)[0]
    if last is not first_restricted and (last.decision in ("normal", "above normal",
                                                           "more than typical")
                                         or last.value >= n):
        status: Status = "reached"
    elif line - last.value > mdc:
        status = "behind"
    else:
        status = "on track"
    stalled = status == "behind" and day >= knowledge().factors.stall_after_days
    return MotionProgress(movement, protocol, same, start, b, n, status, stalled, rule, mdc,
                          abs(last.value - b) > mdc)


@dataclass(frozen=True)
class PainPoint:
    when: datetime
    nrs: int


def pain_status(points: list[PainPoint], chronic: bool) -> tuple[str, list[tuple[datetime, float]]]:
    """Pain against the seed's milestones: ("on track" / "behind" / "reached" / "no goal",
    the milestone line as (date, NRS) points from the first session's pain)."""
    pts = sorted(points, key=lambda p: p.when)
    if not pts or pts[0].nrs <= 0:
        return "no goal", []
    g = knowledge().goals
    sched = g.pain_chronic if chronic else g.pain_recent
    p0, t0 = pts[0].nrs, pts[0].when
    line = [(t0, float(p0))] + [(t0 + timedelta(days=int(d)), p0 * (1 - f)) for d, f in sched]
    last = pts[-1]
    if last.nrs == 0:
        return "reached", line
    day = (last.when - t0).total_seconds() / 86400
    days = [0.0] + [float(d) for d, _ in sched]
    target = float(np.interp(day, days, [float(p0)] + [p0 * (1 - f) for _, f in sched]))
    sdc = knowledge().error.pain_sdc_points
    return ("behind" if last.nrs > target + sdc else "on track"), line


def maintenance_reminders(movement: str, since: datetime) -> list[tuple[datetime, str]]:
    """Reminder dates after a goal is reached, with their text."""
    g = knowledge().goals
    return [(since + timedelta(days=int(d)), f"{g.maintenance_text} ({movement})")
            for d in g.maintenance_reminder_days]


def reminders_ics(items: list[tuple[datetime, str]], name: str = "lumbar-rom") -> bytes:
    """An iCalendar file with one all-day event per reminder."""
    from icalendar import Calendar, Event

    cal = Calendar()
    cal.add("prodid", "-//lumbar-rom//maintenance reminders//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", name)
    for i, (when, text) in enumerate(items):
        ev = Event()
        ev.add("uid", f"lumbar-rom-{when:%Y%m%d}-{i}@localhost")
        ev.add("summary", text)
        ev.add("dtstart", when.date())
        ev.add("dtend", when.date() + timedelta(days=1))
        ev.add("dtstamp", datetime(2026, 1, 1))
        ev.add("description", "Keep doing the stretches and habits that got you here "
                              "(lumbar-rom maintenance reminder).")
        cal.add_component(ev)
    return cal.to_ical()


def stall_checklist(pain_behind: bool = False, strength_lags: list[str] | None = None
                    ) -> list[str]:
    """The seed's stall checklist, plus "pain not improving" when the pain trend is behind its
    goal and "strength lags" naming the lagging tests / ratios (when any)."""
    items = list(knowledge().factors.stall_checklist)
    if pain_behind:
        items.append(pain_stall_item())
    if strength_lags:
        items.append(strength_lag_item(strength_lags))
    return items


# ---- pain trend -----------------------------------------------------------------------------


def pain_points(sessions: list[SessionRow], diary: list[PainEntry] | None = None
                ) -> list[PainPoint]:
    """The pain trend: each session's pain (before measuring) and every diary entry, by time."""
    pts = [PainPoint(s.started_at, int(s.pain_before)) for s in sessions
           if s.pain_before is not None]
    pts += [PainPoint(e.at, int(e.nrs)) for e in diary or []]
    return sorted(pts, key=lambda p: p.when)


# ---- strength (endurance holds) -----------------------------------------------------------


@dataclass(frozen=True)
class HoldPoint:
    """One stored timed hold (seconds; NaN when the position was never reached)."""

    when: datetime
    test: str
    held_s: float
    uncertainty_s: float
    end_reason: str


def hold_points(rows: list[HoldRow]) -> list[HoldPoint]:
    """Points from stored :class:`~lumbar_rom.history.models.HoldRow` s."""
    nan = float("nan")
    return [HoldPoint(r.at, r.test, nan if r.seconds is None else float(r.seconds),
                      0.0 if r.uncertainty_s is None else float(r.uncertainty_s), r.end_reason)
            for r in rows]


@dataclass(frozen=True)
class StrengthProgress:
    test: str
    points: tuple[HoldPoint, ...]
    start: datetime | None
    baseline: float
    target: float
    status: Status
    stalled: bool
    rule: str
    mdc: float = float("nan")  # the MDC for change used (deg)
    real_change: bool = False  # the latest value differs from the baseline by more than it
    beyond_age: bool = False  # no goal: the person is older than the norms' age group

    def goal_at(self, when: datetime) -> float:
        return line_at(self.start, self.baseline, self.target, when, strength_goal_fraction)


def strength_goal_fraction(day: float) -> float:
    """Share of the gap to the norm closed by ``day`` (endurance.toml ``[goals]`` milestones)."""
    return schedule_fraction(day, endurance_knowledge()["goals"]["milestones"])


def strength_rule() -> str:
    """The rule shown beside each strength goal."""
    steps = ", ".join(f"{f * 100:.0f} % by day {d}"
                      for d, f in endurance_knowledge()["goals"]["milestones"])
    return (f"Goal line: from the first timed hold toward the norm mean for your sex, the gap "
            f"closed {steps} (the founding document's range-of-motion schedule, used for "
            "strength too: not evidence). On track: the latest hold (+ its uncertainty) is at "
            "or above the line; behind: below it; reached: at or above the norm mean.")


def _norm_mean(test: str, sex: str | None) -> float:
    n = endurance_knowledge()["norms"].get(test, {}).get(sex or "")
    return float(n["mean_s"]) if n else float("nan")


def _mdc(test: str) -> float:
    rc = endurance_knowledge()["goals"]["real_change"]
    return float(rc.get(f"{test.replace('-', '_')}_mdc_s", 0.0))


def norms_max_age() -> float:
    """The oldest age the endurance norms' group reaches (endurance.toml ``[norms_population]
    max_age``): past it no strength goal is set, as the engine's ``strength_goals`` does."""
    return float(endurance_knowledge()["norms_population"]["max_age"])


def strength_progress(test: str, points: list[HoldPoint], sex: str | None,
                      age: float | None = None) -> StrengthProgress:
    """Progress of one endurance test from its stored holds (any order; other tests ignored).
    No goal line (status "no goal", ``beyond_age``) when ``age`` is past the age group the
    norms come from (issue 27 item 4: a goal is never beyond the data for that age); without
    an age the goal line stands, as the engine's goals do."""
    rule = strength_rule()
    pts = tuple(sorted((p for p in points if p.test == test and np.isfinite(p.held_s)),
                       key=lambda p: p.when))
    target = _norm_mean(test, sex)
    if age is not None and age > norms_max_age():
        return StrengthProgress(test, pts, None, np.nan, target, "no goal", False, rule,
                                beyond_age=True)
    if not pts or not np.isfinite(target):
        return StrengthProgress(test, pts, None, np.nan, target, "no goal", False, rule)
    first, last = pts[0], pts[-1]
    b = first.held_s
    if b >= target:
        return StrengthProgress(test, pts, first.when, b, target, "reached", False, rule)
    day = (last.when - first.when).total_seconds() / 86400
    line = b + (target - b) * strength_goal_fraction(day)
    mdc = _mdc(test)
    real_gain = (last.held_s - b) >= mdc or (line - b) < mdc
    if last is not first and last.held_s >= target:
        status: Status = "reached"
    elif last.held_s + last.uncertainty_s < line or not real_gain:
        status = "behind"
    else:
        status = "on track"
    stalled = status == "behind" and day >= knowledge().factors.stall_after_days
    return StrengthProgress(test, pts, first.when, b, target, status, stalled, rule)


def _as_result(p: HoldPoint) -> HoldResult:
    nan, empty = float("nan"), np.zeros(0)
    reason = cast(EndReason, p.end_reason)
    return HoldResult(p.test, p.held_s, p.uncertainty_s, nan, nan, reason, nan, nan, nan, nan,
                      empty, empty)


def strength_lags(points: list[HoldPoint], sex: str | None) -> list[str]:
    """The tests (latest hold more than ``z_below`` SD under the norm for ``sex``) and McGill
    ratios (outside their rule, from the latest hold of each test) that lag; [] when none."""
    latest: dict[str, HoldPoint] = {}
    for p in sorted(points, key=lambda p: p.when):
        if np.isfinite(p.held_s):
            latest[p.test] = p
    z_below = float(endurance_knowledge()["goals"]["lagging"]["z_below"])
    names = {t: endurance_knowledge()["tests"][t]["name"] for t in latest}
    out = []
    if sex in ("male", "female"):
        for test, p in latest.items():
            z = hold_norm(_as_result(p), sex).z
            if np.isfinite(z) and z < -z_below:
                out.append(f"{names[test]} ({p.held_s:.0f} s)")
    for r in hold_ratios({t: _as_result(p) for t, p in latest.items()}):
        if r.within is False:
            out.append(f"{r.name} ratio {r.value:.2f} ({r.rule})")
    return out


def strength_lag_item(lags: list[str]) -> str:
    """The stall-checklist item naming the lagging tests / ratios."""
    return str(endurance_knowledge()["goals"]["lagging"]["text"]).format(tests="; ".join(lags))


def points_from_sessions(sessions: list[SessionRow], movement: str) -> list[Point]:
    """Points of ``movement`` from stored :class:`~lumbar_rom.history.models.SessionRow` s."""
    out = []
    for s in sessions:
        # the goal's target: the lower reference limit (issue 26), else the stored norm
        norms = {d.movement: d.threshold_deg if d.centile_text else d.norm_deg
                 for d in Assessment.from_dict(s.assessment).decisions}
        for t in s.trials:
            if t.movement != movement or t.value_deg is None:
                continue
            out.append(Point(s.started_at, t.value_deg, t.uncertainty_deg or 0.0, t.decision,
                             norms.get(movement, np.nan), t.protocol, t.status))
    return out


def person_checklist(sessions: list[SessionRow], diary: list[PainEntry], holds: list[HoldRow],
                     sex: str | None, chronic: bool) -> list[str]:
    """The stall checklist for one person's stored history: the seed's items, "pain not
    improving" when the pain trend (diary + sessions) is behind, "strength lags" when it does."""
    behind = pain_status(pain_points(sessions, diary), chronic)[0] == "behind"
    return stall_checklist(pain_behind=behind, strength_lags=strength_lags(hold_points(holds), sex))


# ---- per-motion pain (what each measured motion felt like) ---------------------------------


@dataclass(frozen=True)
class MotionPain:
    """The pain recorded with one motion over the stored sessions.

    asked : how many stored trials of the motion have a pain answer; hurt : how many hurt;
    latest : the newest answer (None: never asked); pain_limits : the newest answer says pain
    (alone or with stiffness) stopped the motion, so its range goal waits on the pain goal."""

    movement: str
    asked: int
    hurt: int
    latest: TrialPain | None
    latest_at: datetime | None

    @property
    def pain_limits(self) -> bool:
        return self.latest is not None and self.latest.limited_by in ("pain", "both")

    def text(self) -> str:
        """One plain line for the Progress page and the CLI ("" when never asked)."""
        if self.latest is None or self.latest_at is None:
            return ""
        vocab = pain_vocabulary()
        p = self.latest
        where = ", ".join(vocab["body_map"][w] for w in p.where) or "no region given"
        felt = f"hurt ({where})" if p.hurt else "did not hurt"
        stop = f"; {vocab['limited_by'][p.limited_by].lower()}" if p.limited_by else ""
        arc = "; painful arc" if p.painful_arc else ""
        note = ("; pain, not stiffness, stops it: the pain goal comes first"
                if self.pain_limits else "")
        return (f"Pain with this motion: hurt in {self.hurt} of {self.asked} measured session(s); "
                f"latest ({self.latest_at:%Y-%m-%d}): {felt}{stop}{arc}{note}.")


def motion_pain(sessions: list[SessionRow], movement: str) -> MotionPain:
    """The pain answers stored with ``movement``'s trials (``trials.pain``), oldest first."""
    answers = [(s.started_at, TrialPain.from_dict(t.pain)) for s in sessions for t in s.trials
               if t.movement == movement and t.pain]
    answers.sort(key=lambda a: a[0])
    latest = answers[-1] if answers else (None, None)
    return MotionPain(movement, len(answers), sum(a.hurt for _, a in answers), latest[1],
                      latest[0])


def strength_summary(rows: list[HoldRow], sex: str | None,
                     age: float | None = None) -> list[StrengthProgress]:
    """One :class:`StrengthProgress` per endurance test that has a stored hold (timed or not),
    in the battery's order (no goal past the norms' age group, :func:`strength_progress`)."""
    from lumbar_rom.assessment.hold import HOLD_TESTS

    points = hold_points(rows)
    return [strength_progress(t, points, sex, age) for t in HOLD_TESTS
            if any(p.test == t for p in points)]


def strength_text(prog: StrengthProgress) -> str:
    """One plain line: the test, its latest hold, the goal line today, the norm, the status."""
    name = endurance_knowledge()["tests"][prog.test]["name"]
    if not prog.points:
        return f"{name}: not timed yet (the position was never held): no goal"
    last = prog.points[-1]
    line = prog.goal_at(last.when)
    group = endurance_knowledge()["norms_population"]["text"].split("(")[0].strip()
    goal = (f"no goal: the norms come from {group} up to {norms_max_age():.0f}"
            if prog.beyond_age
            else f"goal line {line:.0f} s, norm {prog.target:.0f} s" if np.isfinite(line)
            else "no norm for this sex" if not np.isfinite(prog.target)
            else f"norm {prog.target:.0f} s")
    return (f"{name}: latest {last.held_s:.0f} s ± {last.uncertainty_s:.1f} on "
            f"{last.when:%Y-%m-%d} (first {prog.points[0].held_s:.0f} s; {goal}): {prog.status}")
