"""The pose model file: where it is, and whether it is the file we expect.

The default model is ``models/pose_landmarker_full.task`` built offline by
``scripts/build_pose_model.py`` (see ``models/README.md``). Its SHA-256 is checked at load time;
a missing or corrupt file gets one sentence naming the fix. A user may point ``--model`` (or the
``LUMBAR_ROM_MODEL`` environment variable) at an official lite or heavy ``.task`` instead; such a
file is checked for being a stored zip holding the two PoseLandmarker members.
"""

from __future__ import annotations

import hashlib
import os
import zipfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from lumbar_rom.errors import ModelError

FULL_MODEL_NAME = "pose_landmarker_full.task"
FULL_MODEL_SHA256 = "9bd692e26f6b7d3684f20e76e52e8f1ac21fd6983d658ac6c90ff125f91d56c7"
BUNDLE_MEMBERS = ("pose_detector.tflite", "pose_landmarks_detector.tflite")
REBUILD_HINT = "run `python scripts/build_pose_model.py` (or `git checkout models/`) to restore it"


def _candidates() -> list[Path]:
    here = Path(__file__).resolve()
    return [
        here.parents[1] / "_models" / FULL_MODEL_NAME,  # inside an installed wheel
        here.parents[3] / "models" / FULL_MODEL_NAME,  # source tree / editable install
    ]


def default_model_path() -> Path:
    """The model to use when none is given: ``$LUMBAR_ROM_MODEL`` or the bundled full model."""
    env = os.environ.get("LUMBAR_ROM_MODEL")
    if env:
        return Path(env)
    for path in _candidates():
        if path.exists():
            return path
    return _candidates()[-1]


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


@dataclass(frozen=True)
class ModelCheck:
    """Result of :func:`verify_model`.

    ``status`` is ``"verified"`` (the bundled full model, checksum matches) or ``"custom"`` (another
    PoseLandmarker bundle, structure checked, no known checksum).
    """

    path: Path
    sha256: str
    status: str


@lru_cache(maxsize=8)
def _verify_cached(path_str: str, size: int, mtime_ns: int) -> ModelCheck:
    path = Path(path_str)
    digest = sha256_of(path)
    if path.name == FULL_MODEL_NAME:
        if digest != FULL_MODEL_SHA256:
            raise ModelError(
                f"The pose model {path} is corrupt (checksum mismatch); {REBUILD_HINT}."
            )
        return ModelCheck(path, digest, "verified")
    try:
        with zipfile.ZipFile(path) as zf:
            infos = {i.filename: i for i in zf.infolist()}
    except zipfile.BadZipFile as exc:
        raise ModelError(
            f"{path} is not a MediaPipe pose model (.task bundle); pass an official "
            "pose_landmarker_lite/full/heavy.task or leave --model unset to use the bundled one."
        ) from exc
    missing = [m for m in BUNDLE_MEMBERS if m not in infos]
    if missing or any(infos[m].compress_type != zipfile.ZIP_STORED for m in BUNDLE_MEMBERS):
        raise ModelError(
            f"{path} is not a PoseLandmarker bundle (it needs stored {', '.join(BUNDLE_MEMBERS)}); "
            "pass an official pose_landmarker .task or leave --model unset."
        )
    return ModelCheck(path, digest, "custom")


def verify_model(path: str | Path | None = None) -> ModelCheck:
    """Check the model file and return its checksum status.

    Raises
    ------
    ModelError
        the file is missing, corrupt, or not a PoseLandmarker bundle; the message names the fix.
    """
    p = Path(path) if path is not None else default_model_path()
    if not p.is_file():
        if p.name == FULL_MODEL_NAME:
            raise ModelError(f"The pose model {p} is missing; {REBUILD_HINT}.")
        raise ModelError(f"The pose model {p} does not exist; check the path given to --model.")
    st = p.stat()
    return _verify_cached(str(p.resolve()), st.st_size, st.st_mtime_ns)
