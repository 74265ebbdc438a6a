"""`lumbar-rom users ...` (the Typer sub-app the CLI mounts as `users`)."""

import pytest
from typer.testing import CliRunner

from lumbar_rom.cli_users import users_app
from lumbar_rom.history.accounts import authenticate
from lumbar_rom.history.store import Store

runner = CliRunner()
PASSWORD = "a long enough password"


@pytest.fixture
def db(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'h.db'}"
    monkeypatch.setenv("LUMBAR_ROM_DB", url)
    return url


def test_add_the_first_clinician_with_a_hidden_confirmed_password(db):
    result = runner.invoke(users_app, ["add", "dr_lee", "--role", "clinician"],
                           input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "account dr_lee (clinician) added" in result.output
    assert PASSWORD not in result.output  # hidden input is not echoed
    assert authenticate(Store(db), "dr_lee", PASSWORD).role == "clinician"
    listed = runner.invoke(users_app, ["list"])
    assert listed.output.split() == ["dr_lee", "clinician"]


def test_patient_assign_and_audit(db):
    for args in (["add", "dr_lee", "--role", "clinician"],
                 ["add", "ana", "--role", "patient", "--person", "Ana Lopez"]):
        r = runner.invoke(users_app, [*args, "--password-stdin"], input=PASSWORD + "\n")
        assert r.exit_code == 0, r.output
    r = runner.invoke(users_app, ["assign", "dr_lee", "Ana Lopez"])
    assert r.exit_code == 0 and "Ana Lopez assigned to dr_lee" in r.output
    audit = runner.invoke(users_app, ["audit"]).output
    assert "dr_lee  account created" in audit and "dr_lee  assigned  Ana Lopez" in audit


@pytest.mark.parametrize(("args", "stdin", "message"), [
    (["add", "x", "--role", "clinician", "--password-stdin"], "short\n", "at least 10"),
    (["add", "x", "--role", "admin", "--password-stdin"], PASSWORD + "\n", "does not exist"),
    (["assign", "nobody", "Ana"], "", "no clinician account"),
])
def test_bad_requests_are_one_sentence(db, args, stdin, message):
    r = runner.invoke(users_app, args, input=stdin)
    assert r.exit_code == 1 and message in r.output and "Traceback" not in r.output
    assert len(r.stderr.strip().splitlines()) == 1
