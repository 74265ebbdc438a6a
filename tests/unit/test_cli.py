from pathlib import Path

import pytest
from typer.testing import CliRunner

from lumbar_rom.cli import app

runner = CliRunner()


@pytest.mark.parametrize("cmd", [[], ["info"], ["landmarks"]])
def test_help(cmd):
    result = runner.invoke(app, [*cmd, "--help"])
    assert result.exit_code == 0
    assert "Usage" in result.output


def test_info_reports_verified_model():
    result = runner.invoke(app, ["info"])
    assert result.exit_code == 0, result.output
    assert "checksum    verified" in result.output


def test_info_with_corrupt_model_fails_with_one_sentence(tmp_path):
    bad = tmp_path / "pose_landmarker_full.task"
    bad.write_bytes(b"not a model")
    result = runner.invoke(app, ["info", "--model", str(bad)])
    assert result.exit_code == 1
    assert "corrupt" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize(("make", "message"), [
    (lambda p: p / "missing.mp4", "does not exist"),
    (lambda p: p, "is a folder"),
    (lambda p: (p / "x.mp4").write_text("not video") and p / "x.mp4", "not a video file"),
])
def test_landmarks_bad_input_is_one_sentence_and_nonzero(tmp_path, make, message):
    target = make(tmp_path)
    result = runner.invoke(app, ["landmarks", str(target), "-o", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_landmarks_rejects_unknown_format(tmp_path):
    result = runner.invoke(app, ["landmarks", "x.mp4", "--format", "xlsx"])
    assert result.exit_code == 1
    assert "--format" in result.output


def test_movement_choices_come_from_the_protocol_file():
    from lumbar_rom.cli import MOVEMENT_CHOICES
    from lumbar_rom.data import load_toml

    expected = ("auto", *load_toml("protocol.toml")["movements"])
    assert expected == MOVEMENT_CHOICES


def test_analyze_rejects_an_unknown_movement_in_one_sentence(tmp_path):
    result = runner.invoke(app, ["analyze", "x.mp4", "-m", "twist", "-o", str(tmp_path)])
    assert result.exit_code == 1
    assert ("--movement must be one of auto, flexion, extension, side-bend-left, "
            "side-bend-right, rotation-left, rotation-right, extensor-hold, side-plank-left, "
            "side-plank-right, flexor-hold.") in result.output
    assert "Traceback" not in result.output


def _modules_after(args: list[str], tmp_path) -> set[str]:
    """The heavy modules imported by a fresh interpreter that runs the CLI with ``args``."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    import lumbar_rom

    code = (
        "import json, sys\n"
        "from typer.testing import CliRunner\n"
        "from lumbar_rom.cli import app\n"
        f"r = CliRunner().invoke(app, {args!r})\n"
        "heavy = ('mediapipe', 'cv2', 'av', 'sqlalchemy', 'scipy', 'matplotlib', "
        "'lumbar_rom.pipeline', 'lumbar_rom.pose.estimator')\n"
        "print(json.dumps([r.exit_code, [m for m in heavy if m in sys.modules]]))\n")
    env = {**os.environ, "PYTHONPATH": str(Path(lumbar_rom.__file__).resolve().parents[1])}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         cwd=tmp_path, check=True).stdout
    code_, mods = json.loads(out.strip().splitlines()[-1])
    return {"exit", str(code_)} | set(mods)


@pytest.mark.parametrize("args", [
    ["--help"], ["analyze", "--help"],
    ["analyze", "missing.mp4"], ["landmarks", "missing.mp4"], ["assess", "missing.mp4"],
    ["assess", "x.mp4:twist"], ["analyze", "x.mp4", "-m", "twist"],
    ["analyze", "missing.mp4", "-m", "extensor-hold"], ["pain", "--help"],
])
def test_help_and_bad_input_do_not_import_mediapipe_opencv_or_the_pipeline(tmp_path, args):
    mods = _modules_after(args, tmp_path)
    assert mods - {"exit", "0", "1", "2"} == set(), mods


def test_a_colon_in_an_existing_file_name_is_part_of_the_path(tmp_path, monkeypatch):
    from lumbar_rom.cli import _parse_clip

    monkeypatch.chdir(tmp_path)
    (tmp_path / "take:flexion").write_bytes(b"\0")
    assert _parse_clip("take:flexion") == (Path("take:flexion"), "auto")
    path, spec = _parse_clip("a/b.mp4:rotation-left")
    assert path == Path("a/b.mp4") and spec.id == "rotation-left"
    assert _parse_clip("c:/videos/x.mp4") == (Path("c:/videos/x.mp4"), "auto")


def test_unknown_red_flag_id_is_refused_before_measuring(tmp_path):
    """An old or mistyped id (``trauma`` was split into single-condition questions) must not be
    silently ignored: the screening would then pass a person it should stop."""
    video = Path(__file__).resolve().parents[2] / "sample_videos" / "flexion.mp4"
    res = CliRunner().invoke(app, ["assess", str(video), "--age", "40", "--red-flag", "trauma"])
    assert res.exit_code == 1
    assert "Unknown red-flag id 'trauma'" in res.output and "Traceback" not in res.output


def test_mirrored_flag_reaches_the_analysis(monkeypatch, tmp_path):
    """``--mirrored`` (front-camera clips) is passed to the pipeline by analyze and assess."""
    import lumbar_rom.pipeline as pipeline

    seen = []

    def fake(path, movement="auto", **kw):
        seen.append(kw.get("mirrored"))
        raise pipeline.NoPersonError("No person was found in x.mp4; film the whole body.")

    monkeypatch.setattr(pipeline, "analyze_video", fake)
    video = str(Path(__file__).resolve().parents[2] / "sample_videos" / "side-bend-left.mp4")
    r1 = CliRunner().invoke(app, ["analyze", video, "--mirrored", "-o", str(tmp_path / "o")])
    r2 = CliRunner().invoke(app, ["assess", video, "--mirrored", "--age", "40"])
    r3 = CliRunner().invoke(app, ["analyze", video, "-o", str(tmp_path / "p")])
    assert (r1.exit_code, r2.exit_code, r3.exit_code) == (1, 1, 1)
    assert seen == [True, True, False]
