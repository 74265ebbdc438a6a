"""`lumbar-rom analyze` on real footage (Pose2Sim static trial, a real person standing still).

Clips are made at test time from the Pose2Sim demo's static_cam01.mp4 (fetched by
`make test-data`, never committed): looped to 3 s (no repetitions), and cropped to the top third
(hips and legs out of frame).
"""

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from lumbar_rom.cli import app
from lumbar_rom.video.reader import iter_frames
from tests.fixtures.videos import make_video

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def still_clips(pose2sim, tmp_path_factory):
    frames = [f.rgb for f in iter_frames(pose2sim / "static_cam01.mp4", max_side=960)]
    loop = (frames + frames[::-1]) * 5  # ping-pong: 110 frames, a person standing still
    loop = loop[:90]
    h, w = loop[0].shape[:2]
    d = tmp_path_factory.mktemp("real")
    still = make_video(d / "still.mp4", len(loop), w, h, fps=30, frames=loop)
    cut = int(h * 0.33) // 2 * 2  # above the hips (mid-hip is at ~38 % of the height)
    top = [np.ascontiguousarray(f[:cut]) for f in loop]
    half = make_video(d / "half.mp4", len(top), w, top[0].shape[0], fps=30, frames=top)
    return {"still": still, "half": half}


def run(video, movement, out):
    result = CliRunner().invoke(app, ["analyze", str(video), "-m", movement, "-o", str(out)])
    assert result.exit_code == 0, result.output
    data = json.loads((out / "result.json").read_text())
    assert data["schema_version"] == 1
    assert (out / "angles.csv").exists() and (out / "annotated.mp4").stat().st_size > 1000
    return data["trials"][0], result.output


def codes(trial):
    return {f["code"] for f in trial["flags"] if f["blocking"]}


def test_no_valid_repetitions(still_clips, tmp_path):
    trial, out = run(still_clips["still"], "side-bend-left", tmp_path / "a")
    assert trial["status"] == "inconclusive"
    assert "no_repetitions" in codes(trial)
    assert "inconclusive" in out and "No repetition" in out


def test_wrong_view(still_clips, tmp_path):
    # the Pose2Sim camera films the person obliquely: flexion needs a side view
    trial, out = run(still_clips["still"], "flexion", tmp_path / "b")
    assert trial["status"] == "inconclusive"
    assert "wrong_view" in codes(trial)
    assert "needs a side view" in out


def test_person_half_out_of_frame(still_clips, tmp_path):
    trial, out = run(still_clips["half"], "side-bend-left", tmp_path / "c")
    assert trial["status"] == "inconclusive"
    assert "out_of_frame" in codes(trial)
    assert "out of the picture" in out
