"""`lumbar-rom analyze` attempts no network connection: MediaPipe's usage upload is blocked.

The command runs inside an empty network namespace (``unshare -n``: nothing could leave anyway)
under ``strace``, which records every connection the process and its threads *attempt*. The only
one allowed is the dead proxy ``127.0.0.1:0`` (see lumbar_rom/pose/offline.py). Loopback is not
allowed in general: on Ubuntu the resolver is 127.0.0.53, and a DNS query for
play.googleapis.com would pass a loopback-only rule.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import lumbar_rom

SRC = Path(lumbar_rom.__file__).resolve().parents[1]
SAMPLES = Path(__file__).resolve().parents[2] / "sample_videos"
INET = re.compile(r'sa_family=AF_INET6?, sin6?_port=htons\((\d+)\), .*?"([0-9a-fA-F:.]+)"')
ALLOWED = {("127.0.0.1", 0)}


def attempted_inet(trace: str) -> list[tuple[str, int]]:
    """(address, port) of every AF_INET/AF_INET6 connect/sendto/sendmsg in an strace log."""
    return [(a, int(p)) for p, a in INET.findall(trace)]


def test_the_trace_parser_sees_a_dns_query_and_the_dead_proxy():
    trace = (
        '12 connect(5, {sa_family=AF_INET, sin_port=htons(53), '
        'sin_addr=inet_addr("10.255.255.53")}, 16) = -1 ENETUNREACH\n'
        '12 connect(11, {sa_family=AF_INET6, sin6_port=htons(443), sin6_flowinfo=htonl(0), '
        'inet_pton(AF_INET6, "2a00:1450::1", &sin6_addr), sin6_scope_id=0}, 28) = -1\n'
        '13 connect(11, {sa_family=AF_INET, sin_port=htons(0), '
        'sin_addr=inet_addr("127.0.0.1")}, 16) = -1 ECONNREFUSED\n'
        '13 connect(3, {sa_family=AF_UNIX, sun_path="/run/x"}, 110) = 0\n')
    assert attempted_inet(trace) == [("10.255.255.53", 53), ("2a00:1450::1", 443),
                                     ("127.0.0.1", 0)]


def _tools() -> list[str]:
    """The ``unshare -n`` prefix (or ``unshare -rn`` without root); skip (fail under CI) if the
    tools are missing."""
    missing = [t for t in ("strace", "unshare") if shutil.which(t) is None]
    for prefix in (["unshare", "-n"], ["unshare", "-rn"]):
        if not missing and subprocess.run([*prefix, "true"], capture_output=True).returncode == 0:
            return prefix
    why = (f"{' and '.join(missing)} not installed" if missing
           else "unshare cannot create a network namespace here")
    if os.environ.get("CI") == "true":
        pytest.fail(f"the no-network test cannot run: {why} (scripts/system_deps.sh installs them)")
    pytest.skip(why)


def _clean_env() -> dict[str, str]:
    """The parent's environment without our proxy override (this pytest process may already have
    created a landmarker), plus a hostile ``NO_PROXY=*`` that a user might have set: the blocking
    must come from the analysis' own landmarkers, not from an inherited environment."""
    env = {k: v for k, v in os.environ.items()
           if k.lower() not in ("https_proxy", "all_proxy", "no_proxy")}
    env["NO_PROXY"] = "*"
    env["PYTHONPATH"] = os.pathsep.join([str(SRC), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return env


@pytest.mark.slow
def test_analyze_attempts_no_network_connection(tmp_path):
    prefix = _tools()
    log = tmp_path / "net.st"
    cmd = [*prefix, "strace", "-f", "-qq", "-e", "trace=connect,sendto,sendmsg,sendmmsg",
           "-e", "signal=none", "-o", str(log), sys.executable, "-m", "lumbar_rom.cli",
           "analyze", str(SAMPLES / "side-bend-left.mp4"), "-m", "side-bend-left",
           "-o", str(tmp_path / "out")]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=_clean_env())
    assert run.returncode == 0, run.stderr[-2000:]
    assert "side-bend-left (the person's left" in run.stdout  # the side of the body is named
    trace = log.read_text()
    assert "connect(" in trace  # strace did record (the dead proxy at least)
    bad = [a for a in attempted_inet(trace) if a not in ALLOWED]
    assert bad == [], f"network attempts: {bad}"
    assert "googleapis" not in trace
