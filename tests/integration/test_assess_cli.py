"""`lumbar-rom assess` on the sample videos prints a summary a physiotherapist can follow."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lumbar_rom.cli import app

pytestmark = pytest.mark.slow
SAMPLES = Path(__file__).resolve().parents[2] / "sample_videos"


def test_assess_prints_values_norms_decisions_muscles_and_stretches(tmp_path):
    out = tmp_path / "a.json"
    result = CliRunner().invoke(app, [
        "assess", str(SAMPLES / "flexion-restricted.mp4"), str(SAMPLES / "side-bend-left.mp4"),
        "--age", "40", "--pain", "3", "--json", str(out)])
    assert result.exit_code == 0, result.output
    text = result.output
    assert "Forward bending (flexion)" in text and "RESTRICTED" in text
    assert "Side bending to the left" in text and "NORMAL" in text
    assert "+/-" in text and "S11" in text and "S23" in text  # uncertainty, norm and MDC sources
    assert "erector spinae" in text and "Knees to chest" in text
    assert "Standing side bend" not in text  # the side bend is normal: never stretched
    data = json.loads(out.read_text())
    assert data["schema_version"] == 1 and data["status"] == "complete"


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
