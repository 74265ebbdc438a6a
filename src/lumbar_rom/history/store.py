"""Stored assessments: SQLAlchemy 2 over SQLite by default (any SQLAlchemy URL by setting).

Default database: ``$LUMBAR_ROM_DB`` (a SQLAlchemy URL) or
``sqlite:///<user data dir>/lumbar-rom/lumbar-rom.db``. SQLite runs in WAL mode with
``synchronous=FULL`` (a committed session survives a killed process or a power cut), foreign keys
on, and every transaction starts with ``BEGIN IMMEDIATE`` plus a 10 s busy timeout, so two app
sessions writing at once wait for each other instead of failing. The schema is created and
upgraded only by the Alembic migrations in ``history/migrations`` (run on open).
Video is never stored unless the person opts in (``video_path``).

A database that is neither empty nor ours is refused before anything is written to it (ours:
SQLite ``PRAGMA application_id`` = :data:`APPLICATION_ID`, or an ``alembic_version`` holding one
of our revisions). Messages never show a URL's password. In clinic mode
:meth:`Store.for_account` gives a :class:`ScopedStore`: the same methods, every query limited to
the signed-in account's people, every read, export, save and deletion audited.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Select, create_engine, event, inspect, make_url, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session, selectinload, sessionmaker

from lumbar_rom import __version__
from lumbar_rom.assessment.hold import HOLD_TESTS, HoldResult
from lumbar_rom.assessment.trial import TrialResult
from lumbar_rom.clinical.engine import Assessment, Profile, Screening
from lumbar_rom.errors import LumbarRomError
from lumbar_rom.history.models import (
    Account,
    AuditEntry,
    CareAssignment,
    HoldRow,
    Maintenance,
    PainEntry,
    Person,
    PlanRow,
    SessionRow,
    StallAnswer,
    TrialRow,
)
from lumbar_rom.history.pain import TrialPain
from lumbar_rom.inputs import check_pain
from lumbar_rom.serialize import json_safe

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
PROTOCOL_VERSION = "1"
# SQLite's header field marking a lumbar-rom database: "LROM" as a big-endian 32-bit number.
APPLICATION_ID = 0x4C524F4D
FIRST_TABLES = ("people", "sessions", "trials", "plans")  # revision 0001


def default_url() -> str:
    url = os.environ.get("LUMBAR_ROM_DB")
    if url:
        return url
    from platformdirs import user_data_dir

    folder = Path(user_data_dir("lumbar-rom", appauthor=False))
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'lumbar-rom.db'}"


class StoreError(LumbarRomError):
    """The history database cannot be opened or written (one sentence, no password in it)."""


class ForeignDatabaseError(StoreError):
    """The database holds another program's tables: it is refused and left untouched."""


class ReadOnlyDatabaseError(StoreError):
    """The history database can be read but not written."""


READ_ONLY = ("The history database is read-only; make it writable, or set LUMBAR_ROM_DB to a "
             "database you can write to.")


def masked_url(url: str) -> str:
    """``url`` with its password replaced by ``***`` (also when it does not parse)."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", url)


def _scrub(text: str, url: str) -> str:
    """``text`` (a driver message) without ``url``'s password, on one line."""
    text = text.strip().splitlines()[0] if text.strip() else type(text).__name__
    text = text.replace(url, masked_url(url))
    try:
        password = make_url(url).password
    except Exception:
        password = None
    if password:
        text = text.replace(str(password), "***")
    return text


def _is_read_only(exc: BaseException) -> bool:
    text = str(getattr(exc, "orig", exc)).lower()
    return "readonly" in text or "read-only" in text or "read only" in text


def _sqlite_setup(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # let SQLAlchemy's "begin" event open transactions
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=10000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    # ConfigParser interpolates "%": a URL's percent-escapes must be doubled
    cfg.set_main_option("sqlalchemy.url",
                        engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    return cfg


def head_revision() -> str:
    """The newest revision of our migrations (what :meth:`Store.migrate` upgrades to)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return str(ScriptDirectory.from_config(cfg).get_current_head())


def known_revisions() -> set[str]:
    """Every revision id of our migrations (a database stamped with another is not ours)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return {r.revision for r in ScriptDirectory.from_config(cfg).walk_revisions()}


def _ownership(conn: Connection) -> str:
    """``"empty"``, ``"ours"`` or ``"foreign"`` -- read only, the database is not changed.

    Ours: SQLite's ``application_id`` is :data:`APPLICATION_ID`, or (databases made before the
    marker, and PostgreSQL) the ``alembic_version`` table holds one of our revisions and the
    tables of our first schema are there (another program's Alembic may also say "0001")."""
    from alembic.runtime.migration import MigrationContext

    tables = inspect(conn).get_table_names()
    app_id = 0
    if conn.dialect.name == "sqlite":
        app_id = int(conn.exec_driver_sql("PRAGMA application_id").scalar() or 0)
        if app_id == APPLICATION_ID:
            return "ours"
        objects = conn.exec_driver_sql("SELECT count(*) FROM sqlite_master").scalar()
        if app_id == 0 and not objects:
            return "empty"
    elif not tables:
        return "empty"
    if app_id == 0 and {"alembic_version", *FIRST_TABLES} <= set(tables):
        heads = MigrationContext.configure(conn).get_current_heads()
        if heads and set(heads) <= known_revisions():
            return "ours"
    return "foreign"


def protocol_key(trial: TrialResult) -> str:
    """Which measurements can be compared: the same view and protocol version."""
    return f"{trial.view.view}:v{PROTOCOL_VERSION}"


def pack_series(time_s: np.ndarray, values: np.ndarray) -> bytes:
    """``(T,)`` times and values -> compact float32 little-endian pairs."""
    return np.stack([time_s, values], axis=1).astype("<f4").tobytes()


def unpack_series(blob: bytes) -> tuple[np.ndarray, np.ndarray]:
    a = np.frombuffer(blob, dtype="<f4").reshape(-1, 2) if blob else np.zeros((0, 2), "<f4")
    return a[:, 0].astype(float), a[:, 1].astype(float)


# what each role may do with the people in its scope
ROLES: dict[str, frozenset[str]] = {
    "clinician": frozenset({"view", "save", "annotate", "export", "delete", "create"}),
    "patient": frozenset({"view", "save", "export"}),
}


@dataclass(frozen=True)
class SignedIn:
    """The account a scoped view acts for (no password hash kept)."""

    id: int
    username: str
    role: str
    person_id: int | None


class AccessError(LumbarRomError):
    """The signed-in account may not do this (one sentence)."""


# what a stored session is read with: trials, plan, and its person with their holds and pain
# diary (the report shows the strength and pain goals)
_SESSION_LOADS = (selectinload(SessionRow.trials), selectinload(SessionRow.plan),
                  selectinload(SessionRow.person).selectinload(Person.holds),
                  selectinload(SessionRow.person).selectinload(Person.pain_entries))


class Store:
    """The database of people, sessions and trials. Safe to share across threads."""

    def __init__(self, url: str | None = None, migrate: bool = True) -> None:
        self.url = url or default_url()
        where = f"The history database at {masked_url(self.url)}"
        try:
            self.engine = create_engine(self.url, pool_pre_ping=True)
            self._check_ours()  # before WAL or any migration touches the file
            if self.engine.dialect.name == "sqlite":
                _sqlite_setup(self.engine)
            if migrate:
                self.migrate()
        except LumbarRomError:
            raise
        except DBAPIError as exc:
            if _is_read_only(exc):
                raise ReadOnlyDatabaseError(
                    f"{where} is read-only and needs an upgrade; make it writable once, or set "
                    "LUMBAR_ROM_DB to a database you can write to.") from None
            raise StoreError(f"{where} cannot be opened ({_scrub(str(exc.orig), self.url)}); "
                             "check the path or the LUMBAR_ROM_DB setting.") from None
        except Exception as exc:
            raise StoreError(f"{where} cannot be opened ({_scrub(str(exc), self.url)}); "
                             "check the path or the LUMBAR_ROM_DB setting.") from None
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def _check_ours(self) -> None:
        """Refuse a database that is neither empty nor ours, before anything writes to it."""
        with self.engine.connect() as conn:
            owner = _ownership(conn)
            conn.rollback()
        self.engine.dispose()  # the connection used here had no WAL / foreign-key set-up
        if owner == "foreign":
            raise ForeignDatabaseError(
                f"The database at {masked_url(self.url)} belongs to another program (it has "
                "tables that are not lumbar-rom's), so it was left untouched; set LUMBAR_ROM_DB "
                "to a new file or to a lumbar-rom database.")

    def migrate(self, revision: str = "head") -> None:
        """Upgrade the schema to ``revision`` (nothing is written when it is already there) and
        mark a SQLite file as ours (``PRAGMA application_id``)."""
        from alembic.runtime.migration import MigrationContext

        cfg = alembic_config(self.engine)
        script = ScriptDirectory.from_config(cfg)
        wanted = set(script.get_heads()) if revision == "head" else {revision}
        with self.engine.connect() as conn:
            current = set(MigrationContext.configure(conn).get_current_heads())
            conn.rollback()
        sqlite = self.engine.dialect.name == "sqlite"
        if current != wanted:
            with self.engine.begin() as conn:
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, revision)
                if sqlite:
                    conn.exec_driver_sql(f"PRAGMA application_id={APPLICATION_ID}")
        elif sqlite:
            with self.engine.connect() as conn:
                app_id = conn.exec_driver_sql("PRAGMA application_id").scalar()
                conn.rollback()
            if app_id != APPLICATION_ID:
                try:
                    with self.engine.begin() as conn:
                        conn.exec_driver_sql(f"PRAGMA application_id={APPLICATION_ID}")
                except DBAPIError as exc:  # a read-only file stays recognised by its revision
                    if not _is_read_only(exc):
                        raise

    @contextmanager
    def _write(self) -> Iterator[Session]:
        """One write transaction; a read-only or failing database becomes one sentence."""
        try:
            with self.session() as s, s.begin():
                yield s
        except DBAPIError as exc:
            if _is_read_only(exc):
                raise ReadOnlyDatabaseError(READ_ONLY) from None
            raise StoreError(f"The history database could not be written "
                             f"({_scrub(str(exc.orig), self.url)}); nothing was saved.") from None

    def revision(self) -> str | None:
        from alembic.runtime.migration import MigrationContext

        with self.engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()

    def session(self) -> Session:
        return self._sessions()

    # ---- scope: the people this view may see (all here; an account's view narrows it) ---------
    def _scoped(self, q: Select[Any]) -> Select[Any]:
        """``q`` (a query with :class:`Person` in its FROM) limited to the people in scope."""
        return q

    def _find(self, s: Session, name: str) -> Person | None:
        return s.scalar(self._scoped(select(Person).where(Person.name == name)))

    def _new_person(self, s: Session, name: str) -> Person:
        """Create ``name``; when another writer created it a moment ago (PostgreSQL runs both
        transactions at once), use theirs: the insert is tried inside a savepoint."""
        try:
            with s.begin_nested():
                p = Person(name=name, created_at=datetime.now())
                s.add(p)
        except IntegrityError:
            found = s.scalar(select(Person).where(Person.name == name))
            if found is None:
                raise
            return found
        return p

    def for_account(self, account: SignedIn) -> ScopedStore:
        """This store as ``account`` may see it (clinic mode): a
        :class:`~lumbar_rom.history.accounts.ScopedStore` whose every query is limited to the
        account's people and whose reads, exports and deletions are written to the audit log."""
        return ScopedStore(self, account)

    # ---- people -------------------------------------------------------------------------------
    def person(self, name: str, profile: Profile | None = None) -> Person:
        """Get or create the person ``name``; update their profile when given."""
        with self._write() as s:
            p = self._find(s, name) or self._new_person(s, name)
            if profile is not None:
                p.age, p.sex, p.height_cm, p.injury_at = (profile.age, profile.sex,
                                                          profile.height_cm, profile.injury)
            s.flush()
            s.expunge(p)
            return p

    def people(self) -> list[Person]:
        with self.session() as s:
            return list(s.scalars(self._scoped(select(Person).order_by(Person.name))))

    def profile(self, name: str) -> Profile | None:
        with self.session() as s:
            p = self._find(s, name)
            if p is None:
                return None
            return Profile(p.age, p.sex, p.height_cm, p.injury_at)

    # ---- sessions -----------------------------------------------------------------------------
    def save_session(self, person: str, profile: Profile, screening: Screening,
                     trials: list[TrialResult], assessment: Assessment,
                     started_at: datetime | None = None, notes: str = "",
                     video_path: str | None = None, model_sha256: str = "",
                     trial_pain: Mapping[str, TrialPain] | None = None) -> int:
        """Store one assessment session atomically; returns its id. ``trial_pain``: per
        movement, whether it hurt, where and what stopped it (stored with that trial)."""
        pains = trial_pain or {}
        extra = sorted(set(pains) - {t.movement for t in trials})
        if extra:
            raise LumbarRomError(f"Pain was given for {extra[0]!r}, which was not measured in "
                                 "this session; give it only for the measured motions.")
        decisions = {d.movement: d.status for d in assessment.decisions}
        with self._write() as s:
            p = self._find(s, person) or self._new_person(s, person)
            p.age, p.sex, p.height_cm, p.injury_at = (profile.age, profile.sex,
                                                      profile.height_cm, profile.injury)
            row = SessionRow(
                person=p, started_at=started_at or datetime.now(),
                pain_before=screening.pain_before, pain_after=screening.pain_after,
                screening=json_safe(asdict(screening)), assessment=assessment.to_dict(),
                notes=notes, software_version=__version__, model_sha256=model_sha256,
                video_path=video_path)
            for t in trials:
                row.trials.append(TrialRow(
                    movement=t.movement, protocol=protocol_key(t),
                    value_deg=_f(t.value_deg), uncertainty_deg=_f(t.uncertainty_deg),
                    status=t.status, decision=decisions.get(t.movement, ""),
                    flags=[asdict(f) for f in t.flags],
                    result={k: v for k, v in t.to_dict().items()
                            if k not in ("time_s", "excursion_deg")},
                    series=pack_series(t.time_s, t.excursion_deg),
                    pain=pains[t.movement].to_dict() if t.movement in pains else None,
                    software_version=__version__, model_sha256=model_sha256))
            row.plan = PlanRow(plan=[asdict(x) for x in assessment.plan],
                               goals=[asdict(g) for g in assessment.goals])
            s.add(row)
            s.flush()
            return int(row.id)

    def sessions(self, person: str) -> list[SessionRow]:
        """All sessions of ``person``, oldest first, trials loaded."""
        return self._sessions_of(person)

    def _sessions_of(self, person: str) -> list[SessionRow]:
        with self.session() as s:
            q = (self._scoped(select(SessionRow).join(Person).where(Person.name == person))
                 .options(*_SESSION_LOADS)
                 .order_by(SessionRow.started_at))
            return list(s.scalars(q))

    def get_session(self, session_id: int) -> SessionRow | None:
        with self.session() as s:
            q = (self._scoped(select(SessionRow).join(Person).where(SessionRow.id == session_id))
                 .options(*_SESSION_LOADS))
            return s.scalar(q)

    def annotate(self, session_id: int, notes: str) -> bool:
        """Replace a session's notes (a clinician's annotation); False when there is none."""
        with self._write() as s:
            row = s.scalar(self._scoped(select(SessionRow).join(Person)
                                        .where(SessionRow.id == session_id)))
            if row is None:
                return False
            row.notes = notes
            return True

    def delete_session(self, session_id: int) -> bool:
        with self._write() as s:
            row = s.scalar(self._scoped(select(SessionRow).join(Person)
                                        .where(SessionRow.id == session_id)))
            if row is None:
                return False
            s.delete(row)
            return True

    def delete_person(self, name: str) -> bool:
        """Delete a person and all their data."""
        with self._write() as s:
            p = self._find(s, name)
            if p is None:
                return False
            for model in (StallAnswer, Maintenance):
                for r in s.scalars(select(model).where(model.person_id == p.id)):
                    s.delete(r)
            s.delete(p)
            return True

    # ---- stall checklist and maintenance ------------------------------------------------------
    def record_stall_answers(self, person: str, movement: str, answers: dict[str, bool]) -> None:
        with self._write() as s:
            p = self._find(s, person)
            if p is None:
                raise LumbarRomError(f"No person called {person!r} is stored.")
            s.add(StallAnswer(person_id=p.id, movement=movement, answers=answers,
                              answered_at=datetime.now()))

    def stall_answers(self, person: str) -> list[StallAnswer]:
        with self.session() as s:
            q = self._scoped(select(StallAnswer).join(Person, Person.id == StallAnswer.person_id)
                             .where(Person.name == person).order_by(StallAnswer.answered_at))
            return list(s.scalars(q))

    def set_maintenance(self, person: str, movement: str, since: datetime) -> None:
        with self._write() as s:
            p = self._find(s, person)
            if p is None:
                return
            exists = s.scalar(select(Maintenance).where(Maintenance.person_id == p.id,
                                                        Maintenance.movement == movement))
            if exists is None:
                s.add(Maintenance(person_id=p.id, movement=movement, since=since))

    def maintenance(self, person: str) -> dict[str, datetime]:
        with self.session() as s:
            q = self._scoped(select(Maintenance).join(Person, Person.id == Maintenance.person_id)
                             .where(Person.name == person))
            return {m.movement: m.since for m in s.scalars(q)}

    # ---- pain diary and endurance holds --------------------------------------------------------
    def add_pain(self, person: str, nrs: int, when: datetime | None = None,
                 note: str = "") -> int:
        """Add a pain-diary entry (NRS 0-10, any day, no measurement needed; the person is
        created when new); returns its id."""
        value = check_pain(nrs)
        with self._write() as s:
            p = self._find(s, person) or self._new_person(s, person)
            row = PainEntry(person_id=p.id, at=when or datetime.now(), nrs=value, note=note)
            s.add(row)
            s.flush()
            return int(row.id)

    def pain_entries(self, person: str) -> list[PainEntry]:
        """The pain diary of ``person``, oldest first."""
        return self._rows_of(PainEntry, person)

    def _rows_of(self, model: Any, person: str) -> list[Any]:
        """Rows of ``model`` (a table with ``person_id`` and ``at``) of ``person``, oldest first,
        as this store may see them."""
        with self.session() as s:
            q = self._scoped(select(model).join(Person, Person.id == model.person_id)
                             .where(Person.name == person).order_by(model.at))
            return list(s.scalars(q))

    def save_hold(self, person: str, result: HoldResult, when: datetime | None = None) -> int:
        """Store one timed endurance hold (the person is created when new); returns its id."""
        if result.test not in HOLD_TESTS:
            raise LumbarRomError(f"Unknown hold test {result.test!r}; expected one of "
                                 f"{', '.join(HOLD_TESTS)}.")
        with self._write() as s:
            p = self._find(s, person) or self._new_person(s, person)
            row = HoldRow(person_id=p.id, at=when or datetime.now(), test=result.test,
                          seconds=_f(result.held_s), uncertainty_s=_f(result.uncertainty_s),
                          end_reason=result.end_reason, result=json_safe(result.to_dict()),
                          software_version=__version__)
            s.add(row)
            s.flush()
            return int(row.id)

    def holds(self, person: str) -> list[HoldRow]:
        """The timed holds of ``person``, oldest first."""
        return self._rows_of(HoldRow, person)

    # ---- export -------------------------------------------------------------------------------
    def export_rows(self, person: str) -> list[dict[str, Any]]:
        """One row per stored trial (the CSV export)."""
        return self._export_rows(person)

    def _export_rows(self, person: str) -> list[dict[str, Any]]:
        rows = []
        for sess in self._sessions_of(person):
            for t in sess.trials:
                rows.append({
                    "person": person, "session_id": sess.id,
                    "date": sess.started_at.isoformat(timespec="minutes"),
                    "time_of_day": sess.started_at.strftime("%H:%M"),
                    "movement": t.movement, "protocol": t.protocol,
                    "value_deg": t.value_deg, "uncertainty_deg": t.uncertainty_deg,
                    "status": t.status, "decision": t.decision,
                    "pain_before": sess.pain_before, "pain_after": sess.pain_after,
                    "flags": ";".join(f["code"] for f in t.flags),
                    "software_version": t.software_version,
                })
        return rows

    def export_csv(self, person: str) -> str:
        rows = self._export_rows(person)
        buf = io.StringIO()
        fields = list(rows[0]) if rows else ["person", "session_id", "date", "movement",
                                             "value_deg"]
        w = csv.DictWriter(buf, fieldnames=fields)
        w.writeheader()
        w.writerows(rows)
        return buf.getvalue()

    def export_json(self, person: str) -> dict[str, Any]:
        out = []
        for sess in self._sessions_of(person):
            out.append({
                "session_id": sess.id, "started_at": sess.started_at.isoformat(),
                "pain_before": sess.pain_before, "pain_after": sess.pain_after,
                "screening": sess.screening, "assessment": sess.assessment,
                "notes": sess.notes, "software_version": sess.software_version,
                "trials": [{"movement": t.movement, "protocol": t.protocol,
                            "value_deg": t.value_deg, "uncertainty_deg": t.uncertainty_deg,
                            "status": t.status, "decision": t.decision, "flags": t.flags,
                            "pain": t.pain}
                           for t in sess.trials],
            })
        # Store's own reads (a scoped view audits the export once, not each part)
        diary = [{"at": e.at.isoformat(), "nrs": e.nrs, "note": e.note}
                 for e in Store.pain_entries(self, person)]
        holds = [{"at": h.at.isoformat(), "test": h.test, "seconds": h.seconds,
                  "uncertainty_s": h.uncertainty_s, "end_reason": h.end_reason}
                 for h in Store.holds(self, person)]
        return {"schema_version": 1, "person": person, "sessions": out, "pain_diary": diary,
                "holds": holds}

    def close(self) -> None:
        self.engine.dispose()

    def exported(self, person: str, session_id: int | None, detail: str) -> None:
        """An export made outside the store (the clinician PDF, issue 31): nothing to record
        in personal mode (the scoped view audits it)."""


class ScopedStore(Store):
    """The store as one signed-in account may see it (built by ``Store.for_account``)."""

    def __init__(self, store: Store, account: SignedIn) -> None:
        # share the engine and session factory; no new connection, no migration
        self.__dict__.update(store.__dict__)
        self.account = account
        self._allowed = ROLES[account.role]

    # ---- the scope --------------------------------------------------------------------
    def _people_ids(self) -> Select[Any]:
        if self.account.role == "patient":
            return select(Account.person_id).where(Account.id == self.account.id,
                                                   Account.person_id.is_not(None))
        return select(CareAssignment.person_id).where(
            CareAssignment.clinician_id == self.account.id)

    def _scoped(self, q: Select[Any]) -> Select[Any]:
        return q.where(Person.id.in_(self._people_ids()))

    def _new_person(self, s: Session, name: str) -> Person:
        if "create" not in self._allowed:
            raise AccessError("This account can only use its own person's records.")
        if s.scalar(select(Person).where(Person.name == name)) is not None:
            raise AccessError(f"{name!r} is not one of your patients; choose another name "
                              "or ask for them to be assigned to you.")
        p = Person(name=name, created_at=datetime.now())
        s.add(p)
        s.flush()
        s.add(CareAssignment(clinician_id=self.account.id, person_id=p.id))
        return p

    def _may(self, action: str) -> None:
        if action not in self._allowed:
            raise AccessError(f"A {self.account.role} account cannot {action} records.")

    def _audit(self, action: str, person: str | None = None,
               session_id: int | None = None, detail: str = "") -> None:
        with self._write() as s:  # no audit row, no data: a failure is one sentence
            s.add(AuditEntry(at=datetime.now(), username=self.account.username,
                             action=action, person=person, session_id=session_id,
                             detail=detail))

    # ---- reads (audited) --------------------------------------------------------------
    def sessions(self, person: str) -> list[SessionRow]:
        rows = self._sessions_of(person)
        self._audit("viewed" if rows else "viewed (none)", person,
                    detail=f"{len(rows)} session(s)")
        return rows

    def get_session(self, session_id: int) -> SessionRow | None:
        row = super().get_session(session_id)
        if row is None:
            self._audit("denied", session_id=session_id, detail="open session")
            return None
        self._audit("viewed", row.person.name, session_id)
        return row

    def export_rows(self, person: str) -> list[dict[str, Any]]:
        self._may("export")
        rows = self._export_rows(person)
        self._audit("exported", person, detail=f"rows, {len(rows)} trial(s)")
        return rows

    def export_csv(self, person: str) -> str:
        self._may("export")
        text = super().export_csv(person)
        self._audit("exported", person, detail="CSV")
        return str(text)

    def export_json(self, person: str) -> dict[str, Any]:
        self._may("export")
        out = super().export_json(person)
        self._audit("exported", person, detail=f"JSON, {len(out['sessions'])} session(s)")
        return dict(out)

    def exported(self, person: str, session_id: int | None, detail: str) -> None:
        """Audit an export made outside the store (the clinician PDF), when it was made."""
        self._may("export")
        self._audit("exported", person, session_id, detail)

    # ---- writes (audited) -------------------------------------------------------------
    def save_session(self, person: str, *args: Any, **kwargs: Any) -> int:
        self._may("save")
        sid = int(super().save_session(person, *args, **kwargs))
        self._audit("saved", person, sid)
        return sid

    def delete_session(self, session_id: int) -> bool:
        self._may("delete")
        done = bool(super().delete_session(session_id))
        self._audit("deleted" if done else "denied", session_id=session_id,
                    detail="delete session")
        return done

    def annotate(self, session_id: int, notes: str) -> bool:
        self._may("annotate")
        done = bool(super().annotate(session_id, notes))
        self._audit("annotated" if done else "denied", session_id=session_id, detail="notes")
        return done

    def delete_person(self, name: str) -> bool:
        self._may("delete")
        done = bool(super().delete_person(name))
        self._audit("deleted" if done else "denied", name, detail="delete person")
        return done

    def record_stall_answers(self, person: str, movement: str,
                             answers: dict[str, bool]) -> None:
        self._may("save")
        super().record_stall_answers(person, movement, answers)

    def set_maintenance(self, person: str, movement: str, since: datetime) -> None:
        self._may("save")
        super().set_maintenance(person, movement, since)

    def add_pain(self, person: str, nrs: int, when: datetime | None = None,
                 note: str = "") -> int:
        self._may("save")
        entry = int(super().add_pain(person, nrs, when, note))
        self._audit("saved", person, detail="pain diary entry")
        return entry

    def save_hold(self, person: str, result: HoldResult, when: datetime | None = None) -> int:
        self._may("save")
        hid = int(super().save_hold(person, result, when))
        self._audit("saved", person, detail=f"hold {result.test}")
        return hid

    def pain_entries(self, person: str) -> list[PainEntry]:
        rows = super().pain_entries(person)
        self._audit("viewed", person, detail=f"pain diary, {len(rows)} entr(ies)")
        return rows

    def holds(self, person: str) -> list[HoldRow]:
        rows = super().holds(person)
        self._audit("viewed", person, detail=f"holds, {len(rows)}")
        return rows

    def person(self, name: str, profile: Profile | None = None) -> Person:
        self._may("save")
        return super().person(name, profile)

    def migrate(self, revision: str = "head") -> None:
        raise AccessError("A signed-in view cannot change the database schema.")

    def close(self) -> None:
        """A view does not close the store it shares."""


def _f(x: float) -> float | None:
    return float(x) if x is not None and np.isfinite(x) else None

