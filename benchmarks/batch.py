"""Speed-up of `lumbar-rom batch` with 2 workers over 1 on the sample videos (one run).

Each configuration analyses every clip of ``sample_videos/`` from scratch (fresh store and output
folder in a temporary directory, so nothing is skipped); the wall-clock time includes starting the
worker processes (or the local Ray cluster) and their landmarkers. Prints both times, the clips per
minute and the speed-up, and the machine's load average before each run (other work on the machine
shows up as a smaller speed-up).

    .venv/bin/python benchmarks/batch.py [--executor local|ray] [--videos DIR]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--executor", choices=("local", "ray"), default="local")
    parser.add_argument("--videos", type=Path, default=ROOT / "sample_videos")
    args = parser.parse_args()

    from lumbar_rom.batch import collect_inputs, run_batch
    from lumbar_rom.logs import filter_native_stderr

    filter_native_stderr()
    n = len(collect_inputs(args.videos))
    print(f"{n} videos in {args.videos}, executor {args.executor}, "
          f"{len(os.sched_getaffinity(0))} CPUs")
    times = {}
    for workers in (1, 2):
        with tempfile.TemporaryDirectory() as tmp:
            load = os.getloadavg()[0]
            t0 = time.perf_counter()
            s = run_batch(args.videos, executor=args.executor, workers=workers,
                          out_dir=Path(tmp) / "out", store_url=f"sqlite:///{tmp}/store.db")
            times[workers] = time.perf_counter() - t0
            assert s.analysed == n, f"{s.analysed} of {n} analysed"
            print(f"{workers} worker(s): {times[workers]:6.1f} s  "
                  f"({60 * n / times[workers]:.1f} videos/min; load before {load:.1f})")
    print(f"speed-up 2 workers over 1: {times[1] / times[2]:.2f}x")


if __name__ == "__main__":
    main()
