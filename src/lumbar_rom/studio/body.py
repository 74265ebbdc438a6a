"""The body model: mesh, rig joints and skin weights in metres; body-shape variants.

Frame (the base mesh's own): x = the figure's left, y = up, z = forward (the figure faces +z);
metres. The MakeHuman ``.obj`` is in decimetres; the MPFB2 rig's default positions are Blender
coordinates (z up, -y forward) in metres; both are converted here.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from lumbar_rom.studio.assets import ensure_assets

OBJ_SCALE = 0.1  # decimetres -> metres
RENDER_GROUPS = ("body", "helper-l-eye", "helper-r-eye")


@dataclass(frozen=True)
class ObjMesh:
    vertices: np.ndarray  # (V, 3) metres, rest pose
    faces: dict[str, np.ndarray]  # group -> (F, 3) triangle vertex indices


def _blender_to_mesh(p: list[float]) -> np.ndarray:
    x, y, z = p
    return np.array([x, z, -y], dtype=float)


@cache
def load_obj(path: Path) -> ObjMesh:
    verts: list[list[float]] = []
    faces: dict[str, list[list[int]]] = {}
    group = "default"
    with path.open() as fh:
        for line in fh:
            if line.startswith("v "):
                verts.append([float(v) for v in line.split()[1:4]])
            elif line.startswith("g "):
                group = line.split(maxsplit=1)[1].strip()
            elif line.startswith("f "):
                idx = [int(tok.split("/")[0]) - 1 for tok in line.split()[1:]]
                tris = faces.setdefault(group, [])
                for k in range(1, len(idx) - 1):  # fan triangulation of quads
                    tris.append([idx[0], idx[k], idx[k + 1]])
    v = np.asarray(verts) * OBJ_SCALE
    return ObjMesh(v, {g: np.asarray(f, dtype=np.int64) for g, f in faces.items()})


def load_target(path: Path, n_vertices: int) -> np.ndarray:
    """A MakeHuman ``.target.gz`` as a dense ``(V, 3)`` displacement in metres."""
    d = np.zeros((n_vertices, 3))
    with gzip.open(path, "rt") as fh:
        for line in fh:
            parts = line.split()
            if len(parts) == 4 and not line.startswith("#"):
                d[int(parts[0])] = [float(x) for x in parts[1:]]
    return d * OBJ_SCALE


@dataclass(frozen=True)
class BodyShape:
    """A named body variant: macrodetail targets with weights, skin and clothing colours (RGB)."""

    name: str
    targets: tuple[tuple[str, float], ...] = ()
    skin: tuple[int, int, int] = (224, 172, 140)
    shirt: tuple[int, int, int] = (40, 90, 170)
    shorts: tuple[int, int, int] = (50, 50, 60)


BODIES: dict[str, BodyShape] = {
    "male": BodyShape("male", (("caucasian-male-young", 1.0),), (230, 180, 150),
                      (40, 90, 170), (45, 45, 55)),
    "female": BodyShape("female", (("caucasian-female-young", 1.0),), (225, 170, 140),
                        (180, 60, 70), (40, 40, 50)),
    "dark-male": BodyShape("dark-male", (("african-male-young", 1.0),), (110, 70, 50),
                           (230, 200, 60), (30, 60, 40)),
    "heavy-female": BodyShape("heavy-female", (("african-female-young", 0.5),
                                               ("caucasian-female-young", 0.5),
                                               ("universal-female-young-averagemuscle-maxweight",
                                                1.0)), (170, 120, 90), (70, 140, 90),
                              (60, 40, 40)),
    "light-male": BodyShape("light-male", (("caucasian-male-young", 1.0),
                                           ("universal-male-young-averagemuscle-minweight", 1.0)),
                            (240, 200, 175), (120, 120, 125), (30, 30, 90)),
    "heavy-male": BodyShape("heavy-male", (("caucasian-male-young", 1.0),
                                           ("universal-male-young-averagemuscle-maxweight", 1.0)),
                            (200, 150, 120), (200, 110, 40), (40, 40, 40)),
}


@dataclass(frozen=True)
class Body:
    """A posable body.

    vertices (V, 3) rest positions (m); faces (F, 3); colors (V, 3) uint8;
    bones: names in parent-before-child order; parents: index of each bone's parent (-1: root);
    heads (B, 3) rest joint positions; weights (V, B) sparse skinning weights (rows sum to 1).
    """

    name: str
    vertices: np.ndarray
    faces: np.ndarray
    colors: np.ndarray
    bones: tuple[str, ...]
    parents: np.ndarray
    heads: np.ndarray
    weights: sp.csr_matrix

    def bone(self, name: str) -> int:
        return self.bones.index(name)


def _joint_position(spec: dict, rest: np.ndarray, moved: np.ndarray,
                    groups: dict[str, np.ndarray]) -> np.ndarray:
    strategy = spec.get("strategy")
    if strategy == "CUBE" and spec.get("cube_name") in groups:
        return moved[groups[spec["cube_name"]]].mean(axis=0)
    if strategy == "VERTEX" and "vertex_index" in spec:
        return moved[int(spec["vertex_index"])]
    if strategy == "MEAN" and spec.get("vertex_indices"):
        return moved[np.asarray(spec["vertex_indices"], dtype=int)].mean(axis=0)
    p = _blender_to_mesh(spec["default_position"])
    near = np.argsort(np.linalg.norm(rest - p, axis=1))[:8]
    return p + (moved[near] - rest[near]).mean(axis=0)


@cache
def load_body(shape_name: str = "male", asset_root: Path | None = None) -> Body:
    """Build the body variant ``shape_name`` (a key of :data:`BODIES`)."""
    root = asset_root or ensure_assets()
    shape = BODIES[shape_name]
    mesh = load_obj(root / "3dobjs" / "base.obj")
    rest = mesh.vertices
    moved = rest.copy()
    for target, w in shape.targets:
        moved = moved + w * load_target(root / "targets" / "macrodetails" / f"{target}.target.gz",
                                        len(rest))
    # stand the figure on y = 0 (the lowest point of the feet)
    used = np.unique(np.concatenate([mesh.faces[g].ravel() for g in RENDER_GROUPS]))
    moved[:, 1] -= moved[used, 1].min()
    rest_shift = rest.copy()
    rest_shift[:, 1] -= rest[used, 1].min()
    groups = {g: np.unique(f.ravel()) for g, f in mesh.faces.items() if g.startswith("joint-")}
    rig = json.loads((root / "rigs" / "standard" / "rig.default.json").read_text())
    for spec in rig.values():  # default positions are in the unshifted frame: shift them too
        for end in ("head", "tail"):
            spec[end] = dict(spec[end])
            dp = spec[end]["default_position"]
            spec[end]["default_position"] = [dp[0], dp[1], dp[2] - rest[used, 1].min()]
    order: list[str] = []
    pending = dict(rig)
    while pending:
        for name, spec in list(pending.items()):
            if not spec["parent"] or spec["parent"] in order:
                order.append(name)
                del pending[name]
    parents = np.array([order.index(rig[n]["parent"]) if rig[n]["parent"] else -1
                        for n in order])
    heads = np.array([_joint_position(rig[n]["head"], rest_shift, moved, groups) for n in order])
    wdata = json.loads((root / "rigs" / "standard" / "weights.default.json").read_text())
    rows, cols, vals = [], [], []
    for b, name in enumerate(order):
        for v, w in wdata["weights"].get(name, []):
            rows.append(int(v))
            cols.append(b)
            vals.append(float(w))
    W = sp.csr_matrix((vals, (rows, cols)), shape=(len(rest), len(order)))
    sums = np.asarray(W.sum(axis=1)).ravel()
    sums[sums == 0] = 1.0
    W = sp.diags(1.0 / sums) @ W
    faces = np.concatenate([mesh.faces[g] for g in RENDER_GROUPS])
    colors = _colors(moved, heads, order, W, shape, mesh)
    return Body(shape_name, moved, faces, colors, tuple(order), parents, heads, W.tocsr())


def _colors(vertices: np.ndarray, heads: np.ndarray, bones: list[str], W: sp.csr_matrix,
            shape: BodyShape, mesh: ObjMesh) -> np.ndarray:
    """Skin, a T-shirt (trunk and upper arms) and shorts (pelvis and thighs), by skin weights."""
    colors = np.tile(np.array(shape.skin, np.uint8), (len(vertices), 1))
    dominant = np.asarray(W.argmax(axis=1)).ravel()
    shirt = [i for i, b in enumerate(bones) if b.startswith(("spine0", "clavicle", "shoulder01",
                                                             "breast", "upperarm01"))]
    shorts = [i for i, b in enumerate(bones) if b in ("root", "pelvis.L", "pelvis.R",
                                                      "upperleg01.L", "upperleg01.R")]
    colors[np.isin(dominant, shirt)] = shape.shirt
    colors[np.isin(dominant, shorts)] = shape.shorts
    for g in ("helper-l-eye", "helper-r-eye"):
        colors[np.unique(mesh.faces[g].ravel())] = (40, 30, 25)
    return colors
