"""The Altair progress chart, read from its Vega-Lite spec (``chart.to_dict()``): date axis
format and ticks, legend, and value axis covering the measured bars, goal line and norm."""

from datetime import datetime, timedelta

import pytest

from lumbar_rom.app.charts import progress_chart
from lumbar_rom.history.progress import Point, motion_progress

T0 = datetime(2026, 11, 25, 9, 15)


def prog(*points):
    """``points``: (moment, value, decision)."""
    return motion_progress("flexion", [Point(t, v, 3.0, d, 77.0, "side:v1")
                                       for t, v, d in points])


def layers(chart):
    spec = chart.to_dict()
    return spec, spec["layer"]


def x_axes(chart):
    return [lay["encoding"]["x"] for lay in layers(chart)[1] if "x" in lay["encoding"]]


def dt(d):
    """A Vega-Lite DateTime dict as a datetime."""
    return datetime(d["year"], d["month"], d["date"], d.get("hours", 0), d.get("minutes", 0),
                    d.get("seconds", 0))


def test_a_single_session_reads_as_a_date():
    chart = progress_chart(prog((T0, 40.0, "restricted")))
    for x in x_axes(chart):
        assert x["axis"]["format"] == "%d %b %Y"  # not ".681" (milliseconds)
        ticks = [dt(v) for v in x["axis"]["values"]]
        assert ticks == [T0, T0 + timedelta(days=42)]  # the session and the goal's end
        lo, hi = (dt(v) for v in x["scale"]["domain"])
        assert lo < T0 and hi > T0 + timedelta(days=42)


def test_two_sessions_on_one_day_show_the_24_hour_time():
    chart = progress_chart(prog((T0, 40.0, "restricted"),
                                (T0.replace(hour=14, minute=21), 44.0, "restricted")))
    for x in x_axes(chart):
        fmt = x["axis"]["format"]
        assert fmt == "%d %b %Y %H:%M" and "%I" not in fmt and "%p" not in fmt


def test_legend_names_measured_goal_and_norm():
    chart = progress_chart(prog((T0, 40.0, "restricted"),
                                (T0 + timedelta(days=14), 48.0, "restricted")))
    spec, lays = layers(chart)
    colors = [lay["encoding"]["color"] for lay in lays]
    assert all(c["field"] == "series" for c in colors)
    assert colors[0]["scale"]["domain"] == ["measured (± uncertainty)", "goal line", "norm"]
    assert colors[0]["legend"] is not None
    series = {row["series"] for rows in spec["datasets"].values() for row in rows}
    assert series == {"measured (± uncertainty)", "goal line", "norm"}


def test_value_axis_covers_the_bars_goal_and_norm():
    chart = progress_chart(prog((T0, 40.0, "restricted"),
                                (T0 + timedelta(days=14), 48.0, "restricted")))
    spec, lays = layers(chart)
    domains = {tuple(lay["encoding"]["y"]["scale"]["domain"]) for lay in lays}
    assert len(domains) == 1  # every layer on the same axis
    lo, hi = domains.pop()
    values = [row[k] for rows in spec["datasets"].values() for row in rows
              for k in ("value", "lo", "hi") if k in row]
    assert lo < min(values) and hi > max(values) and hi > 77.0  # norm line inside, with margin
    assert min(values) == pytest.approx(37.0)  # the lowest bar: 40 - 3


def test_normal_motion_has_no_goal_but_its_norm():
    chart = progress_chart(prog((T0, 80.0, "normal")))
    spec, lays = layers(chart)
    assert lays[0]["encoding"]["color"]["scale"]["domain"] == ["measured (± uncertainty)", "norm"]
    lo, hi = lays[0]["encoding"]["y"]["scale"]["domain"]
    assert lo < 77.0 < hi


def test_renders_to_svg(tmp_path):
    import vl_convert as vlc

    chart = progress_chart(prog((T0, 40.0, "restricted"),
                                (T0.replace(hour=11, minute=21), 44.0, "restricted")))
    svg = vlc.vegalite_to_svg(chart.to_dict())
    assert "25 Nov 2026 09:15" in svg and "25 Nov 2026 11:21" in svg and "goal line" in svg
