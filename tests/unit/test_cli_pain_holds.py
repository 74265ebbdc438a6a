"""The CLI's endurance-hold choices and input checks, and the `pain` sub-command."""

import pytest
from typer.testing import CliRunner

from lumbar_rom.assessment.hold import HOLD_TESTS
from lumbar_rom.cli import ANALYZE_CHOICES, HOLD_CHOICES, app

runner = CliRunner()


@pytest.fixture
def db(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'pain.db'}"
    monkeypatch.setenv("LUMBAR_ROM_DB", url)
    return url


def test_the_hold_choices_are_the_hold_tests():
    assert HOLD_CHOICES == HOLD_TESTS
    assert ANALYZE_CHOICES[-4:] == HOLD_TESTS


@pytest.mark.parametrize("args, message", [
    # the one Profile check (clinical/profile.py), as assess and the app refuse it
    (["-m", "extensor-hold", "--sex", "robot"], "Sex must be female, male or other, not "
                                                "'robot'."),
    (["-m", "side-plank-left"], "does not exist"),
    (["-m", "flexion", "--person", "Ann"], "--person saves endurance holds only"),
    (["-m", "plank"], "--movement must be one of auto, flexion"),
])
def test_bad_hold_input_is_one_sentence(tmp_path, args, message):
    res = runner.invoke(app, ["analyze", str(tmp_path / "none.mp4"), *args,
                              "-o", str(tmp_path / "o")])
    assert res.exit_code == 1
    assert message in res.output
    assert len(res.output.strip().splitlines()) == 1 and "Traceback" not in res.output


def test_pain_diary_add_and_list(db):
    assert runner.invoke(app, ["pain", "add", "--person", " Ann ", "--nrs", "6",
                               "--when", "2026-11-01T08:00"]).exit_code == 0
    res = runner.invoke(app, ["pain", "add", "--person", "Ann", "--nrs", "2", "--note",
                              "after a walk", "--when", "2026-11-20"])
    assert res.exit_code == 0 and "pain 2/10 recorded for Ann" in res.output
    res = runner.invoke(app, ["pain", "list", "--person", "Ann"])
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert lines[0] == "2026-11-01 08:00  diary    6/10"
    assert lines[1] == "2026-11-20 00:00  diary    2/10  after a walk"
    # 6 -> 2 in 19 days is ahead of the chronic milestones
    assert lines[2] == "pain goal (long-standing): on track"


@pytest.mark.parametrize("args, message", [
    (["add", "--person", "Ann", "--nrs", "11"], "Pain"),
    (["add", "--person", "Ann", "--nrs", "2.5"], "Pain must be a whole number from 0 to 10."),
    (["add", "--person", "", "--nrs", "2"], "The name is empty"),
    (["add", "--person", "Ann", "--nrs", "2", "--when", "soon"], "--when 'soon' is not a date"),
    (["list", "--person", "Nobody"], "No pain recorded for 'Nobody'"),
])
def test_bad_pain_input_is_one_sentence(db, args, message):
    res = runner.invoke(app, ["pain", *args])
    assert res.exit_code == 1
    assert message in res.output and "Traceback" not in res.output


def test_the_hold_lines_name_the_time_the_reason_and_the_norm():
    import numpy as np

    from lumbar_rom.assessment.hold import HoldResult, hold_norm
    from lumbar_rom.cli import _hold_text

    t = np.arange(3.0)
    r = HoldResult("flexor-hold", 120.0, 0.6, 1.0, 121.0, "clip_ended", 60.0, 60.0, 10.0, 0.5,
                   t, t)
    text = _hold_text(r, hold_norm(r, "male"))
    line1, line2 = text.splitlines()
    assert line1 == ("flexor-hold: held 120.0 s +/- 0.6 s; ended: the video ended while the "
                     "position was held (a lower bound).")
    # issue 27: in words, not a z-score ((120 - 136) / 66 = -0.24: within 1 SD)
    assert line2.startswith("norm for males: 136 s (SD 66): about the average for young "
                            "healthy men [S140")
    assert "z =" not in text
    never = HoldResult("flexor-hold", float("nan"), float("nan"), float("nan"), float("nan"),
                       "never_in_position", float("nan"), 60.0, 10.0, float("nan"), t, t)
    assert _hold_text(never, None) == ("flexor-hold: not timed - the test position was never "
                                      "reached.")
    assert hold_norm(never, "female").to_dict()["z"] is None  # result.json stays valid JSON
