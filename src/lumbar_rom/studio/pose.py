"""Posing: forward kinematics and linear blend skinning in numpy.

A pose is a rotation per bone, given in the body's frame (x = left, y = up, z = forward) and applied
about the bone's rest head, on top of its parent's motion. Sign conventions match the product's
(``lumbar_rom.kinematics.angles``): flexion + = forward, side bend + = toward the figure's left,
rotation + = turning to the figure's left.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from lumbar_rom.studio.body import Body

SPINE = ("spine05", "spine04", "spine03", "spine02", "spine01")


def rot_x(deg: float) -> np.ndarray:
    """Rotation about x (left axis): + tips up (+y) toward forward (+z): flexion."""
    a = np.radians(deg)
    return np.array([[1, 0, 0], [0, np.cos(a), -np.sin(a)], [0, np.sin(a), np.cos(a)]])


def rot_z(deg: float) -> np.ndarray:
    """Rotation about z (forward axis): + tips up (+y) toward the left (+x): side bend left."""
    a = np.radians(deg)
    return np.array([[np.cos(a), np.sin(a), 0], [-np.sin(a), np.cos(a), 0], [0, 0, 1]])


def rot_y(deg: float) -> np.ndarray:
    """Rotation about y (up): + turns forward (+z) toward the left (+x): rotation left."""
    a = np.radians(deg)
    return np.array([[np.cos(a), 0, np.sin(a)], [0, 1, 0], [-np.sin(a), 0, np.cos(a)]])


@dataclass(frozen=True)
class BodyPose:
    """Rotations per bone name (3x3, body frame, about the bone's head, relative to the parent)."""

    rotations: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass(frozen=True)
class MovementPose:
    """The scenario-level description of a frame (degrees).

    spine_* are spread evenly over the five spine bones; ``hip_flexion`` tilts the pelvis (and all
    above it) about the hip joints with the legs staying put; ``pelvis_rotation`` turns the pelvis
    about the vertical; ``knee_bend`` bends both knees; ``arms``: "down" (along the body,
    hanging with gravity while bending; in a side bend the arm on the other side is carried),
    "out" (straight out to the sides, the rotation protocol without a dowel), "dowel" (a bar
    held behind the head with a wide grip, carried by the thorax) or "hands-back".
    """

    spine_flexion: float = 0.0
    spine_side_bend: float = 0.0
    spine_rotation: float = 0.0
    hip_flexion: float = 0.0
    pelvis_rotation: float = 0.0
    knee_bend: float = 0.0
    arms: str = "down"


def _arm_rotations(arms: str) -> dict[str, np.ndarray]:
    """Arm set-ups from the rest A-pose (arms ~48 deg below horizontal); rot_z(+) lowers the
    left arm, rot_x(+) swings a hanging arm backward."""
    out: dict[str, np.ndarray] = {}
    for side, s in (("L", 1.0), ("R", -1.0)):
        if arms == "down":
            out[f"upperarm01.{side}"] = rot_z(s * 36.0)
        elif arms == "out":  # straight out to the sides: carried rigidly by the thorax
            out[f"upperarm01.{side}"] = rot_z(-s * 46.0)
        elif arms == "hands-back":  # arms down and back, hands toward the low back
            out[f"upperarm01.{side}"] = rot_z(s * 30.0) @ rot_x(30.0)
        elif arms == "dowel":  # elbows out, forearms up and back: hands wide behind the head
            out[f"upperarm01.{side}"] = rot_z(-s * 38.0)
            out[f"lowerarm01.{side}"] = rot_x(-65.0) @ rot_z(-s * 95.0)
    return out


def body_pose(m: MovementPose) -> BodyPose:
    """Bone rotations for a :class:`MovementPose`."""
    rots: dict[str, np.ndarray] = {}
    per = 1.0 / len(SPINE)
    spine_r = rot_y(m.spine_rotation * per) @ rot_z(m.spine_side_bend * per) @ rot_x(
        m.spine_flexion * per)
    for b in SPINE:
        rots[b] = spine_r
    # pelvis tilt about the hips: rotate the root, counter-rotate the thighs so the legs stay
    root = rot_y(m.pelvis_rotation) @ rot_x(m.hip_flexion)
    rots["root"] = root
    inv = root.T
    kb = m.knee_bend
    for side in ("L", "R"):
        rots[f"upperleg01.{side}"] = inv @ rot_x(kb / 2.0)
        rots[f"lowerleg01.{side}"] = rot_x(-kb)
    rots.update(_arm_rotations(m.arms))
    if m.arms == "down":  # arms hang with gravity in the sagittal plane while bending
        hanging = bent_side(m)
        thorax = root @ np.linalg.matrix_power(spine_r, len(SPINE))  # the shoulders' turn
        for side in ("L", "R"):
            name = f"upperarm01.{side}"
            if side == hanging:  # the whole turn undone: the arm keeps its standing direction
                rots[name] = thorax.T @ rots[name]
            else:
                rots[name] = rot_x(-(m.hip_flexion + m.spine_flexion)) @ rots[name]
    return BodyPose(rots)


def bent_side(m: MovementPose) -> str | None:
    """The arm that hangs free in a side bend: "L" / "R" for the side bent to, else ``None``.

    Decision: in a standing side bend the arm on the side bent to hangs under gravity (shoulder
    and elbow free), so the whole hand - knuckles and fingertip alike - moves down with the
    shoulder and the fingers keep pointing at the floor, as when the fingertips slide down the
    thigh in the clinical test (BASMI lateral lumbar flexion). It is not carried by the thorax:
    a rigidly carried arm tilts the hand with the trunk (about 21 deg at the samples' end
    range), lifting the fingertip about 4 cm against its knuckles, which a camera's hand
    landmark does not show (README, Clinical units). The arm on the other side rests against the
    trunk and is carried by it (hanging straight down it would pass through the hip).
    """
    if m.spine_side_bend > 0:
        return "L"
    if m.spine_side_bend < 0:
        return "R"
    return None


def dowel_mesh(left_hand: np.ndarray, right_hand: np.ndarray, overhang: float = 0.25,
               radius: float = 0.016, sides: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """A broom handle through both hands: ``(V, 3)`` vertices and ``(F, 3)`` triangles."""
    axis = left_hand - right_hand
    length = np.linalg.norm(axis)
    u = axis / length
    a = right_hand - u * overhang
    b = left_hand + u * overhang
    helper = np.array([0.0, 0.0, 1.0]) if abs(u[2]) < 0.9 else np.array([0.0, 1.0, 0.0])
    p = np.cross(u, helper)
    p /= np.linalg.norm(p)
    q = np.cross(u, p)
    ang = np.linspace(0, 2 * np.pi, sides, endpoint=False)
    ring = radius * (np.cos(ang)[:, None] * p + np.sin(ang)[:, None] * q)
    verts = np.concatenate([a + ring, b + ring])
    faces = []
    for i in range(sides):
        j = (i + 1) % sides
        faces += [[i, j, sides + j], [i, sides + j, sides + i]]
    return verts, np.array(faces)


def global_transforms(body: Body, pose: BodyPose) -> tuple[np.ndarray, np.ndarray]:
    """Per bone global rotation ``(B, 3, 3)`` and translation ``(B, 3)``: ``x' = R x + t``."""
    n = len(body.bones)
    R = np.zeros((n, 3, 3))
    t = np.zeros((n, 3))
    eye = np.eye(3)
    for b in range(n):  # parents come before children
        local = pose.rotations.get(body.bones[b], eye)
        h = body.heads[b]
        lt = h - local @ h  # rotate about the rest head
        p = body.parents[b]
        if p < 0:
            R[b], t[b] = local, lt
        else:
            R[b] = R[p] @ local
            t[b] = R[p] @ lt + t[p]
    return R, t


def skin(body: Body, pose: BodyPose) -> tuple[np.ndarray, np.ndarray]:
    """Posed vertices ``(V, 3)`` and posed bone heads ``(B, 3)`` (linear blend skinning)."""
    R, t = global_transforms(body, pose)
    M = np.concatenate([R.reshape(-1, 9), t], axis=1)  # (B, 12)
    blended = body.weights @ M  # (V, 12)
    Rv = blended[:, :9].reshape(-1, 3, 3)
    verts = np.einsum("vij,vj->vi", Rv, body.vertices) + blended[:, 9:]
    heads = np.einsum("bij,bj->bi", R, body.heads) + t
    return verts, heads


def landmarks(body: Body, heads: np.ndarray) -> dict[str, np.ndarray]:
    """The ground-truth points the pipeline's angles are defined on (posed, body frame):
    hip joint centres (thigh heads), shoulder joints (upper-arm heads), wrists, knees, ankles."""
    def h(name: str) -> np.ndarray:
        return heads[body.bone(name)]

    return {
        "left_hip": h("upperleg01.L"), "right_hip": h("upperleg01.R"),
        "left_shoulder": h("upperarm01.L"), "right_shoulder": h("upperarm01.R"),
        "left_wrist": h("wrist.L"), "right_wrist": h("wrist.R"),
        "left_knee": h("lowerleg01.L"), "right_knee": h("lowerleg01.R"),
        "left_ankle": h("foot.L"), "right_ankle": h("foot.R"),
    }
