"""The one renderer of an assessment: the live one (Results page) and a stored one (a session
opened from the Progress page) are drawn by :func:`render_assessment`."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import streamlit as st

from lumbar_rom.app import charts
from lumbar_rom.app.widgets import STATUS_ICON, finite, show_gate, source_markdown
from lumbar_rom.assessment.protocol import movement_spec
from lumbar_rom.assessment.trial import TrialResult
from lumbar_rom.assessment.units import unit_rows
from lumbar_rom.clinical.engine import Assessment
from lumbar_rom.clinical.knowledge import sources_for
from lumbar_rom.clinical.summary import (
    DISCLAIMER,
    MOTION_WORDS,
    UNCERTAINTY_PLAIN,
    basmi_context,
    is_basmi,
    plain_sentence,
)
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
    st.caption(UNCERTAINTY_PLAIN)  # said once, not beside every value
    for d in a.decisions:
        _decision(d, (trials or {}).get(d.movement), (videos or {}).get(d.movement))
    for x in a.asymmetries:  # the MDC and its type in its Details, the finding in words
        st.info(_without_brackets(x.text))
        with st.expander("Details"):
            st.write(x.text)
            _source_list(x.source)
    _units(trials, a)
    _muscles(a)
    _plan(a)
    _goals(a)
    _factors(a)
    st.caption(DISCLAIMER)


def _decision(d: Any, t: TrialResult | None, video: bytes | None) -> None:
    """One motion: its plain sentence first (the same words as the CLI and the PDF), the value
    with its band, the gauge, the trial's flags, curve and replay; the statistics, the engine's
    full explanation and the sources in its "Details" expander (issue 27 item 8)."""
    with st.container(border=True):
        st.markdown(f"### {STATUS_ICON.get(d.status, '')} {d.label}: **{d.status}**")
        st.markdown(f"**{plain_sentence(d)}**")
        if getattr(d, "construct", ""):  # what the camera measures, in plain words (issue 26)
            st.caption(f"What is measured: {d.construct}")
        if finite(d.value_deg):
            typical = (f" · usual range for your age {d.threshold_deg:.0f}-{d.upper_deg:.0f}°"
                       if finite(d.threshold_deg) and finite(d.upper_deg) else "")
            st.markdown(f"Measured **{d.value_deg:.0f}°** ± {d.uncertainty_deg:.0f}°{typical}")
            if finite(d.threshold_deg):  # no reference band to draw without an age
                st.altair_chart(charts.gauge(d), width="stretch")
        if t is not None:
            _trial(t, video)
        with st.expander("Details"):
            st.write(d.explanation)
            if getattr(d, "statistics", ""):
                st.write(d.statistics)
            if finite(d.mdc_deg):
                st.write(f"Smallest real change between sessions (MDC, for progress and "
                         f"left/right only): {d.mdc_deg:.1f}° — {d.mdc_kind}")
            _source_list(f"{d.norm_source}; {d.mdc_source}")


def _source_list(source_text: str) -> None:
    """The cited sources of ``source_text`` as a linked list (inside a "Details" expander)."""
    found = sources_for(source_text)
    if found:
        st.markdown("Sources:\n" + "\n".join(source_markdown(x) for x in found))


def _details_sources(source_text: str) -> None:
    """The cited sources of a section in its own collapsed "Details: sources" expander (source
    keys and citations never in the main text)."""
    if sources_for(source_text):
        with st.expander("Details: sources"):
            _source_list(source_text)


def _without_brackets(text: str) -> str:
    """``text`` without its bracketed statistics: "... more than the smallest real difference
    (10.7 deg, MDC for change: ...). Confirm it ..." -> "... more than the smallest real
    difference. Confirm it ..." (from the first " (" to the last ")")."""
    if " (" not in text or ")" not in text:
        return text
    return text[:text.index(" (")] + text[text.rindex(")") + 1:]


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
        st.markdown(f"- **{r.label}**: {r.value:.1f} ± {r.u95:.1f} {r.unit}")
    if context is not None and any(is_basmi(r.key) for r in rows):
        st.info(context)
    with st.expander("Details"):
        for r in rows:
            st.markdown(f"**{r.label}**: {r.definition} The band is the 95 % uncertainty; the "
                        f"smallest real change is {r.mdc:g} {r.mdc_unit}.")
        _source_list("; ".join(dict.fromkeys(r.source for r in rows)))


def _muscles(a: Assessment) -> None:
    if not a.muscles:
        return
    st.subheader("Muscles that may limit the restricted motions")
    for m in a.muscles:
        side = "" if m.side == "both" else f"{m.side} "
        icon = {"likely": ":material/target:", "possible": ":material/help:"}.get(
            m.status, ":material/close:")
        st.markdown(f"{icon} **{side}{m.name}** ({movement_spec(m.movement).label.lower()}): "
                    f"{m.status}, {m.reason}")
    _details_sources("; ".join(m.source for m in a.muscles))


def _plan(a: Assessment) -> None:
    st.subheader("Your stretch plan")
    measured = any(finite(d.value_deg) for d in a.decisions)
    undecided = [d for d in a.decisions if d.status == "no decision"]
    open_ = [d for d in a.decisions if d.status in ("inconclusive", "borderline")]
    if not a.plan and not measured:  # never "nothing is restricted" when nothing was measured
        st.info("No stretching advice: no motion was measured.")
    elif not a.plan and undecided:
        st.info("No stretch plan yet: add your age on the Start page so that each motion can be "
                "compared with people of your age.")
    elif not a.plan and any(d.status == "pain-limited" for d in a.decisions):
        st.info("No stretch plan: a motion that pain stopped is never stretched (see its advice "
                "above); no other motion was found truly restricted.")
    elif not a.plan and open_:  # issue 31: no green "nothing restricted" beside open trials
        st.info("No stretch plan: no motion was found truly restricted by stiffness, but "
                f"{len(open_)} could not be decided (each says why above).")
    elif not a.plan:
        st.success("No stretching needed: no motion was found truly restricted by stiffness. "
                   "Stretching a normal range brings no benefit and can make a joint too "
                   "mobile.")
    for p in a.plan:
        with st.container(border=True):
            st.markdown(f"**{p.name}**" + (f" ({p.how})" if p.how else ""))
            st.write(p.cues)
            st.caption(f"Dose: {p.dose} · For: {', '.join(p.for_muscles)} · Caution: "
                       f"{p.contraindications}")
            _details_sources(p.source)
    for advice in a.general:
        st.markdown(f"- {advice.text}")


def _goals(a: Assessment) -> None:
    if not a.goals:
        return
    st.subheader("Goals")
    for g in a.goals:
        unit, fmt = {"pain": ("/10", "g"), "strength": (" s", ".0f")}.get(
            g.kind, ("°", ".0f"))  # whole degrees and seconds, as measured
        ms = ", ".join(f"{val:{fmt}}{unit} by {day}" for day, val in g.milestones)
        what = "Pain" if g.kind == "pain" else MOTION_WORDS.get(g.movement, g.movement)
        what = what[:1].upper() + what[1:]
        st.markdown(f"- **{what}**: from {g.baseline:{fmt}}{unit}: {ms}")
        st.caption(f"{g.text} {g.evidence}")


def _factors(a: Assessment) -> None:
    if not a.factors:
        return
    st.subheader("Contributing factors and posture")
    for f in a.factors:
        st.markdown(f"- {f.text}")
    _details_sources("; ".join(f.source for f in a.factors))
