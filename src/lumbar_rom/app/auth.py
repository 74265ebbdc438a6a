"""Sign-in for clinic mode (``LUMBAR_ROM_MODE=clinic``); personal mode has none, as before.

A small Streamlit form checks the username and password against the argon2id hashes in the
history database (:mod:`lumbar_rom.history.accounts`); accounts are made with
``lumbar-rom users add``. (streamlit-authenticator keeps its own YAML credential file and cookie
key; our accounts live in the store with the audit log, so the form is ours.) A wrong password
gets one sentence and nothing else: :func:`require_login` stops the script before any page runs.
:func:`store` is the history store as the signed-in account may see it (every query scoped at
the store layer); the pages must read and write through it.
"""

from __future__ import annotations

import streamlit as st

from lumbar_rom.errors import LumbarRomError
from lumbar_rom.history.accounts import AccessError, SignedIn, authenticate, mode
from lumbar_rom.history.store import Store, default_url

ACCOUNT_KEY = "signed_in_account"
WRONG = "Wrong username or password; try again."


@st.cache_resource(show_spinner=False)
def _base_store(url: str) -> Store:
    return Store(url)


def _mode() -> str:
    try:
        return mode()
    except LumbarRomError as err:
        st.error(str(err))
        st.stop()


def signed_in() -> SignedIn | None:
    """The account of this browser session (``None`` in personal mode or before sign-in)."""
    acc = st.session_state.get(ACCOUNT_KEY)
    return acc if isinstance(acc, SignedIn) else None


def store() -> Store:
    """Personal mode: the whole store. Clinic mode: the signed-in account's scoped view (never
    the unscoped store; before sign-in an :class:`AccessError`)."""
    base = _base_store(default_url())
    if _mode() != "clinic":
        return base
    acc = signed_in()
    if acc is None:
        raise AccessError("Sign in to see stored sessions.")
    return base.for_account(acc)


def require_login() -> SignedIn | None:
    """Personal mode: ``None`` at once. Clinic mode: the signed-in account, or the sign-in form
    and ``st.stop()`` (so no page, and no data, is shown before a right password)."""
    if _mode() != "clinic":
        return None
    acc = signed_in()
    if acc is not None:
        st.sidebar.caption(f"Signed in as {acc.username} ({acc.role})")
        if st.sidebar.button("Sign out"):
            st.session_state.clear()
            st.rerun()
        return acc
    _sign_in_form()
    st.stop()


def _sign_in_form() -> None:
    st.title("lumbar-rom")
    st.caption("Clinic mode: sign in with the account your clinic gave you.")
    with st.form("sign-in"):
        username = st.text_input("Username")
        password = st.text_input("Password", type="password")
        submitted = st.form_submit_button("Sign in")
    if not submitted:
        return
    try:
        acc = authenticate(_base_store(default_url()), username, password)
    except LumbarRomError as err:
        st.error(str(err))
        return
    if acc is None:
        st.error(WRONG)
        return
    st.session_state[ACCOUNT_KEY] = acc
    st.rerun()
