"""The store refuses other programs' databases untouched, keeps passwords out of its messages and
says in one sentence when the database is read-only (issue 16)."""

import hashlib
import os
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lumbar_rom.cli import app
from lumbar_rom.history.store import (
    APPLICATION_ID,
    READ_ONLY,
    ForeignDatabaseError,
    ReadOnlyDatabaseError,
    Store,
    StoreError,
    masked_url,
)
from tests.fixtures.history import save, url

runner = CliRunner()


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def foreign(path, setup):
    with sqlite3.connect(path) as c:
        for sql in setup:
            c.execute(sql)
    c.close()
    return path


@pytest.mark.parametrize("setup", [
    ["CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)", "INSERT INTO notes VALUES (1, 'x')"],
    # another program that also uses Alembic: its revision is not one of ours
    ["CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)",
     "INSERT INTO alembic_version VALUES ('ae1027a6acf')", "CREATE TABLE people (id INTEGER)"],
    # another program's Alembic numbers its revisions like ours: our tables are missing
    ["CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)",
     "INSERT INTO alembic_version VALUES ('0001')", "CREATE TABLE orders (id INTEGER)"],
    # no tables yet, but the file is marked by another application
    ["PRAGMA application_id = 1234"],
])
def test_another_programs_database_is_refused_and_left_untouched(tmp_path, setup):
    db = foreign(tmp_path / "h.db", setup)
    before = digest(db)
    with pytest.raises(ForeignDatabaseError, match="belongs to another program") as err:
        Store(url(tmp_path))
    assert "\n" not in str(err.value) and str(err.value).endswith(".")
    assert digest(db) == before  # no tables added, no WAL switch
    assert sorted(p.name for p in tmp_path.iterdir()) == ["h.db"]  # no -wal / -shm files
    with sqlite3.connect(db) as c:
        assert c.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    c.close()


def test_the_cli_refuses_a_foreign_database_in_one_sentence(tmp_path, monkeypatch):
    db = foreign(tmp_path / "other.db", ["CREATE TABLE t (x)"])
    before = digest(db)
    monkeypatch.setenv("LUMBAR_ROM_DB", f"sqlite:///{db}")
    result = runner.invoke(app, ["history"])
    assert result.exit_code == 1
    assert "belongs to another program" in result.output and "Traceback" not in result.output
    assert digest(db) == before


def test_our_database_is_marked_and_an_empty_file_is_taken(tmp_path):
    (tmp_path / "h.db").touch()  # an empty file is not another program's
    Store(url(tmp_path)).close()
    with sqlite3.connect(tmp_path / "h.db") as c:
        assert c.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
        assert c.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    c.close()
    Store(url(tmp_path)).close()  # and reopens


def test_a_database_made_before_the_marker_is_still_ours(tmp_path):
    s = Store(url(tmp_path))
    sid = save(s)
    s.close()
    with sqlite3.connect(tmp_path / "h.db") as c:
        c.execute("PRAGMA application_id = 0")
    c.close()
    again = Store(url(tmp_path))
    assert again.get_session(sid) is not None
    with sqlite3.connect(tmp_path / "h.db") as c:
        assert c.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    c.close()


def read_only_url(tmp_path):
    s = Store(url(tmp_path))
    sid = save(s)
    s.close()
    return f"sqlite:///file:{tmp_path / 'h.db'}?mode=ro&uri=true", sid


def test_a_read_only_database_reads_and_refuses_saving_in_one_sentence(tmp_path):
    ro_url, sid = read_only_url(tmp_path)
    store = Store(ro_url)
    assert [s.id for s in store.sessions("ana")] == [sid]
    for write in (lambda: save(store), lambda: store.delete_session(sid),
                  lambda: store.record_stall_answers("ana", "flexion", {"shoes": True})):
        with pytest.raises(ReadOnlyDatabaseError) as err:
            write()
        assert str(err.value) == READ_ONLY
        assert str(err.value).startswith("The history database is read-only; ")
    assert [s.id for s in store.sessions("ana")] == [sid]


def test_assess_person_on_a_read_only_database_is_one_sentence(tmp_path, monkeypatch):
    ro_url, _ = read_only_url(tmp_path)
    monkeypatch.setenv("LUMBAR_ROM_DB", ro_url)
    # a red flag stops before any video is read, so the save is what fails (the path must still
    # exist: every path is checked before any work)
    video = Path(__file__).resolve().parents[2] / "sample_videos" / "flexion.mp4"
    result = runner.invoke(app, ["assess", str(video), "--red-flag",
                                 "saddle_numbness", "--person", "ana"])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert f"Error: {READ_ONLY}" in result.output
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0,
                    reason="file permissions do not bind root")
def test_a_file_without_write_permission_is_read_only(tmp_path):
    Store(url(tmp_path)).close()
    (tmp_path / "h.db").chmod(0o444)
    store = Store(url(tmp_path))
    with pytest.raises(ReadOnlyDatabaseError):
        save(store)


@pytest.mark.parametrize("bad", [
    "postgresql+psycopg://clinic:S3cret-pw!@127.0.0.1:1/lumbar",  # nothing listens on port 1
    "postgresql+nodriver://clinic:S3cret-pw!@127.0.0.1/lumbar",
    "not a url://clinic:S3cret-pw!@host/db",
])
def test_a_password_never_appears_in_the_message(bad):
    with pytest.raises(StoreError) as err:
        Store(bad)
    text = str(err.value)
    assert "S3cret-pw!" not in text and "S3cret" not in text
    assert "clinic:***@" in text and "\n" not in text


def test_masked_url():
    assert masked_url("postgresql+psycopg://u:pw@h:5/d") == "postgresql+psycopg://u:***@h:5/d"
    assert masked_url("sqlite:////tmp/x.db") == "sqlite:////tmp/x.db"


def test_another_programs_postgresql_database_is_refused_untouched(pg_url):
    import sqlalchemy as sa

    engine = sa.create_engine(pg_url)
    with engine.begin() as c:
        c.execute(sa.text("CREATE TABLE invoices (id serial PRIMARY KEY, total numeric)"))
    with pytest.raises(ForeignDatabaseError, match="left untouched"):
        Store(pg_url)
    with engine.connect() as c:
        assert sa.inspect(c).get_table_names() == ["invoices"]
    engine.dispose()


def test_a_read_only_postgresql_database_is_one_sentence(pg_url, postgres_server):
    store = Store(pg_url)
    sid = save(store)
    store.close()
    name = pg_url.rsplit("/", 1)[1]
    postgres_server.admin(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on')
    store = Store(pg_url)  # at head: opening writes nothing
    assert [s.id for s in store.sessions("ana")] == [sid]
    with pytest.raises(ReadOnlyDatabaseError) as err:
        save(store)
    assert str(err.value) == READ_ONLY
    store.close()


def test_a_postgresql_error_never_shows_the_password(postgres_server):
    bad = postgres_server.url("no_such_db").replace("lumbar@", "lumbar:Hunter2-pw@")
    with pytest.raises(StoreError) as err:
        Store(bad)
    text = str(err.value)
    assert "no_such_db" in text and "does not exist" in text
    assert "Hunter2" not in text and "lumbar:***@" in text and "\n" not in text
