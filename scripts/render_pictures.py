"""Render the pictures of the stretch positions and the endurance holds once, with the validation
studio (issue 31), into small PNGs under src/lumbar_rom/app/pictures/ (committed package data;
the app only reads them).

    PYTHONPATH=src .venv/bin/python scripts/render_pictures.py [--only ID ...]

Each picture is the studio's CC0 MakeHuman body posed with the rig's joint rotations
(``studio.pose``): the four holds at their protocol position exactly as ``studio.holds`` renders
them for the hold tests; each stretch from a pose written here (one global placement puts the
body on the floor). The body assets come from ``make test-data`` (``.test-data/``).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from lumbar_rom.studio.body import Body, load_body
from lumbar_rom.studio.holds import BENCH, BENCH_COLOR, POSTURES, HoldClip, _posed
from lumbar_rom.studio.pose import BodyPose, MovementPose, body_pose, skin
from lumbar_rom.studio.render import Camera, Renderer, Scene

OUT = Path(__file__).resolve().parents[1] / "src" / "lumbar_rom" / "app" / "pictures"
W, H = 360, 240
WALL = (236, 236, 232)
FLOOR = (205, 200, 192)


def _save(img: np.ndarray, name: str) -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{name}.png"
    pic = Image.fromarray(img).quantize(colors=64, method=Image.Quantize.MEDIANCUT)
    pic.save(path, optimize=True)
    return path


def render_hold(test: str) -> np.ndarray:
    """The hold ``test`` at its protocol position, as the hold clips show it."""
    c = HoldClip(test, width=W, height=H, background=WALL)
    body = load_body(c.body)
    verts, _ = _posed(c, body, POSTURES[test][1], with_mesh=True)
    assert verts is not None
    faces, colors = body.faces, body.colors
    if test == "extensor-hold":
        faces = np.concatenate([faces, BENCH[1] + len(verts)])
        verts = np.concatenate([verts, BENCH[0]])
        colors = np.concatenate([colors, np.tile(BENCH_COLOR, (8, 1)).astype(np.uint8)])
    cam = c.camera()
    renderer = Renderer(cam, Scene(background=WALL, floor=FLOOR))
    try:
        return renderer.render(verts, faces, colors)
    finally:
        renderer.close()


@dataclass(frozen=True)
class Stretch:
    """A stretch position: the bone rotations (body frame), the global rotation that lays the
    body down, and the camera's side (yaw) and height."""

    rotations: Callable[[], dict[str, np.ndarray]]
    place: np.ndarray
    yaw: float = -90.0
    cam_height: float = 0.6
    distance: float = 2.6


def standing_side_bend() -> dict[str, np.ndarray]:
    return body_pose(MovementPose(spine_side_bend=30.0, arms="down")).rotations


STRETCHES: dict[str, Stretch] = {
    "standing_side_bend": Stretch(standing_side_bend, np.eye(3), yaw=0.0, cam_height=1.0,
                                  distance=3.0),
}
"""Stretches drawn from the studio so far. The lying, kneeling and seated stretches (knees to
chest, child's pose, press-up, knee roll, ...) are told in words only: first attempts at their
poses came out wrong (joint signs of a lying body) and were not committed; the next session can
add them here, checking each picture by eye."""


def render_stretch(name: str, body: Body) -> np.ndarray:
    st = STRETCHES[name]
    verts, _ = skin(body, BodyPose(st.rotations()))
    verts = verts @ st.place.T
    lo, hi = verts.min(0), verts.max(0)
    verts = verts - np.array([(lo[0] + hi[0]) / 2, lo[1], (lo[2] + hi[2]) / 2])  # on the floor
    height = float(verts[:, 1].max())
    cam = Camera(yaw=st.yaw, height=st.cam_height, distance=st.distance, width=W, height_px=H,
                 pitch=8.0 if st.cam_height > 1.2 else 0.0, target_height=height / 2)
    renderer = Renderer(cam, Scene(background=WALL, floor=FLOOR))
    try:
        return renderer.render(verts, body.faces, body.colors)
    finally:
        renderer.close()


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", nargs="*", help="picture ids to render (default: all)")
    args = ap.parse_args(argv)
    body = load_body("male")
    for test in POSTURES:
        if not args.only or test in args.only:
            print(_save(render_hold(test), test))
    for name in STRETCHES:
        if not args.only or name in args.only:
            print(_save(render_stretch(name, body), name))


if __name__ == "__main__":
    main()
