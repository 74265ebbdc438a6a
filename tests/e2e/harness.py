"""Moved to tests/fixtures/browser.py; kept only for benchmarks/live.py's import (delete it once
that imports from tests.fixtures.browser)."""

from tests.fixtures.browser import launch, start_screening, streamlit_server

__all__ = ["launch", "start_screening", "streamlit_server"]
