"""Clinic mode at the store layer, on SQLite and PostgreSQL: argon2 accounts, every query scoped by
the signed-in account, the audit log (issue 13 item 1)."""

import pytest
import sqlalchemy as sa

from lumbar_rom.errors import LumbarRomError
from lumbar_rom.history.accounts import (
    AccessError,
    AccountError,
    ScopedStore,
    add_account,
    assign,
    audit_log,
    authenticate,
    mode,
)
from lumbar_rom.history.store import Store
from tests.fixtures.history import NOW, save

PASSWORD = "correct horse battery"


@pytest.fixture
def clinic(db_url):
    """Two clinicians, two patients (ana of dr_a, ben of dr_b), one session each."""
    store = Store(db_url)
    for name in ("dr_a", "dr_b"):
        add_account(store, name, PASSWORD, "clinician")
    add_account(store, "ana", PASSWORD, "patient", person="Ana Lopez")
    add_account(store, "ben", PASSWORD, "patient", person="Ben Okafor")
    assign(store, "dr_a", "Ana Lopez")
    assign(store, "dr_b", "Ben Okafor")
    ids = {"Ana Lopez": save(store, "Ana Lopez"), "Ben Okafor": save(store, "Ben Okafor")}
    yield store, ids
    store.close()


def signed_in(store, username):
    acc = authenticate(store, username, PASSWORD)
    assert acc is not None
    return store.for_account(acc)


def test_passwords_are_argon2_hashes_and_a_wrong_one_signs_nobody_in(clinic):
    store, _ = clinic
    assert authenticate(store, "ana", "wrong password!") is None
    assert authenticate(store, "nobody", PASSWORD) is None
    assert authenticate(store, "ana", PASSWORD).role == "patient"
    with store.engine.connect() as c:
        hashes = [r[0] for r in c.execute(sa.text("SELECT password_hash FROM accounts"))]
    assert len(hashes) == 4 and all(h.startswith("$argon2id$") for h in hashes)
    assert all(PASSWORD not in h for h in hashes)
    actions = [(e.username, e.action) for e in audit_log(store)]
    assert ("ana", "sign-in failed") in actions and ("nobody", "sign-in failed") in actions
    assert ("ana", "signed in") in actions


@pytest.mark.parametrize(("username", "password", "role", "person", "message"), [
    ("dr_a", PASSWORD, "clinician", None, "taken"),
    ("new", "short", "clinician", None, "at least 10 characters"),
    ("new", "", "clinician", None, "at least 10 characters"),  # no default password
    ("new", PASSWORD, "admin", None, "does not exist"),
    ("new", PASSWORD, "patient", None, "needs --person"),
    ("with space", PASSWORD, "clinician", None, "without spaces"),
])
def test_accounts_refused_in_one_sentence(clinic, username, password, role, person, message):
    store, _ = clinic
    with pytest.raises(AccountError, match=message) as err:
        add_account(store, username, password, role, person)
    assert "\n" not in str(err.value)


def test_a_patient_cannot_reach_another_patients_session_by_any_store_method(clinic):
    store, ids = clinic
    ana = signed_in(store, "ana")
    assert isinstance(ana, ScopedStore)
    ben_sid = ids["Ben Okafor"]
    # reads: another's data is answered as if it did not exist
    assert [p.name for p in ana.people()] == ["Ana Lopez"]
    assert [s.id for s in ana.sessions("Ana Lopez")] == [ids["Ana Lopez"]]
    assert ana.sessions("Ben Okafor") == []
    assert ana.get_session(ben_sid) is None
    assert ana.profile("Ben Okafor") is None
    assert ana.stall_answers("Ben Okafor") == [] and ana.maintenance("Ben Okafor") == {}
    assert ana.export_rows("Ben Okafor") == []
    assert ana.export_json("Ben Okafor")["sessions"] == []
    assert ana.export_csv("Ben Okafor").count("\n") == 1  # the header only
    assert "Ben" not in ana.export_csv("Ana Lopez")
    # writes: refused, and Ben's data is still there
    with pytest.raises(AccessError):
        ana.delete_session(ben_sid)
    with pytest.raises(AccessError):
        ana.delete_person("Ben Okafor")
    with pytest.raises(AccessError):
        ana.annotate(ben_sid, "read by Ana")
    with pytest.raises(AccessError):
        save(ana, "Ben Okafor")  # a patient saves only under their own name
    with pytest.raises(AccessError):
        save(ana, "Someone New")
    with pytest.raises(LumbarRomError, match="No person"):
        ana.record_stall_answers("Ben Okafor", "flexion", {"shoes": True})
    assert store.get_session(ben_sid) is not None and len(store.sessions("Ben Okafor")) == 1
    # and their own: readable and savable
    own = save(ana, "Ana Lopez", when=NOW.replace(day=26))
    assert [s.id for s in ana.sessions("Ana Lopez")] == [ids["Ana Lopez"], own]


def test_a_clinician_sees_only_assigned_people_and_creates_their_own(clinic):
    store, ids = clinic
    dr_a = signed_in(store, "dr_a")
    assert [p.name for p in dr_a.people()] == ["Ana Lopez"]
    assert dr_a.get_session(ids["Ben Okafor"]) is None
    assert dr_a.delete_session(ids["Ben Okafor"]) is False
    assert dr_a.delete_person("Ben Okafor") is False
    assert store.get_session(ids["Ben Okafor"]) is not None
    with pytest.raises(AccessError) as existing:
        save(dr_a, "Ben Okafor")
    with pytest.raises(AccessError) as unknown:
        save(dr_a, "Cleo New")
    # an existing patient of someone else reads exactly as a name nobody has
    assert str(existing.value).replace("Ben Okafor", "X") == \
        str(unknown.value).replace("Cleo New", "X")
    assert "not one of your patients" in str(unknown.value)
    assert [p.name for p in store.people()] == ["Ana Lopez", "Ben Okafor"]  # nobody created
    assert dr_a.annotate(ids["Ben Okafor"], "not mine") is False
    assert dr_a.annotate(ids["Ana Lopez"], "hips stiff") is True
    assert store.get_session(ids["Ana Lopez"]).notes == "hips stiff"
    assert store.get_session(ids["Ben Okafor"]).notes == "first"
    assign(store, "dr_a", "Cleo New")  # a new patient is added by whoever runs the database
    sid = save(dr_a, "Cleo New")
    assert [p.name for p in dr_a.people()] == ["Ana Lopez", "Cleo New"]
    assert signed_in(store, "dr_b").get_session(sid) is None
    assert dr_a.delete_session(sid) is True and store.get_session(sid) is None


def test_views_exports_and_deletions_are_audited(clinic):
    store, ids = clinic
    dr_a = signed_in(store, "dr_a")
    ana_sid = ids["Ana Lopez"]
    dr_a.get_session(ana_sid)
    dr_a.sessions("Ana Lopez")
    dr_a.export_csv("Ana Lopez")
    dr_a.get_session(ids["Ben Okafor"])
    dr_a.delete_session(ana_sid)
    log = [(e.username, e.action, e.person, e.session_id) for e in audit_log(store)
           if e.username == "dr_a" and e.action != "signed in"]
    assert log[-5:] == [
        ("dr_a", "viewed", "Ana Lopez", ana_sid),
        ("dr_a", "viewed", "Ana Lopez", None),
        ("dr_a", "exported", "Ana Lopez", None),
        ("dr_a", "denied", None, ids["Ben Okafor"]),
        ("dr_a", "deleted", None, ana_sid),
    ]
    assert all(e.at is not None for e in audit_log(store))


def test_a_personal_store_is_unchanged(clinic):
    store, _ = clinic  # no account: the household view sees everyone, as before
    assert [p.name for p in store.people()] == ["Ana Lopez", "Ben Okafor"]


def test_mode(monkeypatch, tmp_path):
    monkeypatch.delenv("LUMBAR_ROM_MODE", raising=False)
    monkeypatch.setenv("LUMBAR_ROM_CONFIG", str(tmp_path / "config.toml"))
    assert mode() == "personal"  # no setting, no file
    (tmp_path / "config.toml").write_text('mode = "clinic"\n')
    assert mode() == "clinic"
    monkeypatch.setenv("LUMBAR_ROM_MODE", "Personal")  # the variable wins over the file
    assert mode() == "personal"
    monkeypatch.setenv("LUMBAR_ROM_MODE", "hospital")
    with pytest.raises(LumbarRomError, match="LUMBAR_ROM_MODE is 'hospital'; set it to personal"):
        mode()
    monkeypatch.delenv("LUMBAR_ROM_MODE")
    (tmp_path / "config.toml").write_text("mode = clinic\n")
    with pytest.raises(LumbarRomError, match="cannot be read"):
        mode()
