"""Accuracy of the whole pipeline on rendered humans with known trunk angles.

Renders (or reuses from the cache) each motion for a grid of bodies x camera heights, runs the real
pipeline (MediaPipe -> kinematics -> trial analysis) with the movement given, and prints per motion
and view: detection rate, trials reported (not inconclusive), MAE, max error and bias of the
reported range of motion against the sidecar truth, the SD of the error, and how often the
reported 95 % uncertainty covers the truth.

    .venv/bin/python benchmarks/accuracy.py [--bodies 4] [--heights 1.0 1.4] [--quick]
    .venv/bin/python benchmarks/accuracy.py --patterns-only   # the real-world patterns table

The real-world patterns (``lumbar_rom.studio.patterns``: cuts, title cards, 10 fps, 400x400, 4K,
compression, shake, dark scene, oblique cameras, mirroring, a second person, motion blur) run over
``--pattern-bodies`` x ``--distances``; each clip with a fresh landmarker.

Renders are cached in ``$LUMBAR_ROM_CACHE/renders`` (default ~/.cache/lumbar-rom/renders).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict

import numpy as np

from lumbar_rom.logs import filter_native_stderr
from lumbar_rom.pipeline import analyze_video
from lumbar_rom.pose.estimator import MediaPipeEstimator
from lumbar_rom.studio.assets import cache_dir
from lumbar_rom.studio.patterns import build, specs
from lumbar_rom.studio.scenarios import Scenario, render_scenario

BODY_ORDER = ["male", "female", "dark-male", "heavy-female", "light-male", "heavy-male"]
# (normal, restricted) applied peaks per motion, deg
PEAKS = {
    "flexion": (80.0, 40.0), "extension": (30.0, 15.0),
    "side-bend-left": (35.0, 18.0), "side-bend-right": (35.0, 18.0),
    "rotation-left": (45.0, 25.0), "rotation-right": (45.0, 25.0),
}


# scene variety: each body gets its own wall colour and light direction
SCENES = [((200, 200, 195), (0.3, 0.6, 0.8)), ((170, 185, 205), (-0.5, 0.7, 0.6)),
          ((225, 215, 190), (0.0, 0.9, 0.4)), ((120, 125, 130), (0.6, 0.4, 0.7)),
          ((210, 190, 190), (-0.2, 0.5, 0.9)), ((180, 200, 180), (0.4, 0.8, 0.3))]


def grid(n_bodies: int, heights: list[float]) -> list[Scenario]:
    out = []
    for movement, (normal, restricted) in PEAKS.items():
        for b, body in enumerate(BODY_ORDER[:n_bodies]):
            for h in heights:
                peak = normal if b % 2 == 0 else restricted
                jitter = (0.0, 2.0, -1.0)
                wall, light = SCENES[b % len(SCENES)]
                protocols = ("arms-out", "dowel") if movement.startswith("rotation") else (
                    "arms-out",)
                for protocol in protocols:  # the two rotation protocols of the findings
                    out.append(Scenario(movement, tuple(peak + j for j in jitter), body=body,
                                        camera_height=h, background=wall, light=light,
                                        rotation_protocol=protocol))
    return out


# wrong views and compensations: (scenario, the flag the analysis must raise)
CHECKS = [
    (Scenario("flexion", (70.0, 71.0, 70.0), view="front"), "wrong_view"),
    (Scenario("side-bend-left", (30.0, 31.0, 30.0), view="side"), "wrong_view"),
    (Scenario("flexion", (70.0, 71.0, 70.0), knee_bend=30.0), "knees_bent"),
    (Scenario("side-bend-left", (30.0, 31.0, 30.0), lean=25.0), "leaning"),
    (Scenario("rotation-left", (40.0, 41.0, 40.0), pelvis_rotation=25.0), "pelvis_turning"),
    (Scenario("rotation-left", (40.0, 41.0, 40.0), view=20.0), "camera_off_front"),
]


def pattern_rows(bodies: list[str], distances: list[float]) -> list[dict]:
    """Analyse every pattern for each body and camera distance (a fresh landmarker per clip)."""
    rows = []
    for body in bodies:
        for distance in distances:
            for spec in specs(body, distance):
                p = build(spec, cache_dir() / "patterns", cache_dir() / "renders")
                trial = analyze_video(p.video, p.movement).trials[0]
                codes = [f.code for f in trial.flags]
                # issue 11 item 7: "a value within tolerance or the right blocking reason";
                # a flagged pattern's truth is in its sidecar (a 30 deg oblique camera has one)
                truth = p.expected_rom_deg
                if truth is None:
                    truth = json.loads(p.sidecar.read_text()).get("truth", {}).get("rom_deg")
                right_value = (trial.status == "ok" and truth is not None
                               and abs(trial.value_deg - truth) <= p.tolerance_deg)
                if p.expected_flag is not None:
                    flagged = p.expected_flag in codes and trial.status == "inconclusive"
                    ok = flagged or right_value
                else:
                    ok = right_value
                rows.append({"pattern": p.name, "body": body, "distance": distance,
                             "expected": p.expected_flag or f"{p.expected_rom_deg:.1f}",
                             "got": f"{trial.value_deg:.1f} {trial.status}"
                                    f" ({', '.join(codes) or 'no flags'})", "ok": ok})
                print(f"{p.name:45s} {body:8s} {distance:3.1f} m expected {rows[-1]['expected']}"
                      f" got {rows[-1]['got']}", file=sys.stderr)
    return rows


def print_patterns(rows: list[dict]) -> None:
    print("\nReal-world patterns (value within 3 deg, rotation 6, or the blocking flag):\n")
    print("| pattern | body | distance | expected | got | within tolerance |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['pattern']} | {r['body']} | {r['distance']:.1f} m | {r['expected']} | "
              f"{r['got']} | {'yes' if r['ok'] else 'NO'} |")
    print(f"\n{sum(r['ok'] for r in rows)}/{len(rows)} within tolerance")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bodies", type=int, default=4)
    parser.add_argument("--heights", type=float, nargs="+", default=[1.0, 1.4])
    parser.add_argument("--quick", action="store_true", help="1 body, 1 height (smoke test)")
    parser.add_argument("--json", help="also write the per-clip rows to this file")
    parser.add_argument("--pattern-bodies", nargs="+", default=["male", "female"])
    parser.add_argument("--distances", type=float, nargs="+", default=[2.2, 4.5])
    parser.add_argument("--patterns-only", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.bodies, args.heights = 1, [1.0]
    filter_native_stderr()
    if args.patterns_only:
        print_patterns(pattern_rows(args.pattern_bodies, args.distances))
        return
    scenarios = grid(args.bodies, args.heights)
    cache = cache_dir() / "renders"
    rows = []
    t0 = time.perf_counter()
    with MediaPipeEstimator(mode="video") as est:
        for i, s in enumerate(scenarios):
            video, sidecar = render_scenario(s, cache)
            truth = json.loads(sidecar.read_text())["truth"]["rom_deg"]
            a = analyze_video(video, s.movement, estimator=est)
            trial = a.trials[0]
            label = s.movement + (" (dowel)" if s.rotation_protocol == "dowel" else
                                  " (arms out)" if s.movement.startswith("rotation") else "")
            rows.append({
                "movement": label, "view": trial.view.view, "body": s.body,
                "camera_height": s.camera_height, "truth": truth, "value": trial.value_deg,
                "uncertainty": trial.uncertainty_deg, "status": trial.status,
                "detected": float(a.seq.detected.mean()),
                "flags": [f.code for f in trial.flags],
            })
            print(f"[{i + 1}/{len(scenarios)}] {label:26s} {s.body:12s} h={s.camera_height}"
                  f" truth {truth:6.1f} measured {trial.value_deg:6.1f} {trial.status}",
                  file=sys.stderr)
    print(f"{len(rows)} clips, {len({r['body'] for r in rows})} bodies, camera heights "
          f"{sorted(set(r['camera_height'] for r in rows))} m, "
          f"{time.perf_counter() - t0:.0f} s\n")
    groups: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for r in rows:
        groups[(r["movement"], r["view"])].append(r)
    print("| motion | view | clips | detection | reported | MAE | max | bias | SD | covered |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for (movement, view), rs in groups.items():
        ok = [r for r in rs if r["status"] == "ok"]
        err = np.array([r["value"] - r["truth"] for r in ok])
        cov = np.mean([abs(r["value"] - r["truth"]) <= r["uncertainty"] for r in ok]) if ok \
            else float("nan")
        det = np.mean([r["detected"] for r in rs])
        if err.size:
            print(f"| {movement} | {view} | {len(rs)} | {det:.0%} | {len(ok)}/{len(rs)} | "
                  f"{np.mean(np.abs(err)):.1f} | {np.max(np.abs(err)):.1f} | "
                  f"{np.mean(err):+.1f} | {np.std(err, ddof=1) if err.size > 1 else 0:.1f} | "
                  f"{cov:.0%} |")
        else:
            print(f"| {movement} | {view} | {len(rs)} | {det:.0%} | 0/{len(rs)} | - | - | - | - "
                  f"| - |")
    print("\nWrong views and compensations (rendered, male body, 1.0 m camera):\n")
    print("| scenario | expected flag | raised | status |")
    print("|---|---|---|---|")
    with MediaPipeEstimator(mode="video") as est:
        for s, flag in CHECKS:
            video, _ = render_scenario(s, cache)
            trial = analyze_video(video, s.movement, estimator=est).trials[0]
            codes = [f.code for f in trial.flags]
            what = (f"{s.movement}, view {s.view}" + (f", knees {s.knee_bend:.0f}" if s.knee_bend
                                                     else "") +
                    (f", lean {s.lean:.0f}" if s.lean else "") +
                    (f", pelvis {s.pelvis_rotation:.0f}" if s.pelvis_rotation else ""))
            print(f"| {what} | {flag} | {'yes' if flag in codes else 'NO'} "
                  f"({', '.join(codes) or 'none'}) | {trial.status} |")
    prows = pattern_rows(args.pattern_bodies, args.distances)
    print_patterns(prows)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"clips": rows, "patterns": prows}, fh, indent=1)


if __name__ == "__main__":
    main()
