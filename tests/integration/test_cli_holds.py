"""`lumbar-rom analyze --movement <hold>` on a rendered hold clip against its truth sidecar."""

import json
import re

import pytest
from typer.testing import CliRunner

from lumbar_rom.cli import app
from lumbar_rom.studio.holds import HoldClip, render_hold

pytestmark = pytest.mark.slow
runner = CliRunner()


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    video, sidecar = render_hold(HoldClip("extensor-hold", hold_s=4.0),
                                 tmp_path_factory.mktemp("hold"))
    return video, json.loads(sidecar.read_text())["truth"]


def test_analyze_times_a_hold_and_writes_result_json(clip, tmp_path, monkeypatch):
    monkeypatch.setenv("LUMBAR_ROM_DB", f"sqlite:///{tmp_path / 'h.db'}")
    video, truth = clip
    out = tmp_path / "out"
    res = runner.invoke(app, ["analyze", str(video), "--movement", "extensor-hold", "--sex",
                              "female", "--person", "Ann", "-o", str(out)])
    assert res.exit_code == 0, res.output
    doc = json.loads((out / "result.json").read_text())
    assert set(doc) == {"schema_version", "software", "video", "hold", "norm"}
    hold = doc["hold"]
    assert hold["test"] == "extensor-hold"
    assert hold["end_reason"] == truth["end_reason"] == "posture_dropped"
    assert abs(hold["held_s"] - truth["held_s"]) <= 1.0
    assert 0 < hold["uncertainty_s"] < 1.0
    assert doc["norm"]["sex"] == "female" and doc["norm"]["mean_s"] == 185.0
    assert doc["norm"]["z"] == pytest.approx((hold["held_s"] - 185.0) / 60.0, abs=0.01)
    assert re.search(rf"extensor-hold: held {hold['held_s']:.1f} s \+/- "
                     rf"{hold['uncertainty_s']:.1f} s; ended: the position was lost\.",
                     res.output)
    assert "norm for females: 185 s (SD 60)" in res.output
    assert "saved as hold 1 for Ann" in res.output

    from lumbar_rom.history.store import Store

    rows = Store().holds("Ann")
    assert [(r.test, r.end_reason) for r in rows] == [("extensor-hold", "posture_dropped")]
    assert rows[0].seconds == pytest.approx(hold["held_s"], abs=0.01)
