"""Progress page: each motion against its goal, strength (the timed endurance holds) against its
goal, pain (the diary and each session's pain) against its goal, the stall checklist, the stored
sessions, export and deletion.

The pain diary form is here (an entry 0-10 on any day, without a measurement): the Progress page is
where the pain goal and its trend are read, so the entry shows up in the trend at once.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime, time
from typing import Any

import streamlit as st

from lumbar_rom.app import charts, service
from lumbar_rom.app.navigation import page
from lumbar_rom.app.state import Visit, account, store, visit
from lumbar_rom.app.text import file_stem, md
from lumbar_rom.app.widgets import sources
from lumbar_rom.assessment.protocol import MOVEMENTS, movement_spec
from lumbar_rom.clinical.knowledge import knowledge
from lumbar_rom.clinical.summary import session_headline
from lumbar_rom.errors import LumbarRomError
from lumbar_rom.history.accounts import AccessError
from lumbar_rom.history.pain import pain_stall_item
from lumbar_rom.history.progress import (
    MotionProgress,
    hold_points,
    maintenance_reminders,
    motion_pain,
    motion_progress,
    pain_points,
    pain_status,
    person_checklist,
    points_from_sessions,
    reminders_ics,
    strength_lag_item,
    strength_lags,
    strength_rule,
    strength_summary,
    strength_text,
)
from lumbar_rom.inputs import InputError


def progress_page() -> None:
    st.title("Progress")
    try:
        _progress()
    except AccessError as err:  # the store refused: one sentence, no data
        st.error(str(err))


def _listed(s: Any) -> list[str]:
    """Whose history can be chosen: in clinic mode everyone the account may see (a clinician's
    assigned patients, a patient's own person; the store scopes the query); in personal mode
    the people with a saved session, hold or pain-diary entry, and the person of this visit (so
    a first pain-diary entry can be made before any measurement)."""
    if account() is not None:
        return [p.name for p in s.people()]
    names = [p.name for p in s.people()
             if s.sessions(p.name) or s.holds(p.name) or s.pain_entries(p.name)]
    me = visit().person
    return names + [me] if me and me not in names else names


def _progress() -> None:
    s = store()
    people = _listed(s)
    if not people:
        st.info("No saved sessions yet. After a test, press \"Save to my history\" on the "
                "Results page. To keep a pain diary, enter your name on the Start page first.")
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
    try:
        prof = s.profile(person)
    except InputError:  # a value stored before the profile was validated (issue 27)
        prof = None
    st.caption("Compare measurements taken the same way and at the same time of day: range of "
               "motion changes through the day.")
    sources("S19; S20")
    maint = s.maintenance(person)
    holds, diary = s.holds(person), s.pain_entries(person)
    sex = prof.sex if prof else None
    chronic = service.pain_is_chronic(prof)
    checklist = person_checklist(sessions, diary, holds, sex, chronic)
    st.subheader("Range of motion")
    shown = 0
    for m in MOVEMENTS:
        prog = motion_progress(m, points_from_sessions(sessions, m),
                               injury=prof.injury if prof else None)
        if prog.points:
            shown += 1
            _motion(s, person, prog, sessions, maint.get(m), checklist)
    if not shown:
        st.caption("No motion measured yet.")
    _strength(holds, sex)
    _pain(s, person, sessions, diary, chronic)
    _checklist_extras(sessions, diary, holds, sex, chronic)
    _session_list(v, sessions)
    _confirm_delete(s)
    _exports(s, person)


def _motion(s: Any, person: str, prog: MotionProgress, sessions: list,
            since: datetime | None, checklist: list[str]) -> None:
    """One motion: its status against the goal, chart, rule, the pain it caused; the stall
    checklist (with the person's pain and strength items) when behind after four weeks;
    maintenance reminders once reached."""
    with st.container(border=True):
        st.markdown(f"**{movement_spec(prog.movement).label}**: {prog.status}")
        st.altair_chart(charts.progress_chart(prog), width="stretch")
        st.caption(prog.rule)
        felt = motion_pain(sessions, prog.movement).text()
        if felt:
            st.caption(felt)
        if prog.stalled:
            _stalled(s, person, prog.movement, sessions, checklist)
        if prog.status == "reached":
            _reached(s, person, prog, since)


def _stalled(s: Any, person: str, m: str, sessions: list, checklist: list[str]) -> None:
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
                   for i, item in enumerate(checklist)}
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


def _strength(holds: list, sex: str | None) -> None:
    """Each endurance test with a stored hold: its status against the strength goal."""
    st.subheader("Strength (endurance holds)")
    progs = strength_summary(holds, sex)
    if not progs:
        st.caption("No endurance hold timed yet: choose a hold on the Upload page, or do the "
                   "optional holds after the six motions of the guided test.")
        return
    for prog in progs:
        name = strength_text(prog).split(":")[0]
        with st.container(border=True):
            st.markdown(f"**{name}**: {prog.status}")
            st.caption(strength_text(prog))
    if sex not in ("female", "male"):
        st.caption("The norms are given by sex: enter yours on the Start page to get a goal.")
    st.caption(strength_rule())


def _pain(s: Any, person: str, sessions: list, diary: list, chronic: bool) -> None:
    """The pain goal and trend (the diary and each session's pain), and the diary form."""
    st.subheader("Pain")
    pts = pain_points(sessions, diary)
    kind = "long-standing" if chronic else "recent injury"
    if pts:
        status, line = pain_status(pts, chronic)
        st.markdown(f"**Pain**: {status} ({kind})")
        if line:
            steps = ", ".join(f"{v:.1f} by {t:%Y-%m-%d}" for t, v in line[1:])
            st.caption(f"Pain goal (NRS 0-10) from {line[0][1]:g} on {line[0][0]:%Y-%m-%d}: "
                       f"{steps}. {knowledge().goals.pain_evidence}")
        st.caption("Pain trend: " + ", ".join(f"{p.nrs} on {p.when:%Y-%m-%d}" for p in pts[-8:])
                   + f" ({len(diary)} diary entr{'y' if len(diary) == 1 else 'ies'} and the "
                   "sessions' pain).")
    else:
        st.caption("No pain recorded yet.")
    _diary_form(s, person)


def _diary_form(s: Any, person: str) -> None:
    """A pain-diary entry: 0-10 on any day, no measurement needed."""
    saved = st.session_state.pop("diary_saved", None)
    if saved:
        st.success(saved)
    with st.form("pain_diary"):
        st.markdown("**Pain diary**: how bad is your back pain today? (0 = none, 10 = worst "
                    "imaginable; no measurement needed)")
        c1, c2 = st.columns(2)
        nrs = c1.slider("Pain (0-10)", 0, 10, 0, key="diary_nrs")
        day = c2.date_input("Day", value=date.today(), max_value=date.today(), key="diary_day")
        note = st.text_input("Note (optional)", key="diary_note")
        if st.form_submit_button("Add to my pain diary"):
            when = datetime.combine(day, datetime.now().time() if day == date.today()
                                    else time(12, 0))
            try:
                s.add_pain(person, int(nrs), when=when, note=note.strip())
            except LumbarRomError as err:
                st.error(md(err))
                return
            st.session_state["diary_saved"] = f"Pain {int(nrs)}/10 recorded for {day:%Y-%m-%d}."
            st.rerun()  # the trend above is drawn again with the new entry


def _checklist_extras(sessions: list, diary: list, holds: list, sex: str | None,
                      chronic: bool) -> None:
    """The stall-checklist items that come from strength and pain, shown when they apply (also
    inside each stalled motion's checklist)."""
    lags = strength_lags(hold_points(holds), sex)
    behind = pain_status(pain_points(sessions, diary), chronic)[0] == "behind"
    if not lags and not behind:
        return
    items = ([strength_lag_item(lags)] if lags else []) + ([pain_stall_item()] if behind else [])
    st.warning("From the stall checklist:\n\n" + "\n".join(f"- {i}" for i in items))


def _session_list(v: Visit, sessions: list) -> None:
    st.subheader("Sessions")
    for x in reversed(sessions):
        c1, c2, c3, c4 = st.columns([3, 1, 1, 1])
        vals = ", ".join(f"{t.movement} {t.value_deg:.0f}°" for t in x.trials
                         if t.value_deg is not None)
        vals = session_headline(x.assessment) or vals  # a stopped or deferred session says so
        c1.markdown(f"**{x.started_at:%Y-%m-%d %H:%M}** (#{x.id}) {vals}")
        if c2.button("Open", key=f"open_{x.id}"):
            v.opened_session = x.id
            st.switch_page(page("results"))
        # the clinician PDF, made (and audited) only when pressed (issue 31)
        c4.download_button("PDF", _report(store(), x.id), f"lumbar-rom-session-{x.id}.pdf",
                           "application/pdf", key=f"pdf_{x.id}", on_click="ignore",
                           help="The report for a clinic: tables, decisions, sources")
        if c3.button("Delete", key=f"del_{x.id}"):
            st.session_state["confirm_delete"] = x.id


def _report(s: Any, session_id: int) -> Callable[[], bytes]:
    return lambda: service.report_pdf(s, session_id) or b""


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
    # made when pressed (Streamlit runs the callable then): opening Progress exports nothing,
    # and the clinic audit log records only exports that happened (issue 31)
    st.download_button("Export all sessions (CSV)", lambda: s.export_csv(person),
                       f"{stem}.csv", "text/csv", on_click="ignore")
    st.download_button("Export all sessions (JSON)",
                       lambda: json.dumps(s.export_json(person), indent=1), f"{stem}.json",
                       "application/json", on_click="ignore")
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
