"""Keep going (founding document step 6, issue 30): when a range-of-motion goal is reached, a
maintenance dose, re-test dates and a general activity recommendation, each with its source
(``clinical/data/maintenance.toml``).

Design note - wiring (next session): the engine, seeing a goal reached (Progress), calls
:func:`maintenance_plan` with the date; **Progress** shows the dose, the activity advice and the
re-test dates (a reminder file / calendar entry per date replaces goals.toml's ``reminder_days``);
the store keeps the date the goal was reached; the PDF summary prints the plan's three lines with
their sources; the CLI's ``progress`` command prints the next re-test date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from typing import Any

from lumbar_rom.clinical.beyond_data import load
from lumbar_rom.data import DataError

__all__ = ["MaintenancePlan", "maintenance_plan"]


@dataclass(frozen=True)
class MaintenancePlan:
    """``dose`` / ``activity`` / ``retest`` / ``stop``: sentences for the person; ``retest_dates``:
    when to measure again; ``sources``: per line, the sources behind it."""

    dose: str
    activity: str
    retest: str
    retest_dates: tuple[date, ...]
    stop: str
    sources: dict[str, str]


@cache
def _data() -> dict[str, Any]:
    d = load("maintenance")
    w = d["retest"]["weeks"]
    if not w or any(b <= a for a, b in zip(w, w[1:], strict=False)) or w[0] <= 0:
        raise DataError("maintenance.toml: retest weeks must be positive and increasing")
    for key in ("hold_s", "reps"):
        lo, hi = d["dose"][key]
        if not 0 < lo <= hi:
            raise DataError(f"maintenance.toml: dose.{key} must be a range")
    return d


def maintenance_plan(goal_reached: date) -> MaintenancePlan:
    """The keep-going plan for a goal reached on ``goal_reached``."""
    d = _data()
    dose, act, rt = d["dose"], d["activity"], d["retest"]
    dose_text = dose["text"].format(hold_lo=dose["hold_s"][0], hold_hi=dose["hold_s"][1],
                                    reps_lo=dose["reps"][0], reps_hi=dose["reps"][1],
                                    days=dose["days_per_week"])
    act_text = act["text"].format(
        mod_lo=act["moderate_min_per_week"][0], mod_hi=act["moderate_min_per_week"][1],
        vig_lo=act["vigorous_min_per_week"][0], vig_hi=act["vigorous_min_per_week"][1],
        strength_days=act["strength_days_per_week"])
    dates = tuple(goal_reached + timedelta(weeks=int(w)) for w in rt["weeks"])
    return MaintenancePlan(dose_text, act_text, f"{rt['text']} {rt['why']}", dates,
                           d["stop"]["text"],
                           {k: d[k]["source"] for k in ("dose", "activity", "retest", "stop")})
