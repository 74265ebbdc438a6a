"""Axes of the progress charts, shared by the PDF (matplotlib) and the app (Altair).

Pure functions of a :class:`~lumbar_rom.history.progress.MotionProgress`:

- the date axis reads ``25 Nov 2026``; when two sessions share a day it adds the 24-hour time
  (``25 Nov 2026 09:30``), never a 12-hour clock or a fraction of a second;
- the value axis covers every measured band, the goal line and the norm line, with a margin.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np

from lumbar_rom.history.progress import MotionProgress

DATE_FORMAT = "%d %b %Y"
DATE_TIME_FORMAT = "%d %b %Y %H:%M"
MAX_DATE_TICKS = 8  # more sessions than this: let the chart library choose the ticks


def date_format(times: list[datetime]) -> str:
    """``DATE_FORMAT``, or ``DATE_TIME_FORMAT`` when two of ``times`` fall on the same day."""
    days = [t.date() for t in times]
    return DATE_TIME_FORMAT if len(set(days)) < len(days) else DATE_FORMAT


def goal_line(prog: MotionProgress, until: datetime, n: int = 30) -> list[tuple[datetime, float]]:
    """``n + 1`` points of the goal line from its start to ``until`` (empty without a goal)."""
    if prog.start is None or until <= prog.start:
        return []
    return [(prog.start + (until - prog.start) * k / n,
             prog.goal_at(prog.start + (until - prog.start) * k / n)) for k in range(n + 1)]


def norm_of(prog: MotionProgress) -> float:
    """The norm line: the goal's target, else the norm of the latest point (NaN if none)."""
    if prog.start is not None:
        return prog.target
    return prog.points[-1].norm if prog.points else float("nan")


LOWER_LIMIT_NAME = "lower limit of the usual range for your age (5th centile)"
REFERENCE_NAME = "typical value (no age given)"


def norm_name(prog: MotionProgress) -> str:
    """What the norm line (:func:`norm_of`) is, in words for its legend: the lower limit of the
    usual range for the age (the 5th centile, the goal's target since issue 26) when a goal or
    a decision for the age stands behind it; the reference mean when the latest session had no
    age ("no decision"). A session stored before issue 26 keeps its stored norm and is named
    as a lower limit too (its decisions were restriction decisions)."""
    if prog.start is None and prog.points and prog.points[-1].decision == "no decision":
        return REFERENCE_NAME
    return LOWER_LIMIT_NAME


def value_domain(prog: MotionProgress, goal: list[tuple[datetime, float]],
                 margin: float = 0.08) -> tuple[float, float]:
    """(low, high) degrees covering each point's band, the ``goal`` points and the norm line
    (:func:`norm_of`), widened by ``margin`` of the span (at least 2 deg) on each side."""
    vals = [p.value - p.uncertainty for p in prog.points] + \
        [p.value + p.uncertainty for p in prog.points] + [v for _, v in goal] + [norm_of(prog)]
    arr = np.asarray([v for v in vals if np.isfinite(v)], dtype=float)
    if arr.size == 0:
        return 0.0, 1.0
    lo, hi = float(arr.min()), float(arr.max())
    pad = max((hi - lo) * margin, 2.0)
    return lo - pad, hi + pad


def time_domain(prog: MotionProgress, goal: list[tuple[datetime, float]]) -> tuple[datetime,
                                                                                   datetime]:
    """(first, last) moments to show: every point and the goal line, padded by 8 % of the span
    (half a day around a single moment, so that one session sits in the middle of the axis).
    ``prog`` has at least one point."""
    times = [p.when for p in prog.points] + [t for t, _ in goal]
    first, last = min(times), max(times)
    pad = (last - first) * 0.08 if last > first else timedelta(hours=12)
    return first - pad, last + pad
