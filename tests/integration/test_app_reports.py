"""The clinic's report in the app (issue 31), with AppTest: the clinician PDF is offered on
Results and Progress; nothing is exported (nor audited as exported) by opening a page; pressing
a download makes the file, and only then does the clinic audit log say "exported"."""

from unittest import mock

import pytest
from streamlit.testing.v1 import AppTest

from lumbar_rom.history.accounts import audit_log
from lumbar_rom.history.store import Store
from tests.fixtures.app import APP, PAGE
from tests.integration.test_app_clinic import clinic_db, sign_in  # noqa: F401 - the fixture

pytestmark = pytest.mark.slow

PASSWORD = "correct horse battery"


def downloads(at):
    return {b.proto.label: b.proto for b in at.get("download_button")}


@pytest.fixture
def made(monkeypatch):
    """The callables the download buttons hand to Streamlit, by file name: the server runs one
    when its button is pressed (AppTest has no browser to press it, so the test calls it)."""
    from streamlit.runtime.media_file_manager import MediaFileManager

    seen = {}
    original = MediaFileManager.add_deferred

    def add_deferred(self, data_callable, mimetype, coordinates, file_name=None, **kw):
        seen[file_name] = data_callable
        return original(self, data_callable, mimetype, coordinates, file_name=file_name, **kw)

    monkeypatch.setattr(MediaFileManager, "add_deferred", add_deferred)
    return seen


def exports(url):
    return [(e.action, e.person, e.detail) for e in audit_log(Store(url))
            if e.action == "exported"]


@pytest.fixture
def clinic(clinic_db):  # noqa: F811 - the clinic database of test_app_clinic
    with mock.patch("streamlit_webrtc.component.get_this_session_info", return_value=None):
        at = AppTest.from_file(APP, default_timeout=120)
        at.run()
        sign_in(at, "dr_a", PASSWORD)
        yield at, clinic_db


def test_opening_progress_exports_nothing_and_a_pressed_download_is_audited(clinic, made):
    at, url = clinic
    at.switch_page(PAGE.format("progress")).run()
    next(s for s in at.selectbox if s.label == "Whose history?").set_value("Ana Lopez").run()
    assert not at.exception
    shown = downloads(at)
    assert {"Export all sessions (CSV)", "Export all sessions (JSON)", "PDF"} <= set(shown)
    assert exports(url) == []  # opening Progress is not an export
    assert shown["PDF"].deferred_file_id  # made when pressed, not when drawn
    pdf_name = next(n for n in made if n.endswith(".pdf"))
    assert made[pdf_name]().startswith(b"%PDF")  # the press
    assert exports(url) == [("exported", "Ana Lopez", "PDF report")]
    csv = next(f for n, f in made.items() if n.endswith(".csv"))()
    assert "flexion" in csv
    assert [d for _, _, d in exports(url)] == ["PDF report", "CSV"]


def test_a_stored_session_on_results_offers_its_pdf(clinic):
    at, url = clinic
    at.switch_page(PAGE.format("progress")).run()
    next(s for s in at.selectbox if s.label == "Whose history?").set_value("Ana Lopez").run()
    next(b for b in at.button if b.label == "Open").click().run()
    assert not at.exception
    assert at.title[0].value.startswith("Session of ")
    assert "Download the report for your clinic (PDF)" in downloads(at)
    assert exports(url) == []
