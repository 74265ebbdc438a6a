"""Throughput of the video -> landmarks path on this machine.

Prints, for one video: pure inference ms/frame (the model alone on frames decoded beforehand),
end-to-end ms/frame (decode + inference + drawing + H.264 encoding of the annotated video, as
``lumbar-rom landmarks`` runs it, model already loaded), their ratio, and peak memory (RSS).
Each figure is the median of ``--repeat`` runs measured in this one process.

    .venv/bin/python benchmarks/throughput.py [VIDEO] [--repeat 5] [--no-annotate]

Default video: ../shared/data/pose2sim-demo/balancing_cam01.mp4 (1080x1920, 60 fps, 100 frames).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_VIDEO = ROOT.parent / "shared" / "data" / "pose2sim-demo" / "balancing_cam01.mp4"


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("video", nargs="?", type=Path, default=DEFAULT_VIDEO)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-annotate", action="store_true")
    parser.add_argument("--no-pin", action="store_true",
                        help="let the decoder/encoder threads float (for comparison)")
    args = parser.parse_args()
    if args.no_pin:
        os.environ["LUMBAR_ROM_PIN_THREADS"] = "0"

    from lumbar_rom.logs import filter_native_stderr
    from lumbar_rom.pipeline import DEFAULT_MAX_SIDE, Timing, track_video
    from lumbar_rom.pose.estimator import MediaPipeEstimator
    from lumbar_rom.video.reader import iter_frames, probe

    filter_native_stderr()
    info = probe(args.video)
    t0 = time.perf_counter()
    est = MediaPipeEstimator(mode="video")
    load_s = time.perf_counter() - t0
    try:
        decode, pure, e2e, infer_in_run = [], [], [], []
        # end-to-end runs first: peak RSS then reflects the streaming path, not the frames the
        # pure-inference runs hold in memory
        for _ in range(args.repeat):
            with tempfile.TemporaryDirectory() as tmp:
                timing = Timing()
                track_video(args.video, estimator=est, timing=timing,
                            annotate_to=None if args.no_annotate else Path(tmp) / "a.mp4")
            e2e.append(timing.total_s / timing.frames * 1000)
            infer_in_run.append(timing.inference_s / timing.frames * 1000)
        peak_streaming = rss_mb()
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            frames = list(iter_frames(args.video, max_side=DEFAULT_MAX_SIDE))
            decode.append((time.perf_counter() - t0) / len(frames) * 1000)
            t0 = time.perf_counter()
            for f in frames:
                est.process(f.rgb, round(f.time_s * 1000))
            pure.append((time.perf_counter() - t0) / len(frames) * 1000)
            del frames
    finally:
        est.close()
    med = statistics.median
    print(f"video: {args.video.name} {info.width}x{info.height} {info.fps:.0f} fps "
          f"{timing.frames} frames; annotated output: {not args.no_annotate}; "
          f"helper threads pinned: {not args.no_pin}; "
          f"repeats: {args.repeat}; model load {load_s * 1000:.0f} ms")
    print("| measure | ms/frame |")
    print("|---|---|")
    print(f"| decode only (PyAV -> RGB) | {med(decode):.1f} |")
    print(f"| pure inference (model alone) | {med(pure):.1f} |")
    print(f"| end-to-end (decode+inference+draw+encode) | {med(e2e):.1f} |")
    print(f"| inference inside the end-to-end run | {med(infer_in_run):.1f} |")
    print(f"ratio end-to-end / pure inference: {med(e2e) / med(pure):.2f} (target <= 1.15)")
    print(f"end-to-end throughput: {1000 / med(e2e):.1f} frames/s")
    print(f"peak memory (RSS) of the streaming runs, model loaded: {peak_streaming:.0f} MB")


if __name__ == "__main__":
    sys.exit(main())
