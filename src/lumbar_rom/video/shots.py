"""Shot boundaries (cuts) and frames without a full body.

Cuts: PySceneDetect's ``AdaptiveDetector`` rule over its ``ContentDetector`` score, on the
decoded frames (PySceneDetect 0.7 itself requires the ``opencv-python`` wheel, which would clash
with the ``opencv-contrib-python`` that MediaPipe brings, so the 30-line rule is here). A frame
starts a new shot when its mean HSV difference from the previous frame is large in itself and
``ratio`` times that of the frames around it (a handheld pan changes every frame a little; a cut
changes one frame a lot).

Frames without a full body: from a pose sequence's arrays (``seq.image, seq.visibility,
seq.frame_size``; this module sits below ``pose`` in the layers, so it takes arrays), frames where
no person was found, the hips or shoulders are out of the picture or unseen, or the body's scale
(shoulder-to-hip length in pixels) jumps away from the clip's own (a close-up).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import cv2
import numpy as np

from lumbar_rom.video.reader import iter_frames

TRUNK = (11, 12, 23, 24)  # shoulders, hips (MediaPipe landmark indices)
SMALL = 160  # frames are compared at this width (px)


def _hsv_small(rgb: np.ndarray) -> np.ndarray:
    h = max(1, round(SMALL * rgb.shape[0] / rgb.shape[1]))
    small = cv2.resize(rgb, (SMALL, h), interpolation=cv2.INTER_AREA)
    return cv2.cvtColor(small, cv2.COLOR_RGB2HSV).astype(np.float32)


def content_differences(frames: Iterable[np.ndarray]) -> np.ndarray:
    """``(T,)`` PySceneDetect's "content value" of each frame against the previous one: the mean
    absolute difference of hue, saturation and value (0-255) over the frame scaled to 160 px
    wide (0 for the first frame; a frame of a new size counts as 255)."""
    out, prev = [], None
    for rgb in frames:
        hsv = _hsv_small(rgb)
        if prev is None:
            out.append(0.0)
        elif prev.shape != hsv.shape:
            out.append(255.0)
        else:
            out.append(float(np.abs(hsv - prev).mean()))
        prev = hsv
    return np.asarray(out, float)


def cuts_from_differences(diff: np.ndarray, min_content: float = 15.0, ratio: float = 3.0,
                          window: int = 2, min_shot: int = 3) -> np.ndarray:
    """Frame indices (sorted ``(K,) int``) that start a new shot, from ``diff (T,)``.

    PySceneDetect's ``AdaptiveDetector`` rule: a frame is a cut when its content value exceeds
    ``min_content`` and ``ratio`` x the mean of the ``window`` frames either side (itself
    excluded); cuts closer than ``min_shot`` frames keep the first."""
    d = np.nan_to_num(np.asarray(diff, float))
    cuts: list[int] = []
    for i in range(1, len(d)):
        around = np.concatenate([d[max(1, i - window):i], d[i + 1:i + 1 + window]])
        base = float(np.mean(around)) if around.size else 0.0
        if d[i] > min_content and d[i] > ratio * base and (not cuts or i - cuts[-1] >= min_shot):
            cuts.append(i)
    return np.asarray(cuts, int)


def detect_cuts(source: str | Path | Iterable[np.ndarray], min_content: float = 15.0,
                ratio: float = 3.0) -> np.ndarray:
    """Shot boundaries: indices of the frames that start a new shot (frame 0 not included),
    ``(K,) int``. ``source``: a video path (decoded at 320 px) or RGB frames ``(H, W, 3)``."""
    if isinstance(source, str | Path):
        frames: Iterable[np.ndarray] = (f.rgb for f in iter_frames(source, max_side=320))
    else:
        frames = source
    return cuts_from_differences(content_differences(frames), min_content, ratio)


def shots(cuts: np.ndarray, n_frames: int) -> list[tuple[int, int]]:
    """``[(start, stop), ...]`` half-open frame ranges of the shots between ``cuts``."""
    edges = [0, *(int(c) for c in cuts if 0 < c < n_frames), n_frames]
    return [(a, b) for a, b in zip(edges[:-1], edges[1:], strict=True) if b > a]


def full_body_frames(image: np.ndarray, visibility: np.ndarray, frame_size: tuple[int, int],
                     min_visibility: float = 0.5, margin: float = 0.0,
                     scale_tolerance: float = 0.35) -> np.ndarray:
    """``(T,) bool``: frames that show the whole trunk at the clip's usual body scale, from
    ``image (T, 33, 3)`` landmarks in px (NaN = no person), ``visibility (T, 33)`` and the frame
    ``(width, height)`` (a PoseSequence's ``image``, ``visibility``, ``frame_size``).

    False where no person was found, a shoulder or hip is unseen (visibility below
    ``min_visibility``) or outside the picture (``margin`` fraction of the frame), or the trunk
    length (mid-shoulder to mid-hip, px) differs from the median over the frames that pass the
    other tests by more than ``scale_tolerance`` (relative): a close-up, or a second, smaller
    person."""
    img = np.asarray(image, float)[:, TRUNK, :2]
    vis = np.asarray(visibility, float)[:, TRUNK]
    w, h = frame_size
    inside = ((img[..., 0] >= -margin * w) & (img[..., 0] <= (1 + margin) * w)
              & (img[..., 1] >= -margin * h) & (img[..., 1] <= (1 + margin) * h))
    with np.errstate(invalid="ignore"):
        ok = np.all(inside & (vis >= min_visibility), axis=1)
    sh = img[:, :2].mean(axis=1)
    hip = img[:, 2:].mean(axis=1)
    length = np.linalg.norm(sh - hip, axis=1)
    if ok.any():
        typical = float(np.nanmedian(length[ok]))
        with np.errstate(invalid="ignore"):
            ok &= np.abs(length / typical - 1.0) <= scale_tolerance
    return ok
