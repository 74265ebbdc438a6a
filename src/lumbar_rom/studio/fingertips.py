"""Fingertip truth of a rendered trial: the rig's middle fingertips, for the clinical units.

The clinical tape measures read the middle fingertip (BASMI lateral lumbar flexion, S160; the
fingertip-to-floor test, S3b). The rig has no fingertip joint, so the tip is a mesh vertex: on
each hand, the vertex skinned mainly to the distal phalanx of the middle finger
(``finger3-3.L`` / ``.R``) that lies farthest from that bone's head. It is posed frame by frame
exactly as the rendered body is (same :func:`~lumbar_rom.studio.scenarios.movement_pose`), so the
truth needs no rendering and can be added to an existing sidecar.

Truth written under the sidecar's ``truth.fingertip`` (centimetres, the floor is y = 0, the lowest
point of the feet):

- ``stature_cm``: the body's standing height (top of the head above the floor) - the height a
  person would enter;
- ``left_cm`` / ``right_cm``: per frame, each middle fingertip's height above the floor;
- ``fingertip_to_floor_cm`` (flexion, extension): mean over the repetitions of the lower
  fingertip's height above the floor at the end-range hold;
- ``lateral_fingertip_floor_cm`` (side bends): mean over the repetitions of how far the fingertip
  on the side bent to moved down from the neutral stance to the end-range hold (BASMI's
  "distance between the two marks").

    .venv/bin/python -m lumbar_rom.studio.fingertips sample_videos/*.json
"""

from __future__ import annotations

import argparse
import json
from dataclasses import fields
from pathlib import Path
from typing import Any

import numpy as np

from lumbar_rom.studio.body import Body, load_body
from lumbar_rom.studio.pose import body_pose, skin
from lumbar_rom.studio.scenarios import Scenario, movement_pose, profile

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
        verts, _ = skin(body, body_pose(movement_pose(s, float(frac), int(rep))))
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


def scenario_from(d: dict[str, Any]) -> Scenario:
    """The :class:`Scenario` a sidecar's ``scenario`` block describes (lists back to tuples)."""
    names = {f.name for f in fields(Scenario)}
    kw: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in d.items()
                          if k in names}
    return Scenario(**kw)


def add_fingertip_truth(sidecar: Path) -> dict[str, Any]:
    """Add (or refresh) ``truth.fingertip`` in the sidecar file ``sidecar``; returns it."""
    data = json.loads(sidecar.read_text())
    tip = fingertip_truth(scenario_from(data["scenario"]))
    data["truth"]["fingertip"] = tip
    sidecar.write_text(json.dumps(data, indent=1))
    return tip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sidecars", nargs="+", type=Path)
    for p in parser.parse_args().sidecars:
        tip = add_fingertip_truth(p)
        extra = {k: v for k, v in tip.items() if k.endswith("_cm") and not isinstance(v, list)}
        print(p.name, extra)


if __name__ == "__main__":
    main()
