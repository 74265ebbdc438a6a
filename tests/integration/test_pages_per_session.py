"""Each browser session has its own page objects (several people on one clinic server)."""

from streamlit.testing.v1 import AppTest


def _script() -> None:
    import streamlit as st

    from lumbar_rom.app.navigation import build_pages, page

    pages = build_pages()
    assert page("start") is pages["start"]  # the same set within a session
    st.session_state["start_page_id"] = id(pages["start"])


def test_two_sessions_do_not_share_page_objects():
    first, second = AppTest.from_function(_script), AppTest.from_function(_script)
    first.run()
    second.run()
    assert not first.exception and not second.exception
    assert first.session_state["start_page_id"] != second.session_state["start_page_id"]
    before = first.session_state["start_page_id"]
    first.run()  # a rerun keeps its own set
    assert first.session_state["start_page_id"] == before
