"""The guided test's camera in the browser (issue 32): a Streamlit component (classic API) whose
page runs MediaPipe's PoseLandmarker itself and sends the server only timestamped landmarks.

The page (``frontend/src/``, built into ``frontend/build/`` with ``npm ci && npm run build``;
the build is committed, so running the app needs no Node) loads ``@mediapipe/tasks-vision``'s
module, its SIMD WebAssembly and the model bundle from this component's folder on the app's own
server (``/component/...``): no CDN, no request off the machine, no frame sent anywhere. The
page's Content-Security-Policy (``connect-src 'self'``) refuses the usage-log post that
tasks-vision 1.1.0 makes to ``odml.pa.googleapis.com`` every 60 s.

What the page sends (the component's value, about every half second)::

    {"sid": str, "step": str, "from": int, "n": int, "ended": bool, "stats": {...},
     "frames": [[t_ms, W, H, image | null, world | null], ...]}

``image``: 33 x (x px, y px, z px, visibility), ``world``: 33 x (x, y, z) metres, exactly as
``pose.estimator`` returns them for a frame (x, y in the frame's pixels, z scaled by its width).
``from`` is the step's index of the first frame: the page re-sends every frame the server has
not acknowledged (``ack``, passed back in the component's arguments), so a message lost between
two reruns costs nothing and the server ends each step with the whole series. ``{"sid", "error"}``
says the model cannot run in that browser (no WebAssembly SIMD): the page then offers the server
path (``app.webcam.live_panel``).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from lumbar_rom.pose.estimator import FramePose
from lumbar_rom.pose.landmarks import N_LANDMARKS
from lumbar_rom.pose.model import default_model_path, verify_model

BUILD = Path(__file__).resolve().parent / "frontend" / "build"
SOURCE = Path(__file__).resolve().parent / "frontend" / "src"
MODEL_NAME = "pose_landmarker_full.task"
COMPONENT = "lumbar_rom_pose_camera"


def ensure_model(build: Path = BUILD) -> Path:
    """The model bundle inside the component's folder (Streamlit serves a component's own files
    only): a hard link to the verified model (a copy where links are not possible), made once.
    Raises ``ModelError`` (one sentence) when the model is missing or corrupt."""
    src = verify_model(default_model_path()).path
    dst = build / MODEL_NAME
    if dst.exists() and dst.stat().st_size == src.stat().st_size \
            and dst.stat().st_mtime >= src.stat().st_mtime:
        return dst
    tmp = dst.with_name(dst.name + f".{os.getpid()}.part")
    tmp.unlink(missing_ok=True)
    try:
        os.link(src, tmp)
    except OSError:
        shutil.copyfile(src, tmp)
    os.replace(tmp, dst)
    return dst


@dataclass(frozen=True)
class Batch:
    """One message of the page, parsed. ``times_s (n,)``, ``sizes (n, 2)`` (W, H),
    ``image (n, 33, 3)`` px, ``world (n, 33, 3)`` m, ``visibility (n, 33)``, ``found (n,)``
    (NaN rows where nobody was found)."""

    sid: str
    step: str
    start: int
    times_s: np.ndarray
    sizes: np.ndarray
    image: np.ndarray
    world: np.ndarray
    visibility: np.ndarray
    found: np.ndarray
    ended: bool = False
    stats: dict[str, Any] = field(default_factory=dict)
    error: str = ""

    @property
    def n(self) -> int:
        return int(self.times_s.shape[0])

    def poses(self) -> list[FramePose | None]:
        return [FramePose(self.image[i], self.world[i], self.visibility[i],
                          int(round(self.times_s[i] * 1000))) if self.found[i] else None
                for i in range(self.n)]

    def tail(self, k: int) -> Batch:
        """Frames ``k`` and after of this batch."""
        return Batch(self.sid, self.step, self.start + k, self.times_s[k:], self.sizes[k:],
                     self.image[k:], self.world[k:], self.visibility[k:], self.found[k:],
                     self.ended, self.stats, self.error)


def _floats(values: Any, n: int, what: str) -> np.ndarray:
    a = np.asarray([np.nan if v is None else v for v in values], dtype=float)
    if a.shape != (n,):
        raise ValueError(f"{what}: expected {n} numbers, got {a.shape}")
    return a


def parse_batch(value: Any) -> Batch | None:
    """The page's message as arrays; None for no message. Raises ``ValueError`` for a message
    that does not have the documented shape."""
    if not isinstance(value, dict) or "sid" not in value:
        return None
    sid = str(value["sid"])
    if value.get("error"):
        empty = np.zeros((0,))
        return Batch(sid, "", 0, empty, np.zeros((0, 2)), np.zeros((0, N_LANDMARKS, 3)),
                     np.zeros((0, N_LANDMARKS, 3)), np.zeros((0, N_LANDMARKS)),
                     np.zeros(0, bool), error=str(value["error"]))
    frames = value.get("frames") or []
    n = len(frames)
    t = np.full(n, np.nan)
    sizes = np.zeros((n, 2))
    image = np.full((n, N_LANDMARKS, 3), np.nan)
    world = np.full((n, N_LANDMARKS, 3), np.nan)
    vis = np.full((n, N_LANDMARKS), np.nan)
    found = np.zeros(n, bool)
    for i, f in enumerate(frames):
        if not isinstance(f, list) or len(f) != 5:
            raise ValueError(f"frame {i}: expected [t_ms, W, H, image, world]")
        t[i], sizes[i] = float(f[0]) / 1000.0, (float(f[1]), float(f[2]))
        if f[3] is not None and f[4] is not None:
            img = _floats(f[3], 4 * N_LANDMARKS, f"frame {i} image").reshape(N_LANDMARKS, 4)
            image[i], vis[i] = img[:, :3], img[:, 3]
            world[i] = _floats(f[4], 3 * N_LANDMARKS, f"frame {i} world").reshape(
                N_LANDMARKS, 3)
            found[i] = True
    stats = value.get("stats") if isinstance(value.get("stats"), dict) else {}
    return Batch(sid, str(value.get("step", "")), int(value.get("from", 0)), t, sizes, image,
                 world, vis, found, bool(value.get("ended")), dict(stats or {}))


@dataclass
class Feed:
    """What the server has received from the page: per (page, step), how many frames; new
    frames are passed on once (a re-sent frame, or the component's last value returned again
    by a rerun, is skipped)."""

    counts: dict[tuple[str, str], int] = field(default_factory=dict)
    last: tuple[str, int] = ("", -1)  # (sid, n) of the newest message handled
    sid: str = ""
    stats: dict[str, Any] = field(default_factory=dict)
    error: str = ""

    def ack(self, step: str) -> dict[str, Any]:
        return {"sid": self.sid, "step": step, "count": self.counts.get((self.sid, step), 0)}

    def seen(self, value: Any) -> bool:
        """The message was handled before (Streamlit returns a component's last value on every
        rerun)."""
        if not isinstance(value, dict):
            return True
        key = (str(value.get("sid")), int(value.get("n", -1)))
        if key == self.last and not value.get("error"):
            return True
        self.last = key
        return False

    def new_frames(self, batch: Batch) -> Batch | None:
        """The frames of ``batch`` not received before (None: nothing new)."""
        if batch.error:
            self.error = batch.error
            return None
        self.sid, self.stats = batch.sid, batch.stats
        count = self.counts.get((batch.sid, batch.step), 0)
        skip = count - batch.start
        if skip < 0 or skip >= batch.n:  # a gap (re-sent from the ack next time), or old
            return None
        self.counts[(batch.sid, batch.step)] = batch.start + batch.n
        return batch.tail(skip)


def component_dir(build: Path = BUILD) -> Path:
    """The folder Streamlit serves for the panel: ``build`` with the model linked in, or, where
    the package's folder is read-only (a system-wide install), a copy of it in the user's cache
    folder."""
    try:
        ensure_model(build)
        return build
    except OSError:
        import platformdirs

        info = json.loads((build / "BUILD.json").read_text())
        cache = Path(platformdirs.user_cache_dir("lumbar-rom")) / "pose_component" / \
            hashlib.sha256(json.dumps(info, sort_keys=True).encode()).hexdigest()[:16]
        shutil.copytree(build, cache, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("*.task"))
        ensure_model(cache)
        return cache


_COMPONENT: Any = None
_DIR: Path | None = None


def pose_camera(key: str, **args: Any) -> Any:
    """Show the camera panel (the component) and return the page's newest message (or None)."""
    global _COMPONENT, _DIR
    if _DIR is None or _DIR == BUILD:  # a stat when the model is there (a rebuild of the page
        _DIR = component_dir()  # may have removed it)
    if _COMPONENT is None:
        import streamlit.components.v1 as components

        _COMPONENT = components.declare_component(COMPONENT, path=str(_DIR))
    return _COMPONENT(key=key, default=None, **args)


__all__ = ["BUILD", "Batch", "Feed", "ensure_model", "parse_batch", "pose_camera"]
