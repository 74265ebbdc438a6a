"""Build ``models/pose_landmarker_full.task`` offline from the PyPI wheel ``mediapipe==0.10.21``.

Why: the current mediapipe wheel (1.2.x) ships no pose model and the official model host is not
reachable on our machines. The older 0.10.21 wheel carries the BlazePose GHUM 3D "full" weights
(Apache-2.0) as two raw ``.tflite`` files. The Tasks API's ``PoseLandmarker`` wants them bundled
as a *stored* (uncompressed) zip, and the landmark model needs image-input normalisation metadata.

Steps (deterministic: the same wheel gives the same bytes and SHA-256):

1. ``pip download --no-deps mediapipe==0.10.21`` (cp311 manylinux x86_64) into a cache folder,
   unless ``--wheel`` names a copy; check the wheel's SHA-256.
2. Unzip only ``pose_detection.tflite`` and ``pose_landmark_full.tflite``; check their SHA-256.
3. Write TFLite metadata into the landmark model: image input with norm_mean [0], norm_std [255]
   (input in [0, 1]) and five feature outputs, using mediapipe's own metadata writer.
4. Bundle ``pose_detector.tflite`` + ``pose_landmarks_detector.tflite`` as an aligned, stored zip
   with fixed timestamps.

Run: ``python scripts/build_pose_model.py`` (writes ``models/pose_landmarker_full.task`` and prints
its SHA-256, which must equal ``lumbar_rom.pose.model.FULL_MODEL_SHA256``).
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import tempfile
import types
import zipfile
from pathlib import Path

WHEEL_NAME = "mediapipe-0.10.21-cp311-cp311-manylinux_2_28_x86_64.whl"
WHEEL_SHA256 = "05dc4a9e593655a79558d05d6227d31018c2537a4bd3362b51e230cf22aecfe3"
MEMBERS = {
    "pose_detector.tflite": (
        "mediapipe/modules/pose_detection/pose_detection.tflite",
        "9ba9dd3d42efaaba86b4ff0122b06f29c4122e756b329d89dca1e297fd8f866c",
    ),
    "pose_landmarks_detector.tflite": (
        "mediapipe/modules/pose_landmark/pose_landmark_full.tflite",
        "e9a5c5cb17f736fafd4c2ec1da3b3d331d6edbe8a0d32395855aeb2cdfd64b9f",
    ),
}
# Version string the C++ metadata parser must be at least; features used here (image
# normalisation, feature tensors) exist since parser 1.0.0. The value mediapipe's own
# (missing) _pywrap_metadata_version would compute for this metadata is the same.
MIN_PARSER_VERSION = "1.0.0"
ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "models" / "pose_landmarker_full.task"
DEFAULT_CACHE = Path.home() / ".cache" / "lumbar-rom" / "wheels"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def fetch_wheel(cache: Path) -> Path:
    wheel = cache / WHEEL_NAME
    if not wheel.exists():
        cache.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
             "--python-version", "3.11", "--platform", "manylinux_2_28_x86_64",
             "mediapipe==0.10.21", "-d", str(cache)],
            check=True,
        )
    return wheel


def _install_metadata_version_shim() -> None:
    """mediapipe 1.2.x's metadata writer imports a compiled module its wheel lacks.

    Its only use is ``GetMinimumMetadataParserVersion(buffer) -> str``; supply that function.
    """
    import importlib.util

    name = "mediapipe.tasks.cc.metadata.python._pywrap_metadata_version"
    try:
        if importlib.util.find_spec(name) is not None:
            return
    except ModuleNotFoundError:
        pass
    parts = name.split(".")
    for i in range(3, len(parts) + 1):  # mediapipe.tasks.cc, ... , the module itself
        mod_name = ".".join(parts[:i])
        if mod_name not in sys.modules:
            mod = types.ModuleType(mod_name)
            mod.__path__ = []  # type: ignore[attr-defined]
            sys.modules[mod_name] = mod
            setattr(sys.modules[".".join(parts[: i - 1])], parts[i - 1], mod)
    shim = sys.modules[name]
    shim.GetMinimumMetadataParserVersion = lambda _buf: MIN_PARSER_VERSION  # type: ignore[attr-defined]


def add_landmark_metadata(model: bytes) -> bytes:
    _install_metadata_version_shim()
    from mediapipe.tasks.python.metadata.metadata_writers import metadata_writer

    writer = metadata_writer.MetadataWriter.create(bytearray(model))
    writer.add_general_info(
        "BlazePose GHUM 3D full",
        "Pose landmarks (33 image + 33 world) from a 256x256 RGB person crop.",
    )
    writer.add_image_input(norm_mean=[0.0], norm_std=[255.0])
    for _ in range(5):  # landmarks, pose flag, segmentation, heatmap, world landmarks
        writer.add_feature_output()
    content, _json = writer.populate()
    del writer  # its __del__ cleans a temp folder; do it now, not at interpreter exit
    return bytes(content)


def bundle(members: dict[str, bytes], out: Path) -> None:
    from mediapipe.tasks.python.metadata.metadata_writers.model_asset_bundle_utils import (
        AlignZipFile,
    )

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    with AlignZipFile(tmp, mode="w", alignment=4) as zf:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_STORED
            info.external_attr = 0o644 << 16
            zf.writestr(info, data)
    tmp.replace(out)


def build(wheel: Path, out: Path) -> str:
    data = wheel.read_bytes()
    if sha256(data) != WHEEL_SHA256:
        raise SystemExit(f"{wheel} is not the expected mediapipe 0.10.21 wheel (SHA-256 differs).")
    members: dict[str, bytes] = {}
    with zipfile.ZipFile(wheel) as zf:
        for bundle_name, (member, digest) in MEMBERS.items():
            raw = zf.read(member)
            if sha256(raw) != digest:
                raise SystemExit(f"{member} in the wheel has an unexpected SHA-256.")
            members[bundle_name] = raw
    members["pose_landmarks_detector.tflite"] = add_landmark_metadata(
        members["pose_landmarks_detector.tflite"]
    )
    bundle(members, out)
    return sha256(out.read_bytes())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheel", type=Path, help="a local copy of the 0.10.21 wheel")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("-o", "--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    wheel = args.wheel or fetch_wheel(args.cache)
    with tempfile.TemporaryDirectory():
        digest = build(wheel, args.out)
    print(f"{args.out}  {args.out.stat().st_size} bytes  sha256 {digest}")


if __name__ == "__main__":
    main()
