"""The app's page list (the one place it is written) and the guard of pages that need the Start
page first.

Streamlit's ``st.navigation`` runs each page from a small file in ``page_files/`` (a file, so that
tests can switch to it); that file calls the page's function in ``page_<key>.py``.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from lumbar_rom.app.state import visit
from lumbar_rom.app.widgets import show_gate

PAGE_FILES = Path(__file__).resolve().parent / "page_files"
PAGE_SPECS: tuple[tuple[str, str, str], ...] = (
    ("start", "Start", ":material/home:"), ("guided", "Guided test", ":material/videocam:"),
    ("upload", "Upload", ":material/upload_file:"), ("results", "Results", ":material/bar_chart:"),
    ("progress", "Progress", ":material/trending_up:"))
"""(key, title, icon) of every page in menu order; ``page_files/<key>.py`` runs the page. Icons
are Material Symbols (Streamlit bundles the font), not emoji: Debian's Chromium has no colour
emoji font and draws those as empty boxes."""

_SESSION_KEY = "_lumbar_rom_pages"


def build_pages() -> dict[str, st.Page]:
    """The app's pages by key, built once per browser session (kept in its session state).

    Not once per process: Streamlit's ``st.Page`` carries state of the run that calls it (the
    page returned by ``st.navigation`` may be called once), so one set shared by all sessions
    breaks when several people use the server at once (measured by the clinic load test:
    "This page cannot be called directly" on concurrent sessions)."""
    pages = st.session_state.get(_SESSION_KEY)
    if pages is None:
        pages = {key: st.Page(PAGE_FILES / f"{key}.py", title=title, icon=icon, url_path=key,
                              default=key == "start") for key, title, icon in PAGE_SPECS}
        st.session_state[_SESSION_KEY] = pages
    return pages


def page(key: str) -> st.Page:
    """The page ``key`` (one of :data:`PAGE_SPECS`), for ``st.page_link`` / ``st.switch_page``."""
    return build_pages()[key]


def need_screening() -> bool:
    """True (and say why) while this visit has not passed the Start page's safety questions."""
    v = visit()
    if not v.screened:
        st.warning("Please answer the safety questions on the Start page first.")
        st.page_link(page("start"), label="Go to Start", icon=":material/home:")
        return True
    if v.gate is not None:
        show_gate(v.gate)
        return True
    return False
