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

from lumbar_rom.studio.scenarios import (  # the truth lives beside the renderer (no cycle)
    TIP_BONE,
    Scenario,
    fingertip_truth,
    stature_m,
    tip_vertices,
)

__all__ = ["TIP_BONE", "add_fingertip_truth", "fingertip_truth", "scenario_from", "stature_m",
           "tip_vertices"]


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
