"""Importing the estimator blocks MediaPipe's usage upload (lumbar_rom/pose/offline.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import lumbar_rom

SRC = Path(lumbar_rom.__file__).resolve().parents[1]
VARS = ("https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY")


def test_importing_the_estimator_sets_the_proxy_variables():
    env = {k: v for k, v in os.environ.items() if k not in VARS}
    env["NO_PROXY"] = "*"  # a user's bypass-everything setting is overwritten
    env["PYTHONPATH"] = str(SRC)
    code = ("import json, os; import lumbar_rom.pose.estimator; "
            f"print(json.dumps({{v: os.environ.get(v) for v in {VARS!r}}}))")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True).stdout
    got = json.loads(out.strip().splitlines()[-1])
    for v in VARS[:4]:
        assert got[v] == "http://127.0.0.1:0"
    assert got["no_proxy"] == got["NO_PROXY"] == "localhost,127.0.0.1,::1"
