"""Duration of the episode (issue 30): from "when did this episode start?" the category acute
(< 6 weeks), subacute (6-12 weeks) or persistent (> 12 weeks), and pain milestones placed from
the ONSET of pain along the pooled course of back pain (Menezes Costa 2012, S92, whose times are
"weeks after the onset of pain"), ``clinical/data/duration.toml``.

Milestone values (decision): the pooled course gives the mean pain of a cohort, not of one
person. The person's pain today ``p_now`` (0-10) at ``t_now`` weeks after onset is carried along
the course's shape: ``expected(t) = p_now * f(t) / f(t_now)``, with ``f`` the course (mean pain
at the measured weeks, straight lines between them, flat beyond week 52). Acute and subacute
episodes follow the acute cohorts' course, persistent ones the persistent cohorts'. Milestones
are the course's measured weeks (6, 26, 52) counted from onset; those already past are returned
with ``past = True`` (for the chart, not as goals). Without an onset date there is no category
and no milestone (the caller says so; nothing is guessed).

These are the same numbers as goals.toml's ``[pain]`` fractions (1 - 23/52 = 0.56 at 6 weeks...),
now placed from onset instead of from the first session.

Design note - wiring (next session): **Start** asks "When did this episode of back pain
start?" (a date, or "more than a year ago"); the profile stores ``episode_onset`` (a new store
column on the person or on the session's screening); the engine replaces ``is_chronic`` /
``_goals``' pain schedule with :func:`category` and :func:`pain_milestones`; **Results** shows
the category label; **Progress** draws the milestones on the pain chart; the **CLI** takes
``--onset 2026-11-20``; the **PDF** summary prints "Episode: subacute (8 weeks)"; **FHIR**: a
Condition ``onsetDateTime``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from typing import Any, Literal

import numpy as np

from lumbar_rom.clinical.beyond_data import load
from lumbar_rom.data import DataError
from lumbar_rom.errors import LumbarRomError

__all__ = ["Category", "DurationError", "Milestone", "category", "course", "label",
           "pain_milestones", "weeks_since"]

Category = Literal["acute", "subacute", "persistent"]


class DurationError(LumbarRomError):
    """An onset date that cannot be used; the message says what to do next."""


@dataclass(frozen=True)
class Milestone:
    """``day``: the date; ``weeks``: weeks after onset; ``pain``: the expected pain (0-10) if the
    person follows the pooled course; ``past``: before today."""

    day: date
    weeks: float
    pain: float
    past: bool


@cache
def _data() -> dict[str, Any]:
    d = load("duration")
    c = d["categories"]
    if not 0 < c["acute_below_weeks"] < c["persistent_above_weeks"]:
        raise DataError("duration.toml: acute_below_weeks must be below persistent_above_weeks")
    for name in ("acute", "persistent"):
        w = [p[0] for p in d["course"][name]["points"]]
        if w[0] != 0 or any(b <= a for a, b in zip(w, w[1:], strict=False)):
            raise DataError(f"duration.toml: course.{name} weeks must start at 0 and increase")
    return d


def weeks_since(onset: date, today: date) -> float:
    """Weeks from ``onset`` to ``today`` (refuses a future onset in one sentence)."""
    if onset > today:
        raise DurationError(f"The start date {onset.isoformat()} is in the future; enter the "
                            "day this episode of back pain began.")
    return (today - onset).days / 7.0


def category(onset: date, today: date) -> Category:
    """acute (< 6 weeks), subacute (6 to 12 weeks, both included) or persistent (> 12 weeks)."""
    w = weeks_since(onset, today)
    c = _data()["categories"]
    if w < c["acute_below_weeks"]:
        return "acute"
    return "subacute" if w <= c["persistent_above_weeks"] else "persistent"


def label(cat: Category) -> str:
    return str(_data()["categories"]["labels"][cat])


def course(cat: Category) -> tuple[np.ndarray, np.ndarray]:
    """The pooled course for ``cat``: weeks after onset ``(K,)`` and mean pain 0-100 ``(K,)``."""
    pts = np.array(_data()["course"]["persistent" if cat == "persistent" else "acute"]["points"],
                   dtype=float)
    return pts[:, 0], pts[:, 1]


def _f(weeks: np.ndarray, pain: np.ndarray, t: float) -> float:
    return float(np.interp(t, weeks, pain))  # flat beyond the last point


def pain_milestones(onset: date, today: date, pain_now: float) -> tuple[Milestone, ...]:
    """The milestones of the episode begun on ``onset`` for a person whose pain today is
    ``pain_now`` (0-10): one per measured week of the course (6, 26, 52 after onset)."""
    if not 0 <= pain_now <= 10:
        raise DurationError("Pain must be a number from 0 to 10.")
    t_now = weeks_since(onset, today)
    weeks, pain = course(category(onset, today))
    ref = _f(weeks, pain, t_now)
    out = []
    for wk in _data()["milestones"]["weeks"]:
        day = onset + timedelta(days=int(round(7 * wk)))
        expected = pain_now * _f(weeks, pain, float(wk)) / ref
        out.append(Milestone(day, float(wk), round(min(expected, 10.0), 1), day < today))
    return tuple(out)
