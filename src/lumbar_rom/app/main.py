"""The Streamlit app: ``streamlit run streamlit_app.py`` (``make run``)."""

from __future__ import annotations

import logging
from collections.abc import Callable

import streamlit as st
from PIL import Image, ImageDraw

from lumbar_rom import __version__

log = logging.getLogger(__name__)

PAGE_FAILED = ("Something went wrong on this page; nothing was saved by it. Go back to Start and "
               "try again (the details are in the app's log).")
"""The one sentence a page shows for a fault; the traceback goes to the log only."""


def run() -> None:
    from lumbar_rom.app.serve import no_external_address_lookup

    no_external_address_lookup()  # also when started with plain `streamlit run` (app.serve)
    st.set_page_config(page_title="lumbar-rom", page_icon=page_icon(), layout="wide")
    from lumbar_rom.app.auth import require_login
    from lumbar_rom.app.navigation import build_pages
    from lumbar_rom.errors import LumbarRomError
    from lumbar_rom.logs import filter_native_stderr

    filter_native_stderr()
    from lumbar_rom.pose.model import verify_model

    try:
        verify_model()
    except LumbarRomError as err:
        st.error(str(err))
        st.stop()
    require_login()  # clinic mode (or accounts in the database): no page before a right password;
    # personal mode off loopback: one sentence and nothing else
    pages = build_pages()
    nav = st.navigation(list(pages.values()))
    st.sidebar.caption(f"lumbar-rom {__version__} · measures range of motion; not a diagnosis")
    run_guarded(nav.run)


def page_icon() -> Image.Image:
    """The browser tab's icon, drawn here and served by the app itself: a Material page icon
    makes the browser fetch it from fonts.gstatic.com, and an emoji shows as an empty box in
    Debian's Chromium."""
    img = Image.new("RGBA", (64, 64), (0, 0, 0, 0))
    pen = ImageDraw.Draw(img)
    pen.ellipse((24, 4, 40, 20), fill="#0f766e")  # a standing figure bending to the side
    pen.line((32, 22, 36, 44), fill="#0f766e", width=7)
    pen.line((36, 44, 28, 62), fill="#0f766e", width=6)
    pen.line((36, 44, 44, 62), fill="#0f766e", width=6)
    return img


def run_guarded(page_run: Callable[[], object]) -> None:
    """Run a page; any fault is logged with its traceback and shown as one sentence (Streamlit's
    own rerun/stop signals are ``BaseException`` and pass through)."""
    try:
        page_run()
    except Exception:
        log.exception("a page failed")
        st.error(PAGE_FAILED)
