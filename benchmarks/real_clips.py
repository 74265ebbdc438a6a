"""Real clips of real people (issue 28 item 8): what lumbar-rom measures, refuses and invents.

Each clip of ``benchmarks/real_clips/manifest.toml`` that is here (committed under
``benchmarks/real_clips/clips/``, or fetched into the clip cache ``$LUMBAR_ROM_REAL_CLIPS``,
default ``benchmarks/real_clips/cache/``, and matching its SHA-256) runs through the product as
the CLI runs it: ``analyze_video(path, "auto")`` (``lumbar-rom analyze CLIP``), then each movement
annotated in the clip, and each movement the annotation asks to probe, as the explicit movement
(``lumbar-rom analyze CLIP -m MOVEMENT``: flexion through ``analyze_video`` again, for its
deep-flexion correction; the others through ``analyze_sequence`` on the same tracked sequence,
which is what ``analyze_video`` does after tracking). Clips one at a time (the machine is shared).

Against the hand annotations (``benchmarks/real_clips/annotations.toml``, two passes; the
reference is their mean, its uncertainty the larger of the two passes' plus half their
disagreement), each result counts, per movement, as one of:

- **agree**: a valid value within the annotation's uncertainty plus the product's;
- **refused-measurable**: refused (inconclusive) although a clinician can read the trial;
- **correctly refused**: refused where the annotation says there is nothing to measure;
- **valid-but-wrong**: a valid value farther from the annotation than both uncertainties;
- **valid-from-nothing**: a valid value for a movement the clip does not contain (or cannot
  show), e.g. a rotation from arms raising a stick with the trunk still.

Every refusal is printed with its reasons next to its clip, to be checked by hand.

The Pose2Sim demo (the repository's ``.test-data/pose2sim-demo``, made by ``make test-data``;
``$LUMBAR_ROM_POSE2SIM`` overrides it; read here, never by tests) gives a test-retest proxy: one
balancing trial filmed by two cameras at once; per camera, the trunk's change from the start
frames against the 4-camera reference projected into that camera (derived from the demo's .trc
and calibration as ``tests/fixtures/pose2sim.py`` does), and the two cameras' changes against
each other (the reference's own inter-camera difference, which is projection, printed beside
it), and what ``analyze`` reports on each.

    PYTHONPATH=src .venv/bin/python benchmarks/real_clips.py [--save results.json]
    PYTHONPATH=src .venv/bin/python benchmarks/real_clips.py --load results.json  # re-score only
    PYTHONPATH=src .venv/bin/python benchmarks/real_clips.py --only CLIP_ID --save results.json
    PYTHONPATH=src .venv/bin/python benchmarks/real_clips.py --pose2sim-only
    PYTHONPATH=src .venv/bin/python benchmarks/real_clips.py --curve CLIP_ID [--step 0.25]
    PYTHONPATH=src .venv/bin/python benchmarks/real_clips.py --load results.json --reasons

``--reasons`` lists, per clip, each distinct refusal reason (numbers left in, the first
occurrence) with the movements and modes it was given for: the list checked by hand against
each clip.

``--curve`` prints one clip's signals over time, to diagnose a refusal or a wrong value: the
trunk line's image angle (mid-hip -> mid-shoulder against the image vertical, + = top toward
image right), the 3D shoulder and hip yaw (+ = left side away from the camera) and the wrist
span over the shoulder span, each every ``--step`` seconds (median over the step).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import re
import sys
import time
import tomllib
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from lumbar_rom.pose.model import sha256_of

HERE = Path(__file__).resolve().parent / "real_clips"
MANIFEST = HERE / "manifest.toml"
ANNOTATIONS = HERE / "annotations.toml"
MOVEMENTS = ("flexion", "extension", "side-bend-left", "side-bend-right", "rotation-left",
             "rotation-right")
OUTCOMES = ("agree", "refused-measurable", "correctly refused", "valid-but-wrong",
            "valid-from-nothing")
START_FRAMES = 5  # Pose2Sim: the change from the start is against the mean of the first frames


sha256 = sha256_of  # the product's file hash


def load_manifest() -> list[dict[str, Any]]:
    return tomllib.loads(MANIFEST.read_text())["clip"]


def load_annotations() -> dict[str, dict[str, Any]]:
    return {c["id"]: c for c in tomllib.loads(ANNOTATIONS.read_text())["clip"]}


def cache_dir() -> Path:
    return Path(os.environ.get("LUMBAR_ROM_REAL_CLIPS", HERE / "cache"))


def locate(clip: dict[str, Any]) -> tuple[Path | None, str]:
    """The clip's file here and "", or None and why it is skipped."""
    path = HERE / clip["file"] if clip["committed"] else cache_dir() / clip["file"]
    if not path.exists():
        return None, (f"not in the repository ({clip['licence'].split(':')[0]}); "
                      f"fetch it: {clip.get('fetch', '?')}")
    if sha256(path) != clip["sha256"]:
        return None, f"{path} does not match the manifest's SHA-256; fetch it again"
    return path, ""


def reference(trial: dict[str, Any]) -> tuple[float, float]:
    """The two passes' mean angle and its uncertainty (the larger pass uncertainty plus half
    their disagreement), deg."""
    a, b = trial["pass1"], trial["pass2"]
    mean = 0.5 * (a["angle_deg"] + b["angle_deg"])
    unc = max(a["uncertainty_deg"], b["uncertainty_deg"]) + 0.5 * abs(a["angle_deg"]
                                                                        - b["angle_deg"])
    return mean, unc


def trial_dict(t: Any) -> dict[str, Any]:
    return {"movement": t.movement, "status": t.status,
            "value": None if not math.isfinite(t.value_deg) else float(t.value_deg),
            "uncertainty": None if not math.isfinite(t.uncertainty_deg)
            else float(t.uncertainty_deg),
            "reasons": list(t.reasons), "view": t.view.view,
            "notes": [f.message for f in t.flags if not f.blocking]}


def run_clip(path: Path, explicit: list[str], tracked_again: set[str]) -> dict[str, Any]:
    """The auto analysis and each explicit movement's, as plain dicts. Movements in
    ``tracked_again`` (an annotated flexion: its deep-flexion correction needs the frames) run
    through ``analyze_video`` again; the others on the sequence the auto run tracked."""
    from lumbar_rom.errors import LumbarRomError
    from lumbar_rom.pipeline import analyze_sequence, analyze_video

    t0 = time.perf_counter()
    out: dict[str, Any] = {"auto": [], "explicit": {}, "error": None}
    try:
        auto = analyze_video(path, "auto")
    except LumbarRomError as err:  # the one sentence the CLI would print
        out["error"] = str(err)
        return out
    out["auto"] = [trial_dict(t) for t in auto.trials]
    for m in explicit:
        try:
            res = analyze_video(path, m) if m in tracked_again else analyze_sequence(auto.seq, m)
            out["explicit"][m] = trial_dict(res.trials[0])
        except LumbarRomError as err:
            out["explicit"][m] = {"movement": m, "status": "error", "value": None,
                                  "uncertainty": None, "reasons": [str(err)], "view": "",
                                  "notes": []}
    out["seconds"] = round(time.perf_counter() - t0, 1)
    return out


def explicit_movements(ann: dict[str, Any]) -> list[str]:
    moves = [t["movement"] for t in ann.get("trial", [])] + list(ann.get("probe", []))
    return [m for m in MOVEMENTS if m in moves]


def judge(m: str, t: dict[str, Any] | None, measurable: dict[str, dict[str, Any]]
          ) -> tuple[str, str]:
    """The outcome of one result ``t`` (None: not reported) for movement ``m``, and why."""
    ok = t is not None and t["status"] == "ok"
    why = "not found" if t is None else "; ".join(t["reasons"]) or t["status"]
    if m in measurable:
        ref, unc = reference(measurable[m])
        if not ok or t is None:
            return "refused-measurable", f"hand {ref:.1f}+/-{unc:.1f}: refused: {why}"
        err = t["value"] - ref
        tol = unc + (t["uncertainty"] or 0.0)
        word = "agree" if abs(err) <= tol else "valid-but-wrong"
        return word, (f"hand {ref:.1f}+/-{unc:.1f}, got {t['value']:.1f}"
                      f"+/-{t['uncertainty']:.1f} (diff {err:+.1f}, allowed {tol:.1f})")
    if ok and t is not None:
        return "valid-from-nothing", f"got {t['value']:.1f}+/-{t['uncertainty']:.1f}"
    return "correctly refused", why


def _score_auto(result: dict[str, Any], ann: dict[str, Any],
                measurable: dict[str, dict[str, Any]]) -> list[tuple[str, str, str]]:
    """Auto mode: each annotated movement (found or not), each movement reported, and each
    "nothing recognised" trial."""
    unmeasurable = {t["movement"] for t in ann.get("trial", []) if not t["measurable"]}
    by_move: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for t in result["auto"]:
        by_move[t["movement"]].append(t)
    rows: list[tuple[str, str, str]] = []
    for m in MOVEMENTS:
        found = by_move.get(m, [])
        valid = [t for t in found if t["status"] == "ok"]
        first = valid[0] if valid else (found[0] if found else None)
        if m in measurable or valid or found or m in unmeasurable:
            rows.append((m, *judge(m, first, measurable)))
    if not measurable:  # (a clip with measurable trials counts them above, found or not)
        rows += [("(none)", "correctly refused", "; ".join(t["reasons"]))
                 for t in by_move.get("unknown", [])]
    return rows


def score(result: dict[str, Any], ann: dict[str, Any], mode: str
          ) -> list[tuple[str, str, str]]:
    """(movement, outcome, detail) for one clip in ``mode`` ("explicit" or "auto")."""
    measurable = {t["movement"]: t for t in ann.get("trial", []) if t["measurable"]}
    if result.get("error"):
        return [(m, "refused-measurable" if m in measurable else "correctly refused",
                 f"error: {result['error']}") for m in explicit_movements(ann)]
    if mode == "explicit":
        return [(m, *judge(m, t, measurable)) for m, t in result["explicit"].items()]
    return _score_auto(result, ann, measurable)


def table(rows: list[tuple[str, str, str, str]], title: str) -> None:
    names = (*MOVEMENTS, "(none)")  # (none): auto recognised no movement at all
    counts: dict[str, dict[str, int]] = {m: dict.fromkeys(OUTCOMES, 0) for m in names}
    for _clip, m, word, _detail in rows:
        if m in counts:
            counts[m][word] += 1
    print(f"\n{title}\n")
    print("| movement | " + " | ".join(OUTCOMES) + " |")
    print("|---|" + "---|" * len(OUTCOMES))
    tot = dict.fromkeys(OUTCOMES, 0)
    for m in names:
        print(f"| {m} | " + " | ".join(str(counts[m][w]) for w in OUTCOMES) + " |")
        for w in OUTCOMES:
            tot[w] += counts[m][w]
    print("| **all** | " + " | ".join(f"**{tot[w]}**" for w in OUTCOMES) + " |")
    n_meas = tot["agree"] + tot["refused-measurable"] + tot["valid-but-wrong"]
    if n_meas:
        print(f"\nmeasured and agreeing: {tot['agree']} of {n_meas} clinician-measurable "
              f"trials ({100 * tot['agree'] / n_meas:.0f} %); valid from nothing: "
              f"{tot['valid-from-nothing']}")


def pose2sim_proxy(folder: Path) -> None:
    """The two demo cameras: change from the start against the reference, and against each
    other; and what ``analyze`` says on each."""
    from lumbar_rom.kinematics.angles import trunk_image_angle
    from lumbar_rom.kinematics.cleaned import CleanedPose
    from lumbar_rom.pipeline import analyze_sequence, track_video

    if not all((folder / f).exists() for f in ("balancing_cam01.mp4", "Balancing_for_IK.trc")):
        print(f"\nPose2Sim demo: skipped ({folder} not found; run `make test-data` or set "
              "LUMBAR_ROM_POSE2SIM)")
        return
    # the reference as the tests derive it (tests/fixtures/pose2sim.py: the demo's 4-camera .trc
    # projected into each camera with its calibration)
    spec = importlib.util.spec_from_file_location(
        "pose2sim_reference", Path(__file__).resolve().parents[1] / "tests" / "fixtures"
        / "pose2sim.py")
    assert spec is not None and spec.loader is not None
    fixture = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fixture)
    ref = {f"cam_{cam}": fixture.reference_trunk_angle_2d(folder, cam) for cam in ("01", "03")}
    change, truth = {}, {}
    print("\nPose2Sim demo (balancing trial, two cameras at once; change from the mean of the "
          f"first {START_FRAMES} frames, image plane):\n")
    print("| camera | MAE vs reference | max | swaps repaired | analyze (auto) |")
    print("|---|---|---|---|---|")
    for cam in ("01", "03"):
        seq = track_video(folder / f"balancing_cam{cam}.mp4")
        kin = CleanedPose.from_sequence(seq)
        angle = trunk_image_angle(kin.image)
        r = np.asarray(ref[f"cam_{cam}"])[:len(angle)]
        change[cam] = angle - np.nanmean(angle[:START_FRAMES])
        truth[cam] = r - r[:START_FRAMES].mean()
        err = change[cam] - truth[cam]
        auto = analyze_sequence(seq, "auto")
        said = "; ".join(
            f"{t.movement} {t.value_deg:.1f}+/-{t.uncertainty_deg:.1f}" if t.status == "ok"
            else f"{t.movement} refused ({' '.join(t.reasons)})" for t in auto.trials)
        print(f"| cam{cam} | {np.nanmean(np.abs(err)):.2f} deg | {np.nanmax(np.abs(err)):.2f} "
              f"| {kin.swaps_repaired} | {said} |")
    d = change["01"] - change["03"]
    dref = truth["01"] - truth["03"]
    print(f"\ninter-camera: cam01 vs cam03 change-from-start, mean abs difference "
          f"{np.nanmean(np.abs(d)):.2f} deg (max {np.nanmax(np.abs(d)):.2f}); the reference's "
          f"own cam01-cam03 difference (projection of one 3D motion into two oblique views) "
          f"{np.nanmean(np.abs(dref)):.2f} deg; after removing it: "
          f"{np.nanmean(np.abs(d - dref)):.2f} deg")


def curve(clip: dict[str, Any], step_s: float) -> None:
    """Print the clip's trunk, shoulder, hip and wrist signals every ``step_s`` seconds."""
    from lumbar_rom.kinematics import angles
    from lumbar_rom.kinematics.cleaned import CleanedPose
    from lumbar_rom.pipeline import track_video
    from lumbar_rom.pose.landmarks import Landmark as L

    path, why = locate(clip)
    if path is None:
        print(f"{clip['id']}: {why}")
        return
    kin = CleanedPose.from_sequence(track_video(path))
    t = kin.time_s
    trunk = angles.trunk_image_angle(kin.image)
    sh_yaw, hip_yaw = angles.shoulder_yaw(kin.world), angles.hip_yaw(kin.world)
    wrists = angles.span_2d(kin.image, L.LEFT_WRIST, L.RIGHT_WRIST)
    shoulders = angles.span_2d(kin.image, L.LEFT_SHOULDER, L.RIGHT_SHOULDER)
    print(f"{clip['id']}: {kin.n_frames} frames, {t[-1]:.1f} s, {kin.swaps_repaired} swaps "
          "repaired; medians per step")
    print("| t (s) | frames | trunk image angle | shoulder yaw | hip yaw | wrist/shoulder span |")
    print("|---|---|---|---|---|---|")
    for start in np.arange(0.0, t[-1] + 1e-9, step_s):
        sel = (t >= start) & (t < start + step_s)
        if not sel.any():
            continue
        idx = np.flatnonzero(sel)
        cells = [_median_cell(x[sel]) for x in (trunk, sh_yaw, hip_yaw, wrists / shoulders)]
        print(f"| {start:.2f} | {idx[0]}-{idx[-1]} | " + " | ".join(cells) + " |")


def _median_cell(v: np.ndarray) -> str:
    return f"{np.nanmedian(v):+.2f}" if np.isfinite(v).any() else "-"


def reasons(manifest: list[dict[str, Any]], results: dict[str, Any]) -> None:
    """Each clip's distinct refusal reasons, with where each was given."""
    for clip in manifest:
        res = results.get(clip["id"])
        if res is None:
            continue
        where: dict[str, list[str]] = defaultdict(list)
        if res.get("error"):
            where[res["error"]].append("every movement")
        trials = [("auto", t) for t in res["auto"]] + [("-m", t)
                                                     for t in res["explicit"].values()]
        for mode, t in trials:
            if t["status"] == "ok":
                continue
            for r in t["reasons"] or [t["status"]]:
                key = re.sub(r"-?\d+(\.\d+)?", "N", r)
                first = next((k for k in where if re.sub(r"-?\d+(\.\d+)?", "N", k) == key), r)
                if f"{mode} {t['movement']}" not in where[first]:
                    where[first].append(f"{mode} {t['movement']}")
        print(f"\n{clip['id']} ({clip['view']}, {clip['posture']})")
        for r, places in where.items():
            print(f"  - {r} [{', '.join(places)}]")


def curve_of(manifest: list[dict[str, Any]], cid: str, step_s: float) -> int:
    for clip in manifest:
        if clip["id"] == cid:
            curve(clip, step_s)
            return 0
    print(f"no clip {cid!r} in the manifest")
    return 1


def collect(manifest: list[dict[str, Any]], notes: dict[str, dict[str, Any]],
            args: argparse.Namespace) -> tuple[dict[str, Any], dict[str, str]]:
    """Run (or load) each clip: the results by clip id, and the clips skipped with why."""
    results: dict[str, Any] = {}
    if args.load:
        results = json.loads(args.load.read_text())
    elif args.only and args.save and args.save.exists():  # add to the saved run
        results = json.loads(args.save.read_text())
    skipped: dict[str, str] = {}
    for clip in manifest:
        cid = clip["id"]
        if args.load or (args.only and cid not in args.only):
            if cid not in results:
                skipped[cid] = "not in the saved results" if args.load else "not asked for"
            continue
        path, why = locate(clip)
        if path is None:
            skipped[cid] = why
            print(f"skip {cid}: {why}", file=sys.stderr)
            continue
        print(f"{cid} ...", file=sys.stderr, flush=True)
        again = {t["movement"] for t in notes[cid].get("trial", [])
                 if t["measurable"] and t["movement"] == "flexion"}
        results[cid] = run_clip(path, explicit_movements(notes[cid]), again)
        if args.save:
            args.save.write_text(json.dumps(results, indent=1))
    return results, skipped


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--save", type=Path, help="write the raw results (JSON) here")
    ap.add_argument("--load", type=Path, help="re-score saved results instead of running")
    ap.add_argument("--only", nargs="*", help="clip ids to run (default: all)")
    ap.add_argument("--no-pose2sim", action="store_true")
    ap.add_argument("--pose2sim-only", action="store_true")
    ap.add_argument("--curve", metavar="CLIP_ID", help="print one clip's signals over time")
    ap.add_argument("--step", type=float, default=0.25, help="--curve: seconds per row")
    ap.add_argument("--reasons", action="store_true",
                    help="with --load: each clip's distinct refusal reasons, to check by hand")
    args = ap.parse_args()

    from lumbar_rom.logs import filter_native_stderr

    filter_native_stderr()
    default = Path(__file__).resolve().parents[1] / ".test-data" / "pose2sim-demo"
    pose2sim = Path(os.environ.get("LUMBAR_ROM_POSE2SIM", default))
    if args.pose2sim_only:
        pose2sim_proxy(pose2sim)
        return 0
    manifest = load_manifest()
    if args.curve:
        return curve_of(manifest, args.curve, args.step)
    notes = load_annotations()
    results, skipped = collect(manifest, notes, args)
    if args.reasons:
        reasons(manifest, results)
        return 0
    rows: dict[str, list[tuple[str, str, str, str]]] = {"explicit": [], "auto": []}
    print(f"Real clips of real people: {len(results)} clips run, {len(skipped)} skipped "
          f"({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})")
    for cid, why in skipped.items():
        print(f"  skipped {cid}: {why}")
    for clip in manifest:
        cid = clip["id"]
        if cid not in results:
            continue
        print(f"\n{cid} ({clip['view']}, {clip['posture']}): {clip['shows']}")
        for mode in ("explicit", "auto"):
            for m, word, detail in score(results[cid], notes[cid], mode):
                rows[mode].append((cid, m, word, detail))
                print(f"  [{mode}] {m}: {word} - {detail}")
    table(rows["explicit"], "Explicit movement (`lumbar-rom analyze CLIP -m MOVEMENT`), "
          "per movement:")
    table(rows["auto"], "Automatic detection (`lumbar-rom analyze CLIP`), per movement:")
    if not args.no_pose2sim and not args.load:
        pose2sim_proxy(pose2sim)
    return 0


if __name__ == "__main__":
    sys.exit(main())
