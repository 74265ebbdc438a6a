"""MediaPipe's usage upload is blocked where a landmarker is created, not on import
(lumbar_rom/pose/offline.py); a child that needs the network can get the user's own settings."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import lumbar_rom

SRC = Path(lumbar_rom.__file__).resolve().parents[1]
VARS = ("https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY")
USER_PROXY = "http://proxy.example:3128"


def run(code: str) -> dict:
    """Run ``code`` in a fresh interpreter with a user's own proxy settings; its last JSON line."""
    env = {k: v for k, v in os.environ.items() if k not in VARS}
    env.update(HTTPS_PROXY=USER_PROXY, NO_PROXY="*", PYTHONPATH=str(SRC))
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True, timeout=300).stdout
    return json.loads(out.strip().splitlines()[-1])


SHOW = f"{{v: os.environ.get(v) for v in {VARS!r}}}"


def test_importing_the_estimator_changes_no_proxy_variable():
    got = run(f"import json, os; import lumbar_rom.pose.estimator, lumbar_rom.pose.masks; "
              f"print(json.dumps({SHOW}))")
    assert got["HTTPS_PROXY"] == USER_PROXY and got["NO_PROXY"] == "*"
    assert got["https_proxy"] is None and got["ALL_PROXY"] is None


def test_creating_a_landmarker_points_the_upload_at_a_dead_proxy():
    code = (
        "import json, os, subprocess, sys\n"
        "from lumbar_rom.pose import offline\n"
        "from lumbar_rom.pose.estimator import MediaPipeEstimator\n"
        "before = offline.is_blocked()\n"
        "with MediaPipeEstimator(mode='image'):\n"
        f"    live = {SHOW}\n"
        f"after = {SHOW}\n"
        "probe = 'import os; print(*(os.environ.get(v) for v in (\"HTTPS_PROXY\", \"NO_PROXY\","
        " \"https_proxy\")))'\n"
        "child = subprocess.run([sys.executable, '-c', probe],\n"
        "    env=offline.network_env(), capture_output=True, text=True).stdout.split()\n"
        "print(json.dumps({'before': before, 'live': live, 'after': after, 'child': child}))\n")
    got = run(code)
    assert got["before"] is False
    for state in ("live", "after"):  # kept after close: the upload reads them at close and later
        for v in VARS[:4]:
            assert got[state][v] == "http://127.0.0.1:0"
        assert got[state]["no_proxy"] == got[state]["NO_PROXY"] == "localhost,127.0.0.1,::1"
    assert got["child"] == [USER_PROXY, "*", "None"]  # network_env(): the user's own settings
