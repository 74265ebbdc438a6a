"""The Progress page's strength goal line honours the same age limit as the engine's strength
goals (issue 27 item 4: "goals not beyond the data for that age"): the endurance norms come from
young adults (endurance.toml [norms_population] max_age), so past that age no goal line is drawn
and the line says why; up to it, the goal line is the one before."""

import tomllib
from datetime import date, datetime, timedelta
from importlib import resources

from lumbar_rom.clinical.engine import strength_goals
from lumbar_rom.history.progress import HoldPoint, strength_progress, strength_text

T0 = datetime(2026, 10, 1, 9)
ENDURANCE = tomllib.loads(resources.files("lumbar_rom.clinical.data").joinpath(
    "endurance.toml").read_text())
MAX_AGE = float(ENDURANCE["norms_population"]["max_age"])
FEMALE_EXTENSOR = float(ENDURANCE["norms"]["extensor-hold"]["female"]["mean_s"])


def hp(day, held):
    return HoldPoint(T0 + timedelta(days=day), "extensor-hold", held, 1.0, "posture_dropped")


def test_no_strength_goal_line_past_the_norms_age_group():
    pts = [hp(0, 65), hp(30, 150)]
    old = strength_progress("extensor-hold", pts, "female", age=MAX_AGE + 32)
    assert old.status == "no goal" and old.beyond_age and old.start is None
    text = strength_text(old)
    assert f"no goal: the norms come from young healthy adults up to {MAX_AGE:.0f}" in text
    assert "goal line" not in text and f"norm {FEMALE_EXTENSOR:.0f} s" not in text
    # the engine sets no goal at that age either: the page and the goals agree
    assert strength_goals({"extensor-hold": 65.0}, "female", date(2026, 10, 1),
                          MAX_AGE + 32) == []


def test_within_the_age_group_the_goal_line_stands():
    pts = [hp(0, 65), hp(30, 150)]
    # the line at day 30: 65 + 0.75 * (norm - 65) (the founding document's schedule)
    line = 65 + 0.75 * (FEMALE_EXTENSOR - 65)
    for age in (MAX_AGE, None):
        prog = strength_progress("extensor-hold", pts, "female", age=age)
        assert not prog.beyond_age and prog.target == FEMALE_EXTENSOR
        assert prog.goal_at(pts[-1].when) == line
        assert prog.status == ("behind" if line > 150 + 1.0 else "on track")
        assert f"goal line {line:.0f} s" in strength_text(prog)
    assert strength_goals({"extensor-hold": 65.0}, "female", date(2026, 10, 1), MAX_AGE)


def test_cli_history_gives_a_72_year_old_no_strength_goal(tmp_path, monkeypatch):
    import numpy as np
    from typer.testing import CliRunner

    from lumbar_rom.assessment.hold import HoldResult
    from lumbar_rom.cli import app
    from lumbar_rom.clinical.engine import Profile, Screening, assess
    from lumbar_rom.history.store import Store
    from tests.fixtures.clinical import trial

    url = f"sqlite:///{tmp_path / 'h.db'}"
    monkeypatch.setenv("LUMBAR_ROM_DB", url)
    s = Store(url)
    prof, scr = Profile(age=72, sex="female"), Screening()
    trials = [trial("flexion", 60.0, 3)]
    s.save_session("ada", prof, scr, trials, assess(prof, scr, trials), started_at=T0)
    nan, empty = float("nan"), np.zeros(0)
    for day, held in ((0, 7.0), (30, 20.0)):
        s.save_hold("ada", HoldResult("extensor-hold", held, 1.0, 1.0, 1.0 + held,
                                      "posture_dropped", nan, nan, nan, nan, empty, empty),
                    when=T0 + timedelta(days=day))
    s.close()
    res = CliRunner().invoke(app, ["history", "--person", "ada"])
    assert res.exit_code == 0, res.output
    line = next(x for x in res.output.splitlines() if x.startswith("strength: Extensor"))
    assert "no goal: the norms come from young healthy adults up to 40" in line
    assert line.endswith(": no goal") and "goal line" not in line
