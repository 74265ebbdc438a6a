"""A real Streamlit server and a real Chromium (Debian's /usr/bin/chromium via Playwright)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures.browser import ARTIFACTS, CHROMIUM, launch, streamlit_server


@pytest.fixture(scope="session")
def e2e_db(tmp_path_factory) -> str:
    """The SQLAlchemy URL of the test server's database."""
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'e2e.db'}"


@pytest.fixture(scope="session")
def server(e2e_db):
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{CHROMIUM} is missing: .ci/run installs Debian's chromium")
        pytest.skip("chromium is not installed")
    with streamlit_server(e2e_db) as url:
        yield url


@pytest.fixture
def busy_core():
    """One core kept busy for the test's duration (``LUMBAR_ROM_E2E_LOAD=0``: none)."""
    if os.environ.get("LUMBAR_ROM_E2E_LOAD", "1") == "0":
        yield None
        return
    proc = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        yield proc
    finally:
        proc.kill()
        proc.wait(timeout=10)


@pytest.fixture
def browser_factory(tmp_path):
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    contexts = []
    with sync_playwright() as pw:
        def make(y4m: Path | None = None):
            ctx = launch(pw, tmp_path / f"profile{len(contexts)}", y4m)
            contexts.append(ctx)
            return ctx
        yield make
        for c in contexts:
            c.close()
