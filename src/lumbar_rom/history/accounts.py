"""Clinic mode at the store layer: accounts, roles, who may see whom, and the audit log.

Mode: ``LUMBAR_ROM_MODE`` (or ``mode = "clinic"`` in the config file, :func:`config_path`) =
``personal`` (the default: no login, one computer) or ``clinic`` (login required). Accounts live
in the history database (revision 0005); passwords are stored only as argon2id hashes
(``argon2-cffi``) and there is no default password: the first clinician is made with
``lumbar-rom users add NAME --role clinician``.

Roles (data: ``store.ROLES``): a *clinician* sees, saves, annotates, exports and deletes the people
assigned to them (a person they create is assigned to them); a *patient* sees, saves and exports
only their own person. :meth:`Store.for_account <lumbar_rom.history.store.Store.for_account>`
returns a :class:`ScopedStore`: the same methods as the store, every query limited to the
account's people in SQL, and every view, export, save and deletion written to ``audit_log``.
Another person's data is answered as if it did not exist (``None`` / empty), and logged as
``denied``.
"""

from __future__ import annotations

import os
import tomllib
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from lumbar_rom.errors import LumbarRomError
from lumbar_rom.history.models import Account, AuditEntry, CareAssignment, Person
from lumbar_rom.history.store import ROLES, AccessError, ScopedStore, SignedIn, Store

__all__ = ["ROLES", "AccessError", "AccountError", "ScopedStore", "SignedIn", "accounts",
           "add_account", "assign", "audit_log", "authenticate", "has_accounts", "mode"]

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


def authenticate(store: Store, username: str, password: str) -> SignedIn | None:
    """The account when ``password`` is right, else ``None`` (both logged)."""
    with store.session() as s:
        acc = s.scalar(select(Account).where(Account.username == username.strip()))
    if acc is None:
        if not _DUMMY:
            _DUMMY.append(hash_password("not a password of anyone"))
        check_password(_DUMMY[0], password)
        ok = False
    else:
        ok = check_password(acc.password_hash, password)
    with store._write() as s:
        s.add(AuditEntry(at=datetime.now(), username=username.strip()[:80],
                         action="signed in" if ok else "sign-in failed", detail=""))
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
