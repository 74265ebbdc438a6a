"""`lumbar-rom history` shows strength (the endurance holds against their goals) and pain (the
goal's status from the diary and sessions, each motion's pain answers, the stall items)."""

from datetime import datetime, timedelta

import numpy as np
import pytest
from typer.testing import CliRunner

from lumbar_rom.assessment.hold import HoldResult
from lumbar_rom.cli import app
from lumbar_rom.clinical.engine import Profile, Screening, assess
from lumbar_rom.history.pain import TrialPain
from lumbar_rom.history.store import Store
from tests.fixtures.clinical import trial

runner = CliRunner()


def hold(test, held, reason="posture_dropped"):
    nan, empty = float("nan"), np.zeros(0)
    return HoldResult(test, held, 1.0, 1.0, 1.0 + held, reason, nan, nan, nan, nan, empty, empty)


@pytest.fixture
def store(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'h.db'}"
    monkeypatch.setenv("LUMBAR_ROM_DB", url)
    s = Store(url)
    yield s
    s.close()


def test_history_shows_strength_and_pain(store):
    t0 = datetime.now() - timedelta(days=35)
    prof = Profile(age=40, sex="female")
    for day, nrs in ((0, 4), (33, 5)):
        trials = [trial("flexion", 40.0 + day / 10, 3)]
        scr = Screening(pain_before=nrs)
        when = t0 + timedelta(days=day)
        store.save_session("ana", prof, scr, trials, assess(prof, scr, trials, now=when),
                           started_at=when,
                           trial_pain={"flexion": TrialPain(True, ("leg",), "pain")})
    store.save_hold("ana", hold("extensor-hold", 30.0), when=t0 + timedelta(days=1))
    store.save_hold("ana", hold("extensor-hold", 35.0), when=t0 + timedelta(days=32))
    store.save_hold("ana", hold("flexor-hold", float("nan"), "never_in_position"),
                    when=t0 + timedelta(days=32))
    store.add_pain("ana", 7, when=t0 + timedelta(days=34))
    res = runner.invoke(app, ["history", "--person", "ana"])
    assert res.exit_code == 0, res.output
    out = res.output
    assert "extensor-hold  35.0 s  (posture_dropped)" in out
    assert "flexor-hold  not timed  (never_in_position)" in out
    assert "strength: Extensor hold (Biering-Sorensen): latest 35 s ± 1.0" in out
    assert "norm 185 s): behind" in out
    assert "strength: Trunk flexor hold at 60 deg: not timed yet" in out
    assert "flexion: Pain with this motion: hurt in 2 of 2" in out and "(Leg)" in out
    assert "pain goal (long-standing, 1 diary entry): behind; latest 7/10" in out
    assert "stall checklist: Your trunk endurance lags behind: Extensor hold" in out
    assert "stall checklist: Pain is not improving as expected" in out
    people = runner.invoke(app, ["history"]).output
    assert "ana: 2 session(s), 3 hold(s), 1 pain-diary entr(ies)" in people


def test_history_of_a_person_with_a_pain_diary_only(store):
    store.add_pain("bo", 3, when=datetime(2026, 11, 1, 9))
    res = runner.invoke(app, ["history", "--person", "bo"])
    assert res.exit_code == 0, res.output
    assert ("pain goal (long-standing, 1 diary entry): on track; latest 3/10 on 2026-11-01"
            in res.output)
    assert "strength:" not in res.output
    missing = runner.invoke(app, ["history", "--person", "nobody"])
    assert missing.exit_code == 1 and "No sessions stored for 'nobody'" in missing.output
