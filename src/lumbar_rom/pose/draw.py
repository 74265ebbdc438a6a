"""Annotation drawing with OpenCV: skeleton, trunk line, live angle text, peak marker."""

from __future__ import annotations

import cv2
import numpy as np

from lumbar_rom.pose.landmarks import SKELETON
from lumbar_rom.pose.landmarks import Landmark as L

_BONE = (230, 230, 230)
_JOINT = (40, 180, 255)
_TRUNK = (255, 140, 0)
_TEXT_BG = (20, 20, 20)


def draw_pose(rgb: np.ndarray, image_xy: np.ndarray | None, label: str | None = None,
              highlight: bool = False, visibility: np.ndarray | None = None,
              min_visibility: float = 0.3) -> np.ndarray:
    """Draw on a copy of ``rgb (H, W, 3) uint8``.

    image_xy : (33, >=2) pixel landmarks in ``rgb``'s coordinates, or None (nothing found)
    label : text for the top-left box (e.g. "Flexion 42 deg")
    highlight : draw the trunk line in the peak colour (an end-range frame)
    """
    out = rgb.copy()
    h, w = out.shape[:2]
    scale = max(h, w) / 720.0
    thick = max(1, round(2 * scale))
    if image_xy is not None and np.all(np.isfinite(image_xy[[11, 12, 23, 24], :2])):
        pts = np.round(image_xy[:, :2]).astype(int)
        ok = np.isfinite(image_xy[:, 0])
        if visibility is not None:
            ok &= ~(visibility < min_visibility)
        for a, b in SKELETON:
            if ok[a] and ok[b]:
                cv2.line(out, tuple(pts[a]), tuple(pts[b]), _BONE, thick, cv2.LINE_AA)
        for j in np.flatnonzero(ok):
            cv2.circle(out, tuple(pts[j]), thick + 1, _JOINT, -1, cv2.LINE_AA)
        hip = np.round(0.5 * (image_xy[L.LEFT_HIP, :2] + image_xy[L.RIGHT_HIP, :2])).astype(int)
        sh = np.round(0.5 * (image_xy[L.LEFT_SHOULDER, :2]
                             + image_xy[L.RIGHT_SHOULDER, :2])).astype(int)
        colour = (60, 220, 60) if highlight else _TRUNK
        cv2.line(out, tuple(hip), tuple(sh), colour, thick * 3, cv2.LINE_AA)
        cv2.circle(out, tuple(hip), thick * 3, colour, -1, cv2.LINE_AA)
        cv2.circle(out, tuple(sh), thick * 3, colour, -1, cv2.LINE_AA)
    if label:
        font_scale = 0.8 * scale
        (tw, th), base = cv2.getTextSize(label, cv2.FONT_HERSHEY_SIMPLEX, font_scale, thick)
        pad = round(8 * scale)
        cv2.rectangle(out, (0, 0), (tw + 2 * pad, th + base + 2 * pad), _TEXT_BG, -1)
        cv2.putText(out, label, (pad, pad + th), cv2.FONT_HERSHEY_SIMPLEX, font_scale,
                    (255, 255, 255), thick, cv2.LINE_AA)
    return out
