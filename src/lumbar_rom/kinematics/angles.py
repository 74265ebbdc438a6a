"""Trunk and limb angles from pose landmarks: pure, vectorised over frames, in degrees.

Angle conventions (the only place they are defined)
---------------------------------------------------
Image coordinates are pixels, x to the image right, y down. World coordinates are MediaPipe's
(metres, x to the image right, y down, z away from the camera). Frames are assumed NOT mirrored
(a webcam's raw frames; selfie-mirrored recordings swap left and right).

``trunk_image_angle``  (any view)
    angle of the mid-hip -> mid-shoulder line against the image vertical (up); positive = top of
    the trunk toward the image right; range (-180, 180].
``sagittal_trunk_angle``  (side view)
    the image angle turned into the person's frame: positive = forward (flexion direction),
    negative = backward (extension). The person's forward direction in the image is read from the
    feet (toes ahead of heels) and the nose (ahead of the ears).
``frontal_trunk_angle``  (front view, person facing the camera)
    positive = top of the trunk toward the person's LEFT (side bend left), negative = right.
``hip_flexion``  (side view)
    angle between the trunk line (up) and the thigh line (down) minus 180; 0 = upright stance,
    positive = trunk and thigh closing in front (flexion).
``knee_flexion``  (side view)
    180 - the hip-knee-ankle angle; 0 = straight knee.
``rotation_from_span``  (front view, seated or standing, dowel across the shoulders or arms out)
    arccos(span / neutral span) of a line carried by the thorax (wrists on a dowel); 0..90,
    unsigned. ``signed_rotation`` signs each turn by ``turn_cue`` (the 3D shoulder line's yaw
    plus the face's turn): + = to the person's left.
``shoulder_turn``  (front view)
    how far the shoulders turned from neutral: the larger of the 3D yaw change and the shoulder
    span's foreshortening, signed like ``shoulder_yaw``; + = turned to the person's left.
``shoulder_yaw`` / ``hip_yaw``  (3D, world)
    horizontal angle of the right -> left shoulder (hip) line against the image plane:
    0 = facing the camera; positive = the person's left side turned away from the camera
    (a rotation to the person's LEFT). MediaPipe's 3D yaw under-reads trunk rotation by about
    half: use it for the sign and the camera check, never as the rotation value.
``obliquity``  (front view)
    angle of a right -> left line against the image horizontal; positive = the person's left
    side higher.

Every function maps NaN inputs to NaN outputs; no function treats 0 as missing.
"""

from __future__ import annotations

import numpy as np

from lumbar_rom.data import load_toml
from lumbar_rom.pose.landmarks import Landmark as L

# ---- helpers ----------------------------------------------------------------------------------


def midpoint(points: np.ndarray, a: int, b: int) -> np.ndarray:
    """Mean of landmarks ``a`` and ``b``. ``points (T, 33, D) -> (T, D)``."""
    return 0.5 * (points[:, a, :] + points[:, b, :])


def mid_hip(points: np.ndarray) -> np.ndarray:
    """``(T, 33, D) -> (T, D)``"""
    return midpoint(points, L.LEFT_HIP, L.RIGHT_HIP)


def mid_shoulder(points: np.ndarray) -> np.ndarray:
    """``(T, 33, D) -> (T, D)``"""
    return midpoint(points, L.LEFT_SHOULDER, L.RIGHT_SHOULDER)


def angle_from_up(vec: np.ndarray) -> np.ndarray:
    """Signed angle of 2D image vectors against image-up; positive toward image right.

    ``vec (..., 2)`` in image coordinates (y down) -> ``(...)`` degrees in (-180, 180].
    """
    return np.degrees(np.arctan2(vec[..., 0], -vec[..., 1]))


def _mean_seen(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Mean of two same-shape arrays where both are finite, else whichever is (else NaN).
    Used for left/right pairs: one leg is often hidden in a side view."""
    return np.where(np.isnan(a), b, np.where(np.isnan(b), a, 0.5 * (a + b)))


def nanmedian(x: np.ndarray, axis: int | None = None) -> np.ndarray | float:
    """``np.nanmedian`` that returns NaN for all-NaN input without a warning."""
    x = np.asarray(x, dtype=float)
    if axis is None:
        return float(np.nanmedian(x)) if np.isfinite(x).any() else float("nan")
    ok = np.isfinite(x).any(axis=axis)
    out = np.full(ok.shape, np.nan)
    if ok.any():
        moved = np.moveaxis(x, axis, -1)[ok]
        out[ok] = np.nanmedian(moved, axis=-1)
    return out


def wrap180(deg: np.ndarray | float) -> np.ndarray:
    """Wrap degrees to (-180, 180]."""
    d = np.asarray(deg, dtype=float)
    return 180.0 - np.mod(180.0 - d, 360.0)


def joint_angle(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Unsigned angle ABC at ``b`` in degrees (0..180). ``a, b, c (T, D) -> (T,)``."""
    u, v = a - b, c - b
    if u.shape[-1] == 2:
        cross = np.abs(u[..., 0] * v[..., 1] - u[..., 1] * v[..., 0])
    else:
        cross = np.linalg.norm(np.cross(u, v), axis=-1)
    return np.degrees(np.arctan2(cross, np.einsum("...i,...i->...", u, v)))


# ---- trunk -------------------------------------------------------------------------------------


def trunk_image_angle(image: np.ndarray) -> np.ndarray:
    """Mid-hip -> mid-shoulder line vs image vertical. ``image (T, 33, >=2) -> (T,)`` degrees,
    positive = top of trunk toward image right."""
    return angle_from_up(mid_shoulder(image)[:, :2] - mid_hip(image)[:, :2])


def facing_sign(image: np.ndarray) -> float:
    """+1 if the person faces the image right in a side view, -1 if the image left, NaN if unknown.

    Votes (median over frames): toes ahead of heels, nose ahead of the ears.
    ``image (T, 33, >=2) -> float``
    """
    toes = 0.5 * (image[:, L.LEFT_FOOT_INDEX, 0] + image[:, L.RIGHT_FOOT_INDEX, 0])
    heels = 0.5 * (image[:, L.LEFT_HEEL, 0] + image[:, L.RIGHT_HEEL, 0])
    ears = 0.5 * (image[:, L.LEFT_EAR, 0] + image[:, L.RIGHT_EAR, 0])
    votes = np.concatenate([np.sign(toes - heels), np.sign(image[:, L.NOSE, 0] - ears)])
    votes = votes[np.isfinite(votes)]
    if votes.size == 0 or np.sum(votes) == 0:
        return float("nan")
    return float(np.sign(np.sum(votes)))


def left_side_sign(image: np.ndarray) -> float:
    """+1 if the person's left is on the image right (facing the camera, unmirrored), -1 if on the
    image left (back to the camera or mirrored), NaN if unknown. ``image (T, 33, >=2) -> float``"""
    d = np.concatenate([image[:, L.LEFT_HIP, 0] - image[:, L.RIGHT_HIP, 0],
                        image[:, L.LEFT_SHOULDER, 0] - image[:, L.RIGHT_SHOULDER, 0]])
    d = d[np.isfinite(d)]
    if d.size == 0 or np.median(d) == 0:
        return float("nan")
    return float(np.sign(np.median(d)))


def sagittal_trunk_angle(image: np.ndarray, facing: float) -> np.ndarray:
    """Trunk inclination in the sagittal plane (side view): + forward, - backward.
    ``image (T, 33, >=2), facing = facing_sign(...) -> (T,)`` degrees."""
    return trunk_image_angle(image) * facing


def frontal_trunk_angle(image: np.ndarray, left_sign: float) -> np.ndarray:
    """Trunk inclination in the frontal plane (front view): + toward the person's left.
    ``image (T, 33, >=2), left_sign = left_side_sign(...) -> (T,)`` degrees."""
    return trunk_image_angle(image) * left_sign


def thigh_angle(image: np.ndarray, facing: float) -> np.ndarray:
    """Mean thigh (hip -> knee) angle vs image down; + knee ahead of hip. ``-> (T,)`` degrees."""
    v = _mean_seen(image[:, L.LEFT_KNEE, :2] - image[:, L.LEFT_HIP, :2],
                   image[:, L.RIGHT_KNEE, :2] - image[:, L.RIGHT_HIP, :2])
    return np.degrees(np.arctan2(v[:, 0], v[:, 1])) * facing


def hip_flexion(image: np.ndarray, facing: float) -> np.ndarray:
    """Trunk-vs-thigh angle (side view), 0 upright, + flexion. ``(T, 33, >=2) -> (T,)`` degrees."""
    return wrap180(sagittal_trunk_angle(image, facing) + thigh_angle(image, facing))


def knee_flexion(image: np.ndarray) -> np.ndarray:
    """180 - hip-knee-ankle angle, mean of the legs seen (NaN-aware); 0 = straight.
    ``-> (T,)`` degrees."""
    left = joint_angle(image[:, L.LEFT_HIP, :2], image[:, L.LEFT_KNEE, :2],
                       image[:, L.LEFT_ANKLE, :2])
    right = joint_angle(image[:, L.RIGHT_HIP, :2], image[:, L.RIGHT_KNEE, :2],
                        image[:, L.RIGHT_ANKLE, :2])
    return 180.0 - _mean_seen(left, right)


def estimated_lumbar_flexion(trunk_flexion_deg: np.ndarray) -> np.ndarray:
    """ESTIMATE of the lumbar part of a whole-trunk flexion angle through the lumbopelvic rhythm
    (data/lumbopelvic_rhythm.toml, Esola 1996): within each band of trunk angle the lumbar share of
    each degree is ratio / (1 + ratio). Negative inputs (extension) use the extension fraction.
    ``(...) -> (...)`` degrees."""
    rhythm = load_toml("lumbopelvic_rhythm.toml")
    uppers = np.asarray(rhythm["flexion"]["band_upper_deg"], float)
    ratios = np.asarray(rhythm["flexion"]["lumbar_to_hip_ratio"], float)
    shares = ratios / (1.0 + ratios)
    x = np.asarray(trunk_flexion_deg, float)
    pos = np.clip(x, 0.0, None)
    lowers = np.concatenate([[0.0], uppers[:-1]])
    widths = np.concatenate([uppers - lowers])
    widths[-1] = np.inf  # the last ratio holds beyond the last band
    in_band = np.clip(pos[..., None] - lowers, 0.0, widths)
    lumbar = np.sum(in_band * shares, axis=-1)
    ext = np.clip(x, None, 0.0) * rhythm["extension"]["lumbar_fraction"]
    out = lumbar + ext
    return np.where(np.isnan(x), np.nan, out)


# ---- rotation ----------------------------------------------------------------------------------


def span_2d(image: np.ndarray, a: int, b: int) -> np.ndarray:
    """Image distance between landmarks ``a`` and ``b``. ``(T, 33, >=2) -> (T,)`` pixels."""
    return np.linalg.norm(image[:, a, :2] - image[:, b, :2], axis=-1)


def rotation_from_span(span: np.ndarray, neutral_span: float) -> np.ndarray:
    """Axial rotation from foreshortening: arccos(span / neutral span), degrees 0..90 (unsigned).
    Spans longer than neutral read 0. ``(T,) -> (T,)``. Insensitive (noisy) below ~10 deg."""
    ratio = np.clip(np.asarray(span, float) / neutral_span, -1.0, 1.0)
    return np.degrees(np.arccos(ratio))


def _yaw(world: np.ndarray, left: int, right: int) -> np.ndarray:
    v = world[:, left, :] - world[:, right, :]
    return np.degrees(np.arctan2(v[:, 2], v[:, 0]))


def shoulder_yaw(world: np.ndarray) -> np.ndarray:
    """3D right -> left shoulder line vs the image plane; + = left side away (turned left).
    ``world (T, 33, 3) -> (T,)`` degrees (-180, 180]."""
    return _yaw(world, L.LEFT_SHOULDER, L.RIGHT_SHOULDER)


def shoulder_turn(image: np.ndarray, world: np.ndarray, neutral: slice,
                  span_min_deg: float) -> np.ndarray:
    """How far the shoulders turned from the ``neutral`` frames, + = to the left (front view).

    The larger of the 3D shoulder line's yaw change and, where it reads at least
    ``span_min_deg``, the 2D shoulder span's foreshortening (``rotation_from_span``), signed by
    the yaw change. MediaPipe's 3D yaw under-reads a turn, most with the hands behind the head:
    on the rendered dowel trials it read 2-12 deg for 25-45 deg of turn, while the span read
    6-40 deg (benchmarks/accuracy.py, 2026-12-03). The span is unsigned and its arccos is noise
    near 0 (a 1 % shorter span reads 8 deg; a side bend read 10-14), where only the yaw counts.
    ``image (T, 33, >=2), world (T, 33, 3) -> (T,)`` degrees; NaN where the yaw is missing.
    """
    yaw = shoulder_yaw(world)
    change = yaw - nanmedian(yaw[neutral])
    span = span_2d(image, L.LEFT_SHOULDER, L.RIGHT_SHOULDER)
    by_span = rotation_from_span(span, float(nanmedian(span[neutral])))
    by_span = np.where(by_span >= span_min_deg, by_span, 0.0)
    return np.sign(change) * np.fmax(np.abs(change), by_span)


def arm_lift(image: np.ndarray, neutral: slice) -> np.ndarray:
    """How far the wrists rose or fell against the shoulders since the ``neutral`` frames, as a
    fraction of the neutral shoulder span (2D, front view): the mean wrist height minus the mean
    shoulder height, its change from neutral, unsigned. A trunk rotation with a dowel across the
    shoulders or the arms held out carries the wrists at a fixed height against the shoulders
    (~0); arms raised or lowered move them (arms raised 25 deg from straight out: about 0.7).
    ``image (T, 33, >=2) -> (T,)`` (dimensionless)."""
    wrists = 0.5 * (image[:, L.LEFT_WRIST, 1] + image[:, L.RIGHT_WRIST, 1])
    shoulders = 0.5 * (image[:, L.LEFT_SHOULDER, 1] + image[:, L.RIGHT_SHOULDER, 1])
    rel = shoulders - wrists  # + = wrists above the shoulders (y is down)
    span = span_2d(image, L.LEFT_SHOULDER, L.RIGHT_SHOULDER)
    return np.abs(rel - nanmedian(rel[neutral])) / nanmedian(span[neutral])


def face_turn(image: np.ndarray, neutral: slice) -> np.ndarray:
    """How far the face turned from the ``neutral`` frames (front view), + = to the person's
    left: the nose's horizontal offset from the ears' midpoint, its change from neutral, over
    0.7 x the neutral ear span (the nose sits about that far ahead of the ears' axis), as an
    arcsine. A rough angle, used for the sign of a turn: on 26 rendered rotations it read 17-50
    deg at the end range, always the right way.
    ``image (T, 33, >=2) -> (T,)`` degrees."""
    left = left_side_sign(image[neutral])
    left = left if np.isfinite(left) else 1.0
    ears_x = 0.5 * (image[:, L.LEFT_EAR, 0] + image[:, L.RIGHT_EAR, 0])
    offset = (image[:, L.NOSE, 0] - ears_x) * left
    ears = span_2d(image, L.LEFT_EAR, L.RIGHT_EAR)
    ratio = (offset - nanmedian(offset[neutral])) / (0.7 * nanmedian(ears[neutral]))
    return np.degrees(np.arcsin(np.clip(ratio, -1.0, 1.0)))


def turn_cue(image: np.ndarray, world: np.ndarray, neutral: slice) -> np.ndarray:
    """Which way the trunk turned, + = left: the 3D shoulder line's yaw change plus the face's
    turn (:func:`face_turn`), each where the other is missing. Both were right at the end range
    of all 26 rendered rotations checked (the 3D yaw under-reads the size: 2-31 deg for 25-45).
    ``image (T, 33, >=2), world (T, 33, 3) -> (T,)`` degrees (only its sign is meaningful)."""
    yaw = shoulder_yaw(world)
    change = yaw - nanmedian(yaw[neutral])
    face = face_turn(image, neutral)
    return np.where(np.isnan(change), face, np.where(np.isnan(face), change, change + face))


def signed_rotation(image: np.ndarray, world: np.ndarray, neutral: slice,
                    active_deg: float) -> np.ndarray:
    """The wrist span's rotation (:func:`rotation_from_span`) signed by the trunk's turn,
    + = to the person's left. Each stretch of frames beyond ``active_deg`` (one turn and
    return) takes one sign, that of the median :func:`turn_cue` over it, so one motion is never
    both left and right; the frames between take their own frame's sign (they are near 0).
    ``image (T, 33, >=2), world (T, 33, 3) -> (T,)`` degrees."""
    span = span_2d(image, L.LEFT_WRIST, L.RIGHT_WRIST)
    unsigned = rotation_from_span(span, float(nanmedian(span[neutral])))
    cue = turn_cue(image, world, neutral)
    sign = np.where(cue < 0, -1.0, 1.0)
    active = np.nan_to_num(unsigned, nan=0.0) > active_deg
    edges = np.flatnonzero(np.diff(np.concatenate([[0], active.astype(np.int8), [0]])))
    for a, b in zip(edges[::2], edges[1::2], strict=True):
        m = nanmedian(cue[a:b])
        sign[a:b] = -1.0 if np.isfinite(m) and m < 0 else 1.0
    return unsigned * sign


def hip_yaw(world: np.ndarray) -> np.ndarray:
    """3D right -> left hip line vs the image plane; 0 = pelvis square to the camera.
    ``world (T, 33, 3) -> (T,)`` degrees."""
    return _yaw(world, L.LEFT_HIP, L.RIGHT_HIP)


# ---- posture (neutral phase) -------------------------------------------------------------------


def obliquity(image: np.ndarray, left: int, right: int, left_sign: float) -> np.ndarray:
    """Right -> left line vs image horizontal, + = person's left side higher (front view).
    ``(T, 33, >=2) -> (T,)`` degrees."""
    v = image[:, left, :2] - image[:, right, :2]
    # y is down: the left side higher means v_y < 0. Flip x by left_sign so "toward the left" is +x.
    return np.degrees(np.arctan2(-v[:, 1], v[:, 0] * left_sign))


def pelvic_obliquity(image: np.ndarray, left_sign: float) -> np.ndarray:
    """Hip line tilt (front view), + = left hip higher. ``-> (T,)`` degrees."""
    return obliquity(image, L.LEFT_HIP, L.RIGHT_HIP, left_sign)


def shoulder_obliquity(image: np.ndarray, left_sign: float) -> np.ndarray:
    """Shoulder line tilt (front view), + = left shoulder higher. ``-> (T,)`` degrees."""
    return obliquity(image, L.LEFT_SHOULDER, L.RIGHT_SHOULDER, left_sign)


def lateral_trunk_shift(image: np.ndarray, left_sign: float) -> np.ndarray:
    """Mid-shoulder horizontal offset from mid-hip as a fraction of hip width (front view),
    + = toward the person's left. ``-> (T,)`` (dimensionless)."""
    dx = (mid_shoulder(image)[:, 0] - mid_hip(image)[:, 0]) * left_sign
    return dx / span_2d(image, L.LEFT_HIP, L.RIGHT_HIP)


def forward_head_angle(image: np.ndarray, facing: float) -> np.ndarray:
    """Shoulder -> ear line vs vertical (side view), + = ear ahead of the shoulder.
    ``-> (T,)`` degrees."""
    ear = midpoint(image, L.LEFT_EAR, L.RIGHT_EAR)[:, :2]
    sh = mid_shoulder(image)[:, :2]
    return angle_from_up(ear - sh) * facing


# ---- fingertip to floor ------------------------------------------------------------------------


def fingertip_to_floor(image: np.ndarray, neutral: np.ndarray, height_cm: float | None
                       ) -> tuple[np.ndarray, str]:
    """Vertical distance from the lower fingertip to the floor (side view).

    The floor is the ankle level of the neutral stance plus the ankle height; with the person's
    height the pixel scale comes from the eye-to-ankle distance in neutral (anthropometric
    fractions, data/anthropometry.toml). ``image (T, 33, >=2), neutral (N, 33, >=2)`` -> ``(T,)``
    and its unit: ``"cm"`` with a height, else ``"px"``. Negative = fingertips below floor level.
    """
    anth = load_toml("anthropometry.toml")
    ankle_y = nanmedian(_mean_seen(neutral[:, L.LEFT_ANKLE, 1], neutral[:, L.RIGHT_ANKLE, 1]))
    eye_y = nanmedian(_mean_seen(neutral[:, L.LEFT_EYE, 1], neutral[:, L.RIGHT_EYE, 1]))
    tip_y = np.fmax(image[:, L.LEFT_INDEX, 1], image[:, L.RIGHT_INDEX, 1])
    if height_cm is None:
        return ankle_y - tip_y, "px"
    px_per_cm = (ankle_y - eye_y) / ((anth["eye_height"]["fraction"]
                                      - anth["ankle_height"]["fraction"]) * height_cm)
    floor_y = ankle_y + anth["ankle_height"]["fraction"] * height_cm * px_per_cm
    return (floor_y - tip_y) / px_per_cm, "cm"


# ---- a movement's signal and its excursion from neutral ----------------------------------------


def movement_signal(image: np.ndarray, signal: str) -> np.ndarray:
    """The raw per-frame measure of a movement family (protocol.toml's ``signal``): the wrist
    span for ``"rotation"`` (pixels), else the image trunk angle (deg).
    ``image (T, 33, >=2) -> (T,)``."""
    if signal == "rotation":
        return span_2d(image, L.LEFT_WRIST, L.RIGHT_WRIST)
    return trunk_image_angle(image)


def excursion(raw: np.ndarray, signal: str, neutral: float, sign: float = 1.0,
              direction: int = 1) -> np.ndarray:
    """Excursion from neutral (deg, positive = more of the movement) of a raw signal.

    ``raw (T,)`` from :func:`movement_signal`; ``neutral``: its value at neutral (deg, or the
    neutral wrist span for ``"rotation"``). Rotation: ``rotation_from_span`` (unsigned, 0..90;
    ``sign`` and ``direction`` unused). Angles: ``direction * (raw * sign - neutral * sign)``
    with ``sign`` = :func:`facing_sign` (sagittal) or :func:`left_side_sign` (frontal) and
    ``direction`` = protocol.toml's +1 / -1. ``-> (T,)``.
    """
    raw = np.asarray(raw, dtype=float)
    if signal == "rotation":
        return rotation_from_span(raw, neutral)
    return direction * (raw * sign - neutral * sign)


# ---- the planes of a trunk motion (3D, world) --------------------------------------------------


def person_axes(neutral_world: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The person's axes in world coordinates from the neutral frames: ``left`` (the horizontal
    right -> left hip and shoulder lines), ``up`` (world up) and ``forward`` (left x up).
    ``neutral_world (N, 33, 3) -> three (3,)`` unit vectors (NaN when the lines are unseen)."""
    lr = (neutral_world[:, L.LEFT_HIP] - neutral_world[:, L.RIGHT_HIP]
          + neutral_world[:, L.LEFT_SHOULDER] - neutral_world[:, L.RIGHT_SHOULDER])
    left = np.asarray(nanmedian(lr, axis=0), float)
    left[1] = 0.0
    norm = float(np.linalg.norm(left))
    left = left / norm if np.isfinite(norm) and norm > 1e-6 else np.full(3, np.nan)
    up = np.array([0.0, -1.0, 0.0])  # world y is down
    return left, up, np.cross(left, up)


def trunk_plane_angles(world: np.ndarray, neutral_world: np.ndarray
                       ) -> tuple[np.ndarray, np.ndarray]:
    """Change from neutral of the 3D mid-hip -> mid-shoulder line's inclination in the person's
    sagittal plane (+ forward) and frontal plane (+ toward the person's left), the axes from
    :func:`person_axes`. A motion's plane is the one holding most of the change.
    ``world (T, 33, 3), neutral_world (N, 33, 3) -> ((T,), (T,))`` degrees."""
    left, up, fwd = person_axes(neutral_world)

    def planes(trunk: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        h = trunk @ up
        return (np.degrees(np.arctan2(trunk @ fwd, h)), np.degrees(np.arctan2(trunk @ left, h)))

    sag, fro = planes(mid_shoulder(world) - mid_hip(world))
    sag0, fro0 = planes(mid_shoulder(neutral_world) - mid_hip(neutral_world))
    return sag - nanmedian(sag0), fro - nanmedian(fro0)


def image_foreshortening(image: np.ndarray, neutral_image: np.ndarray) -> np.ndarray:
    """How far the trunk turned out of the image plane, from its image length:
    ``arccos(length / neutral length)`` (0..90, unsigned; noisy below ~20 deg).
    ``image (T, 33, >=2), neutral_image (N, 33, >=2) -> (T,)`` degrees."""
    length = np.linalg.norm(mid_shoulder(image)[:, :2] - mid_hip(image)[:, :2], axis=-1)
    ref = nanmedian(np.linalg.norm(mid_shoulder(neutral_image)[:, :2]
                                   - mid_hip(neutral_image)[:, :2], axis=-1))
    return np.degrees(np.arccos(np.clip(length / ref, 0.0, 1.0)))
