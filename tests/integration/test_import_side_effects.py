"""Importing any ``lumbar_rom`` module changes no environment variable, starts no thread and
reads no file of its own beyond a documented list (issue 25 item 2).

The import happens in a fresh interpreter (tests/fixtures/import_probe.py) after the libraries the
package uses have been imported, so that what they do on their own import is the baseline
(OpenCV's ``QT_QPA_*`` and ``LD_LIBRARY_PATH``, Streamlit's ``MPLBACKEND``, numpy's OpenBLAS and
OpenCV's worker threads, pyarrow's jemalloc thread): the test is about this package's code.
Streamlit page scripts (``app/page_files``: running one is showing the page) and alembic's
``migrations/env.py`` are left out.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import lumbar_rom

PACKAGE = Path(lumbar_rom.__file__).resolve().parent
PROBE = Path(__file__).resolve().parents[1] / "fixtures" / "import_probe.py"

# Files still read on import, each named with the module-level code that reads it. They are the
# package's own data, not the user's files or a cache; listed so that nothing new joins them.
KNOWN_READS = {
    # assessment/protocol.py builds the Movement enum from it; assessment/gates.py and trial.py
    # and app/live.py read their thresholds from it at module level
    "protocol.toml",
    # cli.py: the hold tests offered as `analyze` choices (HOLD_CHOICES)
    "endurance.toml",
    # cli.py and history/store.py: `from lumbar_rom import __version__` (looked up on first use)
    "METADATA",
}


def probe() -> dict:
    # without the proxy variables: this pytest process may have set them (a landmarker it made),
    # and a child that inherits them could not show an import setting them again
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("LUMBAR_ROM_") and k.lower() not in ("https_proxy", "all_proxy",
                                                                     "no_proxy")}
    env["PYTHONPATH"] = str(PACKAGE.parent)
    run = subprocess.run([sys.executable, str(PROBE), str(PACKAGE)], env=env, capture_output=True,
                         text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads(run.stdout.strip().splitlines()[-1])


def test_importing_every_module_has_no_side_effect():
    got = probe()
    assert len(got["modules"]) > 80 and "lumbar_rom.pose.estimator" in got["modules"]
    assert "lumbar_rom.pose.offline" in got["modules"] and "lumbar_rom.cli" in got["modules"]
    assert got["env"] == [], f"environment changed on import: {got['per_module']}"
    assert got["python_threads"] == [], f"threads started on import: {got['python_threads']}"
    assert got["native_threads"] == {}, f"native threads on import: {got['per_module']}"
    reads = [f for m in got["per_module"].values() for f in m["files"]]
    unknown = [f for f in reads if Path(f.split(" <- ")[0]).name not in KNOWN_READS]
    assert unknown == [], f"files read on import: {unknown}"
    own = [f for f in reads if Path(f.split(" <- ")[0]).name != "METADATA"]
    assert all(Path(f.split(" <- ")[0]).is_relative_to(PACKAGE) for f in own), own
