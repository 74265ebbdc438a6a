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
        return alt.layer(line).properties(height=180)
    pts = alt.Chart(peaks).mark_point(size=90, filled=True).encode(
        x="time (s):Q", y="angle (deg):Q",
        color=alt.Color("used:N", scale=alt.Scale(domain=[True, False],
                                                  range=["#16a34a", "#9ca3af"]),
                        legend=alt.Legend(title="peak used")))
    return (line + pts).properties(height=180)


def progress_chart(prog) -> alt.LayerChart:  # type: ignore[no-untyped-def]
    """Measured values over time (with uncertainty) against the goal line and the norm."""
    df = pd.DataFrame([{"date": p.when, "value": p.value, "lo": p.value - p.uncertainty,
                        "hi": p.value + p.uncertainty, "time of day": p.when.strftime("%H:%M")}
                       for p in prog.points])
    pts = alt.Chart(df).mark_line(point=True).encode(
        x=alt.X("date:T", title="date"), y=alt.Y("value:Q", title="degrees"),
        tooltip=["date:T", "value:Q", "time of day:N"])
    err = alt.Chart(df).mark_rule().encode(x="date:T", y="lo:Q", y2="hi:Q")
    layers = [err, pts]
    if prog.start is not None:
        end = max(prog.points[-1].when, prog.start + timedelta(days=42))
        days = [prog.start + (end - prog.start) * k / 30 for k in range(31)]
        goal = pd.DataFrame({"date": days, "goal": [prog.goal_at(d) for d in days]})
        layers.append(alt.Chart(goal).mark_line(strokeDash=[5, 4], color="#f59e0b").encode(
            x="date:T", y="goal:Q"))
        layers.append(alt.Chart(pd.DataFrame([{"n": prog.target}])).mark_rule(
            color="#22c55e").encode(y="n:Q"))
    return alt.layer(*layers).properties(height=220)


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
