"""Sign-in for clinic mode, and who may be served at all.

The database decides the mode: a history database that holds accounts is always served in clinic
mode (sign-in first), whatever ``LUMBAR_ROM_MODE`` or the config file say; an empty
``LUMBAR_ROM_MODE`` and no accounts is personal mode (no sign-in, one computer).

Where the app listens (``.streamlit/config.toml``): loopback (127.0.0.1) by default. Serving on a
network is an explicit choice (``STREAMLIT_SERVER_ADDRESS`` / ``--server.address``, see the
README's "Clinic" section) and is refused unless the app is in clinic mode: personal mode off
loopback shows one sentence and nothing else. Without TLS (``server.sslCertFile``) a network
deployment logs a warning and the sign-in page says so.

A small Streamlit form checks the username and password against the argon2id hashes in the
history database (:mod:`lumbar_rom.history.accounts`); accounts are made with
``lumbar-rom users add``. (streamlit-authenticator keeps its own YAML credential file and cookie
key; our accounts live in the store with the audit log, so the form is ours.) A wrong password
gets one sentence and nothing else: :func:`require_login` stops the script before any page runs.
:func:`store` is the history store as the signed-in account may see it (every query scoped at
the store layer); the pages must read and write through it.
"""

from __future__ import annotations

import ipaddress
import logging

import streamlit as st

from lumbar_rom.errors import LumbarRomError
from lumbar_rom.history.accounts import (
    LOCAL_CLIENT,
    AccessError,
    SignedIn,
    authenticate,
    has_accounts,
    mode,
)
from lumbar_rom.history.store import Store, default_url

log = logging.getLogger(__name__)

ACCOUNT_KEY = "signed_in_account"
WRONG = "Wrong username or password; try again."


@st.cache_resource(show_spinner=False)
def _base_store(url: str) -> Store:
    return Store(url)


NETWORK_NEEDS_CLINIC = (
    "This app is served on the network ({address}) but is in personal mode, which has no "
    "sign-in; serve it on 127.0.0.1, or set LUMBAR_ROM_MODE=clinic and add accounts with "
    "lumbar-rom users add.")
NO_TLS = ("This address is not encrypted (no TLS certificate is set): passwords and results "
          "cross the network readable; ask whoever runs this server to add a certificate.")


def server_address() -> str:
    """The address the Streamlit server listens on (``server.address``; Streamlit's own default,
    every interface, when unset)."""
    from streamlit import config

    return str(config.get_option("server.address") or "0.0.0.0")  # noqa: S104


def is_loopback(address: str) -> bool:
    """True for an address reachable only from this computer (127.0.0.0/8, ::1, ``localhost``,
    a Unix socket)."""
    host = address.strip().strip("[]").lower()
    if host == "localhost" or host.startswith("unix://"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name other than localhost: it may resolve to anything
        return False


def has_tls() -> bool:
    from streamlit import config

    return bool(config.get_option("server.sslCertFile") and config.get_option("server.sslKeyFile"))


def _mode() -> str:
    """``clinic`` when the environment or config file says so or the database holds accounts
    (then, whatever the environment says); else ``personal``. Personal mode off loopback stops
    the page with one sentence."""
    try:
        chosen = mode()
    except LumbarRomError as err:
        st.error(str(err))
        st.stop()
    if chosen != "clinic":
        try:
            if has_accounts(_base_store(default_url())):
                chosen = "clinic"
        except LumbarRomError:  # a database that cannot be opened serves no data either; the
            log.exception("the history database cannot be read")  # pages say so when used
    address = server_address()
    if chosen != "clinic" and not is_loopback(address):
        log.error("refused to serve personal mode on the network address %s", address)
        st.error(NETWORK_NEEDS_CLINIC.format(address=address))
        st.stop()
    return chosen


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
    if not is_loopback(server_address()) and not has_tls():
        log.warning("served on the network (%s) without TLS", server_address())
        st.warning(NO_TLS)
    with st.form("sign-in"):
        username = st.text_input("Username")
        password = st.text_input("Password", type="password")
        submitted = st.form_submit_button("Sign in")
    if not submitted:
        return
    ip = st.context.ip_address  # None on loopback
    try:
        acc = authenticate(_base_store(default_url()), username, password,
                           client=ip if isinstance(ip, str) and ip else LOCAL_CLIENT)
    except LumbarRomError as err:  # locked out (how long to wait), or the database failed
        st.error(str(err))
        return
    if acc is None:
        st.error(WRONG)
        return
    st.session_state[ACCOUNT_KEY] = acc
    st.rerun()
