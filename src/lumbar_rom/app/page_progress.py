"""Progress page: each motion against its goal, pain, the stored sessions, export and deletion."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import streamlit as st

from lumbar_rom.app import charts, service
from lumbar_rom.app.navigation import page
from lumbar_rom.app.state import Visit, account, store, visit
from lumbar_rom.app.text import file_stem, md
from lumbar_rom.assessment.protocol import MOVEMENTS, movement_spec
from lumbar_rom.history.accounts import AccessError
from lumbar_rom.history.progress import (
    MotionProgress,
    PainPoint,
    maintenance_reminders,
    motion_progress,
    pain_status,
    points_from_sessions,
    reminders_ics,
    stall_checklist,
)


def progress_page() -> None:
    st.title("Progress")
    try:
        _progress()
    except AccessError as err:  # the store refused: one sentence, no data
        st.error(str(err))


def _listed(s: Any) -> list[str]:
    """Whose history can be chosen: in clinic mode everyone the account may see (a clinician's
    assigned patients, a patient's own person; the store scopes the query); in personal mode
    the people with a saved session (a person exists once saved)."""
    if account() is not None:
        return [p.name for p in s.people()]
    return [p.name for p in s.people() if s.sessions(p.name)]


def _progress() -> None:
    s = store()
    people = _listed(s)
    if not people:
        st.info("No saved sessions yet. After a test, press \"Save to my history\" on the "
                "Results page.")
        return
    person = _choose_person(visit(), people)
    if person is None:
        return
    _history(s, visit(), person)


def _choose_person(v: Visit, people: list[str]) -> str | None:
    """The person whose history to open: a deliberate choice (only the person of this visit is
    pre-selected; nobody is opened by default)."""
    mine = service.own_person()
    chosen = mine if mine is not None else v.person
    default = people.index(chosen) if chosen in people else None
    person = st.selectbox("Whose history?", people, index=default,
                          placeholder="Choose a person", key="progress_person")
    if person is None:
        st.info("Choose a person to see their history.")
    return person


def _history(s: Any, v: Visit, person: str) -> None:
    """``person``'s motions against their goals, pain, sessions, exports and deletion."""
    sessions = s.sessions(person)
    if not sessions:
        st.info(f"No sessions stored for {md(person)}.")
    prof = s.profile(person)
    st.caption("Compare measurements taken the same way and at the same time of day: range of "
               "motion changes through the day (S19, S20).")
    maint = s.maintenance(person)
    for m in MOVEMENTS:
        prog = motion_progress(m, points_from_sessions(sessions, m),
                               injury=prof.injury if prof else None)
        if prog.points:
            _motion(s, person, prog, sessions, maint.get(m))
    _pain(sessions, service.pain_is_chronic(prof))
    _session_list(v, sessions)
    _confirm_delete(s)
    _exports(s, person)


def _motion(s: Any, person: str, prog: MotionProgress, sessions: list,
            since: datetime | None) -> None:
    """One motion: its status against the goal, chart, rule; the stall checklist when behind
    after four weeks; maintenance reminders once reached."""
    with st.container(border=True):
        st.markdown(f"**{movement_spec(prog.movement).label}**: {prog.status}")
        st.altair_chart(charts.progress_chart(prog), width="stretch")
        st.caption(prog.rule)
        if prog.stalled:
            _stalled(s, person, prog.movement, sessions)
        if prog.status == "reached":
            _reached(s, person, prog, since)


def _stalled(s: Any, person: str, m: str, sessions: list) -> None:
    st.warning("Behind after four weeks. The founding document's checklist:")
    tilt = [(x.started_at, t.result.get("posture", {}).get("pelvic_obliquity_deg"))
            for x in sessions for t in x.trials]
    tilt = [(d, val) for d, val in tilt if val is not None]
    if tilt:
        st.caption("Measured pelvic tilt (standing still, + = left hip higher): " +
                   ", ".join(f"{d:%Y-%m-%d} {val:+.1f}°" for d, val in tilt) +
                   f" · more than {service.pelvic_tilt_limit_deg():g}° suggests a leg-length or "
                   "foot check (S83).")
    with st.form(f"stall_{m}"):
        answers = {item: st.checkbox(item, key=f"stall_{m}_{i}")
                   for i, item in enumerate(stall_checklist())}
        if st.form_submit_button("Record my answers"):
            s.record_stall_answers(person, m, answers)
            st.success("Recorded.")


def _reached(s: Any, person: str, prog: MotionProgress, since: datetime | None) -> None:
    m = prog.movement
    if since is None:
        since = prog.points[-1].when
        s.set_maintenance(person, m, since)
    st.success("Goal reached: keep doing what got you here (maintenance).")
    st.download_button("Reminders (.ics calendar)", reminders_ics(maintenance_reminders(m, since)),
                       f"lumbar-rom-{m}-reminders.ics", "text/calendar", key=f"ics_{m}")


def _pain(sessions: list, chronic: bool) -> None:
    pains = [PainPoint(x.started_at, x.pain_before) for x in sessions if x.pain_before is not None]
    if pains:
        status, _line = pain_status(pains, chronic)
        st.markdown(f"**Pain**: {status}")


def _session_list(v: Visit, sessions: list) -> None:
    st.subheader("Sessions")
    for x in reversed(sessions):
        c1, c2, c3 = st.columns([3, 1, 1])
        vals = ", ".join(f"{t.movement} {t.value_deg:.0f}°" for t in x.trials
                         if t.value_deg is not None)
        c1.markdown(f"**{x.started_at:%Y-%m-%d %H:%M}** (#{x.id}) {vals}")
        if c2.button("Open", key=f"open_{x.id}"):
            v.opened_session = x.id
            st.switch_page(page("results"))
        if c3.button("Delete", key=f"del_{x.id}"):
            st.session_state["confirm_delete"] = x.id


def _confirm_delete(s: Any) -> None:
    target = st.session_state.get("confirm_delete")
    if target is None:
        return
    st.warning(f"Delete session #{target} for good?")
    c1, c2 = st.columns(2)
    if c1.button("Yes, delete it", key="confirm_yes"):
        s.delete_session(int(target))
        st.session_state["confirm_delete"] = None
        st.rerun()
    if c2.button("No, keep it", key="confirm_no"):
        st.session_state["confirm_delete"] = None
        st.rerun()


def _exports(s: Any, person: str) -> None:
    stem = f"lumbar-rom-{file_stem(person)}"
    st.download_button("Export all sessions (CSV)", s.export_csv(person), f"{stem}.csv",
                       "text/csv")
    st.download_button("Export all sessions (JSON)", json.dumps(s.export_json(person), indent=1),
                       f"{stem}.json", "application/json")
    with st.expander("Delete all my data"):
        st.write("To delete every session and the profile of this person, type their name "
                 "exactly as shown here:")
        st.code(person, language=None)
        confirm = st.text_input("The name, to confirm", key="confirm_all")
        if st.button("Delete everything for this person", disabled=confirm != person):
            s.delete_person(person)
            st.session_state.pop("progress_person", None)
            st.success("All data deleted.")
            st.rerun()
