"""Clinic mode in the app (AppTest): no page before a right password, a wrong one gets one
sentence and no data, and the app's store is the signed-in account's scoped view."""

from pathlib import Path
from unittest import mock

import pytest
from streamlit.testing.v1 import AppTest

from lumbar_rom.history.accounts import add_account, assign
from lumbar_rom.history.store import Store
from tests.fixtures.history import save

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "streamlit_app.py")
PASSWORD = "correct horse battery"


@pytest.fixture
def clinic_db(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'clinic.db'}"
    monkeypatch.setenv("LUMBAR_ROM_DB", url)
    monkeypatch.setenv("LUMBAR_ROM_MODE", "clinic")
    store = Store(url)
    add_account(store, "dr_a", PASSWORD, "clinician")
    add_account(store, "ana", PASSWORD, "patient", person="Ana Lopez")
    assign(store, "dr_a", "Ana Lopez")
    save(store, "Ana Lopez")
    save(store, "Ben Okafor")
    store.close()
    return url


def everything(at):
    return " ".join(e.value for kind in ("markdown", "success", "error", "warning", "info",
                                         "title", "header", "subheader", "caption")
                    for e in getattr(at, kind))


def sign_in(at, username, password):
    user, pw = at.text_input[0], at.text_input[1]
    user.input(username)
    pw.input(password)
    at.button[0].click().run()
    return at


@pytest.fixture
def app(clinic_db):
    with mock.patch("streamlit_webrtc.component.get_this_session_info", return_value=None):
        at = AppTest.from_file(APP, default_timeout=120)
        at.run()
        yield at


def test_the_sign_in_form_comes_before_any_page(app):
    assert not app.exception
    assert [t.label for t in app.text_input] == ["Username", "Password"]
    assert "Sign in" in [b.label for b in app.button]
    assert "Ana Lopez" not in everything(app) and "Ben Okafor" not in everything(app)


def test_a_wrong_password_gets_one_sentence_and_no_data(app):
    sign_in(app, "dr_a", "not the password")
    assert not app.exception
    assert [e.value for e in app.error] == ["Wrong username or password; try again."]
    shown = everything(app)
    assert "Ana Lopez" not in shown and "Ben Okafor" not in shown and "session" not in shown
    assert [t.label for t in app.text_input] == ["Username", "Password"]  # still the form


def test_a_right_password_opens_the_app(app):
    sign_in(app, "dr_a", PASSWORD)
    assert not app.exception
    assert not app.error
    assert "Signed in as dr_a (clinician)" in [c.value for c in app.sidebar.caption]


SCOPED = '''
import streamlit as st
from lumbar_rom.app.auth import require_login, store
require_login()
s = store()
st.write("people: " + ", ".join(p.name for p in s.people()))
for sid in (1, 2):
    row = s.get_session(sid)
    st.write(f"session {sid}: " + (row.person.name if row else "none"))
'''


def test_the_apps_store_is_the_signed_in_accounts_view(clinic_db):
    at = AppTest.from_string(SCOPED, default_timeout=60)
    at.run()
    assert not any("people:" in m.value for m in at.markdown)  # stopped at the form
    sign_in(at, "ana", PASSWORD)
    shown = [m.value for m in at.markdown]
    assert "people: Ana Lopez" in shown
    assert "session 1: Ana Lopez" in shown and "session 2: none" in shown
