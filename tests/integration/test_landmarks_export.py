"""`lumbar-rom landmarks` exports left and right as the analysis sees them (issue 28 item 7): on
the Pose2Sim demo's cameras (the `pose2sim` fixture of tests/integration/test_pose2sim_swaps.py)
the exported hips and shoulders are labelled as the 4-camera reference in every frame."""

import json

import pytest
from typer.testing import CliRunner

from lumbar_rom.cli import app
from lumbar_rom.pose.sequence import PoseSequence
from tests.integration.test_pose2sim_swaps import PAIRS, crossed_frames, reference_points

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("cam", ["01", "03"])
def test_exported_landmarks_have_no_left_right_swap(pose2sim, tmp_path, cam):
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["landmarks", str(pose2sim / f"balancing_cam{cam}.mp4"),
                                      "-o", str(out), "--no-annotate"])
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "landmarks.json").read_text())
    assert summary["left_right"].startswith("repaired")
    seq = PoseSequence.load(out / "landmarks.csv")
    ref = reference_points(pose2sim, cam, [n for p in PAIRS for n in p[:2]])
    assert crossed_frames(seq.image, ref) == {p[0]: 0 for p in PAIRS}
    print(f"cam{cam}: {summary['lr_swaps_repaired']} frames repaired")
