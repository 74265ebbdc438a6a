"""Charts and small helpers of the results and progress pages (Altair, bundled with Streamlit)."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from functools import lru_cache

import altair as alt
import numpy as np
import pandas as pd

from lumbar_rom.assessment.trial import TrialResult
from lumbar_rom.clinical.engine import Assessment, Decision
from lumbar_rom.history.progress import MotionProgress
from lumbar_rom.report.scales import (
    DATE_FORMAT,
    DATE_TIME_FORMAT,
    MAX_DATE_TICKS,
    date_format,
    goal_line,
    norm_of,
    time_domain,
    value_domain,
)


def gauge(d: Decision) -> alt.LayerChart:
    """A bar of the measured value with its uncertainty against the normal band."""
    top = max(d.norm_deg + d.mdc_deg, d.value_deg + d.uncertainty_deg) * 1.1
    bands = pd.DataFrame([
        {"from": 0.0, "to": d.threshold_deg, "zone": "restricted"},
        {"from": d.threshold_deg, "to": d.norm_deg + d.mdc_deg, "zone": "normal"},
        {"from": d.norm_deg + d.mdc_deg, "to": top, "zone": "above normal"},
    ])
    zones = alt.Chart(bands).mark_rect(opacity=0.35, height=26).encode(
        x=alt.X("from:Q", title="degrees", scale=alt.Scale(domain=[0, top])), x2="to:Q",
        color=alt.Color("zone:N", scale=alt.Scale(domain=["restricted", "normal", "above normal"],
                                                  range=["#f59e0b", "#22c55e", "#3b82f6"]),
                        legend=alt.Legend(orient="bottom", title=None)))
    val = pd.DataFrame([{"v": d.value_deg, "lo": d.value_deg - d.uncertainty_deg,
                         "hi": d.value_deg + d.uncertainty_deg}])
    err = alt.Chart(val).mark_rule(strokeWidth=3).encode(x="lo:Q", x2="hi:Q")
    point = alt.Chart(val).mark_point(filled=True, size=140, color="black").encode(
        x="v:Q", tooltip=["v:Q", "lo:Q", "hi:Q"])
    norm = alt.Chart(pd.DataFrame([{"n": d.norm_deg}])).mark_rule(strokeDash=[4, 3]).encode(
        x="n:Q")
    return (zones + err + point + norm).properties(height=60)


def angle_curve(t: TrialResult) -> alt.LayerChart:
    """Excursion from neutral over time, with the repetitions' peaks and the used ones marked."""
    df = pd.DataFrame({"time (s)": t.time_s, "angle (deg)": t.excursion_deg})
    line = alt.Chart(df).mark_line().encode(x="time (s):Q", y="angle (deg):Q")
    peaks = pd.DataFrame([{"time (s)": r.peak_s, "angle (deg)": r.peak_deg,
                           "used": i in t.used_repetitions} for i, r in enumerate(t.repetitions)])
    if peaks.empty:
        return alt.LayerChart(layer=[line]).properties(height=180)
    pts = alt.Chart(peaks).mark_point(size=90, filled=True).encode(
        x="time (s):Q", y="angle (deg):Q",
        color=alt.Color("used:N", scale=alt.Scale(domain=[True, False],
                                                  range=["#16a34a", "#9ca3af"]),
                        legend=alt.Legend(title="peak used")))
    return (line + pts).properties(height=180)


SERIES = {"measured (± uncertainty)": "#2563eb", "goal line": "#f59e0b", "norm": "#16a34a"}


def _when(t: datetime) -> alt.DateTime:
    """``t`` as a Vega-Lite date-time (local time, as the naive dates of the data are read)."""
    return alt.DateTime(year=t.year, month=t.month, date=t.day, hours=t.hour, minutes=t.minute,
                        seconds=t.second)


def progress_chart(prog: MotionProgress) -> alt.LayerChart:
    """Measured values over time (with their 95 % bars) against the goal line (to day 42) and
    the norm line, with a legend. Dates read ``25 Nov 2026`` (with the 24-hour time when two
    sessions share a day); ticks at the sessions and the goal's end; both axes cover every
    line (:mod:`lumbar_rom.report.scales`). ``prog`` has at least one point."""
    times = [p.when for p in prog.points]
    end = max(times[-1], prog.start + timedelta(days=42)) if prog.start is not None else times[-1]
    goal, norm = goal_line(prog, end), norm_of(prog)
    ticks = sorted(set(times + [t for t, _ in goal[-1:]]))
    fmt = date_format(times)
    x = alt.X("date:T", title="date", scale=alt.Scale(domain=[_when(t) for t in
                                                              time_domain(prog, goal)]),
              axis=alt.Axis(format=fmt, labelAngle=-30 if fmt != DATE_FORMAT else 0,
                            labelOverlap="greedy",
                            values=[_when(t) for t in ticks] if len(ticks) <= MAX_DATE_TICKS
                            else alt.Undefined))
    y_scale = alt.Scale(domain=list(value_domain(prog, goal)), zero=False)
    names = [n for n in SERIES if n != "goal line" or goal]
    names = [n for n in names if n != "norm" or norm == norm]
    color = alt.Color("series:N", scale=alt.Scale(domain=names, range=[SERIES[n] for n in names]),
                      legend=alt.Legend(title=None, orient="bottom"))
    measured = next(iter(SERIES))
    df = pd.DataFrame([{"date": p.when, "value": p.value, "lo": p.value - p.uncertainty,
                        "hi": p.value + p.uncertainty, "series": measured} for p in prog.points])
    layers: list[alt.Chart] = [
        alt.Chart(df).mark_rule().encode(x=x, y=alt.Y("lo:Q", scale=y_scale), y2="hi:Q",
                                         color=color),
        alt.Chart(df).mark_line(point=True).encode(
            x=x, y=alt.Y("value:Q", title="degrees", scale=y_scale), color=color,
            tooltip=[alt.Tooltip("date:T", title="date", format=DATE_TIME_FORMAT),
                     alt.Tooltip("value:Q", format=".0f"), alt.Tooltip("lo:Q", format=".0f"),
                     alt.Tooltip("hi:Q", format=".0f")])]
    if goal:
        gdf = pd.DataFrame({"date": [t for t, _ in goal], "value": [v for _, v in goal],
                            "series": "goal line"})
        layers.append(alt.Chart(gdf).mark_line(strokeDash=[5, 4]).encode(
            x=x, y=alt.Y("value:Q", scale=y_scale), color=color))
    if norm == norm:
        layers.append(alt.Chart(pd.DataFrame([{"value": norm, "series": "norm"}])).mark_rule(
        ).encode(y=alt.Y("value:Q", scale=y_scale), color=color,
                 tooltip=[alt.Tooltip("value:Q", title="norm (deg)", format=".0f")]))
    return alt.LayerChart(layer=layers).properties(height=240)


def results_csv(a: Assessment, person: str = "", when: datetime | None = None) -> str:
    """The decisions of ``a`` as CSV, one row per movement, each with the date (ISO, to the
    minute) and the person (a leading ``= + - @`` is quoted with ``'`` so that a spreadsheet
    shows it as text, not a formula)."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["date", "person", "movement", "value_deg", "uncertainty_deg", "norm_deg",
                "threshold_deg", "decision", "norm_source", "mdc_source"])
    date = f"{when:%Y-%m-%d %H:%M}" if when is not None else ""
    who = f"'{person}" if person[:1] in ("=", "+", "-", "@") else person
    for d in a.decisions:
        w.writerow([date, who, d.movement, _r(d.value_deg), _r(d.uncertainty_deg),
                    _r(d.norm_deg), _r(d.threshold_deg), d.status, d.norm_source, d.mdc_source])
    return buf.getvalue()


def _r(x: float) -> str:
    return "" if not np.isfinite(x) else f"{x:.1f}"


@lru_cache(maxsize=16)
def still_from_video(path: str, at_fraction: float) -> bytes | None:
    """A JPEG still from a video (the "how to stand" picture)."""
    import cv2

    from lumbar_rom.video.reader import iter_frames

    frames = [f.rgb for f in iter_frames(path, max_side=480)]
    if not frames:
        return None
    rgb = frames[int(len(frames) * at_fraction)]
    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    return buf.tobytes() if ok else None
