"""Issue 27 through the CLI: the screening to guideline, the adapted plan and the honest reports
of stopped and deferred sessions. The pose pipeline is replaced by hand-made trials (the
restricted set of tests/fixtures/clinical.py), so each case runs in seconds."""

import shutil
import subprocess
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from typer.testing import CliRunner

from lumbar_rom.cli import app
from lumbar_rom.clinical.knowledge import knowledge
from tests.fixtures.clinical import restricted_set

VIDEO = Path(__file__).resolve().parents[2] / "sample_videos" / "flexion.mp4"


@pytest.fixture
def measured(monkeypatch):
    """``assess`` measures the restricted set; ``calls`` counts the videos measured."""
    import lumbar_rom.pipeline as pipeline

    calls = []

    def fake(path, movement="auto", **kw):
        calls.append(path)
        return SimpleNamespace(trials=restricted_set())

    monkeypatch.setattr(pipeline, "analyze_video", fake)
    return calls


def run(*args):
    res = CliRunner().invoke(app, ["assess", str(VIDEO), "--age", "45", "--pain", "3", *args])
    assert "Traceback" not in res.output
    return res


def test_a_past_cancer_with_back_pain_stops_before_testing(measured):
    res = run("--red-flag", "cancer_history")
    assert res.exit_code == 0, res.output
    assert measured == []  # nothing measured
    assert "NO MEASUREMENT: STOPPED BY THE SAFETY QUESTIONS" in res.output
    assert "doctor or your cancer team before testing or stretching" in res.output
    assert "STRETCH PLAN" not in res.output


def test_an_ng65_positive_answer_set_gives_the_rheumatology_advice(measured):
    i = knowledge().safety.inflammatory
    yes = [*i.entry, *i.criteria[:4]]  # NG65: started < 45, > 3 months, and 4 of the 9
    res = run(*[x for q in yes for x in ("--red-flag", q)])
    assert res.exit_code == 0, res.output
    assert measured  # the screen never stops the test
    assert "rheumatologist" in res.output and "4 of its 9" in res.output
    assert "S98" in res.output
    # 2 criteria: no referral advice
    res = run(*[x for q in [*i.entry, *i.criteria[:2]] for x in ("--red-flag", q)])
    assert "rheumatologist" not in res.output


def test_osteoporosis_removes_the_end_range_flexion_stretches(measured):
    st = knowledge().stretches
    end_range = [s.name for s in st.stretches.values() if s.end_range_flexion]
    assert "Knees to chest" in end_range and "Child's pose" in end_range
    plain = run()
    assert all(name in plain.output for name in end_range)
    for flag in st.bone_health.risk:
        res = run("--red-flag", flag)
        assert res.exit_code == 0, res.output
        assert "STRETCH PLAN" in res.output
        assert not [name for name in end_range if name in res.output]
        alternatives = [s.name for s in st.stretches.values() if s.bone_alternative]
        assert alternatives and all(a in res.output for a in alternatives)
        assert "high degree of spinal flexion" in res.output and "S100" in res.output


def _pdf_text(tmp_path, monkeypatch, *args) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    monkeypatch.setenv("LUMBAR_ROM_DB", f"sqlite:///{tmp_path / 'h.db'}")
    res = run("--person", "kim", *args)
    assert res.exit_code == 0, res.output
    sid = res.output.split("saved as session ")[1].split()[0]
    pdf = tmp_path / "r.pdf"
    rep = CliRunner().invoke(app, ["report", "--session", sid, "--out", str(pdf)])
    assert rep.exit_code == 0, rep.output
    out = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                         text=True, check=True).stdout
    return " ".join(out.split())


def test_a_severe_pain_session_pdf_says_no_measurement(tmp_path, monkeypatch, measured):
    text = _pdf_text(tmp_path, monkeypatch, "--pain", "9")
    assert "No measurement: severe pain 9/10." in text
    assert "no motion is restricted" not in text and "no motion was found" not in text
    assert "Muscles" not in text and "Stretch plan" not in text
    assert measured == []


def test_an_injury_session_pdf_carries_the_re_test_date(tmp_path, monkeypatch, measured):
    when = datetime.now().replace(second=0, microsecond=0) - timedelta(hours=5)
    text = _pdf_text(tmp_path, monkeypatch, "--injury-date", when.isoformat(timespec="minutes"))
    retest = when + timedelta(hours=72)
    assert f"Deferred: injury under 72 hours, re-test after {retest:%Y-%m-%d %H:%M}." in text
    assert "no motion is restricted" not in text and "Stretch plan" not in text


def test_strength_goals_stay_within_the_age_group_of_their_norms():
    """Issue 27: a 72-year-old is not given the young students' mean as a six-week goal."""
    from datetime import date

    from lumbar_rom.assessment.hold import endurance_knowledge
    from lumbar_rom.clinical.engine import strength_goals

    k = endurance_knowledge()
    top = float(k["norms_population"]["max_age"])
    young = strength_goals({"extensor-hold": 7.0}, "male", date(2026, 12, 1), age=top)
    assert young and young[0].target == k["norms"]["extensor-hold"]["male"]["mean_s"]
    assert strength_goals({"extensor-hold": 7.0}, "male", date(2026, 12, 1), age=72) == []


def test_hold_readiness_needs_every_answer_and_any_yes_skips_the_holds():
    from lumbar_rom.clinical.engine import hold_readiness, hold_ready

    questions, not_ready, stop = hold_readiness()
    ids = [i for i, _ in questions]
    assert len(ids) == 4 and "Skip the endurance holds today" in not_ready.text
    assert "Stop the hold at once" in stop.text
    assert hold_ready({}) is None
    assert hold_ready(dict.fromkeys(ids, False)) is True
    assert hold_ready({**dict.fromkeys(ids, False), ids[1]: True}) is False
    assert hold_ready({ids[0]: False}) is None


def test_history_tells_a_stopped_session_as_such(tmp_path, monkeypatch, measured):
    monkeypatch.setenv("LUMBAR_ROM_DB", f"sqlite:///{tmp_path / 'h.db'}")
    assert run("--person", "kim", "--pain", "9").exit_code == 0
    res = CliRunner().invoke(app, ["history", "--person", "kim"])
    assert res.exit_code == 0, res.output
    assert "No measurement: severe pain 9/10." in res.output
