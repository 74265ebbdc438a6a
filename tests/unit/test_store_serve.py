"""Store safety from the hostile pass (issue 29), on SQLite and PostgreSQL: ids never reused,
out-of-range ids, sign-in lockout and its audit lines, foreign and newer databases refused
untouched, eight concurrent first opens on PostgreSQL."""

from __future__ import annotations

import sqlite3
import threading
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.config import Config
from alembic.script import ScriptDirectory

from lumbar_rom.history.accounts import (
    FREE_FAILURES,
    LOCK_FIRST,
    LockedOut,
    add_account,
    assign,
    audit_log,
    authenticate,
    lock_for,
)
from lumbar_rom.history.store import (
    MIGRATIONS,
    ForeignDatabaseError,
    NewerDatabaseError,
    Store,
)
from lumbar_rom.inputs import MAX_ID, parse_id
from tests.fixtures.history import NOW, save

PASSWORD = "correct horse battery"


def revisions_in_order() -> list[str]:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return [r.revision for r in reversed(list(ScriptDirectory.from_config(cfg).walk_revisions()))]


# ---- ids ---------------------------------------------------------------------------------------
def test_a_deleted_sessions_id_is_never_given_again(db_url):
    s = Store(db_url)
    first = save(s, "ana")
    second = save(s, "ana")
    assert s.delete_session(second)
    third = save(s, "ben")
    assert third > second  # SQLite without AUTOINCREMENT would give `second` again
    assert s.get_session(second) is None
    assert s.delete_person("ben") and s.delete_person("ana")
    assert save(s, "cleo") > third and s.get_session(first) is None
    assert s.person("dan").id > s.person("cleo").id
    s.close()


@pytest.mark.parametrize("bad", ["²", "1e3", "", " ", "-1", "0", "12345678901234567890",
                                 "99999999999999999999999", "١٢", "7\x00"])
def test_malformed_and_huge_ids_are_no_id(bad):
    assert parse_id(bad) is None


def test_ids_in_range():
    assert parse_id("17") == 17 and parse_id(" 17 ") == 17 and parse_id(MAX_ID) == MAX_ID
    assert parse_id(MAX_ID + 1) is None and parse_id(True) is None


def test_out_of_range_ids_reach_no_driver_and_are_audited(db_url):
    s = Store(db_url)
    add_account(s, "dr_a", PASSWORD, "clinician")
    assign(s, "dr_a", "ana")
    save(s, "ana")
    view = s.for_account(authenticate(s, "dr_a", PASSWORD))
    huge = 99999999999999999999999
    assert s.get_session(huge) is None and s.delete_session(huge) is False
    assert view.get_session(huge) is None and view.annotate(huge, "x") is False
    view.note_denied("open session: malformed id '²'")
    denied = [(e.action, e.session_id, e.detail) for e in audit_log(s) if e.action == "denied"]
    assert denied == [("denied", None, f"open session (id '{huge}' out of range)"),
                      ("denied", None, f"notes (id '{huge}' out of range)"),
                      ("denied", None, "open session: malformed id '²'")]
    s.close()


# ---- sign-in lockout ---------------------------------------------------------------------------
def test_the_lock_doubles_from_30_s_up_to_15_min():
    assert lock_for(FREE_FAILURES - 1, FREE_FAILURES) == timedelta(0)
    assert lock_for(FREE_FAILURES, FREE_FAILURES) == LOCK_FIRST == timedelta(seconds=30)
    assert lock_for(FREE_FAILURES + 2, FREE_FAILURES) == timedelta(seconds=120)
    assert lock_for(FREE_FAILURES + 20, FREE_FAILURES) == timedelta(minutes=15)


def test_a_username_locks_after_five_failures_and_the_right_password_waits(db_url):
    s = Store(db_url)
    add_account(s, "dr_a", PASSWORD, "clinician")
    t = NOW
    for i in range(FREE_FAILURES):
        assert authenticate(s, "dr_a", f"wrong {i}", client="10.0.0.9", now=t) is None
        t += timedelta(seconds=1)
    last_failure = t - timedelta(seconds=1)
    with pytest.raises(LockedOut, match=r"^Too many failed sign-ins; wait 29 seconds and"):
        authenticate(s, "dr_a", PASSWORD, client="10.0.0.9", now=t)
    with pytest.raises(LockedOut):  # from another client too: the account is locked
        authenticate(s, "dr_a", PASSWORD, client="10.0.0.10", now=t)
    opens = last_failure + LOCK_FIRST
    assert authenticate(s, "dr_a", PASSWORD, client="10.0.0.9", now=opens) is not None
    # the success clears the count: one failure does not lock again
    assert authenticate(s, "dr_a", "wrong", client="10.0.0.9", now=opens) is None
    assert authenticate(s, "dr_a", PASSWORD, client="10.0.0.9", now=opens) is not None
    lines = [(e.action, e.username, e.client) for e in audit_log(s)
             if e.action.startswith("sign") or e.action == "signed in"]
    assert lines == ([("sign-in failed", "dr_a", "10.0.0.9")] * FREE_FAILURES
                     + [("sign-in locked", "dr_a", "10.0.0.9"),
                        ("sign-in locked", "dr_a", "10.0.0.10"),
                        ("signed in", "dr_a", "10.0.0.9"), ("sign-in failed", "dr_a", "10.0.0.9"),
                        ("signed in", "dr_a", "10.0.0.9")])
    s.close()


def test_the_lock_grows_with_each_failure_after_it(db_url):
    s = Store(db_url)
    add_account(s, "dr_a", PASSWORD, "clinician")
    t = NOW
    for _ in range(FREE_FAILURES):
        authenticate(s, "dr_a", "wrong", client="c", now=t)
    t += LOCK_FIRST  # the first lock is over; the sixth failure locks for 60 s
    assert authenticate(s, "dr_a", "wrong", client="c", now=t) is None
    with pytest.raises(LockedOut, match="wait 59 seconds"):
        authenticate(s, "dr_a", PASSWORD, client="c", now=t + timedelta(seconds=1))
    s.close()


def test_an_unknown_username_locks_the_same_way(db_url):
    s = Store(db_url)
    for _ in range(FREE_FAILURES):
        assert authenticate(s, "nobody", "wrong", client="c", now=NOW) is None
    with pytest.raises(LockedOut, match="wait 30 seconds"):
        authenticate(s, "nobody", "wrong", client="c", now=NOW)
    s.close()


def test_one_client_trying_many_usernames_is_locked(db_url):
    s = Store(db_url)
    add_account(s, "dr_a", PASSWORD, "clinician")
    for i in range(20):
        assert authenticate(s, f"user{i}", "wrong", client="10.0.0.7", now=NOW) is None
    with pytest.raises(LockedOut):
        authenticate(s, "dr_a", PASSWORD, client="10.0.0.7", now=NOW)
    assert authenticate(s, "dr_a", PASSWORD, client="10.0.0.8", now=NOW) is not None
    s.close()


# ---- foreign and newer databases ---------------------------------------------------------------
FOREIGN_SCHEMA = """
CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY);
INSERT INTO alembic_version VALUES ('0001');
CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT, email TEXT);
CREATE TABLE sessions (id INTEGER PRIMARY KEY, person_id INTEGER, token TEXT);
CREATE TABLE trials (id INTEGER PRIMARY KEY, title TEXT);
CREATE TABLE plans (id INTEGER PRIMARY KEY, price REAL);
INSERT INTO people VALUES (1, 'Ben Roe', 'ben@example.org');
"""


def _sqlite_file(path: Path, script: str) -> bytes:
    with sqlite3.connect(path) as c:
        c.executescript(script)
    c.close()
    return path.read_bytes()


@pytest.mark.parametrize("script", [
    FOREIGN_SCHEMA,  # another program's Alembic at "0001" with our first table names
    "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);",
    "PRAGMA application_id=1234; CREATE TABLE people (id INTEGER PRIMARY KEY);",
])
def test_a_foreign_sqlite_file_is_refused_byte_for_byte_unchanged(tmp_path, script):
    path = tmp_path / "other.db"
    before = _sqlite_file(path, script)
    with pytest.raises(ForeignDatabaseError, match="belongs to another program"):
        Store(f"sqlite:///{path}")
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other.db"]  # no -wal, no -shm


def test_our_database_with_an_extra_table_is_refused_untouched(tmp_path):
    path = tmp_path / "h.db"
    Store(f"sqlite:///{path}").close()
    with sqlite3.connect(path) as c:
        c.execute("CREATE TABLE someone_elses (x)")
    c.close()
    before = path.read_bytes()
    with pytest.raises(ForeignDatabaseError):
        Store(f"sqlite:///{path}")
    assert path.read_bytes() == before


def _stamp(url: str, revision: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as c:
        c.execute(sa.text("UPDATE alembic_version SET version_num = :r"), {"r": revision})
    engine.dispose()


def test_a_newer_sqlite_database_is_refused_in_one_sentence_untouched(tmp_path):
    path = tmp_path / "h.db"
    url = f"sqlite:///{path}"
    Store(url).close()
    _stamp(url, "0099")
    with sqlite3.connect(path) as c:
        c.execute("PRAGMA journal_mode=DELETE")  # as a newer version might leave it
    c.close()
    before = path.read_bytes()
    with pytest.raises(NewerDatabaseError) as err:
        Store(url)
    assert str(err.value) == (f"The database at {url} was made by a newer lumbar-rom; update "
                              "lumbar-rom to open it (it was left untouched).")
    assert path.read_bytes() == before
    assert not (tmp_path / "h.db-wal").exists()


def _pg_tables(url: str) -> dict[str, set[str]]:
    engine = sa.create_engine(url)
    with engine.connect() as c:
        rows = c.execute(sa.text(
            "SELECT table_schema, table_name FROM information_schema.tables WHERE table_schema "
            "NOT IN ('pg_catalog', 'information_schema')")).all()
    engine.dispose()
    out: dict[str, set[str]] = {}
    for schema, table in rows:
        out.setdefault(schema, set()).add(table)
    return out


def _pg_exec(url: str, sql: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as c:
        c.exec_driver_sql(sql)
    engine.dispose()


@pytest.mark.parametrize("script", [
    "CREATE SCHEMA app; CREATE TABLE app.people (id int, email text); "
    "CREATE TABLE app.alembic_version (version_num varchar(32))",
    "CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY); "
    "INSERT INTO alembic_version VALUES ('0001'); CREATE TABLE people (id int, email text); "
    "CREATE TABLE sessions (id int); CREATE TABLE trials (id int); CREATE TABLE plans (id int)",
])
def test_a_foreign_postgresql_database_gets_no_new_table_in_any_schema(pg_url, script):
    _pg_exec(pg_url, script)
    before = _pg_tables(pg_url)
    with pytest.raises(ForeignDatabaseError, match="belongs to another program"):
        Store(pg_url)
    assert _pg_tables(pg_url) == before


def test_a_newer_postgresql_database_is_refused_in_one_sentence(pg_url):
    Store(pg_url).close()
    _stamp(pg_url, "0099")
    before = _pg_tables(pg_url)
    with pytest.raises(NewerDatabaseError, match="made by a newer lumbar-rom; update"):
        Store(pg_url)
    assert _pg_tables(pg_url) == before


# ---- concurrent first opens --------------------------------------------------------------------
def test_eight_simultaneous_first_opens_of_an_empty_postgresql_database(pg_url):
    start = threading.Barrier(8)
    errors: list[BaseException] = []
    revisions: list[str | None] = []

    def open_it() -> None:
        try:
            start.wait()
            s = Store(pg_url)
            revisions.append(s.revision())
            s.close()
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=open_it) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert revisions == [revisions_in_order()[-1]] * 8


# ---- deleted means deleted ---------------------------------------------------------------------
SECRET = "Zebediah Quillfeather"


def _raw(path: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(path.parent.glob(path.name + "*")))


@pytest.mark.parametrize("what", ["session", "person"])
def test_deleted_data_is_gone_from_the_sqlite_file_and_its_wal(tmp_path, what):
    path = tmp_path / "h.db"
    s = Store(f"sqlite:///{path}")
    keep = save(s, "Ana Keep")
    sid = save(s, SECRET)
    with s.session() as q, q.begin():  # notes carry the name too
        row = q.get(type(s.get_session(sid)), sid)
        row.notes = f"notes about {SECRET}"
    s.add_pain(SECRET, 4, note=f"diary of {SECRET}")
    assert SECRET.encode() in _raw(path)
    if what == "session":
        assert s.delete_session(sid)
        assert f"notes about {SECRET}".encode() not in _raw(path)
    else:
        assert s.delete_person(SECRET)
        assert SECRET.encode() not in _raw(path)
    assert s.get_session(keep) is not None and s.get_session(sid) is None
    s.close()


def test_deleted_data_is_gone_from_the_postgresql_table_files(pg_url, postgres_server):
    s = Store(pg_url)
    save(s, "Ana Keep")
    save(s, SECRET)
    s.add_pain(SECRET, 4, note=f"diary of {SECRET}")
    engine = sa.create_engine(pg_url)

    def table_files() -> bytes:
        with engine.connect() as c:
            paths = [c.execute(sa.text(f"SELECT pg_relation_filepath('{t}')")).scalar()
                     for t in ("people", "pain_entries", "sessions")]
            c.exec_driver_sql("CHECKPOINT")  # the pages reach the files
        return b"".join((postgres_server.root / "data" / p).read_bytes() for p in paths)

    assert SECRET.encode() in table_files()
    assert s.delete_person(SECRET)
    assert SECRET.encode() not in table_files()
    assert [p.name for p in s.people()] == ["Ana Keep"]
    engine.dispose()
    s.close()
