"""Clinic mode at the store layer: accounts, roles, who may see whom, and the audit log.

Mode: ``LUMBAR_ROM_MODE`` (or ``mode = "clinic"`` in the config file, :func:`config_path`) =
``personal`` (the default: no login, one computer) or ``clinic`` (login required). Accounts live
in the history database (revision 0005); passwords are stored only as argon2id hashes
(``argon2-cffi``) and there is no default password: the first clinician is made with
``lumbar-rom users add NAME --role clinician``.

Roles (data: ``store.ROLES``): a *clinician* sees, saves, annotates, exports and deletes the people
assigned to them (``lumbar-rom users assign``; a name they type that is not theirs is refused in
the same words whether or not it is stored); a *patient* sees, saves and exports only their own
person. Sign-in is throttled per username and per client (:data:`FREE_FAILURES`, audited).
:meth:`Store.for_account <lumbar_rom.history.store.Store.for_account>`
returns a :class:`ScopedStore`: the same methods as the store, every query limited to the
account's people in SQL, and every view, export, save and deletion written to ``audit_log``.
Another person's data is answered as if it did not exist (``None`` / empty), and logged as
``denied``.
"""

from __future__ import annotations

import math
import os
import tomllib
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from lumbar_rom.errors import LumbarRomError
from lumbar_rom.history.models import Account, AuditEntry, CareAssignment, Person
from lumbar_rom.history.store import ROLES, AccessError, ScopedStore, SignedIn, Store

__all__ = ["ROLES", "AccessError", "AccountError", "ScopedStore", "SignedIn", "accounts",
           "LockedOut", "add_account", "assign", "audit_log", "authenticate", "has_accounts",
           "locked_until", "mode"]

MODES = ("personal", "clinic")
MIN_PASSWORD = 10


class AccountError(LumbarRomError):
    """An account cannot be made as asked (one sentence)."""


def config_path() -> Path:
    """``$LUMBAR_ROM_CONFIG``, else ``config.toml`` in the user config folder."""
    given = os.environ.get("LUMBAR_ROM_CONFIG")
    if given:
        return Path(given)
    from platformdirs import user_config_dir

    return Path(user_config_dir("lumbar-rom", appauthor=False)) / "config.toml"


def mode() -> str:
    """``personal`` (the default) or ``clinic``: ``$LUMBAR_ROM_MODE``, else ``mode = "..."`` in
    the config file (:func:`config_path`)."""
    value, where = os.environ.get("LUMBAR_ROM_MODE", ""), "LUMBAR_ROM_MODE"
    path = config_path()
    if not value.strip() and path.is_file():
        try:
            value = str(tomllib.loads(path.read_text()).get("mode", ""))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise LumbarRomError(f"The config file {path} cannot be read ({exc}); fix it or "
                                 "remove it.") from None
        where = f"The mode in {path}"
    value = value.strip().lower() or "personal"
    if value not in MODES:
        raise LumbarRomError(f"{where} is {value!r}; set it to personal or clinic.")
    return value


def _hasher() -> Any:
    try:
        from argon2 import PasswordHasher
    except ImportError:
        raise LumbarRomError("Clinic mode needs argon2-cffi; install it with "
                             "pip install 'lumbar-rom[clinic]'.") from None

    return PasswordHasher()


def hash_password(password: str) -> str:
    """An argon2id hash (salted, with its parameters) of ``password``."""
    return str(_hasher().hash(password))


def check_password(password_hash: str, password: str) -> bool:
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return bool(_hasher().verify(password_hash, password))
    except (VerificationError, InvalidHashError):
        return False


# a hash to verify against when the username is unknown, so both failures take as long
_DUMMY: list[str] = []


def _check_username(username: str) -> str:
    name = username.strip()
    if not name or len(name) > 80 or any(c.isspace() for c in name):
        raise AccountError("A username is 1 to 80 characters without spaces.")
    return name


def add_account(store: Store, username: str, password: str, role: str,
                person: str | None = None) -> SignedIn:
    """Create an account. A patient's ``person`` (their stored name) is required; it is created
    when new. Raises :class:`AccountError` for a taken name, a short password or a wrong role."""
    name = _check_username(username)
    if role not in ROLES:
        raise AccountError(f"The role {role!r} does not exist; use one of {', '.join(ROLES)}.")
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"A password needs at least {MIN_PASSWORD} characters.")
    if role == "patient" and not (person or "").strip():
        raise AccountError("A patient account needs --person, the name their sessions are "
                           "stored under.")
    digest = hash_password(password)
    with store._write() as s:
        if s.scalar(select(Account).where(Account.username == name)) is not None:
            raise AccountError(f"The username {name!r} is taken; choose another.")
        person_id = None
        if role == "patient" and person:
            p = s.scalar(select(Person).where(Person.name == person.strip()))
            if p is None:
                p = Person(name=person.strip(), created_at=datetime.now())
                s.add(p)
                s.flush()
            person_id = p.id
        acc = Account(username=name, password_hash=digest, role=role, person_id=person_id,
                      created_at=datetime.now())
        s.add(acc)
        s.add(AuditEntry(at=datetime.now(), username=name, action="account created",
                         person=person, detail=f"role {role}"))
        s.flush()
        return SignedIn(acc.id, acc.username, acc.role, acc.person_id)


def has_accounts(store: Store) -> bool:
    """True when the database holds at least one account: it is then served in clinic mode
    (sign-in first) whatever ``LUMBAR_ROM_MODE`` says."""
    with store.session() as s:
        return s.scalar(select(Account.id).limit(1)) is not None


def accounts(store: Store) -> list[SignedIn]:
    with store.session() as s:
        return [SignedIn(a.id, a.username, a.role, a.person_id)
                for a in s.scalars(select(Account).order_by(Account.username))]


# Sign-in throttling (counted from the audit log, so it holds across processes and restarts):
# after FREE_FAILURES failed sign-ins in a row for a username (known or not: the lock does not
# tell which exist), or CLIENT_FREE_FAILURES from one client (an IP address; "this computer" for
# loopback) within FAILURE_WINDOW, every further try waits LOCK_FIRST, doubling with each failure
# up to LOCK_MAX; a right password during the wait is refused too. A success clears the count.
FREE_FAILURES = 5
CLIENT_FREE_FAILURES = 20
LOCK_FIRST = timedelta(seconds=30)
LOCK_MAX = timedelta(minutes=15)
FAILURE_WINDOW = timedelta(hours=1)
FAILED, SIGNED_IN, LOCKED = "sign-in failed", "signed in", "sign-in locked"
LOCAL_CLIENT = "this computer"


class LockedOut(AccountError):
    """Too many failed sign-ins: wait (one sentence saying how long)."""


def lock_for(failures: int, free: int) -> timedelta:
    """How long sign-in waits after ``failures`` failures in a row (``free`` allowed first)."""
    if failures < free:
        return timedelta(0)
    return min(LOCK_MAX, LOCK_FIRST * 2 ** (failures - free))


def _failures(s: Any, where: Any, now: datetime) -> tuple[int, datetime | None]:
    """Failed sign-ins in a row (back to the last success, within the window) matching
    ``where`` and when the last one was."""
    rows = s.execute(select(AuditEntry.action, AuditEntry.at)
                     .where(where, AuditEntry.action.in_((FAILED, SIGNED_IN)),
                            AuditEntry.at >= now - FAILURE_WINDOW)
                     .order_by(AuditEntry.id.desc()).limit(200)).all()
    count, last = 0, None
    for action, at in rows:
        if action == SIGNED_IN:
            break
        count += 1
        last = last or at
    return count, last


def locked_until(store: Store, username: str, client: str = LOCAL_CLIENT,
                 now: datetime | None = None) -> datetime | None:
    """When sign-in for ``username`` from ``client`` opens again (``None``: open now)."""
    now = now or datetime.now()
    name = username.strip()[:80]
    until = None
    with store.session() as s:
        for where, free in ((AuditEntry.username == name, FREE_FAILURES),
                            (AuditEntry.client == client, CLIENT_FREE_FAILURES)):
            count, last = _failures(s, where, now)
            if last is not None and count >= free:
                end = last + lock_for(count, free)
                if end > now and (until is None or end > until):
                    until = end
    return until


def _wait_text(seconds: float) -> str:
    return (f"{math.ceil(seconds)} seconds" if seconds < 90
            else f"{math.ceil(seconds / 60)} minutes")


def authenticate(store: Store, username: str, password: str, client: str = LOCAL_CLIENT,
                 now: datetime | None = None) -> SignedIn | None:
    """The account when ``password`` is right, else ``None``; every try is audited with its
    client. Raises :class:`LockedOut` (audited as ``sign-in locked``, password not checked)
    while the username or the client is locked (see :data:`FREE_FAILURES`)."""
    now = now or datetime.now()
    name, client = username.strip()[:80], (client or LOCAL_CLIENT)[:64]
    until = locked_until(store, name, client, now)
    if until is not None:
        with store._write() as s:
            s.add(AuditEntry(at=now, username=name, action=LOCKED, client=client,
                             detail=f"until {until:%H:%M:%S}"))
        raise LockedOut("Too many failed sign-ins; wait "
                        f"{_wait_text((until - now).total_seconds())} and try again.")
    with store.session() as s:
        acc = s.scalar(select(Account).where(Account.username == name))
    if acc is None:
        if not _DUMMY:
            _DUMMY.append(hash_password("not a password of anyone"))
        check_password(_DUMMY[0], password)
        ok = False
    else:
        ok = check_password(acc.password_hash, password)
    with store._write() as s:
        s.add(AuditEntry(at=now, username=name, action=SIGNED_IN if ok else FAILED,
                         client=client, detail=""))
    if not ok or acc is None:
        return None
    return SignedIn(acc.id, acc.username, acc.role, acc.person_id)


def assign(store: Store, clinician: str, person: str) -> None:
    """Let the clinician ``clinician`` see the person ``person`` (created when new)."""
    with store._write() as s:
        acc = s.scalar(select(Account).where(Account.username == clinician,
                                             Account.role == "clinician"))
        if acc is None:
            raise AccountError(f"There is no clinician account {clinician!r}.")
        p = s.scalar(select(Person).where(Person.name == person))
        if p is None:
            p = Person(name=person, created_at=datetime.now())
            s.add(p)
            s.flush()
        exists = s.scalar(select(CareAssignment).where(CareAssignment.clinician_id == acc.id,
                                                       CareAssignment.person_id == p.id))
        if exists is None:
            s.add(CareAssignment(clinician_id=acc.id, person_id=p.id))
            s.add(AuditEntry(at=datetime.now(), username=clinician, action="assigned",
                             person=person, detail=""))


def audit_log(store: Store) -> list[AuditEntry]:
    """Every audit entry, oldest first."""
    with store.session() as s:
        return list(s.scalars(select(AuditEntry).order_by(AuditEntry.id)))
