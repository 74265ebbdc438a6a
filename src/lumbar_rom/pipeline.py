"""The one place that wires the stages: video file -> pose sequence (-> annotated video).

Decoding, inference, drawing and encoding stream frame by frame; memory does not grow with the
length of the video beyond the landmark arrays (a few KB per frame).
"""

from __future__ import annotations

import csv
import json
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from lumbar_rom import __version__
from lumbar_rom.assessment.protocol import MovementSpec, movement_spec
from lumbar_rom.assessment.segment import segment_movements
from lumbar_rom.assessment.trial import (
    DEFAULT_ANALYSIS,
    SCHEMA_VERSION,
    AnalysisSettings,
    Flag,
    TrialResult,
    analyze_cleaned,
    analyze_trial,
)
from lumbar_rom.errors import NoPersonError
from lumbar_rom.kinematics.angles import trunk_image_angle
from lumbar_rom.kinematics.cleaned import CleanedPose
from lumbar_rom.pose.draw import draw_pose
from lumbar_rom.pose.estimator import FramePose, MediaPipeEstimator, PoseEstimator
from lumbar_rom.pose.sequence import PoseSequence
from lumbar_rom.video.reader import iter_frames, probe
from lumbar_rom.video.writer import VideoWriter

logger = logging.getLogger(__name__)

# Inference frame size cap (long side, px). Measured on 1080x1920 clips: scaling to 1280 moves
# landmarks by ~1 px (median) but costs more in swscale than it saves in inference, so 1080p is
# left as is; 4K phone clips are scaled down (a 4K RGB copy alone costs more than inference).
DEFAULT_MAX_SIDE = 1920
DEFAULT_ANNOTATE_SIDE = 720  # annotated video size cap (long side, px)


@dataclass
class Timing:
    """Wall-clock split of one :func:`track_video` run (seconds)."""

    frames: int = 0
    inference_s: float = 0.0
    total_s: float = 0.0


@contextmanager
def _estimator_for(estimator: PoseEstimator | None, model_path: str | Path | None
                   ) -> Iterator[PoseEstimator]:
    if estimator is not None:
        yield estimator
        return
    est = MediaPipeEstimator(model_path, mode="video")
    try:
        yield est
    finally:
        est.close()


def _fit(size: tuple[int, int], max_side: int) -> tuple[int, int]:
    w, h = size
    s = min(1.0, max_side / max(w, h))
    return max(2, round(w * s / 2) * 2), max(2, round(h * s / 2) * 2)


def track_video(
    path: str | Path,
    *,
    estimator: PoseEstimator | None = None,
    model_path: str | Path | None = None,
    max_side: int | None = DEFAULT_MAX_SIDE,
    annotate_to: str | Path | None = None,
    annotate_max_side: int = DEFAULT_ANNOTATE_SIDE,
    progress: bool = False,
    on_progress: Callable[[int, int], None] | None = None,
    timing: Timing | None = None,
) -> PoseSequence:
    """Run the pose estimator over every frame of a video file.

    Parameters
    ----------
    estimator : a :class:`PoseEstimator` (kept open); default: a MediaPipe VIDEO-mode landmarker
        on ``model_path`` (opened and closed here).
    max_side : scale frames down to this long side before inference (None: never).
    annotate_to : also write an annotated H.264 MP4 (skeleton, trunk line, live trunk angle).
    progress : show a progress bar on stderr.
    on_progress : callback ``(frames_done, frames_expected)`` (the app's progress bar).

    Returns
    -------
    PoseSequence in the display (rotation-corrected, full-size) pixel coordinates of the video.

    Raises
    ------
    VideoError : unreadable, truncated-to-nothing or zero-frame video.
    NoPersonError : no person found in any frame.
    """
    t_start = time.perf_counter()
    info = probe(path)
    expected = info.n_frames or 0
    times: list[float] = []
    poses: list[FramePose | None] = []
    writer: VideoWriter | None = None
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=expected or None, unit="frame", desc=Path(path).name, leave=False)
    infer_s = 0.0
    last_ms = -1
    try:
        with _estimator_for(estimator, model_path) as est:
            for frame in iter_frames(path, max_side=max_side, prefetch=4):
                ts = max(int(round(frame.time_s * 1000)), last_ms + 1)
                last_ms = ts
                t0 = time.perf_counter()
                pose = est.process(frame.rgb, ts)
                infer_s += time.perf_counter() - t0
                if pose is not None and frame.scale != 1.0:
                    pose = FramePose(pose.image / frame.scale, pose.world, pose.visibility,
                                     pose.timestamp_ms)
                times.append(frame.time_s)
                poses.append(pose)
                if annotate_to is not None:
                    if writer is None:
                        aw, ah = _fit((frame.rgb.shape[1], frame.rgb.shape[0]), annotate_max_side)
                        writer = VideoWriter(annotate_to, aw, ah, fps=info.fps)
                    xy = None if pose is None else pose.image[:, :2] * (writer.width / info.width)
                    writer.write(frame.rgb, frame.time_s, frame_drawer(
                        xy, None if pose is None else pose.visibility, trunk_label(pose),
                        False, writer.width, writer.height))
                if bar is not None:
                    bar.update(1)
                if on_progress is not None:
                    on_progress(len(times), expected)
    finally:
        if bar is not None:
            bar.close()
        if writer is not None:
            writer.close()
    seq = PoseSequence.from_frames(times, poses, (info.width, info.height), str(path))
    if not np.any(seq.detected):
        raise NoPersonError(
            f"No person was found in {Path(path).name}; film the whole body, well lit, "
            "with nobody else in view."
        )
    if timing is not None:
        timing.frames = len(times)
        timing.inference_s = infer_s
        timing.total_s = time.perf_counter() - t_start
    return seq


def fit_to(rgb: np.ndarray, width: int, height: int) -> np.ndarray:
    """Resize ``rgb`` to ``(height, width)`` (no-op when it already has that size)."""
    if (rgb.shape[1], rgb.shape[0]) == (width, height):
        return rgb
    return cv2.resize(rgb, (width, height), interpolation=cv2.INTER_LINEAR)


# ---- annotation: one drawing function and its labels (tracking pass and analysis pass) ----------


def frame_drawer(xy: np.ndarray | None, visibility: np.ndarray | None, label: str | None,
                 highlight: bool, width: int, height: int) -> Callable[[np.ndarray], np.ndarray]:
    """Drawing of one annotated frame (runs on the writer thread): the frame fitted to
    ``width x height``, the skeleton ``xy (33, 2)`` (pixels of that size; None: no person) with
    its ``visibility (33,)``, the ``label`` and, with ``highlight``, the trunk line in green."""
    def draw(rgb: np.ndarray) -> np.ndarray:
        return draw_pose(fit_to(rgb, width, height), xy, label or None, highlight=highlight,
                         visibility=visibility)
    return draw


def trunk_label(pose: FramePose | None) -> str:
    """Tracking-pass label: the raw image trunk angle, or "No person found"."""
    if pose is None:
        return "No person found"
    return f"Trunk {float(trunk_image_angle(pose.image[None])[0]):+.0f} deg"


def excursion_labels(table: dict[str, list]) -> list[str]:
    """Analysis-pass labels, one per frame of :func:`angle_table`: the movement's short name and
    its excursion from neutral ("" outside the trials)."""
    return [f"{movement_spec(mv).label.split(' (')[0]}: {ex:.0f} deg"
            if mv and np.isfinite(ex) else "" for mv, ex in
            zip(table["movement"], table["excursion_deg"], strict=True)]


# ---- analysis of movement videos ----------------------------------------------------------------


@dataclass(frozen=True)
class VideoAnalysis:
    """A video's pose sequence and the trials found in it (one per movement)."""

    seq: PoseSequence
    trials: tuple[TrialResult, ...]
    offsets: tuple[int, ...]  # first frame of each trial within ``seq``


def _spec_or_auto(movement: MovementSpec | str) -> MovementSpec | None:
    """``None`` for ``"auto"``, else the movement's spec (``ValueError`` for an unknown name)."""
    return None if movement == "auto" else movement_spec(movement)


def analyze_sequence(seq: PoseSequence, movement: MovementSpec | str = "auto", *,
                     height_cm: float | None = None,
                     settings: AnalysisSettings = DEFAULT_ANALYSIS) -> VideoAnalysis:
    """Analyse a pose sequence as one ``movement`` (its spec or name) or, with ``"auto"``,
    detect and split it. The landmarks are cleaned once; each trial analyses its slice.

    ``auto`` with nothing recognisable gives one inconclusive "unknown" trial explaining why.
    """
    spec = _spec_or_auto(movement)
    if spec is not None:
        return VideoAnalysis(seq, (analyze_trial(seq, spec, height_cm=height_cm,
                                                 settings=settings),), (0,))
    if seq.detected.sum() < settings.min_detected_frames:
        return VideoAnalysis(seq, (unrecognised_trial(seq),), (0,))
    kin = CleanedPose.from_sequence(seq, settings.cleaning)
    segments = segment_movements(kin, settings)
    if not segments:
        return VideoAnalysis(seq, (unrecognised_trial(seq),), (0,))
    trials = tuple(analyze_cleaned(kin.slice(s.start, s.stop), s.movement, height_cm=height_cm,
                                   settings=settings) for s in segments)
    return VideoAnalysis(seq, trials, tuple(s.start for s in segments))


def analyze_video(path: str | Path, movement: MovementSpec | str = "auto", *,
                  out_dir: str | Path | None = None,
                  estimator: PoseEstimator | None = None, model_path: str | Path | None = None,
                  height_cm: float | None = None, progress: bool = False,
                  on_progress: Callable[[int, int], None] | None = None,
                  settings: AnalysisSettings = DEFAULT_ANALYSIS) -> VideoAnalysis:
    """Video file -> trials. ``movement``: a spec, a movement's name or ``"auto"`` (checked
    before the video is read). With ``out_dir``: ``result.json``, ``angles.csv`` and
    ``annotated.mp4`` (trunk line, live excursion, end-range frames marked) are written there."""
    spec = _spec_or_auto(movement)
    seq = track_video(path, estimator=estimator, model_path=model_path, progress=progress,
                      on_progress=on_progress)
    analysis = analyze_sequence(seq, spec or "auto", height_cm=height_cm, settings=settings)
    if out_dir is not None:
        write_outputs(analysis, path, Path(out_dir))
    return analysis


def write_outputs(analysis: VideoAnalysis, video: str | Path, out_dir: Path) -> dict[str, Path]:
    """Write result.json, angles.csv and annotated.mp4 for an analysed video."""
    out_dir.mkdir(parents=True, exist_ok=True)
    seq = analysis.seq
    result = {
        "schema_version": SCHEMA_VERSION,
        "software": {"lumbar_rom": __version__},
        "video": str(video),
        "frames": seq.n_frames,
        "frame_size": list(seq.frame_size),
        "trials": [t.to_dict() for t in analysis.trials],
    }
    paths = {"result": out_dir / "result.json", "angles": out_dir / "angles.csv",
             "video": out_dir / "annotated.mp4"}
    paths["result"].write_text(json.dumps(result, indent=2, allow_nan=False))
    table = angle_table(analysis)
    with paths["angles"].open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(list(table))
        for row in zip(*table.values(), strict=True):
            writer.writerow(["" if (isinstance(v, float) and not np.isfinite(v)) else
                             (f"{v:.3f}" if isinstance(v, float) else v) for v in row])
    render_annotated(video, analysis, paths["video"], table=table)
    return paths


def angle_table(analysis: VideoAnalysis) -> dict[str, list]:
    """Per-frame angles (deg): the raw image trunk angle and, per frame, the movement and the
    cleaned excursion from neutral of the trial covering it (blank elsewhere)."""
    seq = analysis.seq
    n = seq.n_frames
    movement = [""] * n
    excursion = [float("nan")] * n
    peak = [0] * n
    for trial, off in zip(analysis.trials, analysis.offsets, strict=True):
        for i, v in enumerate(trial.excursion_deg):
            if movement[off + i] == "":
                movement[off + i] = trial.movement
                excursion[off + i] = float(v)
        for k in trial.used_repetitions:
            idx = int(np.argmin(np.abs(seq.time_s - (seq.time_s[off] + trial.repetitions[k].peak_s
                                                     - trial.time_s[0]))))
            peak[idx] = 1
    raw = trunk_image_angle(seq.image)
    return {"frame": list(range(n)), "time_s": [float(x) for x in seq.time_s],
            "trunk_image_deg": [float(x) for x in raw], "movement": movement,
            "excursion_deg": excursion, "peak": peak}


def render_annotated(video: str | Path, analysis: VideoAnalysis, out: Path,
                     max_side: int = DEFAULT_ANNOTATE_SIDE,
                     table: dict[str, list] | None = None) -> Path:
    """Second pass over the video (no inference): skeleton, trunk line, the movement's live
    excursion from neutral, and the trunk line in green on the repetitions' end-range frames.
    ``table``: the analysis' :func:`angle_table` when already computed."""
    seq = analysis.seq
    table = angle_table(analysis) if table is None else table
    labels = excursion_labels(table)
    peaks = np.array(table["peak"], bool)
    near_peak = np.convolve(peaks, np.ones(7), mode="same") > 0  # show the mark ~0.1-0.2 s
    w, h = _fit(seq.frame_size, max_side)
    k = w / seq.frame_size[0]
    with VideoWriter(out, w, h, fps=seq.fps) as writer:
        for i, frame in enumerate(iter_frames(video, max_side=max(w, h) * 2, prefetch=2)):
            if i >= seq.n_frames:
                break
            xy = seq.image[i, :, :2] * k if seq.detected[i] else None
            writer.write(frame.rgb, frame.time_s, frame_drawer(
                xy, seq.visibility[i], labels[i], bool(near_peak[i]), w, h))
    return out


def unrecognised_trial(seq: PoseSequence) -> TrialResult:
    flag = Flag("not_recognised", "No movement of the test was recognised in this clip; stand "
                "still for a second, then do one movement three times, filmed as the guide shows.",
                True)
    return TrialResult.unmeasured("unknown", [flag], seq.source)
