"""The dashboard's server as ``make run`` starts it: bound to loopback only, no connection off the
machine while it starts and serves its first page, and a WebSocket with a foreign ``Host`` refused.

The server runs under ``strace -f``, which records every connection the process and its threads
*attempt* (connect, and the send calls a UDP query would use). Allowed: loopback addresses, and
not port 53 (a DNS query to a local resolver such as 127.0.0.53 is a lookup of an outside name).
The listening sockets are read from ``/proc/net/tcp{,6}``.
"""

from __future__ import annotations

import ipaddress
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

import lumbar_rom
from tests.fixtures.browser import free_port
from tests.integration.test_no_network import attempted_inet

ROOT = Path(__file__).resolve().parents[2]
SRC = Path(lumbar_rom.__file__).resolve().parents[1]
MAKE_RUN = ["-m", "lumbar_rom.app.serve", "--server.headless", "true",
            "--browser.gatherUsageStats", "false"]  # the Makefile's run target


def listening(port: int) -> list[str]:
    """The local addresses with a TCP socket listening on ``port`` (from /proc/net/tcp{,6})."""
    found = []
    for table, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        if not os.path.exists(table):
            continue
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            addr, hexport = local.split(":")
            if state != "0A" or int(hexport, 16) != port:
                continue
            raw = bytes.fromhex(addr)
            # the kernel prints each 32-bit word in host (little-endian) order
            words = b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))
            found.append(str(ipaddress.ip_address(words if width == 32 else words[:4])))
    return found


def upgrade_status(port: int, host: str, origin: str | None = None) -> int:
    """The HTTP status of a WebSocket upgrade to the app's stream with this ``Host`` header."""
    req = (f"GET /_stcore/stream HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
           "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
           "Sec-WebSocket-Version: 13\r\n"
           + (f"Origin: {origin}\r\n" if origin else "") + "\r\n")
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(req.encode())
        line = s.recv(200).split(b"\r\n", 1)[0]
    return int(line.split()[1])


def off_machine(trace: str) -> list[tuple[str, int]]:
    return [(a, p) for a, p in attempted_inet(trace)
            if not ipaddress.ip_address(a).is_loopback or p == 53]


def test_off_machine_is_what_leaves_loopback_or_asks_dns():
    trace = ('1 connect(5, {sa_family=AF_INET, sin_port=htons(80), '
             'sin_addr=inet_addr("52.1.2.3")}, 16) = 0\n'
             '1 connect(6, {sa_family=AF_INET, sin_port=htons(53), '
             'sin_addr=inet_addr("127.0.0.53")}, 16) = 0\n'
             '1 connect(7, {sa_family=AF_INET, sin_port=htons(8501), '
             'sin_addr=inet_addr("127.0.0.1")}, 16) = 0\n')
    assert off_machine(trace) == [("52.1.2.3", 80), ("127.0.0.53", 53)]


def test_listening_reads_the_kernel_table():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        assert listening(s.getsockname()[1]) == ["127.0.0.1"]


@pytest.mark.slow
def test_make_run_binds_loopback_and_asks_no_outside_host(tmp_path):
    if shutil.which("strace") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("strace is not installed (scripts/system_deps.sh installs it)")
        pytest.skip("strace is not installed")
    port = free_port()
    log = tmp_path / "net.st"
    env = {**os.environ, "LUMBAR_ROM_DB": f"sqlite:///{tmp_path / 'h.db'}",
           "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])}
    env.pop("STREAMLIT_SERVER_ADDRESS", None)
    proc = subprocess.Popen(
        ["strace", "-f", "-qq", "-e", "trace=connect,sendto,sendmsg,sendmmsg", "-e",
         "signal=none", "-o", str(log), sys.executable, *MAKE_RUN, "--server.port", str(port)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        start_new_session=True)  # its own process group: strace and the server stop together
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health",
                                            timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                assert proc.poll() is None, "the server stopped"
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.5)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as r:
            assert r.status == 200
        assert listening(port) == ["127.0.0.1"]
        # DNS rebinding: a page whose own name points at 127.0.0.1 sends its own Host
        assert upgrade_status(port, "evil.example") == 403
        assert upgrade_status(port, f"evil.example:{port}") == 403
        assert upgrade_status(port, f"localhost:{port}") == 101
        assert upgrade_status(port, f"127.0.0.1:{port}") == 101
        # a foreign page talking to the real localhost: refused, and without asking an outside
        # host whether the foreign origin is this machine
        assert upgrade_status(port, f"localhost:{port}", origin="http://evil.example") == 403
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            out = proc.communicate(timeout=20)[0].decode(errors="replace")
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out = proc.communicate()[0].decode(errors="replace")
    trace = log.read_text()
    assert "sendto(" in trace  # strace saw the server answer
    assert off_machine(trace) == [], out[-2000:]
    assert "Did not auto detect external IP" not in out
    assert "External URL" not in out and "Network URL" not in out
