"""Which movement(s) a clip holds: auto-detection and splitting a sequence into single trials.

Rule (stated once): from the still start, the camera view decides the family (side view:
flexion/extension; front view: side bends or rotation). Frames that move more than half the minimum
peak away from neutral form "bouts"; each bout is labelled by the signal that moves most and its
sign (sagittal +: flexion, -: extension; frontal +: side bend left, -: right; wrist-span rotation
with the 3D shoulder line's turn: left/right). Consecutive bouts with the same label form one trial;
each trial keeps the whole rest before it (its neutral) and after it.
Limitation: one clip keeps one camera view (film flexion + extension from the side in one clip,
the side bends and rotations from the front in another).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lumbar_rom.assessment.protocol import Movement
from lumbar_rom.assessment.trial import DEFAULT_ANALYSIS, AnalysisSettings, find_neutral
from lumbar_rom.kinematics import angles as A
from lumbar_rom.kinematics.cleaning import clean
from lumbar_rom.kinematics.view import classify_view
from lumbar_rom.pose.landmarks import Landmark as L
from lumbar_rom.pose.sequence import PoseSequence


@dataclass(frozen=True)
class Segment:
    movement: Movement
    start: int  # frame index (inclusive)
    stop: int  # frame index (exclusive)


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    d = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(d == 1), np.flatnonzero(d == -1), strict=True))


def segment_movements(seq: PoseSequence, settings: AnalysisSettings = DEFAULT_ANALYSIS
                      ) -> list[Segment]:
    """Split ``seq`` into single-movement trials (empty list: nothing recognisable)."""
    if seq.detected.sum() < 10:
        return []
    t = seq.time_s
    pts = clean(seq.image, t, seq.visibility, settings.cleaning)
    world = clean(seq.world, t, seq.visibility, settings.cleaning)
    trunk = A.trunk_image_angle(pts)
    nb = find_neutral(trunk, t, rel=False, settings=settings)
    if nb is None:
        return []
    n0, n1 = nb
    view = classify_view(pts[n0:n1], world[n0:n1]).view
    labelled: dict[str, np.ndarray] = {}
    if view == "side":
        facing = A.facing_sign(pts[n0:n1])
        facing = facing if np.isfinite(facing) else 1.0
        sag = trunk * facing - A.nanmedian(trunk[n0:n1]) * facing
        labelled = {"flexion": sag, "extension": -sag}
    elif view in ("front", "back"):
        left = A.left_side_sign(pts[n0:n1])
        fro = (trunk - A.nanmedian(trunk[n0:n1])) * left
        span = A.span_2d(pts, L.LEFT_WRIST, L.RIGHT_WRIST)
        rot = A.rotation_from_span(span, float(A.nanmedian(span[n0:n1])))
        yaw = A.shoulder_yaw(world)
        turn = np.sign(yaw - A.nanmedian(yaw[n0:n1]))
        # rotation only where the trunk stays upright in the frontal plane
        rot = np.where(np.abs(fro) < 0.5 * rot, rot, 0.0)
        labelled = {"side-bend-left": fro, "side-bend-right": -fro,
                    "rotation-left": rot * (turn > 0), "rotation-right": rot * (turn < 0)}
    if not labelled:
        return []
    names = list(labelled)
    stack = np.nan_to_num(np.stack([labelled[k] for k in names]), nan=0.0)
    best = np.argmax(stack, axis=0)
    level = stack[best, np.arange(len(t))]
    active = level > 0.5 * settings.min_peak_deg
    bouts = [(a, b, names[int(np.bincount(best[a:b]).argmax())])
             for a, b in _runs(active) if np.max(level[a:b]) >= settings.min_peak_deg]
    if not bouts:
        return []
    groups: list[list[tuple[int, int, str]]] = [[bouts[0]]]
    for bout in bouts[1:]:
        if bout[2] == groups[-1][-1][2]:
            groups[-1].append(bout)
        else:
            groups.append([bout])
    segments: list[Segment] = []
    for k, g in enumerate(groups):
        # each trial keeps the whole rest before it (its neutral) and after it
        start = 0 if k == 0 else groups[k - 1][-1][1]
        stop = len(t) if k == len(groups) - 1 else groups[k + 1][0][0]
        segments.append(Segment(g[0][2], int(start), int(stop)))  # type: ignore[arg-type]
    return segments
