"""The one renderer of an assessment: the live one (Results page) and a stored one (a session
opened from the Progress page) are drawn by :func:`render_assessment`."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import streamlit as st

from lumbar_rom.app import charts
from lumbar_rom.app.widgets import (
    STATUS_ICON,
    finite,
    position_picture,
    show_gate,
    sources,
)
from lumbar_rom.assessment.protocol import movement_spec
from lumbar_rom.assessment.trial import TrialResult
from lumbar_rom.assessment.units import unit_rows
from lumbar_rom.clinical.engine import Assessment
from lumbar_rom.clinical.summary import DISCLAIMER, basmi_context, is_basmi
from lumbar_rom.report.captions import trial_captions


def render_assessment(a: Assessment, trials: Mapping[str, TrialResult] | None = None,
                      videos: Mapping[str, bytes] | None = None) -> None:
    """Draw ``a``: its gate when stopped; else decisions (with each movement's flags, angle curve
    and replay when ``trials`` / ``videos`` have them), muscles, stretch plan, goals, factors."""
    if a.status != "complete":
        show_gate(a)
        return
    for w in a.warnings:
        st.warning(w)
    st.subheader("Range of motion")
    for d in a.decisions:
        _decision(d, (trials or {}).get(d.movement), (videos or {}).get(d.movement))
    for x in a.asymmetries:
        st.info(x.text)
    _units(trials, a)
    _muscles(a)
    _plan(a)
    _goals(a)
    _factors(a)
    st.caption(DISCLAIMER)


def _decision(d: Any, t: TrialResult | None, video: bytes | None) -> None:
    with st.container(border=True):
        st.markdown(f"### {STATUS_ICON.get(d.status, '')} {d.label}: **{d.status}**")
        if finite(d.value_deg):
            st.markdown(f"Measured **{d.value_deg:.0f}°** ± {d.uncertainty_deg:.0f}° "
                        f"(95 %) · normal {d.norm_deg:.0f}° · restricted below "
                        f"{d.threshold_deg:.0f}°")
            st.altair_chart(charts.gauge(d), width="stretch")
        st.write(d.explanation)
        if t is not None:
            _trial(t, video)
        sources(f"{d.norm_source}; {d.mdc_source}")


def _trial(t: TrialResult, video: bytes | None) -> None:
    """A trial's flags, its angle curve and, beside it in a narrow column (portrait clips stay
    small), its own segment of the replay."""
    for f in t.flags:
        (st.error if f.blocking else st.warning)(f.message)
    curve, clip = st.columns([2, 1]) if video is not None else (st.container(), None)
    if len(t.time_s):
        curve.altair_chart(charts.angle_curve(t), width="stretch")
    if clip is not None and video is not None:
        start, end = segment_s(t)
        # the excursion from neutral is a caption track (report/captions.py), not drawn in
        clip.video(video, format="video/mp4", start_time=start, end_time=end,
                   subtitles=trial_captions(t) or None)


def segment_s(t: TrialResult) -> tuple[int, int | None]:
    """The trial's time range in its video (whole seconds, as ``st.video`` takes them): where its
    replay starts and ends (``None``: the end of the video), so that several movements of one
    file each play their own part."""
    times = t.time_s[np.isfinite(t.time_s)]
    if not len(times):
        return 0, None
    return max(0, math.floor(float(times[0]))), math.ceil(float(times[-1]))


def _units(trials: Mapping[str, TrialResult] | None, a: Assessment) -> None:
    """Clinical units (fingertip-to-floor, lateral fingertip-to-floor, BASMI) with their
    definitions and smallest real changes; nothing when none was measured (no height). The
    BASMI item only with its context (the NG65 screen's referral advice, issue 27)."""
    rows = unit_rows({m: t.extras for m, t in (trials or {}).items()})
    context = basmi_context(a)
    rows = [r for r in rows if context is not None or not is_basmi(r.key)]
    if not rows:
        return
    st.subheader("Clinical units")
    for r in rows:
        st.markdown(f"- **{r.label}**: {r.value:.1f} ± {r.u95:.1f} {r.unit} (95 %) · smallest "
                    f"real change {r.mdc:g} {r.mdc_unit}")
        st.caption(r.definition)
    if context is not None and any(is_basmi(r.key) for r in rows):
        st.info(context)
    sources("; ".join(dict.fromkeys(r.source for r in rows)))


def _muscles(a: Assessment) -> None:
    if not a.muscles:
        return
    st.subheader("Muscles that may limit the restricted motions")
    for m in a.muscles:
        side = "" if m.side == "both" else f"{m.side} "
        icon = ":material/target:" if m.status == "likely" else ":material/close:"
        st.markdown(f"{icon} **{side}{m.name}** ({movement_spec(m.movement).label.lower()}): "
                    f"{m.status}, {m.reason}")
    sources("; ".join(m.source for m in a.muscles))


def _plan(a: Assessment) -> None:
    st.subheader("Your stretch plan")
    measured = any(finite(d.value_deg) for d in a.decisions)
    if not a.plan and not measured:  # never "nothing is restricted" when nothing was measured
        st.info("No stretching advice: no motion was measured.")
    elif not a.plan:
        st.success("No stretching needed: no motion was found truly restricted. Stretching a "
                   "normal range brings no benefit and can make a joint too mobile.")
    for p in a.plan:
        with st.container(border=True):
            st.markdown(f"**{p.name}**" + (f" ({p.how})" if p.how else ""))
            pic = position_picture(p.stretch)  # issue 31: the position, with its dose
            if pic is not None:
                st.image(str(pic), caption=f"{p.name}: {p.dose}", width=300)
            st.write(p.cues)
            st.caption(f"Dose: {p.dose} · For: {', '.join(p.for_muscles)} · Caution: "
                       f"{p.contraindications}")
            sources(p.source)
    for advice in a.general:
        st.markdown(f"- {advice.text}")


def _goals(a: Assessment) -> None:
    if not a.goals:
        return
    st.subheader("Goals")
    for g in a.goals:
        ms = ", ".join(f"{val:g} by {day}" for day, val in g.milestones)
        unit = "/10" if g.kind == "pain" else "°"
        st.markdown(f"- **{g.movement}**: from {g.baseline:g}{unit}: {ms}")
        st.caption(f"{g.text} {g.evidence}")


def _factors(a: Assessment) -> None:
    if not a.factors:
        return
    st.subheader("Contributing factors and posture")
    for f in a.factors:
        st.markdown(f"- {f.text}")
    sources("; ".join(f.source for f in a.factors))
