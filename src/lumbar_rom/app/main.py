"""The Streamlit app: ``streamlit run streamlit_app.py`` (``make run``)."""

from __future__ import annotations

import streamlit as st

from lumbar_rom import __version__


def run() -> None:
    st.set_page_config(page_title="lumbar-rom", page_icon="🧍", layout="wide")
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
    require_login()  # clinic mode (LUMBAR_ROM_MODE=clinic): no page before a right password
    pages = build_pages()
    nav = st.navigation(list(pages.values()))
    st.sidebar.caption(f"lumbar-rom {__version__} · measures range of motion; not a diagnosis")
    nav.run()
