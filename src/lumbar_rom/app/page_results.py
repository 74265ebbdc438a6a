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
    st.title("Sample results" if v.sample_only() else "Your results")
    if need_screening():
        return
    _samples_note(v)
    # the pain-after slider (below) is part of the assessment that is shown, saved and downloaded
    a = service.current_assessment(v, pain_after=st.session_state.get("pain_after"))
    if a is None:
        if not holds():
            st.info("No movement measured yet: use the guided test or upload videos.")
        holds_panel(v)  # issue 14: a visit with endurance holds only
        return
    render_assessment(a, v.trials, v.videos)
    trial_pain_panel(v)  # issue 14: hurt, where, what stopped each motion (saved with it)
    holds_panel(v)  # issue 14: the visit's endurance holds (saved with their own button)
    st.divider()
    _save_panel(v, a)
    _downloads(v, a)


def _samples_note(v: Visit) -> None:
    """Which motions come from the bundled sample clips (not this person), with a way to drop
    them (issue 31)."""
    if not v.samples:
        return
    from lumbar_rom.assessment.protocol import movement_spec

    names = ", ".join(movement_spec(m).label for m in sorted(v.samples))
    st.warning(f"Sample videos, not you: {names}. {service.SAMPLES_NOT_SAVED}")
    if st.button("Remove the sample results", key="drop_samples"):
        for m in list(v.samples):
            v.trials.pop(m, None)
            v.videos.pop(m, None)
        v.samples.clear()
        st.rerun()


def _save_panel(v: Visit, a: Assessment) -> None:
    c1, c2, c3 = st.columns(3)
    pain_after = c1.slider("Pain now, after the test (0-10)", 0, 10,
                           int(v.screening.pain_before or 0), key="pain_after")
    notes = c2.text_input("Notes (optional)", key="notes")
    keep = c2.checkbox("Also keep the annotated replay videos on this computer",
                       value=False, key="keep_video",
                       help="Off by default: only angles and results are stored.")
    if c3.button("Save to my history", type="primary",
                 disabled=v.saved_session is not None or bool(v.samples),
                 help=service.SAMPLES_NOT_SAVED if v.samples else None):
        try:
            service.save(v, a, int(pain_after), notes, keep, trial_pain=measured_answers(v))
        except Exception:  # the database is outside our control: say so, lose nothing
            log.exception("saving the session failed")
            st.error("Your results could not be saved (the details are in the app's log); "
                     "download them with the buttons below so nothing is lost.")
    if v.saved_session is not None:
        st.success(f"Saved as session {v.saved_session}. See it on the Progress page.")
        report_button(v.saved_session)
    elif not v.samples:
        st.caption("Save to your history to get the report for your clinic (PDF).")


def report_button(session_id: int, key: str = "report_pdf") -> None:
    """The clinician PDF of a stored session, made (and audited as exported) only when the
    button is pressed (issue 31)."""
    s = store()
    st.download_button("Download the report for your clinic (PDF)",
                       lambda: service.report_pdf(s, session_id) or b"",
                       f"lumbar-rom-session-{session_id}.pdf", "application/pdf", key=key,
                       on_click="ignore", icon=":material/picture_as_pdf:")


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
    st.title(f"Session of {row.started_at:%Y-%m-%d %H:%M}" if row is not None
             else "A stored session")
    st.caption("A stored session, opened from the Progress page: not the current visit.")
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
    report_button(row.id)
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
