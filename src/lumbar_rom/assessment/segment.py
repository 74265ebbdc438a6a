"""Which movement(s) a clip holds: auto-detection and splitting a sequence into single trials.

Rule (stated once): from the still start, the camera view decides the family (side view:
flexion/extension; front view: side bends or rotation, or a flexion / extension seen from the
front: the 3D trunk line moves in the sagittal plane and the image trunk shortens, a trial the
analysis then refuses for its view). Frames that move more than half the minimum
peak away from neutral form "bouts"; each bout is labelled by the signal that moves most and its
sign (sagittal +: flexion, -: extension; frontal +: side bend left, -: right; wrist-span rotation
with the 3D shoulder line's turn, at least a quarter of it: left/right). Consecutive bouts with
the same label form one trial; each trial keeps the whole rest before it (its neutral) and after it.
Limitation: one clip keeps one camera view (film flexion + extension from the side in one clip,
the side bends and rotations from the front in another).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lumbar_rom.assessment.protocol import Movement
from lumbar_rom.assessment.trial import (
    DEFAULT_ANALYSIS,
    AnalysisSettings,
    find_neutral,
    rotation_neutral,
    small_peak_deg,
)
from lumbar_rom.kinematics import angles as A
from lumbar_rom.kinematics.cleaned import CleanedPose
from lumbar_rom.kinematics.cleaning import runs
from lumbar_rom.kinematics.view import classify_view
from lumbar_rom.pose.sequence import PoseSequence


@dataclass(frozen=True)
class Segment:
    movement: Movement
    start: int  # frame index (inclusive)
    stop: int  # frame index (exclusive)


def segment_movements(seq: PoseSequence | CleanedPose,
                      settings: AnalysisSettings = DEFAULT_ANALYSIS) -> list[Segment]:
    """Split ``seq`` (raw, or already cleaned: a :class:`CleanedPose`) into single-movement
    trials (empty list: nothing recognisable)."""
    raw_seq = seq.seq if isinstance(seq, CleanedPose) else seq
    if raw_seq.detected.sum() < settings.min_detected_frames:
        return []
    kin = seq if isinstance(seq, CleanedPose) else CleanedPose.from_sequence(seq,
                                                                             settings.cleaning)
    t = kin.time_s
    pts, world = kin.image, kin.world
    trunk = A.movement_signal(pts, "sagittal")
    nb = find_neutral(trunk, t, rel=False, settings=settings)
    if nb is None:
        return []
    n0, n1 = nb
    view = classify_view(pts[n0:n1], world[n0:n1]).view
    neutral_trunk = float(A.nanmedian(trunk[n0:n1]))
    labelled: dict[Movement, np.ndarray] = {}
    if view == "side":
        facing = A.facing_sign(pts[n0:n1])
        facing = facing if np.isfinite(facing) else 1.0
        sag = A.excursion(trunk, "sagittal", neutral_trunk, facing)
        labelled = {Movement("flexion"): sag, Movement("extension"): -sag}
    elif view in ("front", "back"):
        labelled = _front_signals(kin, trunk, neutral_trunk, n0, n1, settings)
    if not labelled:
        return []
    bouts = _bouts(labelled, settings.min_peak_deg, settings)
    if not bouts:  # a small motion (trial.py: measured when repeated three times), no rotation
        small = {k: v for k, v in labelled.items() if not k.startswith("rotation")}
        bouts = _bouts(small, small_peak_deg(settings), settings) if small else []
        if len(bouts) < settings.small_reps_needed:
            return []
    groups: list[list[tuple[int, int, Movement]]] = [[bouts[0]]]
    for bout in bouts[1:]:
        if bout[2] == groups[-1][-1][2]:
            groups[-1].append(bout)
        else:
            groups.append([bout])
    return _trials(groups, len(t))


def _bouts(labelled: dict[Movement, np.ndarray], peak: float, settings: AnalysisSettings
           ) -> list[tuple[int, int, Movement]]:
    """Bouts of movement: runs of frames beyond ``segment_active_fraction`` of ``peak`` that
    reach ``peak``, each labelled by the signal that moves most."""
    names = list(labelled)
    stack = np.nan_to_num(np.stack([labelled[k] for k in names]), nan=0.0)
    best = np.argmax(stack, axis=0)
    level = stack[best, np.arange(stack.shape[1])]
    active = level > settings.segment_active_fraction * peak
    return [(a, b, names[int(np.bincount(best[a:b]).argmax())])
            for a, b in runs(active) if np.max(level[a:b]) >= peak]


def _family(m: Movement) -> str:
    """"rotation" / "side-bend" for the sided movements, else the movement itself."""
    return str(m).rsplit("-", 1)[0] if str(m).endswith(("-left", "-right")) else str(m)


def _trials(groups: list[list[tuple[int, int, Movement]]], n: int) -> list[Segment]:
    """One trial per group of bouts with the same label; consecutive groups of one sided family
    that alternate sides (left, right, left, ...) give one trial per side over all of them
    (the signed excursion keeps the sides apart: issue 28, a rotation turning left and right
    in turn gave one-repetition trials)."""
    bounds = []
    for k, g in enumerate(groups):
        # each trial keeps the whole rest before it (its neutral) and after it
        start = 0 if k == 0 else groups[k - 1][-1][1]
        stop = n if k == len(groups) - 1 else groups[k + 1][0][0]
        bounds.append((g[0][2], int(start), int(stop)))
    segments: list[Segment] = []
    k = 0
    while k < len(bounds):
        j = k
        while j + 1 < len(bounds) and _family(bounds[j + 1][0]) == _family(bounds[k][0]) \
                and _family(bounds[k][0]) != str(bounds[k][0]):
            j += 1
        run = bounds[k:j + 1]
        sides = list(dict.fromkeys(m for m, _, _ in run))
        if len(sides) > 1:  # both sides in turn: each side over the whole run
            segments += [Segment(m, run[0][1], run[-1][2]) for m in sides]
        else:
            segments += [Segment(m, a, b) for m, a, b in run]
        k = j + 1
    return segments


def _front_signals(kin: CleanedPose, trunk: np.ndarray, neutral_trunk: float, n0: int, n1: int,
                   settings: AnalysisSettings) -> dict[Movement, np.ndarray]:
    """Front view: each candidate movement's excursion ``(T,)`` (deg, + = more of it).

    Side bends: the image trunk angle. Rotations: the wrist span's rotation, each turn signed by
    the trunk's turn (``signed_rotation``: left and right apart), while the trunk stays upright
    and the shoulders turn with it (``shoulder_turn``). Flexion / extension (the wrong
    view, which the trial analysis then refuses): the 3D trunk line's sagittal change, as far as
    the image trunk's shortening agrees (a forward bend seen from the front moves in depth and
    shortens the trunk in the picture; a side bend does neither).
    """
    pts, world = kin.image, kin.world
    left = A.left_side_sign(pts[n0:n1])
    fro = A.excursion(trunk, "frontal", neutral_trunk, left)
    # the rotations' own neutral, as the trial analysis finds it (the trunk's most upright
    # stretch can span a whole rotation clip: the trunk angle barely moves in one)
    rb = rotation_neutral(pts, kin.time_s, settings) or (n0, n1)
    signed = A.signed_rotation(pts, world, slice(*rb),
                               settings.segment_active_fraction * settings.min_peak_deg)
    rot = np.abs(signed)
    turn = A.shoulder_turn(pts, world, slice(*rb), settings.rotation_span_min_deg)
    # rotation only where the trunk stays upright in the frontal plane and the shoulders turn
    rot = np.where((np.abs(fro) < settings.segment_upright_fraction * rot)
                   & (np.abs(turn) >= settings.rotation_min_yaw_fraction * rot), rot, 0.0)
    sag3, _ = A.trunk_plane_angles(world, world[n0:n1])
    shortening = A.image_foreshortening(pts, pts[n0:n1])
    sag = np.sign(sag3) * np.fmin(np.abs(sag3), shortening)
    return {Movement("side-bend-left"): fro, Movement("side-bend-right"): -fro,
            Movement("rotation-left"): rot * (signed > 0),
            Movement("rotation-right"): rot * (signed < 0),
            Movement("flexion"): sag, Movement("extension"): -sag}
