"""Camera view from the landmarks: front, side, oblique (or back).

Two cues, both from the neutral (upright) frames:
- the 3D hip line's angle to the image plane from MediaPipe's world landmarks (read well by
  MediaPipe: -2..+4 deg facing the camera, 22-29 deg at 25 deg off-front; measurement-findings 4);
- the 2D shoulder span relative to the trunk length (large facing the camera, small side-on).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from lumbar_rom.kinematics.angles import hip_yaw, left_side_sign, mid_hip, mid_shoulder, span_2d
from lumbar_rom.pose.landmarks import Landmark as L

View = Literal["front", "side", "oblique", "back", "unknown"]

FRONT_MAX_DEG = 25.0  # hip line within this of the image plane: front
SIDE_MIN_DEG = 60.0  # beyond this: side
FRONT_MIN_RATIO = 0.45  # shoulder span / trunk length at least this: front-ish
SIDE_MAX_RATIO = 0.30  # at most this: side-ish


@dataclass(frozen=True)
class ViewEstimate:
    """``view``; ``off_front_deg``: hip line vs image plane (0 = square to the camera, 90 = side);
    ``span_ratio``: 2D shoulder span / trunk length."""

    view: View
    off_front_deg: float
    span_ratio: float


def classify_view(image: np.ndarray, world: np.ndarray) -> ViewEstimate:
    """``image (T, 33, >=2), world (T, 33, 3)`` of still frames -> :class:`ViewEstimate`."""
    yaw = hip_yaw(world)
    folded = np.abs(wrap_90(yaw))
    off = float(np.nanmedian(folded)) if np.any(np.isfinite(folded)) else float("nan")
    trunk = np.linalg.norm(mid_shoulder(image)[:, :2] - mid_hip(image)[:, :2], axis=-1)
    ratio_t = span_2d(image, L.LEFT_SHOULDER, L.RIGHT_SHOULDER) / trunk
    ratio = float(np.nanmedian(ratio_t)) if np.any(np.isfinite(ratio_t)) else float("nan")
    if not np.isfinite(off) or not np.isfinite(ratio):
        return ViewEstimate("unknown", off, ratio)
    if off <= FRONT_MAX_DEG and ratio >= FRONT_MIN_RATIO:
        view: View = "front" if left_side_sign(image) > 0 else "back"
    elif off >= SIDE_MIN_DEG or ratio <= SIDE_MAX_RATIO:
        view = "side"
    else:
        view = "oblique"
    return ViewEstimate(view, off, ratio)


def wrap_90(deg: np.ndarray) -> np.ndarray:
    """Fold a line's direction (defined modulo 180) into [-90, 90]."""
    d = np.mod(np.asarray(deg, dtype=float) + 90.0, 180.0) - 90.0
    return d
