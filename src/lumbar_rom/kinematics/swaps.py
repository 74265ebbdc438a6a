"""Left and right stay themselves: find and repair left/right swaps of the hips and shoulders.

A pose model sometimes labels a person's left hip (or shoulder) as the right one for a few frames
(seen on a real Pose2Sim camera in 26 of 100 frames at visibility >= 0.99). Rule (stated once),
per pair, on the raw landmarks before cleaning:

1. Continuity: frame by frame, the pair keeps its labels unless swapping them is clearly closer
   to the previous (repaired) frame: the swapped cost (image distance to the previous frame,
   left to right and right to left) below ``continuity_ratio`` times the kept cost. Frames where
   the two points nearly coincide in the image (less than ``min_separation`` of the trunk length
   apart, e.g. a side view) cannot be told by continuity and start a new stretch.
2. The face: each stretch of frames labelled consistently is flipped as a whole when, in most of
   its frames, the person's left read from the face (3D world: the nose ahead of the ears gives
   forward, and left = up x forward) disagrees with the pair's right -> left direction.

The repaired frames are counted (:attr:`CleanedPose.swaps_repaired`, a trial's
``lr_swaps_repaired``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lumbar_rom.pose.landmarks import Landmark as L

PAIRS: tuple[tuple[L, L], ...] = ((L.LEFT_SHOULDER, L.RIGHT_SHOULDER), (L.LEFT_HIP, L.RIGHT_HIP))


@dataclass(frozen=True)
class SwapSettings:
    continuity_ratio: float = 0.5
    min_separation: float = 0.1  # of the median image trunk length


DEFAULT_SWAPS = SwapSettings()


def _trunk_length(image: np.ndarray) -> float:
    mid_s = 0.5 * (image[:, L.LEFT_SHOULDER, :2] + image[:, L.RIGHT_SHOULDER, :2])
    mid_h = 0.5 * (image[:, L.LEFT_HIP, :2] + image[:, L.RIGHT_HIP, :2])
    d = np.linalg.norm(mid_s - mid_h, axis=-1)
    return float(np.nanmedian(d)) if np.isfinite(d).any() else float("nan")


def face_left(world: np.ndarray) -> np.ndarray:
    """The person's left (unit, horizontal) from the face in world coordinates: forward = the
    nose ahead of the ears' midpoint, left = up x forward. ``world (T, 33, 3) -> (T, 3)``
    (NaN where the face is unseen)."""
    fwd = world[:, L.NOSE] - 0.5 * (world[:, L.LEFT_EAR] + world[:, L.RIGHT_EAR])
    fwd[:, 1] = 0.0
    left = np.cross(np.array([0.0, -1.0, 0.0]), fwd)  # world y is down
    norm = np.linalg.norm(left, axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(norm > 1e-6, left / norm, np.nan)


def _continuity(xy_l: np.ndarray, xy_r: np.ndarray, scale: float, s: SwapSettings
                ) -> tuple[np.ndarray, np.ndarray]:
    """Per frame: whether the input labels are swapped relative to the previous repaired frame
    (so relative to the first frame of the stretch) ``(T,)``, and the stretch each frame
    belongs to ``(T,)`` int (a new stretch after an ambiguous or unseen frame)."""
    n = len(xy_l)
    flip = np.zeros(n, bool)
    stretch = np.zeros(n, int)
    prev: tuple[np.ndarray, np.ndarray] | None = None
    k = 0
    for t in range(n):
        a, b = xy_l[t], xy_r[t]
        if not (np.isfinite(a).all() and np.isfinite(b).all()) or \
                np.linalg.norm(a - b) < s.min_separation * scale:
            prev, k = None, k + 1  # unseen or the two coincide: continuity cannot tell
            stretch[t] = k
            continue
        if prev is not None:
            keep = np.linalg.norm(a - prev[0]) + np.linalg.norm(b - prev[1])
            swap = np.linalg.norm(a - prev[1]) + np.linalg.norm(b - prev[0])
            if swap < s.continuity_ratio * keep:
                flip[t] = True
            elif not keep < s.continuity_ratio * swap:
                k += 1  # neither clearly closer: a new stretch, judged by the face
        stretch[t] = k
        prev = (b, a) if flip[t] else (a, b)
    return flip, stretch


def find_swaps(image: np.ndarray, world: np.ndarray, settings: SwapSettings = DEFAULT_SWAPS
               ) -> np.ndarray:
    """Frames whose pair labels are swapped, per pair of :data:`PAIRS`.
    ``image (T, 33, >=2), world (T, 33, 3) -> (T, len(PAIRS))`` bool."""
    out = np.zeros((len(image), len(PAIRS)), bool)
    scale = _trunk_length(image)
    if not np.isfinite(scale) or scale <= 0:
        return out
    left = face_left(world)
    for j, (li, ri) in enumerate(PAIRS):
        flip, stretch = _continuity(image[:, li, :2], image[:, ri, :2], scale, settings)
        lr = world[:, li] - world[:, ri]
        lr = np.where(flip[:, None], -lr, lr)
        vote = np.sign(np.einsum("ij,ij->i", lr, np.nan_to_num(left, nan=0.0)))
        vote[~np.isfinite(left).all(axis=1)] = 0.0
        for k in np.unique(stretch):
            sel = stretch == k
            if np.sum(vote[sel]) < 0:  # the face says this stretch is the wrong way round
                flip[sel] = ~flip[sel]
        out[:, j] = flip
    return out


def repair_swaps(image: np.ndarray, world: np.ndarray, visibility: np.ndarray,
                 settings: SwapSettings = DEFAULT_SWAPS
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``image (T, 33, D), world (T, 33, 3), visibility (T, 33)`` with the swapped pairs put
    back, and the repaired frames ``(T,)`` bool (any pair swapped)."""
    swapped = find_swaps(image, world, settings)
    image, world, visibility = image.copy(), world.copy(), visibility.copy()
    for j, (li, ri) in enumerate(PAIRS):
        rows = np.flatnonzero(swapped[:, j])
        for arr in (image, world, visibility):
            arr[rows, li], arr[rows, ri] = arr[rows, ri].copy(), arr[rows, li].copy()
    return image, world, visibility, np.asarray(swapped.any(axis=1), bool)
