"""Contributing factors from the feet upwards and the keep-going plan (issue 30)."""

import math
import tomllib
from datetime import date, timedelta
from pathlib import Path

from lumbar_rom.clinical import contributing as C
from lumbar_rom.clinical import maintenance as M
from lumbar_rom.clinical.beyond_data import problems

DATA = Path(C.__file__).parent / "data"


def test_files_are_sourced():
    assert problems("contributing") == [] and problems("maintenance") == []


def test_factors_run_from_the_feet_up_with_seed_beside_guidance():
    fs = C.factors()
    assert [f.id for f in fs][:3] == ["foot_posture", "shoes", "leg_length"]
    assert {"foot_posture", "leg_length", "body_weight", "medicines", "work_posture", "sleep",
            "walking"} <= {f.id for f in fs}
    for f in fs:
        assert f.evidence in C.EVIDENCE and f.seed_says and f.guidance_says


def test_orthotics_and_rocker_soles_carry_ng59():
    by = {f.id: f for f in C.factors()}
    for k in ("foot_posture", "shoes"):
        assert by[k].evidence == "guideline advises against"
        assert "S309" in by[k].source and "NICE" in by[k].guidance_says
    assert "orthotics" in by["foot_posture"].seed_says  # the seed's advice is shown, not hidden


def test_flagged_by_answers_and_by_measured_pelvic_tilt():
    thr = tomllib.loads((DATA / "contributing.toml").read_text()
                        )["factors"]["leg_length"]["threshold_deg"]
    ids = [f.id for f in C.flagged({"sleep": True, "walking": False, "shoes": False},
                                   {"pelvic_obliquity": thr + 0.5})]
    assert ids == ["leg_length", "sleep", "walking"]  # from the feet upwards
    assert [f.id for f in C.flagged({}, {"pelvic_obliquity": thr - 0.5})] == []
    assert [f.id for f in C.flagged({}, {"pelvic_obliquity": math.nan})] == []
    assert [f.id for f in C.flagged({"walking": True})] == []


def test_maintenance_plan_dose_dates_and_activity_from_the_data():
    d = tomllib.loads((DATA / "maintenance.toml").read_text())
    reached = date(2026, 12, 7)
    plan = M.maintenance_plan(reached)
    assert plan.retest_dates == tuple(reached + timedelta(weeks=w) for w in d["retest"]["weeks"])
    assert plan.retest_dates[-1] == date(2027, 12, 6)  # 52 weeks later
    lo, hi = d["activity"]["moderate_min_per_week"]
    assert f"{lo}-{hi} minutes of moderate" in plan.activity and "S313" in plan.sources["activity"]
    assert "10-30 seconds" in plan.dose and "S70" in plan.sources["dose"]
    assert "73 %" in plan.retest and "S91" in plan.sources["retest"]
    assert "{" not in plan.dose + plan.activity + plan.retest
