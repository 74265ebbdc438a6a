"""One profile, validated once (issue 27): the Profile checks itself, and the CLI refuses what
the app refuses, with one sentence, before anything is stored."""

from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lumbar_rom.cli import app
from lumbar_rom.clinical.engine import Screening
from lumbar_rom.clinical.profile import SEXES, Profile
from lumbar_rom.inputs import InputError

VIDEO = Path(__file__).resolve().parents[2] / "sample_videos" / "flexion.mp4"


@pytest.mark.parametrize("kwargs, words", [
    ({"sex": "banana"}, "Sex must be female, male or other"),
    ({"age": 7}, "Age must be between 16 and 100"),
    ({"age": float("nan")}, "Age must be between 16 and 100"),
    ({"height_cm": 20}, "Height must be between 120 and 220"),
    ({"injury": datetime.now() + timedelta(days=2)}, "is in the future"),
])
def test_a_wrong_value_is_one_sentence(kwargs, words):
    with pytest.raises(InputError) as err:
        Profile(**kwargs)
    assert words in str(err.value)
    assert str(err.value).count(". ") == 0 and str(err.value).endswith(".")


def test_good_values_are_kept_and_other_is_the_apps_choice():
    p = Profile(age=40, sex="Other", height_cm=170, injury=date(2020, 1, 2))
    assert p.age == 40.0 and p.height_cm == 170.0 and p.sex == SEXES[2]
    assert p.injury == datetime(2020, 1, 2)
    assert Profile().sex is None and Profile().injury is None


def test_pain_outside_0_to_10_is_refused_by_the_screening():
    with pytest.raises(InputError):
        Screening(pain_before=11)
    with pytest.raises(InputError):
        Screening(pain_before=3, pain_after=-1)
    assert Screening(pain_before=3.0).pain_before == 3


@pytest.mark.parametrize("args, words", [
    (["--sex", "banana"], "Sex must be female, male or other, not 'banana'."),
    (["--injury-date", "2099-01-01"], "The injury date 2099-01-01 00:00 is in the future"),
])
def test_the_cli_refuses_a_bad_profile_and_stores_nothing(tmp_path, monkeypatch, args, words):
    db = tmp_path / "h.db"
    monkeypatch.setenv("LUMBAR_ROM_DB", f"sqlite:///{db}")
    res = CliRunner().invoke(app, ["assess", str(VIDEO), "--person", "kim", *args])
    assert res.exit_code == 1
    assert words in res.output and "Traceback" not in res.output
    assert len(res.stderr.strip().splitlines()) == 1
    assert not db.exists()  # nothing stored: the store is not even opened


def test_the_cli_records_factor_answers_and_pain_limited_motions(tmp_path):
    res = CliRunner().invoke(app, ["assess", str(VIDEO), "--factor", "nonsense=yes"])
    assert res.exit_code == 1 and "--factor 'nonsense=yes'" in res.output
    res = CliRunner().invoke(app, ["assess", str(VIDEO), "--pain-limited", "flexionx"])
    assert res.exit_code == 1 and "--pain-limited takes a movement" in res.output


def test_the_batch_manifest_checks_height_with_the_same_profile(tmp_path):
    from lumbar_rom.batch import read_manifest
    from lumbar_rom.errors import LumbarRomError

    manifest = tmp_path / "m.csv"
    manifest.write_text("path,height_cm\na.mp4,20\n")
    with pytest.raises(LumbarRomError) as err:
        read_manifest(manifest)
    assert str(err.value) == ("Line 2 of m.csv: Height must be between 120 and 220 cm; 20.0 was "
                              "given.")
    manifest.write_text("path,height_cm\na.mp4,172\n")
    assert read_manifest(manifest)[0].height_cm == 172.0
