"""Throughput of the video -> landmarks -> analysis paths on this machine.

Prints, for one video, in ms/frame and as a ratio to pure inference measured in the same run:
- pure inference (the model alone on frames decoded beforehand, in chunks of 25);
- ``landmarks`` end-to-end (decode + inference + drawing + H.264 of the annotated video);
- ``analyze`` end-to-end (the whole command's work in-process, model loaded: one decode,
  tracking, analysis, result.json, angles.csv and annotated.mp4);
- the app's upload path (``service.analyse_upload``: the same, replay read back as bytes);
and peak memory. ``--cli-frames N`` (default 300) times the CLI as a user runs it: ``lumbar-rom
analyze`` in a new process on an N-frame 1080p clip (interpreter start, imports, model load,
decode, inference, analysis, outputs), against pure inference on the same frames, and the
start-up alone (``lumbar-rom --help``: no MediaPipe, OpenCV or SciPy imported).
``--long-minutes M`` also generates (once, cached) an M-minute 1080p landscape clip (a rendered
sample clip looped) and runs ``analyze`` on it first (so no earlier run's memory counts),
printing RSS at 10 %, 50 % and 100 % of the job. Each short figure is the
median of ``--repeat`` runs in this one process.

    .venv/bin/python benchmarks/throughput.py [VIDEO] [--repeat 3] [--landscape-seconds 20]
        [--long-minutes 10] [--frames N] [--cli-frames 300]

Default video: the Pose2Sim demo's balancing_cam01.mp4 (1080x1920, 60 fps, 100 frames) from
``make test-data`` (``.test-data/pose2sim-demo/`` or ``$LUMBAR_ROM_TEST_DATA``).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_VIDEO = (Path(os.environ.get("LUMBAR_ROM_TEST_DATA") or ROOT / ".test-data")
                 / "pose2sim-demo" / "balancing_cam01.mp4")
SAMPLE = ROOT / "sample_videos" / "side-bend-left.mp4"
CACHE = Path(tempfile.gettempdir()) / "lumbar-rom-bench"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def rss_mb() -> float:
    """Current resident memory (MB)."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def landscape_clip(seconds: float, fps: int = 30) -> Path:
    """A 1920x1080 H.264 clip of ``seconds``: the side-bend sample looped, scaled to 1080 px
    tall and centred (cached under the temp folder)."""
    import av
    import cv2
    import numpy as np

    from lumbar_rom.video.reader import iter_frames

    out = CACHE / f"landscape-{seconds:.0f}s-{fps}fps.mp4"
    if out.exists():
        return out
    CACHE.mkdir(parents=True, exist_ok=True)
    src = [f.rgb for f in iter_frames(SAMPLE)]
    h = 1080
    w = round(src[0].shape[1] * h / src[0].shape[0] / 2) * 2
    tmp = out.with_suffix(".part.mp4")
    with av.open(str(tmp), "w") as c:
        s = c.add_stream("libx264", rate=fps, options={"preset": "ultrafast", "crf": "23"})
        s.width, s.height, s.pix_fmt = 1920, 1080, "yuv420p"
        canvas = np.full((1080, 1920, 3), 90, np.uint8)
        for i in range(int(seconds * fps)):
            canvas[:, (1920 - w) // 2:(1920 + w) // 2] = cv2.resize(src[i % len(src)], (w, h))
            frame = av.VideoFrame.from_ndarray(canvas, format="rgb24")
            frame.pts, frame.time_base = i, Fraction(1, fps)
            for p in s.encode(frame):
                c.mux(p)
        for p in s.encode():
            c.mux(p)
    tmp.rename(out)
    return out


def pure_inference_ms(video: Path, est: object, max_side: int, limit: int | None) -> float:
    """The model alone: frames decoded in chunks of 25 (memory), only ``process`` timed."""
    from lumbar_rom.video.reader import iter_frames

    spent, n, chunk = 0.0, 0, []

    def run() -> float:
        t0 = time.perf_counter()
        for f in chunk:
            est.process(f.rgb, round(f.time_s * 1000))  # type: ignore[attr-defined]
        return time.perf_counter() - t0

    for f in iter_frames(video, max_side=max_side):
        if limit is not None and n >= limit:
            break
        chunk.append(f)
        n += 1
        if len(chunk) == 25:
            spent += run()
            chunk = []
    spent += run()
    return spent / n * 1000


def short_clip(video: Path, limit: int | None) -> Path:
    """``video`` cut to its first ``limit`` frames (for smoke runs)."""
    if limit is None:
        return video
    import av

    out = CACHE / f"{video.stem}-{limit}.mp4"
    if not out.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        with av.open(str(video)) as src, av.open(str(out), "w") as dst:
            ins = src.streams.video[0]
            o = dst.add_stream_from_template(ins)
            for k, packet in enumerate(src.demux(ins)):
                if packet.dts is None:
                    continue
                if k >= limit:
                    break
                packet.stream = o
                dst.mux(packet)
    return out


def measure(video: Path, est: object, repeat: int, limit: int | None) -> dict[str, float]:
    from lumbar_rom.app import service
    from lumbar_rom.pipeline import DEFAULT_MAX_SIDE, Timing, analyze_video, track_video

    service.file_estimator = lambda: est  # type: ignore[assignment]
    video = short_clip(video, limit)
    rows: dict[str, list[float]] = {"pure": [], "landmarks": [], "analyze": [], "upload": []}
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as tmp:
            timing = Timing()
            track_video(video, estimator=est, timing=timing,  # type: ignore[arg-type]
                        annotate_to=Path(tmp) / "a.mp4")
            n = timing.frames
            rows["landmarks"].append(timing.total_s / n * 1000)
            t0 = time.perf_counter()
            analyze_video(video, "auto", estimator=est, out_dir=Path(tmp) / "o")  # type: ignore[arg-type]
            rows["analyze"].append((time.perf_counter() - t0) / n * 1000)
            t0 = time.perf_counter()
            service.analyse_upload(video, "auto", None)
            rows["upload"].append((time.perf_counter() - t0) / n * 1000)
        rows["pure"].append(pure_inference_ms(video, est, DEFAULT_MAX_SIDE, None))
    out = {k: statistics.median(v) for k, v in rows.items()}
    out["frames"] = n
    return out


def report(name: str, m: dict[str, float]) -> None:
    pure = m["pure"]
    print(f"\n{name}: {m['frames']:.0f} frames")
    print("| measure | ms/frame | x pure inference |")
    print("|---|---|---|")
    for key, label in (("pure", "pure inference (model alone)"),
                       ("landmarks", "`landmarks` end-to-end"),
                       ("analyze", "`analyze` end-to-end (target <= 1.2)"),
                       ("upload", "app upload (analyse_upload)")):
        print(f"| {label} | {m[key]:.1f} | {m[key] / pure:.2f} |")


def cli_end_to_end(est: object, frames: int, repeat: int) -> None:
    """``lumbar-rom analyze`` in a fresh process on a ``frames``-frame 1080p clip (30 fps) against
    pure inference on the same frames (this process' warm model), and ``--help``'s start-up."""
    import subprocess

    from lumbar_rom.pipeline import DEFAULT_MAX_SIDE

    clip = landscape_clip(frames / 30)
    pure_s = pure_inference_ms(clip, est, DEFAULT_MAX_SIDE, frames) * frames / 1000
    cmd = [sys.executable, "-m", "lumbar_rom.cli"]
    walls, helps, codes = [], [], set()
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run([*cmd, "--help"], capture_output=True, check=True)
        helps.append(time.perf_counter() - t0)
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            run = subprocess.run([*cmd, "analyze", str(clip), "-m", "auto", "-o", tmp],
                                 capture_output=True)
            walls.append(time.perf_counter() - t0)
            codes.add(run.returncode)
    wall, start = statistics.median(walls), statistics.median(helps)
    print(f"\nCLI end to end on {clip.name} ({frames} frames, exit codes {sorted(codes)})")
    print("| measure | s | x pure inference |")
    print("|---|---|---|")
    print(f"| pure inference ({frames} frames, model loaded) | {pure_s:.2f} | 1.00 |")
    print(f"| `lumbar-rom analyze` in a new process (goal <= 1.25) | {wall:.2f} | "
          f"{wall / pure_s:.2f} |")
    print(f"| `lumbar-rom --help` (interpreter + CLI imports) | {start:.2f} | "
          f"{start / pure_s:.2f} |")


def long_run(minutes: float) -> None:
    import subprocess

    from lumbar_rom.pipeline import analyze_video
    from lumbar_rom.pose.estimator import MediaPipeEstimator

    # generated in another process, so its frames do not count in this one's memory
    subprocess.run([sys.executable, __file__, "--make-clip", str(minutes * 60)], check=True)
    clip = landscape_clip(minutes * 60)
    marks = {0.1: None, 0.5: None}
    seen: dict[float, float] = {}

    def on_progress(done: int, total: int) -> None:
        for m in marks:
            if m not in seen and done / total >= m:
                seen[m] = rss_mb()

    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        # as `lumbar-rom analyze` runs it: its own one-video estimator (no spare landmarker)
        a = analyze_video(clip, "auto", out_dir=Path(tmp), on_progress=on_progress)
    wall = time.perf_counter() - t0
    seen[1.0] = rss_mb()
    peak = peak_rss_mb()
    with MediaPipeEstimator(mode="video") as est:
        pure = pure_inference_ms(clip, est, 1920, 600)
    n = a.seq.n_frames
    print(f"\nlong clip {clip.name}: {n} frames, analyze {wall:.0f} s "
          f"({wall / n * 1000:.1f} ms/frame, x{wall / n * 1000 / pure:.2f} pure inference on its "
          f"first 600 frames)")
    print("RSS " + ", ".join(f"{k:.0%}: {v:.0f} MB" for k, v in sorted(seen.items()))
          + f"; peak {peak:.0f} MB (target < 600, flat)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("video", nargs="?", type=Path, default=DEFAULT_VIDEO)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--frames", type=int, default=None, help="only the first N frames")
    parser.add_argument("--landscape-seconds", type=float, default=20,
                        help="length of the generated 1080p landscape clip (0: skip)")
    parser.add_argument("--long-minutes", type=float, default=0,
                        help="also the long-clip memory run (10 for the README figure)")
    parser.add_argument("--long-only", action="store_true",
                        help="only the long-clip memory run (with --long-minutes)")
    parser.add_argument("--no-pin", action="store_true",
                        help="let the decoder/encoder threads float (for comparison)")
    parser.add_argument("--cli-frames", type=int, default=300,
                        help="frames of the clip the CLI is timed on end to end (0: skip)")
    parser.add_argument("--make-clip", type=float, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.make_clip is not None:
        landscape_clip(args.make_clip)
        return
    if args.no_pin:
        os.environ["LUMBAR_ROM_PIN_THREADS"] = "0"

    from lumbar_rom.logs import filter_native_stderr
    from lumbar_rom.pose.estimator import MediaPipeEstimator
    from lumbar_rom.video.reader import probe

    filter_native_stderr()
    if args.long_minutes:  # first, so that no other landmarker is in this process' memory
        print(f"load average {os.getloadavg()[0]:.1f}")
        long_run(args.long_minutes)
        if args.long_only:
            return
    t0 = time.perf_counter()
    est = MediaPipeEstimator(mode="video")
    load_s = time.perf_counter() - t0
    print(f"model load {load_s * 1000:.0f} ms; helper threads pinned: {not args.no_pin}; "
          f"repeats: {args.repeat}; load average {os.getloadavg()[0]:.1f}")
    try:
        info = probe(args.video)
        report(f"{args.video.name} {info.width}x{info.height} {info.fps:.0f} fps",
               measure(args.video, est, args.repeat, args.frames))
        if args.landscape_seconds:
            clip = landscape_clip(args.landscape_seconds)
            report(f"{clip.name} 1920x1080 30 fps", measure(clip, est, args.repeat, args.frames))
        if args.cli_frames:
            cli_end_to_end(est, args.cli_frames, args.repeat)
        print(f"\npeak memory (RSS) of the whole run: {peak_rss_mb():.0f} MB")
    finally:
        est.close()


if __name__ == "__main__":
    sys.exit(main())
