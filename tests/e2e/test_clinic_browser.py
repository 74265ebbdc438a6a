"""Clinic mode in a real browser (Debian's Chromium via Playwright): patient A, signed in, types
patient B's session id into the address bar and is refused with one sentence; a wrong password
shows one sentence and no data."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

import pytest

from lumbar_rom.app.service import NOT_YOURS
from lumbar_rom.history.accounts import add_account
from lumbar_rom.history.store import Store
from tests.fixtures.browser import CHROMIUM, shot, streamlit_server
from tests.fixtures.history import save

pytestmark = pytest.mark.slow
PASSWORD = "correct horse battery"


@contextmanager
def clinic_server(db_url: str) -> Iterator[str]:
    """The app's server in clinic mode on a free loopback port."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{CHROMIUM} is missing: .ci/run installs Debian's chromium")
        pytest.skip("chromium is not installed")
    with mock.patch.dict(os.environ, {"LUMBAR_ROM_MODE": "clinic"}), \
            streamlit_server(db_url) as url:
        yield url


def sign_in(page, url: str, username: str, password: str = PASSWORD) -> None:  # type: ignore[no-untyped-def]
    page.goto(url)
    page.get_by_label("Username").fill(username, timeout=60_000)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()


@pytest.fixture(scope="module")
def two_patients(tmp_path_factory):
    db = tmp_path_factory.mktemp("clinic") / "clinic.db"
    url = f"sqlite:///{db}"
    store = Store(url)
    add_account(store, "ana", PASSWORD, "patient", person="Ana Lopez")
    add_account(store, "ben", PASSWORD, "patient", person="Ben Okafor")
    ids = {"ana": save(store, "Ana Lopez"), "ben": save(store, "Ben Okafor")}
    store.close()
    with clinic_server(url) as server:
        yield server, ids


def test_a_patient_cannot_open_another_patients_session_by_its_url(two_patients,
                                                                    browser_factory):
    server, ids = two_patients
    page = browser_factory().new_page()
    # a page load is a new browser session: the link asks for the sign-in first, then opens
    # the session through the signed-in account's scoped store
    sign_in(page, f"{server}/results?session={ids['ben']}", "ana")
    page.get_by_text("Signed in as ana (patient)").wait_for(timeout=60_000)
    page.get_by_text(NOT_YOURS).wait_for(timeout=60_000)
    body = page.inner_text("body")
    shot(page, "clinic-url-refused")
    assert "Ben Okafor" not in body and "Range of motion" not in body
    page = browser_factory().new_page()
    sign_in(page, f"{server}/results?session={ids['ana']}", "ana")  # their own link opens
    page.get_by_text(f"Session {ids['ana']} of Ana Lopez").wait_for(timeout=60_000)


def test_a_wrong_password_shows_one_sentence_and_no_data(two_patients, browser_factory):
    server, ids = two_patients
    page = browser_factory().new_page()
    sign_in(page, f"{server}/results?session={ids['ana']}", "ana", "not the password")
    page.get_by_text("Wrong username or password; try again.").wait_for(timeout=60_000)
    body = page.inner_text("body")
    assert "Ana Lopez" not in body and "Session" not in body and "Ben Okafor" not in body
    assert page.get_by_label("Password", exact=True).count() == 1
