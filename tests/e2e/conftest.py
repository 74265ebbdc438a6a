"""A real Streamlit server and a real Chromium (Debian's /usr/bin/chromium via Playwright)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.fixtures.browser import ARTIFACTS, CHROMIUM, launch, streamlit_server


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{CHROMIUM} is missing: .ci/run installs Debian's chromium")
        pytest.skip("chromium is not installed")
    db = tmp_path_factory.mktemp("db") / "e2e.db"
    with streamlit_server(f"sqlite:///{db}") as url:
        yield url


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

