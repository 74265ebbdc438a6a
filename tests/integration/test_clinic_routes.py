"""Clinic mode, every route to a session (AppTest): a patient cannot open another patient's
session from the Progress page, a ``?session=ID`` link, or an export; a clinician sees only the
assigned patients, assigns the test to one of them and annotates their stored session; a wrong
password gets one sentence and no data, whatever the link."""

import tomllib
from pathlib import Path
from unittest import mock

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from lumbar_rom.app.page_start import NEW_PATIENT, PATIENT_LABEL
from lumbar_rom.app.service import NOT_YOURS
from lumbar_rom.app.state import MAX_UPLOAD_MB
from lumbar_rom.history.accounts import add_account, assign, audit_log
from lumbar_rom.history.store import Store
from tests.fixtures.history import save

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "streamlit_app.py")
PAGE = "src/lumbar_rom/app/page_files/{}.py"
PASSWORD = "correct horse battery"


@pytest.fixture
def clinic(tmp_path, monkeypatch):
    """ana (patient, Ana Lopez), ben (patient, Ben Okafor), dr_a (clinician of Ana only);
    one session each: Ana's is #1, Ben's #2."""
    url = f"sqlite:///{tmp_path / 'clinic.db'}"
    monkeypatch.setenv("LUMBAR_ROM_DB", url)
    monkeypatch.setenv("LUMBAR_ROM_MODE", "clinic")
    store = Store(url)
    add_account(store, "dr_a", PASSWORD, "clinician")
    add_account(store, "ana", PASSWORD, "patient", person="Ana Lopez")
    add_account(store, "ben", PASSWORD, "patient", person="Ben Okafor")
    assign(store, "dr_a", "Ana Lopez")
    ids = {"Ana Lopez": save(store, "Ana Lopez"), "Ben Okafor": save(store, "Ben Okafor")}
    yield store, ids
    store.close()


def everything(at) -> str:
    parts = [e.value for kind in ("markdown", "success", "error", "warning", "info", "title",
                                  "header", "subheader", "caption", "code")
             for e in getattr(at, kind)]
    parts += [str(o) for s in at.selectbox for o in s.options]
    parts += [str(t.value) for t in at.text_input] + [str(t.value) for t in at.text_area]
    return " ".join(parts)


def signed_in(username: str, password: str = PASSWORD, query: dict | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    for k, val in (query or {}).items():
        at.query_params[k] = val
    at.run()
    at.text_input[0].input(username)
    at.text_input[1].input(password)
    at.button[0].click().run()
    assert not at.exception
    return at


@pytest.fixture(autouse=True)
def _no_webrtc():
    with mock.patch("streamlit_webrtc.component.get_this_session_info", return_value=None):
        yield


def open_results(at, session_id) -> AppTest:
    at.query_params["session"] = str(session_id)
    at.switch_page(PAGE.format("results")).run()
    assert not at.exception
    return at


def test_a_patients_progress_lists_only_their_own_person(clinic):
    at = signed_in("ana")
    at.switch_page(PAGE.format("progress")).run()
    assert not at.exception
    assert at.selectbox[0].options == ["Ana Lopez"]
    assert at.selectbox[0].value == "Ana Lopez"  # a patient's own history opens
    assert "Ben Okafor" not in everything(at)
    sessions = [m.value for m in at.markdown if "(#" in m.value]
    assert len(sessions) == 1 and f"(#{clinic[1]['Ana Lopez']})" in sessions[0]


def test_a_patient_cannot_open_another_patients_session_by_url(clinic):
    _store, ids = clinic
    at = open_results(signed_in("ana"), ids["Ben Okafor"])
    assert [e.value for e in at.error] == [NOT_YOURS]
    assert "Ben Okafor" not in everything(at) and "Range of motion" not in everything(at)
    at = open_results(signed_in("ana"), ids["Ana Lopez"])  # their own opens
    assert at.subheader[0].value.startswith(f"Session {ids['Ana Lopez']} of Ana Lopez: ")
    refused = [e for e in audit_log(clinic[0]) if e.action == "denied"]
    assert [(e.username, e.session_id) for e in refused] == [("ana", ids["Ben Okafor"])]


@pytest.mark.parametrize("value", ["abc", "-1", "1 OR 1=1", ""])
def test_a_malformed_session_link_is_one_sentence(clinic, value):
    at = open_results(signed_in("ana"), value)
    assert [e.value for e in at.error] == [NOT_YOURS]
    assert "Ana Lopez" not in " ".join(h.value for h in at.subheader)


def test_the_open_button_and_exports_hold_only_the_patients_own_data(clinic):
    captured: dict[str, object] = {}
    real = st.download_button

    def spy(label, data, *args, **kwargs):
        captured[label] = data
        return real(label, data, *args, **kwargs)

    with mock.patch.object(st, "download_button", spy):
        at = signed_in("ana")
        at.switch_page(PAGE.format("progress")).run()
    assert not at.exception
    csv, js = (str(captured[k]) for k in ("Export all sessions (CSV)",
                                          "Export all sessions (JSON)"))
    assert "Ana Lopez" in csv and "Ana Lopez" in js
    assert "Ben Okafor" not in csv and "Ben Okafor" not in js
    assert f'"id": {clinic[1]["Ben Okafor"]}' not in js
    exported = [(e.username, e.person) for e in audit_log(clinic[0]) if e.action == "exported"]
    assert ("ana", "Ana Lopez") in exported and all(p == "Ana Lopez" for _u, p in exported)


def test_a_patients_start_is_their_own_person(clinic):
    at = signed_in("ana")
    own = next(t for t in at.text_input if t.label == "Your name")
    assert own.value == "Ana Lopez" and own.disabled
    assert "Ben Okafor" not in everything(at)


def test_a_clinician_sees_and_tests_only_assigned_patients(clinic):
    _store, ids = clinic
    at = signed_in("dr_a")
    who = next(s for s in at.selectbox if s.label == PATIENT_LABEL)
    assert who.options == ["Ana Lopez", NEW_PATIENT]
    at.switch_page(PAGE.format("progress")).run()
    assert at.selectbox[0].options == ["Ana Lopez"]
    assert "Ben Okafor" not in everything(at)
    at = open_results(at, ids["Ben Okafor"])
    assert [e.value for e in at.error] == [NOT_YOURS]


def test_a_clinician_annotates_a_stored_session(clinic):
    store, ids = clinic
    at = open_results(signed_in("dr_a"), ids["Ana Lopez"])
    at.text_area[0].input("Reassess in two weeks.")
    next(b for b in at.button if b.label == "Save the note").click().run()
    assert not at.exception
    assert "Note saved." in [s.value for s in at.success]
    assert store.get_session(ids["Ana Lopez"]).notes == "Reassess in two weeks."
    assert ("dr_a", "annotated") in [(e.username, e.action) for e in audit_log(store)]


def test_a_patient_gets_no_note_form(clinic):
    at = open_results(signed_in("ana"), clinic[1]["Ana Lopez"])
    assert "Save the note" not in [b.label for b in at.button]
    assert not at.text_area


def test_a_wrong_password_with_a_session_link_gets_one_sentence_and_no_data(clinic):
    at = signed_in("ana", "wrong password", query={"session": str(clinic[1]["Ana Lopez"])})
    assert [e.value for e in at.error] == ["Wrong username or password; try again."]
    shown = everything(at)
    assert "Ana Lopez" not in shown and "Ben Okafor" not in shown and "Session" not in shown
    assert [t.label for t in at.text_input] == ["Username", "Password"]


def test_uploads_are_capped_the_same_in_both_modes():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["maxUploadSize"] == MAX_UPLOAD_MB
    assert MAX_UPLOAD_MB <= 200
