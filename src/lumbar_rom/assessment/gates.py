"""Never a false decision: the gates a measured trial passes before it can be "ok".

A measured trial is blocked (a blocking :class:`Flag`) when

- a compensation it measured (protocol.toml ``[analysis.gates.compensations]``: lean, twist,
  knee bend, hip turn) is larger than the motion itself;
- its motion happened mostly in another plane than the movement's: the change of the 3D trunk
  line (:func:`~lumbar_rom.kinematics.angles.trunk_plane_angles`) between the neutral and the
  end range lies more in the other plane (sagittal for flexion / extension, frontal for the side
  bends) than in the movement's; for a rotation, the trunk tilted more than it turned, or the
  shoulders turned (the larger of the 3D shoulder line's yaw and the shoulder span's
  foreshortening, at any size) less than ``rotation_min_turn_fraction`` of the measured
  rotation (the face's turn makes up the rest when it agrees: :func:`turn_gate`; the wrist
  span then changed for another reason: noise, a hand sliding down a thigh), or the wrists rose
  or fell against the shoulders (the arms moved, not the trunk: ``arm_lift``), at any size;
- its value is beyond what a trunk can do (protocol.toml ``[analysis.limits]``).

The gates sit inside the trial analysis, so a movement chosen by the user and one found by
auto-detection pass the same gates (CLI, app and ``assess`` alike).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lumbar_rom.data import load_toml

_ANALYSIS = load_toml("protocol.toml")["analysis"]
_GATES = _ANALYSIS["gates"]
_COMPENSATIONS = {k: v for k, v in _GATES["compensations"].items() if k != "source"}
LIMITS_DEG: dict[str, float] = {k: float(v) for k, v in _ANALYSIS["limits"].items()
                                if k != "source"}
PLANE_MIN_OFF_DEG = float(_GATES["plane_min_off_deg"])
ARM_LIFT_MAX = float(_GATES["rotation_arm_lift_max"])
_PLANE_WORDS = {"sagittal": "forward or backward", "frontal": "to the side"}


@dataclass(frozen=True)
class Flag:
    """A quality or compensation finding. ``blocking`` flags make the trial inconclusive."""

    code: str
    message: str
    blocking: bool


def compensation_gate(value: float, extras: dict[str, float], label: str) -> list[Flag]:
    """A compensation in ``extras`` (deg) larger than the measured ``value`` (deg) blocks."""
    flags = []
    for key, words in _COMPENSATIONS.items():
        c = abs(float(extras.get(key, float("nan"))))
        if np.isfinite(c) and np.isfinite(value) and c > abs(value):
            flags.append(Flag("compensation_exceeds", f"The {words} ({c:.0f} deg) was larger "
                              f"than the {label.lower()} itself ({abs(value):.0f} deg): the "
                              "number would mostly measure the compensation, so it is not "
                              "valid for a decision.", True))
    return flags


def plane_gate(signal: str, value: float, sagittal_deg: float, frontal_deg: float,
               label: str) -> list[Flag]:
    """The 3D trunk line's change at the end range, ``sagittal_deg`` and ``frontal_deg``, must
    lie mostly in the movement's plane (``signal``: "sagittal", "frontal" or "rotation", whose
    in-plane amount is the measured ``value``)."""
    sag, fro = abs(sagittal_deg), abs(frontal_deg)
    if signal == "rotation":
        off, inside, off_plane = max(sag, fro), abs(value), "sagittal" if sag >= fro else "frontal"
    elif signal == "sagittal":
        off, inside, off_plane = fro, sag, "frontal"
    else:
        off, inside, off_plane = sag, fro, "sagittal"
    if not (np.isfinite(off) and np.isfinite(inside)) or off < PLANE_MIN_OFF_DEG or off <= inside:
        return []
    moved = "turned" if signal == "rotation" else "bent in its own plane"
    return [Flag("wrong_plane", f"The trunk moved mostly {_PLANE_WORDS[off_plane]} "
                 f"({off:.0f} deg) and {moved} only {inside:.0f} deg, so this is not "
                 f"{label.lower()}; check the movement chosen and the camera view.", True)]


def turn_gate(value: float, yaw_change_deg: float, min_fraction: float, label: str,
              face_deg: float = float("nan")) -> list[Flag]:
    """A rotation of ``value`` deg whose shoulders turned by less than ``min_fraction`` of it
    (``yaw_change_deg``: :func:`~lumbar_rom.kinematics.angles.shoulder_turn` without its floor)
    blocks at any size: the wrist span changed, the trunk did not turn (arms bent or swung).

    The face's turn (``face_deg``, :func:`~lumbar_rom.kinematics.angles.face_turn`) makes up
    the rest when the shoulders turned at least half that fraction and the face turned the same
    way by at least the fraction: MediaPipe's shoulders under-read some turns (a rendered 25 deg
    dowel turn, heavy body: 3D yaw 6.8, shoulder span 7.1, face 17-21 deg). It never counts
    alone: a head tilting in a side bend read a 9.5 deg "turn"."""
    need = min_fraction * abs(value)
    yaw = abs(yaw_change_deg)
    if not np.isfinite(yaw) or yaw >= need:
        return []
    if (np.isfinite(face_deg) and np.sign(face_deg) == np.sign(yaw_change_deg)
            and yaw >= need / 2 and abs(face_deg) >= need):
        return []
    return [Flag("no_turn", f"The upper body turned only {yaw:.0f} deg while the hands read "
                 f"{abs(value):.0f} deg, so this is not {label.lower()}; check the movement "
                 "chosen.", True)]


def arms_gate(arm_lift: float, label: str) -> list[Flag]:
    """A rotation whose wrists rose or fell against the shoulders by more than
    ``rotation_arm_lift_max`` of the shoulder span (``arm_lift``,
    :func:`~lumbar_rom.kinematics.angles.arm_lift`) blocks at any size: the wrist span then
    changed because the arms moved, not the trunk."""
    if not np.isfinite(arm_lift) or arm_lift <= ARM_LIFT_MAX:
        return []
    return [Flag("arms_moved", "Your hands rose or fell against your shoulders (by about "
                 f"{arm_lift:.0%} of your shoulder width), so the arms moved rather than the "
                 f"trunk: this is not {label.lower()}. Keep the broom handle (or your arms) "
                 "level at shoulder height and turn the upper body.", True)]


def limit_gate(movement: str, value: float, label: str) -> list[Flag]:
    """A value beyond protocol.toml's ``[analysis.limits]`` for ``movement`` blocks."""
    limit = LIMITS_DEG.get(str(movement), float("inf"))
    if np.isfinite(value) and abs(value) > limit:
        return [Flag("impossible_value", f"{abs(value):.0f} deg of {label.lower()} is beyond "
                     f"what a trunk can do (over {limit:.0f} deg); the camera or the body model "
                     "misread the movement, so it is not valid for a decision.", True)]
    return []


def gate_flags(movement: str, signal: str, label: str, value: float, extras: dict[str, float],
               min_turn_fraction: float) -> list[Flag]:
    """All the gates for a measured trial; ``extras`` holds its compensations, the 3D trunk
    line's change at the end range (``sagittal_3d_deg``, ``frontal_3d_deg``) and, for
    rotations, the shoulders' turn (``shoulder_turn_deg``,
    :func:`~lumbar_rom.kinematics.angles.shoulder_turn`)."""
    if not np.isfinite(value):
        return []
    turn = ([*arms_gate(extras.get("arm_lift", float("nan")), label),
             *turn_gate(value, extras.get("shoulder_turn_deg", float("nan")), min_turn_fraction,
                        label, extras.get("face_turn_deg", float("nan")))]
            if signal == "rotation" else [])
    return [*limit_gate(movement, value, label), *turn,
            *plane_gate(signal, value, extras.get("sagittal_3d_deg", float("nan")),
                        extras.get("frontal_3d_deg", float("nan")), label),
            *compensation_gate(value, extras, label)]
