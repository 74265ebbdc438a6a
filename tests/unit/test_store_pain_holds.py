"""Revision 0006 on SQLite and PostgreSQL: the pain diary, per-trial pain, timed holds."""

from datetime import datetime, timedelta

import numpy as np
import pytest
import sqlalchemy as sa
from alembic import command

from lumbar_rom.assessment.hold import HoldResult
from lumbar_rom.errors import LumbarRomError
from lumbar_rom.history.accounts import add_account, assign, audit_log, authenticate
from lumbar_rom.history.pain import TrialPain, pain_vocabulary
from lumbar_rom.history.store import Store, alembic_config, head_revision
from lumbar_rom.inputs import InputError
from tests.fixtures.clinical import restricted_set
from tests.fixtures.history import NOW, save


def hold(test="extensor-hold", held=62.5, unc=0.4, reason="posture_dropped"):
    t = np.arange(5.0)
    return HoldResult(test, held, unc, 1.0, 1.0 + held, reason, 0.5, 0.0, 10.0, 0.8, t, t)


def test_0006_follows_0005():
    from tests.unit.test_store_serve import revisions_in_order

    order = revisions_in_order()
    assert order.index("0006") == order.index("0005") + 1 and head_revision() in order


def test_pain_diary_round_trip_in_time_order(db_url):
    s = Store(db_url)
    s.add_pain("ana", 6, when=NOW + timedelta(days=2), note="after gardening")
    s.add_pain("ana", 7, when=NOW)
    s.add_pain("ben", 1, when=NOW)
    rows = s.pain_entries("ana")
    assert [(r.at, r.nrs, r.note) for r in rows] == [
        (NOW, 7, ""), (NOW + timedelta(days=2), 6, "after gardening")]
    assert [r.nrs for r in s.pain_entries("ben")] == [1]
    assert s.pain_entries("nobody") == []
    with pytest.raises(InputError, match="Pain"):
        s.add_pain("ana", 11)
    with pytest.raises(InputError, match="whole number"):
        s.add_pain("ana", 2.5)  # type: ignore[arg-type]
    assert len(s.pain_entries("ana")) == 2


def test_holds_round_trip(db_url):
    s = Store(db_url)
    s.save_hold("ana", hold(), when=NOW)
    s.save_hold("ana", hold("side-plank-left", float("nan"), float("nan"), "never_in_position"),
                when=NOW + timedelta(days=1))
    rows = s.holds("ana")
    assert [(r.test, r.end_reason) for r in rows] == [
        ("extensor-hold", "posture_dropped"), ("side-plank-left", "never_in_position")]
    assert rows[0].seconds == pytest.approx(62.5) and rows[0].uncertainty_s == pytest.approx(0.4)
    assert rows[0].result["held_deg"] == 0.5 and rows[0].software_version
    assert rows[1].seconds is None and rows[1].uncertainty_s is None
    with pytest.raises(LumbarRomError, match="Unknown hold test 'plank'"):
        s.save_hold("ana", hold("plank"))


def test_each_trial_keeps_whether_it_hurt_where_and_what_stopped_it(db_url):
    s = Store(db_url)
    from lumbar_rom.clinical.engine import Profile, Screening, assess

    trials = restricted_set()
    prof, scr = Profile(age=40, sex="female"), Screening(pain_before=4)
    pains = {"flexion": TrialPain(True, ("low_back_centre", "leg"), "pain", painful_arc=True),
             "extension": TrialPain(False, (), "stiffness")}
    sid = s.save_session("ana", prof, scr, trials, assess(prof, scr, trials, now=NOW),
                         started_at=NOW, trial_pain=pains)
    by = {t.movement: t for t in s.get_session(sid).trials}
    assert by["flexion"].pain == {"hurt": True, "where": ["low_back_centre", "leg"],
                                  "limited_by": "pain", "painful_arc": True}
    assert TrialPain.from_dict(by["extension"].pain) == pains["extension"]
    assert by["rotation-left"].pain is None  # not asked
    s.add_pain("ana", 3, when=NOW, note="morning")
    s.save_hold("ana", hold(), when=NOW)
    exported = s.export_json("ana")
    assert exported["pain_diary"] == [{"at": NOW.isoformat(), "nrs": 3, "note": "morning"}]
    assert exported["holds"][0]["test"] == "extensor-hold"
    assert exported["holds"][0]["seconds"] == pytest.approx(62.5)
    assert {t["movement"]: t["pain"] for t in exported["sessions"][0]["trials"]}["flexion"][
        "where"] == ["low_back_centre", "leg"]
    with pytest.raises(LumbarRomError, match="'twist', which was not measured"):
        s.save_session("ana", prof, scr, trials, assess(prof, scr, trials, now=NOW),
                       trial_pain={"twist": TrialPain(True)})
    assert len(s.sessions("ana")) == 1


def test_the_pain_vocabularies_are_data():
    v = pain_vocabulary()
    assert list(v["body_map"]) == ["low_back_centre", "low_back_left", "low_back_right",
                                   "buttock", "leg"]
    assert set(v["limited_by"]) == {"pain", "stiffness", "both", "neither"}
    from lumbar_rom.data import CLINICAL, file_problems, load_toml

    assert file_problems("pain.toml", load_toml("pain.toml", package=CLINICAL)) == []


@pytest.mark.parametrize("kwargs, message", [
    ({"hurt": True, "where": ("knee",)}, "Unknown pain region 'knee'"),
    ({"hurt": True, "limited_by": "fear"}, "Unknown limiting factor 'fear'"),
    ({"hurt": False, "where": ("leg",)}, "did not hurt"),
])
def test_a_bad_trial_pain_answer_is_one_sentence(kwargs, message):
    with pytest.raises(LumbarRomError, match=message):
        TrialPain(**kwargs)


def test_deleting_a_person_deletes_their_diary_and_holds(db_url):
    s = Store(db_url)
    save(s, "ana")
    s.add_pain("ana", 3)
    s.save_hold("ana", hold())
    s.add_pain("ben", 2)
    assert s.delete_person("ana")
    with s.engine.connect() as c:
        assert c.execute(sa.text("SELECT count(*) FROM pain_entries")).scalar() == 1
        assert c.execute(sa.text("SELECT count(*) FROM holds")).scalar() == 0


def test_migrate_0005_to_0006_keeps_trials_and_goes_back(db_url):
    old = Store(db_url, migrate=False)
    cfg = alembic_config(old.engine)
    with old.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0005")
        meta = sa.MetaData()
        meta.reflect(conn)
        pid = conn.execute(meta.tables["people"].insert().values(
            name="ana", created_at=NOW)).inserted_primary_key[0]
        sid = conn.execute(meta.tables["sessions"].insert().values(
            person_id=pid, started_at=NOW, screening={}, assessment={}, notes="",
            software_version="0.0.1", model_sha256="", schema_version=1)).inserted_primary_key[0]
        conn.execute(meta.tables["trials"].insert().values(
            session_id=sid, movement="flexion", protocol="side:v1", value_deg=40.0, status="ok",
            decision="restricted", flags=[], result={}, series=b"", software_version="",
            model_sha256=""))
    old.close()
    new = Store(db_url)
    assert new.revision() == head_revision()
    assert [(t.movement, t.pain) for t in new.get_session(sid).trials] == [("flexion", None)]
    with new.engine.begin() as conn:
        cfg = alembic_config(new.engine)
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0005")
        tables = set(sa.inspect(conn).get_table_names())
        cols = {c["name"] for c in sa.inspect(conn).get_columns("trials")}
    assert "pain_entries" not in tables and "holds" not in tables and "pain" not in cols
    again = Store(db_url)
    assert again.revision() == head_revision()
    assert again.sessions("ana")[0].trials[0].value_deg == 40.0


def test_a_patient_adds_to_their_own_diary_and_it_is_audited(db_url):
    store = Store(db_url)
    add_account(store, "ana", "correct horse battery", "patient", person="Ana Lopez")
    add_account(store, "dr_b", "correct horse battery", "clinician")
    store.person("Ben")
    acc = authenticate(store, "ana", "correct horse battery")
    view = store.for_account(acc)
    view.add_pain("Ana Lopez", 4, when=datetime(2026, 11, 2))
    view.save_hold("Ana Lopez", hold())
    assert [e.nrs for e in view.pain_entries("Ana Lopez")] == [4]
    assert view.holds("Ben") == [] and view.pain_entries("Ben") == []
    with pytest.raises(LumbarRomError):
        view.add_pain("Ben", 2)
    actions = [(e.action, e.detail) for e in audit_log(store) if e.username == "ana"]
    assert ("saved", "pain diary entry") in actions and ("saved", "hold extensor-hold") in actions
    dr_b = store.for_account(authenticate(store, "dr_b", "correct horse battery"))
    assert dr_b.pain_entries("Ana Lopez") == []
    assign(store, "dr_b", "Ana Lopez")
    assert [e.nrs for e in dr_b.pain_entries("Ana Lopez")] == [4]
