import shutil
import zipfile

import pytest

from lumbar_rom.errors import ModelError
from lumbar_rom.pose.model import (
    FULL_MODEL_NAME,
    FULL_MODEL_SHA256,
    default_model_path,
    verify_model,
)


def test_bundled_model_verifies():
    check = verify_model()
    assert check.status == "verified"
    assert check.sha256 == FULL_MODEL_SHA256


def test_corrupt_model_names_the_fix(tmp_path):
    bad = tmp_path / FULL_MODEL_NAME
    shutil.copy(default_model_path(), bad)
    with bad.open("r+b") as fh:
        fh.seek(5000)
        fh.write(b"\x00\x01\x02\x03")
    with pytest.raises(ModelError, match="corrupt.*build_pose_model.py"):
        verify_model(bad)


def test_missing_model_names_the_fix(tmp_path):
    with pytest.raises(ModelError, match="missing.*build_pose_model.py"):
        verify_model(tmp_path / FULL_MODEL_NAME)


def test_missing_custom_model(tmp_path):
    with pytest.raises(ModelError, match="does not exist"):
        verify_model(tmp_path / "heavy.task")


def test_custom_model_must_be_a_landmarker_bundle(tmp_path):
    not_zip = tmp_path / "x.task"
    not_zip.write_bytes(b"hello")
    with pytest.raises(ModelError, match="not a MediaPipe pose model"):
        verify_model(not_zip)
    deflated = tmp_path / "deflated.task"
    with zipfile.ZipFile(deflated, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("pose_detector.tflite", b"a" * 100)
        zf.writestr("pose_landmarks_detector.tflite", b"b" * 100)
    with pytest.raises(ModelError, match="not a PoseLandmarker bundle"):
        verify_model(deflated)


def test_custom_bundle_is_accepted_as_custom(tmp_path):
    custom = tmp_path / "pose_landmarker_heavy.task"
    shutil.copy(default_model_path(), custom)
    check = verify_model(custom)
    assert check.status == "custom"


def test_env_var_overrides_default(tmp_path, monkeypatch):
    monkeypatch.setenv("LUMBAR_ROM_MODEL", str(tmp_path / "m.task"))
    assert default_model_path() == tmp_path / "m.task"
