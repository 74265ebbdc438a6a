"""Endurance holds in the app: time one from an uploaded video, keep the visit's holds, show them
(seconds held, why the hold ended, the norm, McGill's ratios) and save them to the history.

The visit's holds live in ``st.session_state[HOLDS]`` (test -> :class:`HoldResult`, the latest
of each test), filled by the Upload page and by the guided test's optional holds
(``app.live_hold``); the Results page shows them and saves them (``Store.save_hold``). Nothing
here needs a range-of-motion measurement: a visit with holds only can be saved.

Decision: each uploaded hold is tracked with its own, fresh VIDEO-mode landmarker (closed after
it), not the session's shared one: MediaPipe carries its tracking region from one video into the
next, and a body lying the other way round is then tracked badly for a second or two (seen in
tests/integration/test_holds.py).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import streamlit as st

from lumbar_rom.app.state import Visit, store
from lumbar_rom.app.text import md
from lumbar_rom.assessment.hold import (
    HOLD_TESTS,
    HoldResult,
    analyze_hold,
    endurance_knowledge,
    hold_norm,
    hold_ratios,
)
from lumbar_rom.clinical.engine import hold_readiness, hold_ready
from lumbar_rom.clinical.summary import endurance_words

HOLDS = "visit_holds"
SAVED = "visit_holds_saved"
END_REASONS = {
    "posture_dropped": "the position was lost",
    "out_of_frame": "you left the view",
    "clip_ended": "the video ended while the position was still held (so this is a lower bound)",
    "never_in_position": "the test position was never reached",
}


def hold_label(test: str) -> str:
    """The test's name (endurance.toml)."""
    return str(endurance_knowledge()["tests"][test]["name"])


def analyse_hold_upload(path: Path, test: str,
                        on_progress: Callable[[int, int], None] | None = None,
                        mirrored: bool = False) -> HoldResult:
    """Track ``path`` and time the hold of ``test`` (one of :data:`HOLD_TESTS`). Raises
    :class:`~lumbar_rom.errors.LumbarRomError` (one sentence) for a video that cannot be read."""
    from lumbar_rom.errors import LumbarRomError
    from lumbar_rom.pipeline import track_video
    from lumbar_rom.pose.estimator import MediaPipeEstimator

    with MediaPipeEstimator(mode="video") as est:
        seq = track_video(path, estimator=est, on_progress=on_progress, mirrored=mirrored)
    try:
        return analyze_hold(seq, test)
    except ValueError as err:
        raise LumbarRomError(f"{err} Film the whole hold and try again.") from None


def holds() -> dict[str, HoldResult]:
    """This visit's holds (test -> the latest result)."""
    got = st.session_state.get(HOLDS)
    if got is None:
        got = st.session_state[HOLDS] = {}
    return got


def keep_hold(result: HoldResult) -> None:
    holds()[result.test] = result
    st.session_state.get(SAVED, set()).discard(result.test)


def hold_text(r: HoldResult, sex: str | None) -> str:
    """One plain line: the seconds held +/- uncertainty, why the hold ended, the norm."""
    name = hold_label(r.test)
    if not math.isfinite(r.held_s):
        line = f"{name}: not timed: {END_REASONS[r.end_reason]}."
    else:
        line = (f"{name}: held {r.held_s:.1f} s ± {r.uncertainty_s:.1f} s; it ended because "
                f"{END_REASONS[r.end_reason]}.")
    if sex in ("female", "male") and math.isfinite(r.held_s):
        n = hold_norm(r, sex)
        line += (f" The norm for {sex}s is {n.mean_s:.0f} s (SD {n.sd_s:.0f}): you are "
                 f"{endurance_words(n.z, sex)} ({n.source}).")
    return line


READY = "holds_ready"  # session_state: the readiness answers (question id -> bool | None)


def readiness_check(key: str) -> bool:
    """The short readiness check before any endurance hold (engine.hold_readiness): every
    question starts unanswered; True only when all are answered No. Any Yes shows the "skip the
    holds today" advice; the stop-at-symptoms advice is always shown."""
    questions, not_ready, stop = hold_readiness()
    st.markdown("**Before a hold: is it safe for you today?**")
    answers: dict[str, bool | None] = {}
    for qid, question in questions:
        ans = st.radio(question, ["No", "Yes"], index=None, horizontal=True,
                       key=f"{key}_{qid}")
        answers[qid] = None if ans is None else ans == "Yes"
    st.session_state[READY] = answers
    ready = hold_ready(answers)
    if ready is False:
        st.error(not_ready.text)
    elif ready is None:
        st.info("Answer each question above before timing a hold.")
    else:
        st.caption(stop.text)
    return ready is True


def show_hold(r: HoldResult, sex: str | None) -> None:
    """One hold as a success / warning box, with its flags."""
    text = hold_text(r, sex)
    if math.isfinite(r.held_s):
        st.success(text)
    else:
        st.warning(text)
    for f in r.flags:
        st.caption(f"Check: {md(f)}")


def holds_panel(v: Visit) -> None:
    """Results page: the visit's holds, McGill's ratios, and saving them to the history."""
    got = holds()
    if not got:
        return
    st.subheader("Endurance holds")
    sex = v.profile.sex
    for test in (t for t in HOLD_TESTS if t in got):
        show_hold(got[test], sex)
    for r in hold_ratios(got):
        if math.isfinite(r.value):
            verdict = "meets" if r.within else "outside"
            st.caption(f"{r.name} ratio {r.value:.2f} ± {r.uncertainty:.2f}: {verdict} the "
                       f"balanced-trunk rule ({r.rule}; {r.source}).")
    saved: set[str] = st.session_state.setdefault(SAVED, set())
    unsaved = [t for t in got if t not in saved]
    if st.button("Save the holds to my history", disabled=not unsaved or not v.person,
                 key="save_holds"):
        store().person(v.person, v.profile)  # the profile (sex: the norms) with the holds
        for t in unsaved:
            store().save_hold(v.person, got[t], when=v.started_at)
            saved.add(t)
        st.rerun()
    if got and not unsaved:
        st.success("Holds saved: the Progress page shows them against their strength goals.")
