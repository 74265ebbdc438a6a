"""`lumbar-rom assess` on the sample videos prints a summary a physiotherapist can follow."""

import json
from pathlib import Path
from statistics import NormalDist

import pytest
from typer.testing import CliRunner

from lumbar_rom.cli import app
from lumbar_rom.clinical import knowledge as K

pytestmark = pytest.mark.slow
SAMPLES = Path(__file__).resolve().parents[2] / "sample_videos"


def test_assess_prints_values_norms_decisions_muscles_and_stretches(tmp_path):
    out = tmp_path / "a.json"
    result = CliRunner().invoke(app, [
        "assess", str(SAMPLES / "flexion-restricted.mp4"), str(SAMPLES / "side-bend-left.mp4"),
        "--age", "40", "--pain", "3", "--json", str(out)])
    assert result.exit_code == 0, result.output
    text = result.output
    data = json.loads(out.read_text())
    assert data["schema_version"] == 1 and data["status"] == "complete"
    dec = {d["movement"]: d for d in data["decisions"]}
    assert "Forward bending (flexion)" in text and "RESTRICTED" in text
    assert dec["flexion"]["status"] == "restricted"
    # the side bend's decision is the one the reference gives for its own measured band
    side = dec["side-bend-left"]
    raw = K.raw("norms")["motions"]["side-bend-left"]  # age 40: within the sample's ages
    lower = NormalDist(raw["mean_deg"], raw["sd_deg"]).inv_cdf(0.05)
    v, u = side["value_deg"], side["uncertainty_deg"]
    want = "restricted" if v + u < lower else "borderline" if v - u < lower else "normal"
    assert side["status"] == want and want.upper() in text
    assert "+/-" in text and "S301" in text  # uncertainty and the reference's source
    assert "centile for a 40-year-old" in text and side["centile_text"] in text
    assert "erector spinae" in text and "Knees to chest" in text
    if want == "normal":
        assert "Standing side bend" not in text  # a normal side bend is never stretched


def test_assess_stops_on_a_red_flag_without_measuring(tmp_path):
    result = CliRunner().invoke(app, ["assess", str(SAMPLES / "flexion.mp4"),
                                      "--red-flag", "saddle_numbness"])
    assert result.exit_code == 0
    assert "NO MEASUREMENT: STOPPED BY THE SAFETY QUESTIONS" in result.output
    assert "STRETCH PLAN" not in result.output


def test_assess_recent_injury(tmp_path):
    from datetime import datetime, timedelta

    when = (datetime.now() - timedelta(hours=5)).isoformat(timespec="minutes")
    result = CliRunner().invoke(app, ["assess", str(SAMPLES / "flexion.mp4"), "--injury-date",
                                      when])
    assert "72 hours" in result.output and "Re-test after" in result.output
    assert "STRETCH PLAN" not in result.output


def test_assess_bad_injury_date():
    result = CliRunner().invoke(app, ["assess", "x.mp4", "--injury-date", "last tuesday"])
    assert result.exit_code == 1 and "YYYY-MM-DD" in result.output


def test_a_75_year_olds_extension_is_not_above_normal_and_slr_30_keeps_hamstrings_possible(
        tmp_path):
    out = tmp_path / "a.json"
    result = CliRunner().invoke(app, [
        "assess", str(SAMPLES / "extension.mp4"), str(SAMPLES / "flexion-restricted.mp4"),
        "--age", "75", "--sex", "female", "--slr", "30", "--json", str(out)])
    assert result.exit_code == 0, result.output
    text = result.output
    data = json.loads(out.read_text())
    ext = next(d for d in data["decisions"] if d["movement"] == "extension")
    assert 18 < ext["value_deg"] < 28  # the sample's 22 deg (truth 22.3)
    assert ext["status"] not in ("above normal", "more than typical")
    assert "ABOVE NORMAL" not in text and "hypermobile" not in text.lower()
    assert "centile for a 75-year-old woman" in text
    ham = next(m for m in data["muscles"] if m["muscle"] == "hamstrings")
    assert ham["status"] == "possible" and "pain in your leg" in ham["reason"]
    # not stretched before "did it bring on pain in the leg?" is answered
    assert ham["stretch"] is False and "Hamstring stretch on a step" not in text
    assert "full effort" not in text


def test_no_age_gives_no_restriction_decision_and_says_why(tmp_path):
    result = CliRunner().invoke(app, ["assess", str(SAMPLES / "flexion-restricted.mp4")])
    assert result.exit_code == 0, result.output
    assert "NO DECISION" in result.output and "RESTRICTED" not in result.output
    assert "--age" in result.output and "STRETCH PLAN" not in result.output


def test_pain_limited_motion_gets_no_stretch(tmp_path):
    result = CliRunner().invoke(app, ["assess", str(SAMPLES / "flexion-restricted.mp4"),
                                      "--age", "40", "--pain-limited", "flexion"])
    assert result.exit_code == 0, result.output
    text = result.output
    assert "PAIN-LIMITED" in text and "STRETCH PLAN" not in text
    assert "Knees to chest" not in text and "gently" in text and "assessed" in text
    bad = CliRunner().invoke(app, ["assess", str(SAMPLES / "flexion.mp4"), "--leg-pain", "toes"])
    assert bad.exit_code == 1 and "--leg-pain takes a movement" in bad.output
