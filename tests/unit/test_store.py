"""History storage against a real SQLite file and a real PostgreSQL server (``db_url`` runs each
test on both): create, reopen, migrate from the first schema, concurrency, kill -9, people kept
apart. The same Alembic migrations serve both."""

import json
import math
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from dataclasses import asdict
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa
from alembic import command

from lumbar_rom.clinical.engine import SCHEMA_VERSION, Profile, Screening, assess
from lumbar_rom.history.progress import points_from_sessions
from lumbar_rom.history.store import (
    Store,
    alembic_config,
    head_revision,
    pack_series,
    unpack_series,
)
from lumbar_rom.report.pdf import write_report
from lumbar_rom.serialize import json_safe
from tests.fixtures.clinical import restricted_set
from tests.fixtures.history import NOW, save

ROOT = Path(__file__).resolve().parents[2]


def sqlite_file(db_url: str) -> Path | None:
    return Path(db_url.removeprefix("sqlite:///")) if db_url.startswith("sqlite") else None


def insert(conn, table: str, **values) -> int:
    """Insert one row as code of an older revision would have (reflected table: its columns and
    types as they are in the database now); returns its id."""
    tbl = sa.Table(table, sa.MetaData(), autoload_with=conn)
    return int(conn.execute(tbl.insert().values(**values)).inserted_primary_key[0])


def count(store, sql: str) -> int:
    with store.engine.connect() as c:
        return int(c.execute(sa.text(sql)).scalar())


def test_create_save_reopen(db_url):
    s = Store(db_url)
    assert s.revision() == head_revision()
    sid = save(s)
    s.close()
    again = Store(db_url)
    row = again.get_session(sid)
    assert row is not None and row.person.name == "ana" and row.notes == "first"
    assert {t.movement for t in row.trials} == {"flexion", "extension", "side-bend-left",
                                                 "side-bend-right", "rotation-left",
                                                 "rotation-right"}
    flex = next(t for t in row.trials if t.movement == "flexion")
    assert flex.value_deg == pytest.approx(40) and flex.decision == "restricted"
    assert flex.protocol == "side:v1" and flex.software_version
    assert row.plan is not None and row.plan.plan and row.plan.goals
    assert row.assessment["schema_version"] == 1
    if (path := sqlite_file(db_url)) is not None:
        with sqlite3.connect(path) as c:
            assert c.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    else:
        assert again.engine.dialect.name == "postgresql"


def test_series_round_trip():
    t, v = np.linspace(0, 3, 90), np.sin(np.linspace(0, 3, 90)) * 40
    t2, v2 = unpack_series(pack_series(t, v))
    np.testing.assert_allclose(t2, t, atol=1e-5)
    np.testing.assert_allclose(v2, v, atol=1e-4)
    assert len(pack_series(t, v)) == 90 * 8  # compact: 8 bytes a frame


def test_people_are_kept_apart_and_deleted(db_url):
    s = Store(db_url)
    save(s, "ana")
    save(s, "ben")
    save(s, "ben", when=NOW + timedelta(days=7))
    assert [p.name for p in s.people()] == ["ana", "ben"]
    assert len(s.sessions("ana")) == 1 and len(s.sessions("ben")) == 2
    first = s.sessions("ben")[0].id
    assert s.delete_session(first) and len(s.sessions("ben")) == 1
    s.record_stall_answers("ana", "flexion", {"shoes": True})
    assert s.delete_person("ana")
    assert s.sessions("ana") == [] and [p.name for p in s.people()] == ["ben"]
    # cascades: no orphan rows
    assert count(s, "SELECT count(*) FROM trials t LEFT JOIN sessions s ON "
                    "t.session_id = s.id WHERE s.id IS NULL") == 0
    assert count(s, "SELECT count(*) FROM stall_answers") == 0
    assert count(s, "SELECT count(*) FROM trials") == 6


def test_migrate_from_the_first_schema(db_url):
    old = Store(db_url, migrate=False)
    cfg = alembic_config(old.engine)
    with old.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
    assert old.revision() == "0001"
    with old.engine.begin() as c:
        tables = set(sa.inspect(c).get_table_names())
        assert "stall_answers" not in tables and "sessions" in tables
        pid = insert(c, "people", name="old", created_at=datetime(2026, 1, 1))
        insert(c, "sessions", person_id=pid, started_at=datetime(2026, 1, 2, 10), screening={},
               assessment={}, notes="kept", software_version="0.0.1", model_sha256="")
    old.close()
    new = Store(db_url)  # migrates to head on open
    assert new.revision() == head_revision()
    assert new.sessions("old")[0].notes == "kept"
    new.record_stall_answers("old", "flexion", {"walking": False})
    assert new.stall_answers("old")[0].answers == {"walking": False}


def test_a_row_stored_before_schema_versions_still_loads(db_url, tmp_path):
    """A session written at revision 0002 (no schema_version column), its assessment JSON as the
    code before typed reading wrote it (here even without the inner schema_version)."""
    old = Store(db_url, migrate=False)
    old.migrate("0002")
    prof, scr = Profile(age=40), Screening(pain_before=5, pain_limited=("extension",))
    trials = restricted_set()
    a = assess(prof, scr, trials, now=NOW)
    stored = {k: v for k, v in a.to_dict().items() if k != "schema_version"}
    with old.engine.begin() as c:
        pid = insert(c, "people", name="old", created_at=datetime(2026, 1, 1))
        sid = insert(c, "sessions", person_id=pid, started_at=datetime(2026, 1, 2, 10),
                     pain_before=5, screening=json.loads(json.dumps(json_safe(asdict(scr)))),
                     assessment=stored, notes="", software_version="0.0.1", model_sha256="")
        insert(c, "trials", session_id=sid, movement="flexion", protocol="side:v1",
               value_deg=40.0, uncertainty_deg=3.0, status="ok", decision="restricted",
               flags=[{"code": "knees_bent", "message": "knees bent", "blocking": False}],
               result={"posture": {"pelvic_obliquity_deg": 6.5, "forward_head_deg": None}},
               series=b"", software_version="0.0.1", model_sha256="")
    old.close()
    new = Store(db_url)
    assert new.revision() == head_revision()
    row = new.sessions("old")[0]
    assert row.schema_version == 1
    back = row.read_assessment()
    assert back.to_dict() == a.to_dict()
    assert [d.status for d in back.decisions][:2] == ["restricted", "pain-limited"]
    assert row.read_screening() == scr
    assert row.trials[0].read_flags()[0].code == "knees_bent"
    posture = row.trials[0].read_posture()
    assert posture.pelvic_obliquity_deg == 6.5 and math.isnan(posture.forward_head_deg)
    (p,) = points_from_sessions([row], "flexion")
    # the goal's target: the lower reference limit (issue 26)
    assert p.value == 40.0 and p.norm == pytest.approx(a.decisions[0].threshold_deg, abs=1e-3)
    sid = save(new, "old", when=NOW)  # new rows carry the version
    assert new.get_session(sid).schema_version == SCHEMA_VERSION
    pdf = write_report(row, new.sessions("old"), tmp_path / "old.pdf")  # the PDF reads it too
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                              text=True, check=True).stdout
        assert "Forward bending (flexion)" in text and "knees bent" in text
        assert "stopped because of pain: extension" in text
    assert pdf.read_bytes()[:4] == b"%PDF"


def test_concurrent_writes_from_two_app_sessions(db_url):
    a, b = Store(db_url), Store(db_url)
    errors, ids = [], []
    lock = threading.Lock()

    def writer(store, name, n):
        try:
            for i in range(n):
                sid = save(store, name, when=NOW + timedelta(hours=i), trials=restricted_set()[:2])
                with lock:
                    ids.append(sid)
        except Exception as exc:  # pragma: no cover - the assertion below reports it
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(a, "ana", 15)),
               threading.Thread(target=writer, args=(b, "ben", 15))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(set(ids)) == 30
    c = Store(db_url)
    assert len(c.sessions("ana")) == 15 and len(c.sessions("ben")) == 15


def test_concurrent_first_sessions_of_the_same_new_person(db_url):
    """Two app sessions save the first session of the same new person at the same moment."""
    stores = [Store(db_url) for _ in range(4)]
    barrier = threading.Barrier(len(stores))
    errors, ids = [], []

    def writer(store, i):
        try:
            barrier.wait()
            ids.append(save(store, "kim", when=NOW + timedelta(minutes=i),
                            trials=restricted_set()[:1]))
        except Exception as exc:  # pragma: no cover - the assertion below reports it
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(s, i)) for i, s in enumerate(stores)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert [p.name for p in stores[0].people()] == ["kim"]
    assert sorted(s.id for s in stores[0].sessions("kim")) == sorted(ids) and len(ids) == 4
    for s in stores:
        s.close()


WRITER = textwrap.dedent("""
    import sys
    from datetime import datetime, timedelta
    from lumbar_rom.clinical.engine import Profile, Screening, assess
    from lumbar_rom.history.store import Store
    from tests.fixtures.clinical import restricted_set
    store = Store(sys.argv[1])
    trials = restricted_set()
    prof, scr = Profile(age=40), Screening(pain_before=3)
    a = assess(prof, scr, trials, now=datetime(2026, 11, 25))
    for i in range(100000):
        sid = store.save_session("kim", prof, scr, trials, a,
                                 started_at=datetime(2026, 1, 1) + timedelta(minutes=i))
        print(sid, flush=True)
""")


def test_writer_killed_mid_save_loses_no_committed_session(db_url):
    db = db_url
    Store(db).close()
    proc = subprocess.Popen([sys.executable, "-c", WRITER, db], cwd=ROOT,
                            stdout=subprocess.PIPE, text=True,
                            env={**os.environ,
                                 "PYTHONPATH": os.pathsep.join((str(ROOT / "src"), str(ROOT)))})
    committed: list[int] = []
    deadline = time.time() + 60
    while len(committed) < 25 and time.time() < deadline:
        line = proc.stdout.readline()
        if line.strip():
            committed.append(int(line))
    time.sleep(0.037)  # land somewhere inside a later save
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    rest = proc.stdout.read().split()
    committed += [int(x) for x in rest]
    assert len(committed) >= 25
    if (path := sqlite_file(db)) is not None:
        with sqlite3.connect(path) as c:
            assert c.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    store = Store(db)
    stored = {s.id for s in store.sessions("kim")}
    assert set(committed) <= stored
    assert all(len(s.trials) == 6 for s in store.sessions("kim"))  # no half-written session
    save(store, "kim", when=NOW)  # and it is writable again
