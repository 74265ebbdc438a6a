"""Start the app's Streamlit server and Debian's Chromium (with a fake camera) for tests and
benchmarks."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("LUMBAR_ROM_CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
         "--autoplay-policy=no-user-gesture-required"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def streamlit_server(db_url: str, timeout: float = 90.0) -> Iterator[str]:
    """Run ``streamlit run streamlit_app.py`` on a free localhost port; yield its URL."""
    port = free_port()
    env = {**os.environ, "LUMBAR_ROM_DB": db_url}
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "streamlit_app.py"),
         "--server.headless", "true", "--server.port", str(port),
         "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://localhost:{port}"
    try:
        deadline = time.time() + timeout
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                if time.time() > deadline or proc.poll() is not None:
                    raise RuntimeError("the Streamlit server did not start") from None
                time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


def launch(pw, profile_dir: Path, y4m: Path | None = None):  # type: ignore[no-untyped-def]
    """A persistent Chromium context (plain ``launch()`` rejects ``--user-data-dir``)."""
    args = list(FLAGS)
    if y4m is not None:
        args.append(f"--use-file-for-fake-video-capture={y4m}")
    return pw.chromium.launch_persistent_context(
        str(profile_dir), executable_path=CHROMIUM, headless=True, args=args,
        viewport={"width": 1280, "height": 1000})


def start_screening(page, url: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(url)
    page.get_by_role("button", name="Continue").click(timeout=60_000)
    page.get_by_text("Choose how to measure").wait_for(timeout=60_000)
