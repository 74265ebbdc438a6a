"""Live webcam throughput at 640x480 on this machine.

1. Standalone: the guided-test state machine (LIVE_STREAM-mode BlazePose full, drawing) on
   640x480 frames as fast as it goes: processed frames/s and per-frame latency.
2. In the browser: the app on a local Streamlit server, Debian's Chromium with a 30 fps fake
   camera (a rendered person, 640x480), the guided flexion step streaming for ``--seconds``: the
   processed frames/s and per-frame processing latency the page reports (the browser shares
   the 2 cores with the model). Target >= 25 fps.

    .venv/bin/python benchmarks/live.py [--seconds 20]
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lumbar_rom.app.live import GuidedTrial  # noqa: E402
from lumbar_rom.logs import filter_native_stderr  # noqa: E402
from lumbar_rom.pose.estimator import MediaPipeEstimator  # noqa: E402
from lumbar_rom.studio.scenarios import Scenario, render_scenario  # noqa: E402
from lumbar_rom.video.reader import iter_frames  # noqa: E402
from tests.e2e.harness import launch, start_screening, streamlit_server  # noqa: E402
from tests.fixtures.y4m import video_to_y4m  # noqa: E402

STANDING = Scenario("flexion", (40.0,), width=640, height=480, fps=30.0, neutral_s=3.0)


def standalone(video: Path) -> tuple[float, float]:
    """Frames offered at 30 fps (a camera's pace) to the state machine; the model's result rate
    and submit-to-result latency as it reports them."""
    frames = [f.rgb for f in iter_frames(video)] * 3
    rates, lats = [], []
    with MediaPipeEstimator(mode="live") as est:
        g = GuidedTrial("flexion", est)
        t0 = time.perf_counter()
        for i, rgb in enumerate(frames):
            due = t0 + i / 30.0
            time.sleep(max(0.0, due - time.perf_counter()))
            g.process(rgb, i / 30.0)
            if i > 60 and i % 15 == 0:
                s = g.snapshot()
                rates.append(s.fps)
                lats.append(s.latency_ms)
    return statistics.median(rates), statistics.median(lats)


def in_browser(y4m: Path, seconds: float, tmp: Path) -> tuple[float, float, float]:
    from playwright.sync_api import sync_playwright

    with streamlit_server(f"sqlite:///{tmp / 'bench.db'}") as url, sync_playwright() as pw:
        ctx = launch(pw, tmp / "profile", y4m)
        page = ctx.new_page()
        start_screening(page, url)
        page.get_by_role("link", name="Guided webcam test").click()
        frame = page.frame_locator("iframe[title*='streamlit_webrtc']")
        frame.get_by_role("button", name="START").click(timeout=60_000)
        t_start = time.time()
        samples: list[tuple[float, float]] = []
        first = None
        while time.time() - t_start < seconds + 15:
            m = re.search(r"Processing: ([\d.]+) frames/s, (\d+) ms per frame",
                          page.inner_text("body"))
            if m:
                first = first or time.time() - t_start
                if time.time() - t_start > first + 5:  # after warm-up
                    samples.append((float(m.group(1)), float(m.group(2))))
                if len(samples) and time.time() - t_start > first + 5 + seconds:
                    break
            time.sleep(0.5)
        ctx.close()
    if not samples:
        raise SystemExit("no frames reached the app: the live stream did not start")
    return (statistics.median(s[0] for s in samples), statistics.median(s[1] for s in samples),
            first or float("nan"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    filter_native_stderr()
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        video, _ = render_scenario(STANDING, d)
        fps1, lat1 = standalone(video)
        y4m = video_to_y4m(video, d / "camera.y4m")
        fps2, lat2, first = in_browser(y4m, args.seconds, d)
    print("| set-up (640x480, BlazePose full, LIVE_STREAM mode) | processed fps | "
          "latency ms (frame in -> landmarks out) |")
    print("|---|---|---|")
    print(f"| standalone, frames offered at 30 fps, no browser | {fps1:.1f} | {lat1:.1f} |")
    print(f"| Chromium fake camera at 30 fps -> WebRTC -> app | {fps2:.1f} | {lat2:.1f} |")
    print(f"first processed frame {first:.1f} s after START; target >= 25 fps: "
          f"{'met' if fps2 >= 25 else 'NOT met'}")


if __name__ == "__main__":
    main()
