"""The trunk angle's noise floor on still clips (issue 28 item 5): how far the measured angle
wanders from its neutral when the person does not move at all.

Rendered still clips (the validation studio: a neutral stand with every repetition's peak 0 deg,
about 11 s), side view (flexion's angle, sagittal) and front view (the side bends' angle,
frontal), for several bodies, go through the pose model and the landmark cleaning the analysis
uses; per clip the excursion of the cleaned trunk angle from its median is read. The largest
excursion over all clips is the floor a repetition's peak must clear to be a movement
(``data/noise_floor.toml``, read by assessment/trial.py).

    PYTHONPATH=src python benchmarks/noise_floor.py [--bodies male female ...] [--write]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json

import numpy as np

from lumbar_rom.kinematics import angles as A
from lumbar_rom.kinematics.cleaned import CleanedPose
from lumbar_rom.pipeline import track_video
from lumbar_rom.pose.estimator import MediaPipeEstimator
from lumbar_rom.studio.assets import cache_dir
from lumbar_rom.studio.scenarios import Scenario, render_scenario

STILL = (0.0, 0.0, 0.0)


def still_scenarios(bodies: list[str]) -> list[Scenario]:
    return [Scenario(m, STILL, body=b) for b in bodies for m in ("flexion", "side-bend-left")]


def excursions(s: Scenario) -> np.ndarray:
    """The cleaned trunk angle's excursion from its median over the still clip, ``(T,)`` deg."""
    video, _ = render_scenario(s, cache_dir() / "renders")
    with MediaPipeEstimator(mode="video") as est:
        seq = track_video(video, estimator=est)
    kin = CleanedPose.from_sequence(seq)
    angle = A.trunk_image_angle(kin.image)
    return angle - float(A.nanmedian(angle))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bodies", nargs="+", default=["male", "female"])
    parser.add_argument("--write", action="store_true", help="print the TOML to store")
    args = parser.parse_args()
    rows = []
    for s in still_scenarios(args.bodies):
        e = excursions(s)
        e = e[np.isfinite(e)]
        rows.append({"view": "side" if s.movement == "flexion" else "front", "body": s.body,
                     "frames": int(e.size), "sd_deg": float(np.std(e)),
                     "p99_deg": float(np.percentile(np.abs(e), 99)),
                     "max_deg": float(np.max(np.abs(e)))})
        print(json.dumps(rows[-1]))
    floor = max(r["max_deg"] for r in rows)
    print(f"noise floor (largest excursion of a still trunk): {floor:.2f} deg")
    if args.write:
        print(f"\n# measured {dt.date.today().isoformat()} by benchmarks/noise_floor.py on "
              f"{len(rows)} rendered still clips: {json.dumps(rows)}\nfloor_deg = {floor:.2f}")


if __name__ == "__main__":
    main()
