"""Live webcam throughput and latency at 640x480 on this machine, idle and under load.

1. Standalone: a camera thread offers 640x480 frames of a rendered person at 30 fps into a
   one-frame mailbox (a newer frame replaces an unprocessed one: dropped, never queued, as
   streamlit-webrtc's ``async_processing`` does); a worker runs the guided test's frame handler
   (``GuidedTrial.process``: BlazePose full in VIDEO mode on the newest frame, state machine,
   drawing). Processed frames/s, and frame-to-readout latency (the frame offered -> the page's
   snapshot shows it) p50/p95.
2. In the browser (``--browser``): the app on a local Streamlit server, Debian's Chromium with a
   30 fps fake camera, the guided flexion step running for ``--seconds``, by both paths:
   ``page`` (issue 32, the default: the model runs in the page, only landmarks reach the server)
   and ``server`` (the streamlit-webrtc fallback: frames go to the server, which runs the model).
   Reported: the frames analysed per second and the per-frame time the page shows (median), the
   Streamlit server's CPU for that one live session (CPU seconds per second: 1.00 = one whole
   core, from /proc) and Chromium's (all its processes).

Standalone runs idle and with one core busy; the browser paths idle and with both cores busy
(two processes spinning ``while True: pass``). Targets (issue 12): >= 25 processed fps idle;
p95 frame-to-readout latency < 150 ms idle; a correct result needs >= 8 processed fps. Run it on
an otherwise idle machine:

    .venv/bin/python benchmarks/live.py [--seconds 20] [--browser]
"""

from __future__ import annotations

import argparse
import contextlib
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lumbar_rom.app.live import GuidedTrial  # noqa: E402
from lumbar_rom.logs import filter_native_stderr  # noqa: E402
from lumbar_rom.pose.estimator import MediaPipeEstimator  # noqa: E402
from lumbar_rom.studio.scenarios import Scenario, render_scenario  # noqa: E402
from lumbar_rom.video.reader import iter_frames  # noqa: E402
from tests.fixtures.browser import launch, start_screening, streamlit_server  # noqa: E402
from tests.fixtures.y4m import clip_to_y4m  # noqa: E402

STANDING = Scenario("flexion", (40.0,), width=640, height=480, fps=30.0, neutral_s=3.0)


@contextlib.contextmanager
def one_core_busy(on: bool) -> Iterator[None]:
    proc = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if on else None
    try:
        yield
    finally:
        if proc is not None:
            proc.kill()
            proc.wait()


def standalone(frames: list[np.ndarray], seconds: float) -> tuple[float, float, float]:
    """(processed fps, latency p50 ms, latency p95 ms)."""
    slot: list[tuple[np.ndarray, float, float] | None] = [None]
    cond = threading.Condition()
    stop = threading.Event()
    lat: list[float] = []
    done = [0]

    def camera() -> None:
        t0 = time.perf_counter()
        i = 0
        while not stop.is_set():
            due = t0 + i / 30.0
            time.sleep(max(0.0, due - time.perf_counter()))
            with cond:
                slot[0] = (frames[i % len(frames)], i / 30.0, time.perf_counter())
                cond.notify()
            i += 1

    with MediaPipeEstimator(mode="video") as est:
        g = GuidedTrial("flexion", est)
        cam = threading.Thread(target=camera, daemon=True)
        cam.start()
        warm_until = time.perf_counter() + 3.0
        end = warm_until + seconds
        while time.perf_counter() < end:
            with cond:
                while slot[0] is None:
                    cond.wait()
                item, slot[0] = slot[0], None
            rgb, t, offered = item
            g.process(rgb, t)
            shown = g.snapshot().frames  # the readout has this frame now
            now = time.perf_counter()
            if now > warm_until and shown:
                lat.append(1000 * (now - offered))
                done[0] += 1
        stop.set()
        cam.join()
    p50, p95 = np.percentile(lat, [50, 95]) if lat else (float("nan"),) * 2
    return done[0] / seconds, float(p50), float(p95)


def cpu_seconds(match: str) -> float:
    """User + system CPU seconds so far of every process whose command line contains
    ``match`` (from /proc; clock ticks of 1/100 s)."""
    total = 0.0
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if match not in (proc / "cmdline").read_bytes().decode(errors="replace"):
                continue
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / 100.0  # utime, stime
    return total


def in_browser(y4m: Path, seconds: float, tmp: Path, path: str) -> tuple[float, float, float,
                                                                           float]:
    """(median analysed fps, median per-frame ms, server CPU s/s, Chromium CPU s/s) of one
    live session by ``path`` ("page" or "server")."""
    from playwright.sync_api import sync_playwright

    from tests.fixtures.browser import (
        WEBRTC_IFRAME,
        pose_frame,
        processed,
        start_camera,
    )

    pattern = re.compile(r"Processing: ([\d.]+) frames/s, (\d+) ms per frame")
    with streamlit_server(f"sqlite:///{tmp / 'bench.db'}") as url, sync_playwright() as pw:
        port = f"--server.port {url.rsplit(':', 1)[1]}".split()
        profile = tmp / f"profile{time.time_ns()}"
        ctx = launch(pw, profile, y4m)
        page = ctx.new_page()
        start_screening(page, url)
        page.get_by_role("link", name="Guided webcam test").click()
        if path == "server":
            page.get_by_text("Camera not working?").click()
            page.get_by_role("button", name="Use the server camera instead").click()
            page.frame_locator(WEBRTC_IFRAME).get_by_role("button", name="START").click(
                timeout=60_000)
        else:
            start_camera(page)
        deadline = time.time() + 60
        while processed(page)[1] == 0 and time.time() < deadline:
            time.sleep(0.5)
        time.sleep(5)  # warm-up
        server_match = f"{port[0]}\x00{port[1]}"
        s0, c0, t0 = cpu_seconds(server_match), cpu_seconds(str(profile)), time.time()
        samples: list[tuple[float, float]] = []
        end = time.time() + seconds
        while time.time() < end:
            m = pattern.search(page.inner_text("body"))
            if m:
                samples.append((float(m.group(1)), float(m.group(2))))
            time.sleep(0.5)
        dt = time.time() - t0
        server_cpu = (cpu_seconds(server_match) - s0) / dt
        browser_cpu = (cpu_seconds(str(profile)) - c0) / dt
        if path == "page":
            pose_frame(page).get_by_role("button", name="Stop camera").click()
        ctx.close()
    if not samples:
        raise SystemExit("no frames reached the app: the live session did not start")
    ms = [s[1] for s in samples]
    return statistics.median(s[0] for s in samples), statistics.median(ms), server_cpu, \
        browser_cpu


@contextlib.contextmanager
def cores_busy(n: int) -> Iterator[None]:
    procs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(n)]
    try:
        yield
    finally:
        for p in procs:
            p.kill()
            p.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--browser", action="store_true", help="also through Chromium")
    args = parser.parse_args()
    filter_native_stderr()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        video, _ = render_scenario(STANDING, d)
        frames = [f.rgb for f in iter_frames(video)]
        for load in (False, True):
            with one_core_busy(load):
                fps, p50, p95 = standalone(frames, args.seconds)
            rows.append(("standalone, frames offered at 30 fps, newest only", load, fps, p50,
                         p95))
        browser_rows = []
        if args.browser:
            y4m = clip_to_y4m(video, d / "camera.y4m", still_s=0.0, tail_s=0.0)
            for path in ("page", "server"):
                for busy in (0, 2):
                    with cores_busy(busy):
                        browser_rows.append((path, busy, *in_browser(y4m, args.seconds, d,
                                                                      path)))
    print("| set-up (640x480, BlazePose full, VIDEO mode) | load | processed fps | "
          "latency p50 ms | latency p95 ms |")
    print("|---|---|---|---|---|")
    for name, load, fps, p50, p95 in rows:
        print(f"| {name} | {'one core busy' if load else 'idle'} | {fps:.1f} | {p50:.0f} | "
              f"{p95:.0f} |")
    if browser_rows:
        print()
        print("| Chromium fake camera 30 fps, one live session | load | frames analysed/s | "
              "ms per frame | server CPU (cores) | Chromium CPU (cores) |")
        print("|---|---|---|---|---|---|")
        names = {"page": "model in the page (default): landmarks -> server",
                 "server": "server camera (fallback): WebRTC frames -> server model"}
        for path, busy, fps, ms, server_cpu, browser_cpu in browser_rows:
            print(f"| {names[path]} | {'both cores busy' if busy else 'idle'} | {fps:.1f} | "
                  f"{ms:.0f} | {server_cpu:.2f} | {browser_cpu:.2f} |")
    idle = rows[0]
    print(f"targets: >= 25 fps idle {'met' if idle[2] >= 25 else 'NOT met'}; p95 < 150 ms idle "
          f"{'met' if idle[4] < 150 else 'NOT met'}; >= 8 fps under load "
          f"{'met' if rows[1][2] >= 8 else 'NOT met'}")


if __name__ == "__main__":
    main()
