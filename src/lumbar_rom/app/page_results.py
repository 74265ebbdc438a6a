"""Results page: the current visit's assessment (save, download), or a stored session opened
from the Progress page."""

from __future__ import annotations

import json
import logging

import streamlit as st

from lumbar_rom.app import charts, service
from lumbar_rom.app.holds import holds, holds_panel
from lumbar_rom.app.navigation import need_screening
from lumbar_rom.app.pain_inputs import measured_answers, trial_pain_panel
from lumbar_rom.app.render import render_assessment
from lumbar_rom.app.state import Visit, store, visit
from lumbar_rom.app.text import md
from lumbar_rom.clinical.engine import Assessment
from lumbar_rom.history.accounts import AccessError

log = logging.getLogger(__name__)


def results_page() -> None:
    st.title("Your results")
    try:
        _results()
    except AccessError as err:  # the store refused: one sentence, no data
        st.error(str(err))


def _results() -> None:
    v = visit()
    queried = st.query_params.get("session")
    if queried is None:
        queried = st.session_state.pop(service.SESSION_LINK, None)
    if queried is not None:  # a ?session=ID link: opened through the scoped store only
        sid = service.session_id_from_query(queried)
        if sid is None:
            st.error(service.NOT_YOURS)
            return
        v.opened_session = sid
    if v.opened_session is not None:
        _stored_results(v, v.opened_session)
        return
    if need_screening():
        return
    # the pain-after slider (below) is part of the assessment that is shown, saved and downloaded
    used = dict(measured_answers(v))
    a = service.current_assessment(v, pain_after=st.session_state.get("pain_after"),
                                   trial_pain=used)
    if a is None:
        if not holds():
            st.info("No movement measured yet: use the guided test or upload videos.")
        holds_panel(v)  # issue 14: a visit with endurance holds only
        return
    render_assessment(a, v.trials, v.videos)
    trial_pain_panel(v)  # issue 14: hurt, where, what stopped each motion (saved with it)
    if dict(measured_answers(v)) != used:  # issue 26: a pain answer changes the decisions
        st.rerun()
    holds_panel(v)  # issue 14: the visit's endurance holds (saved with their own button)
    st.divider()
    _save_panel(v, a)
    _downloads(v, a)


def _save_panel(v: Visit, a: Assessment) -> None:
    c1, c2, c3 = st.columns(3)
    pain_after = c1.slider("Pain now, after the test (0-10)", 0, 10,
                           int(v.screening.pain_before or 0), key="pain_after")
    notes = c2.text_input("Notes (optional)", key="notes")
    keep = c2.checkbox("Also keep the annotated replay videos on this computer",
                       value=False, key="keep_video",
                       help="Off by default: only angles and results are stored.")
    if c3.button("Save to my history", type="primary", disabled=v.saved_session is not None):
        try:
            service.save(v, a, int(pain_after), notes, keep, trial_pain=measured_answers(v))
        except AccessError as err:  # e.g. a clinician's typed name that is not their patient
            st.error(f"{err} Nothing was saved; download the results below so nothing is lost.")
        except Exception:  # the database is outside our control: say so, lose nothing
            log.exception("saving the session failed")
            st.error("Your results could not be saved (the details are in the app's log); "
                     "download them with the buttons below so nothing is lost.")
    if v.saved_session is not None:
        st.success(f"Saved as session {v.saved_session}. See it on the Progress page.")


def _downloads(v: Visit, a: Assessment) -> None:
    payload = {"assessment": a.to_dict(),
               "trials": [t.to_dict() for t in v.trials.values()]}
    st.download_button("Download results (JSON)", json.dumps(payload, indent=1),
                       "lumbar-rom-results.json", "application/json")
    st.download_button("Download results (CSV)",
                       charts.results_csv(a, person=v.person, when=v.started_at),
                       "lumbar-rom-results.csv", "text/csv")


def _stored_results(v: Visit, session_id: int) -> None:
    """A stored session (opened from the Progress page), drawn by the same renderer."""
    row = store().get_session(session_id)
    if st.button("← Back to the current test"):
        v.opened_session = None
        st.query_params.clear()
        st.rerun()
    if row is None:
        st.error(service.NOT_YOURS)
        return
    st.subheader(f"Session {row.id} of {md(row.person.name)}: {row.started_at:%Y-%m-%d %H:%M}")
    render_assessment(service.stored_assessment(row))
    st.caption(md(row.notes or ""))
    if service.is_clinician():
        _annotate(row.id, row.notes or "")


def _annotate(session_id: int, notes: str) -> None:
    """A clinician's note on the stored session (scoped and audited by the store)."""
    with st.form(f"annotate_{session_id}"):
        text = st.text_area("Clinician's note on this session", value=notes)
        if st.form_submit_button("Save the note"):
            if service.annotate(session_id, text):
                st.success("Note saved.")
            else:
                st.error(service.NOT_YOURS)
