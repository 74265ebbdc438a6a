"""Who the app serves (AppTest): a database with accounts is never served without sign-in,
whatever LUMBAR_ROM_MODE says; personal mode is refused off loopback; clinic mode on the network
without TLS warns on the sign-in page."""

from pathlib import Path
from unittest import mock

import pytest
from streamlit import config
from streamlit.testing.v1 import AppTest

from lumbar_rom.app.auth import NETWORK_NEEDS_CLINIC, NO_TLS, is_loopback
from lumbar_rom.history.accounts import add_account
from lumbar_rom.history.store import Store
from tests.fixtures.history import save

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "streamlit_app.py")
PASSWORD = "correct horse battery"


def everything(at):
    return " ".join(str(e.value) for kind in ("markdown", "success", "error", "warning", "info",
                                              "title", "header", "subheader", "caption")
                    for e in getattr(at, kind))


@pytest.fixture
def address():
    """Set ``server.address`` for one test (the app reads it from Streamlit's config)."""
    before = config.get_option("server.address")

    def set_to(value):
        config.set_option("server.address", value)

    yield set_to
    config.set_option("server.address", before)


def run_app(query=None):
    with mock.patch("streamlit_webrtc.component.get_this_session_info", return_value=None):
        at = AppTest.from_file(APP, default_timeout=120)
        if query:
            at.query_params.update(query)
        at.run()
    return at


@pytest.mark.parametrize("mode", ["", "personal"])
def test_a_database_with_accounts_is_never_served_without_sign_in(tmp_path, monkeypatch, mode):
    url = f"sqlite:///{tmp_path / 'clinic.db'}"
    store = Store(url)
    add_account(store, "dr_a", PASSWORD, "clinician")
    save(store, "Ben Roe")
    store.close()
    monkeypatch.setenv("LUMBAR_ROM_DB", url)
    monkeypatch.setenv("LUMBAR_ROM_MODE", mode)
    at = run_app({"session": "1"})
    assert not at.exception
    assert [t.label for t in at.text_input] == ["Username", "Password"]
    assert "Ben Roe" not in everything(at) and "Session 1" not in everything(at)


def test_personal_mode_is_refused_on_a_network_address(tmp_path, monkeypatch, address):
    monkeypatch.setenv("LUMBAR_ROM_DB", f"sqlite:///{tmp_path / 'h.db'}")
    monkeypatch.setenv("LUMBAR_ROM_MODE", "personal")
    address("0.0.0.0")
    at = run_app()
    assert not at.exception
    assert [e.value for e in at.error] == [NETWORK_NEEDS_CLINIC.format(address="0.0.0.0")]
    assert not at.text_input  # no page, no form


def test_clinic_mode_on_the_network_without_tls_warns_at_sign_in(tmp_path, monkeypatch, address):
    monkeypatch.setenv("LUMBAR_ROM_DB", f"sqlite:///{tmp_path / 'h.db'}")
    monkeypatch.setenv("LUMBAR_ROM_MODE", "clinic")
    address("192.168.1.20")
    at = run_app()
    assert not at.exception
    assert [w.value for w in at.warning] == [NO_TLS]
    assert [t.label for t in at.text_input] == ["Username", "Password"]


def test_loopback_on_loopback_serves_personal_mode_as_before(tmp_path, monkeypatch, address):
    monkeypatch.setenv("LUMBAR_ROM_DB", f"sqlite:///{tmp_path / 'h.db'}")
    monkeypatch.setenv("LUMBAR_ROM_MODE", "")
    address("127.0.0.1")
    at = run_app()
    assert not at.exception and not at.error
    assert "Username" not in [t.label for t in at.text_input]


def test_what_counts_as_loopback():
    assert is_loopback("127.0.0.1") and is_loopback("127.8.0.1") and is_loopback("::1")
    assert is_loopback("[::1]") and is_loopback("localhost") and is_loopback("unix:///tmp/s")
    assert not is_loopback("0.0.0.0") and not is_loopback("::") and not is_loopback("10.0.0.2")
    assert not is_loopback("clinic.example")


@pytest.mark.parametrize("bad", ["²", "99999999999999999999999", "1e3"])
def test_a_malformed_session_link_gets_the_sentence_and_an_audit_line(tmp_path, monkeypatch,
                                                                       bad):
    from lumbar_rom.app.service import NOT_YOURS
    from lumbar_rom.history.accounts import audit_log
    from tests.integration.test_app_clinic import sign_in

    url = f"sqlite:///{tmp_path / 'clinic.db'}"
    store = Store(url)
    add_account(store, "dr_a", PASSWORD, "clinician")
    store.close()
    monkeypatch.setenv("LUMBAR_ROM_DB", url)
    monkeypatch.setenv("LUMBAR_ROM_MODE", "clinic")
    at = run_app({"session": bad})
    with mock.patch("streamlit_webrtc.component.get_this_session_info", return_value=None):
        sign_in(at, "dr_a", PASSWORD)
    assert not at.exception
    assert NOT_YOURS in [e.value for e in at.error]
    store = Store(url)
    denied = [(e.username, e.detail) for e in audit_log(store) if e.action == "denied"]
    store.close()
    assert ("dr_a", f"open session: malformed id {bad[:30]!r}") in denied
