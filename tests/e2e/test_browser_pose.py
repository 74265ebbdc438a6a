"""The pose model in the page (issue 32) against the same model in Python, and nothing from
outside: Chromium's fake camera is fed a sample clip; the landmarks the page found (read from
the component's frame) are compared with ``lumbar-rom landmarks`` run on the very same frames
(the .y4m file the camera plays), frame by frame, and the trial analysis of both must agree
within 1 degree. Every request the page makes is recorded: none may leave localhost."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import pytest

from lumbar_rom.assessment.trial import analyze_trial
from lumbar_rom.pose.landmarks import N_LANDMARKS
from lumbar_rom.pose.sequence import PoseSequence
from tests.e2e.test_browser import open_guided
from tests.fixtures.browser import (
    POSE_IFRAME,
    page_pose,
    shot,
    start_camera,
    stop_camera,
)
from tests.fixtures.y4m import clip_to_y4m

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "sample_videos"
FPS = 15
LOCAL = {"localhost", "127.0.0.1", "::1"}
TRIAL_TOLERANCE_DEG = 1.0  # issue 32: the trial values agree within 1 degree
# the page's landmarks against Python's on the same frame: the median over frames and joints of
# the key points' pixel distance (640x480 frames, a person about 300 px tall); measured
# 2026-12-07: see the README ("The guided webcam test")
MEDIAN_PX_MAX = 3.0
KEY = [11, 12, 23, 24, 25, 26, 27, 28]  # shoulders, hips, knees, ankles


def outside(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme in ("data", "blob", "about", "chrome-extension"):
        return False
    return parts.hostname not in LOCAL


def python_landmarks(y4m: Path, out: Path) -> PoseSequence:
    """``lumbar-rom landmarks`` on the camera's file (a subprocess: the CLI as a user runs it)."""
    subprocess.run([sys.executable, "-m", "lumbar_rom.cli", "landmarks", str(y4m), "--out",
                    str(out), "--no-annotate"], check=True, env=dict(os.environ),
                   capture_output=True, timeout=900)
    return PoseSequence.load(out / "landmarks.csv")


def page_frames(history: list, n_clip: int, offset: int) -> tuple[np.ndarray, ...]:
    """The page's frames of the first whole loop of the clip: (clip index (k,), time s (k,),
    image (k, 33, 3), world (k, 33, 3), visibility (k, 33)); a frame's clip index from its
    capture time (the fake camera plays the file at ``FPS`` from its first frame) plus
    ``offset``."""
    t0 = history[0][0]
    idx, times, image, world, vis = [], [], [], [], []
    for t_ms, _w, _h, img, wor in history:
        k = int(round((t_ms - t0) * FPS / 1000)) + offset
        if k < 0 or k >= n_clip:
            continue
        idx.append(k)
        times.append((t_ms - t0) / 1000)
        if img is None:
            image.append(np.full((N_LANDMARKS, 3), np.nan))
            world.append(np.full((N_LANDMARKS, 3), np.nan))
            vis.append(np.full(N_LANDMARKS, np.nan))
        else:
            a = np.asarray(img, float).reshape(N_LANDMARKS, 4)
            image.append(a[:, :3])
            vis.append(a[:, 3])
            world.append(np.asarray(wor, float).reshape(N_LANDMARKS, 3))
    return (np.asarray(idx), np.asarray(times), np.asarray(image), np.asarray(world),
            np.asarray(vis))


def median_px(py: PoseSequence, idx: np.ndarray, image: np.ndarray) -> float:
    d = np.linalg.norm(image[:, KEY, :2] - py.image[idx][:, KEY, :2], axis=-1)
    return float(np.nanmedian(d))


@pytest.mark.parametrize("movement", ["flexion", "side-bend-left"])
def test_the_pages_landmarks_and_trial_value_agree_with_python(server, browser_factory,
                                                               tmp_path, movement):
    cam = clip_to_y4m(SAMPLES / f"{movement}.mp4", tmp_path / "camera.y4m", still_s=2.0,
                      tail_s=1.0, fps=FPS)
    py = python_landmarks(cam, tmp_path / "py")
    n = py.n_frames
    ctx = browser_factory(cam)
    requests: list[str] = []
    ctx.on("request", lambda r: requests.append(r.url))
    page = ctx.new_page()
    open_guided(page, server)
    start_camera(page)
    # one whole loop of the file, and a little more
    deadline = time.time() + n / FPS + 60
    while time.time() < deadline:
        pose = page_pose(page)
        h = pose["history"]
        if h and (h[-1][0] - h[0][0]) / 1000 > n / FPS + 1:
            break
        time.sleep(1)
    shot(page, f"browser-pose-{movement}")
    stop_camera(page)
    pose = page_pose(page)
    history = pose["history"]
    assert not pose["error"]
    # the page's first analysed frame is the file's frame 0 or a later one (the camera starts
    # before the page's first analysis): the offset that fits best
    fits = {}
    for off in range(-2, 31):
        idx, *_rest, image, _w, _v = page_frames(history, n, off)
        fits[off] = median_px(py, idx, image)
    offset = min(fits, key=lambda k: fits[k])
    idx, times, image, world, vis = page_frames(history, n, offset)
    px = fits[offset]
    found = np.isfinite(image[:, 0, 0])
    print(f"{movement}: {len(idx)} of {n} frames analysed in the page "
          f"({pose['stats'].get('fps', 0):.1f} fps, {pose['stats'].get('infer_ms', 0):.0f} ms), "
          f"person in {found.mean():.0%}; median key-point difference {px:.2f} px "
          f"(offset {offset}; {fits})")
    # on a busy machine the page skips camera frames (it analyses the newest one when it is
    # free): the comparison is on the frames it analysed; the trial analysis' own gates say
    # whether they are enough (status "ok" below)
    assert len(idx) >= 0.3 * n, "the page analysed too few of the camera's frames"
    assert px <= MEDIAN_PX_MAX

    ours = PoseSequence(times - times[0], image, world, vis, py.frame_size, "browser")
    same = PoseSequence(times - times[0], py.image[idx], py.world[idx], py.visibility[idx],
                        py.frame_size, "python, the page's frames")
    a, b, full = (analyze_trial(same, movement), analyze_trial(ours, movement),
                  analyze_trial(py, movement))
    print(f"{movement}: on the page's frames Python {a.value_deg:.2f} deg ({a.status}), page "
          f"{b.value_deg:.2f} deg ({b.status}); Python on every frame {full.value_deg:.2f} deg")
    assert a.status == b.status == full.status == "ok", (a.reasons, b.reasons, full.reasons)
    assert abs(a.value_deg - b.value_deg) <= TRIAL_TOLERANCE_DEG

    leaked = sorted({u for u in requests if outside(u)})
    print(f"{len(requests)} requests; refused by the page's policy: {pose['blocked']}")
    assert not leaked, f"requests left the machine: {leaked}"
    assert all("localhost" not in b for b in pose["blocked"]), pose["blocked"]  # ours all load
    served = [u for u in requests if "/component/" in u]
    for name in ("main.js", "vision_bundle.mjs", "vision_wasm_internal.wasm",
                 "pose_landmarker_full.task"):
        assert any(u.split("?")[0].endswith(name) for u in served), f"{name} not served here"
    assert page.locator(POSE_IFRAME).count() == 1
