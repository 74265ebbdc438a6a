"""The one place that wires the stages: video file -> pose sequence (-> annotated video).

One decode of the source per job
--------------------------------
:func:`analyze_video` decodes the source video once, and ``annotated.mp4`` (skeleton and trunk
line, fitted to 720 px long side) is drawn and encoded during that same pass, on the writer
thread on the spare core, overlapping with inference. What is only known after the analysis (the
movement's excursion from neutral, the end-range frames) goes into ``annotated.vtt``, a WebVTT
caption track beside it, which the app shows on the replay
(:mod:`lumbar_rom.report.captions`). Measured on a quiet 2-core machine
(``benchmarks/throughput.py``): the earlier route, which recorded small frames while tracking
and drew the labels into the picture in a second pass after the analysis, cost 4-6 ms a frame
on top (15-20 % of pure inference). With several people in view the chosen person was tracked
again, so the replay is drawn again from the source (:func:`render_annotated`).

Progress
--------
One ``on_progress(done, total)`` over the whole job, in work units: each decoded-and-tracked frame
counts :data:`TRACK_UNITS`, the analysis ``n_frames // 2`` and each frame of a second drawing pass
(several people only) 1 (their measured cost ratio), so the bar moves at a steady pace and the
last call is ``done == total``. The analysis runs on a worker thread while the caller's thread
reports a heartbeat every 0.5 s (it can take several seconds on long videos: the Hampel filter
of the cleaning stage), so the callback is never silent for more than about a second and a
Cancel raised in it stops the job.

Several people
--------------
VIDEO-mode tracking follows one person (``num_poses=2`` would cost 30-70 % more on every video:
the detector then runs on every frame). Instead the estimator's ``people`` (IMAGE mode, up to 3
poses) looks at three 256-px frames (:data:`PROBE_AT`), a few percent of a clip's inference time.
Only when it sees more than one person is the video tracked again, once per person, each in
their own columns of the picture (:func:`choose_person`); the one who moves is measured.

Shots
-----
A clip may be edited: a title card, a cut to a close-up and back. Cuts are found inside the one
decode (:func:`~lumbar_rom.video.shots.mark_cuts`, PySceneDetect's AdaptiveDetector rule on the
decoded frames, ~1 ms a frame); the tracking loop runs two frames behind the decoder for it, and
the estimator is restarted (``reset``) before the first frame of each new shot: a VIDEO-mode
landmarker otherwise keeps the previous shot's body region and scale (measured: 5 frames after
the cut back from a close-up, 0 with the restart). Shots in which fewer than half the frames show
the whole trunk at the clip's body scale (a close-up, a card) are left out when another shot
shows the body: their frames are NaN, the trial's framing checks count only the frames kept, and
every trial carries a note saying which seconds were left out (``result.json``: ``shots``,
``excluded_frames``). Limitation: two full-body shots from different camera angles are both
kept and measured as one clip (film one view per clip).

Decoding, inference, drawing and encoding stream frame by frame; memory does not grow with the
length of the video beyond the landmark arrays (a few KB per frame).
"""

from __future__ import annotations

import csv
import json
import logging
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import cv2
import numpy as np

from lumbar_rom import __version__
from lumbar_rom.assessment.protocol import MOVEMENTS, Movement, MovementSpec, movement_spec, side_of
from lumbar_rom.assessment.segment import segment_movements
from lumbar_rom.assessment.trial import (
    DEFAULT_ANALYSIS,
    SCHEMA_VERSION,
    AnalysisSettings,
    Flag,
    TrialResult,
    _quality_flags,
    analyze_cleaned,
    analyze_trial,
    correct_deep_flexion,
    deep_flexion_applies,
)
from lumbar_rom.errors import LumbarRomError, NoPersonError
from lumbar_rom.kinematics.angles import trunk_image_angle
from lumbar_rom.kinematics.cleaned import CleanedPose
from lumbar_rom.kinematics.deep_flexion import PeakFrameKeeper
from lumbar_rom.kinematics.swaps import repair_swaps
from lumbar_rom.pose.draw import draw_pose
from lumbar_rom.pose.estimator import FramePose, MediaPipeEstimator, PoseEstimator
from lumbar_rom.pose.masks import PersonMasker
from lumbar_rom.pose.sequence import PoseRecorder, PoseSequence
from lumbar_rom.report.captions import excursion_label, near_peaks, webvtt, with_peaks
from lumbar_rom.video.malloc import TRIM_EVERY, trim
from lumbar_rom.video.reader import (
    DecodeReport,
    Frame,
    VideoInfo,
    iter_frames,
    prefetched,
    probe,
)
from lumbar_rom.video.shots import META_KEY as SHOTS_KEY
from lumbar_rom.video.shots import (
    Shot,
    body_shots,
    excluded_mask,
    full_body_frames,
    left_out,
    mark_cuts,
    shots_from_json,
    shots_to_json,
)
from lumbar_rom.video.threads import pin_to_spare_core, unpinned
from lumbar_rom.video.writer import VideoWriter

logger = logging.getLogger(__name__)

# Inference frame size cap (long side, px). Measured on 1080x1920 clips: scaling to 1280 moves
# landmarks by ~1 px (median) but costs more in swscale than it saves in inference, so 1080p is
# left as is; 4K phone clips are scaled down (a 4K RGB copy alone costs more than inference).
DEFAULT_MAX_SIDE = 1920
DEFAULT_ANNOTATE_SIDE = 720  # annotated video size cap (long side, px)
TRACK_UNITS = 6  # progress units of one tracked frame (a frame drawn again is 1)
PROBE_AT = (0.2, 0.5, 0.8)  # where in the video the people are counted (fractions of frames)
RELEASE_GAP = 300  # frames between two counts from which the people landmarker is not kept
PROBE_SIDE = 256  # long side (px) of the frames people are counted on (cheap; enough to count)
# the people count and the deep-flexion frames' JPEGs: on the spare core, beside inference
_PROBE = ThreadPoolExecutor(max_workers=1, thread_name_prefix="frame-helper",
                            initializer=pin_to_spare_core)
MOVER_SPAN = 0.25  # upper-body landmark travel (5th-95th percentile, in trunk lengths) of a
# person who does a movement; a still bystander measures 0.01-0.05
_UPPER = [0, 11, 12, 13, 14, 15, 16, 23, 24]  # nose, shoulders, elbows, wrists, hips

ProgressFn = Callable[[int, int], None]


class SeveralPeopleError(LumbarRomError):
    """More than one person moves in the video: who to measure is ambiguous."""


class Cancelled(LumbarRomError):
    """The person stopped the analysis (raised by a progress callback)."""

    def __init__(self, message: str = "The analysis was cancelled; nothing was kept from it.",
                 ) -> None:
        super().__init__(message)


@dataclass
class Timing:
    """Wall-clock split of one :func:`track_video` run (seconds)."""

    frames: int = 0
    inference_s: float = 0.0
    total_s: float = 0.0


@contextmanager
def _estimator_for(estimator: PoseEstimator | None, model_path: str | Path | None,
                   fresh: bool = True) -> Iterator[PoseEstimator]:
    """``estimator`` (reset for a new video when ``fresh``), or a new one closed at the end."""
    if estimator is not None:
        reset = getattr(estimator, "reset", None)
        if fresh and reset is not None:
            reset()  # a video never inherits the previous one's tracking (see MediaPipeEstimator)
        yield estimator
        return
    est = MediaPipeEstimator(model_path, mode="video", spare=False)  # one video: no next one
    try:
        yield est
    finally:
        est.close()


def _fit(size: tuple[int, int], max_side: int) -> tuple[int, int]:
    w, h = size
    s = min(1.0, max_side / max(w, h))
    return max(2, round(w * s / 2) * 2), max(2, round(h * s / 2) * 2)


def expected_frames(info: VideoInfo) -> int:
    """The container's frame count, else duration x rate, else 0 (unknown)."""
    if info.n_frames:
        return info.n_frames
    n = info.duration_s * info.fps
    return int(round(n)) if np.isfinite(n) else 0


class _Bar:
    """Progress in units over a job: a tqdm bar (``desc``) and/or ``on_progress(done, total)``;
    ``total`` grows when the video has more frames than its container said."""

    def __init__(self, total: int, on_progress: ProgressFn | None, desc: str | None) -> None:
        self.done, self.total, self.cb = 0, max(1, total), on_progress
        self.tqdm = None
        if desc is not None:
            from tqdm import tqdm

            self.tqdm = tqdm(total=self.total, unit="", desc=desc, leave=False)

    def add(self, units: int, more_expected: int = 0) -> None:
        self.done += units
        self.total = max(self.total, self.done + more_expected)
        if self.tqdm is not None:
            self.tqdm.total = self.total
            self.tqdm.update(units)
        if self.cb is not None:
            self.cb(self.done, self.total)

    def close(self) -> None:
        if self.tqdm is not None:
            self.tqdm.close()


class _FrameSink:
    """Where the tracking pass sends its frames: nowhere, or the annotated video (skeleton and
    trunk line drawn, with ``raw_label`` the raw trunk angle, else only "No person found" on the
    frames without one), drawn and encoded on the writer's thread."""

    def __init__(self, out: str | Path | None, raw_label: bool, info: VideoInfo, max_side: int,
                 mirrored: bool) -> None:
        self.out, self.raw_label, self.info, self.max_side = out, raw_label, info, max_side
        self.mirrored = mirrored
        self.writer: VideoWriter | None = None

    def put(self, frame: Frame, pose: FramePose | None) -> None:
        if self.out is None:
            return
        if self.writer is None:
            aw, ah = _fit((frame.rgb.shape[1], frame.rgb.shape[0]), self.max_side)
            self.writer = VideoWriter(self.out, aw, ah, fps=self.info.fps, crf=26)
        w, h = self.writer.width, self.writer.height
        if pose is not None and self.mirrored:
            pose = pose.flipped(self.info.width)
        xy = None if pose is None else pose.image[:, :2] * (w / self.info.width)
        label = trunk_label(pose) if self.raw_label or pose is None else None
        self.writer.write(frame.rgb, frame.time_s, frame_drawer(
            xy, None if pose is None else pose.visibility, label, False, w, h,
            flip=self.mirrored))

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


class _PeopleProbe:
    """Counts the people on a few frames (:data:`PROBE_AT`) with the estimator's ``people``
    (an estimator without it is taken to see one person); keeps the image x (full-size px) of
    the hips of everyone in the frame with the most people. The counting runs on a helper
    thread on the spare core (:data:`_PROBE`), beside the tracking; :meth:`result` waits for
    it. The people landmarker is released right after the last count, and after any count
    whose next one is :data:`RELEASE_GAP` frames or more away (a long video makes it again
    then, 0.1-0.3 s on the spare core), so it is not held through the video (a 10-minute
    clip: about 75 MB for 60 % of the tracking)."""

    def __init__(self, expected: int) -> None:
        n = expected or 300
        self.at = {int(round(f * (n - 1))) for f in PROBE_AT}
        self._pending: list[tuple[float, Future[list[FramePose]]]] = []

    def look(self, est: PoseEstimator, frame: Frame) -> None:
        people = getattr(est, "people", None)
        if people is None or frame.index not in self.at:
            return
        rgb = frame.rgb
        h, w = rgb.shape[:2]
        k = min(1.0, PROBE_SIDE / max(h, w))

        def count() -> list[FramePose]:
            small = cv2.resize(rgb, (max(1, round(w * k)), max(1, round(h * k))),
                               interpolation=cv2.INTER_AREA)
            return list(people(small))

        self._pending.append((k * frame.scale, _PROBE.submit(count)))
        release = getattr(est, "release_people", None)
        later = [i for i in self.at if i > frame.index]
        if release is not None and (not later or min(later) - frame.index >= RELEASE_GAP):
            _PROBE.submit(release)  # after this count (one helper thread: in order)

    def result(self, est: PoseEstimator | None = None) -> tuple[float, ...]:
        """The hips' x of everyone in the most crowded probed frame (one entry: one person);
        then ``est``'s people landmarker is released (its ``release_people``, when it has one)."""
        xs: tuple[float, ...] = ()
        for scale, done in self._pending:
            found = done.result()
            if len(found) > max(1, len(xs)):
                xs = tuple(sorted(float(np.mean(p.image[[23, 24], 0])) / scale for p in found))
        release = getattr(est, "release_people", None)
        if self._pending and release is not None:
            release()
        return xs


def _masked(frame: Frame, region: tuple[float, float] | None) -> np.ndarray:
    """The frame with everything outside the columns ``region`` (full-size px) blacked out."""
    if region is None:
        return frame.rgb
    rgb = frame.rgb.copy()
    x0, x1 = (int(round(x * frame.scale)) for x in region)
    rgb[:, :max(0, x0)] = 0
    rgb[:, max(0, x1):] = 0
    return rgb


def _track_frames(path: str | Path, est: PoseEstimator, max_side: int | None,
                  on_frame: Callable[[Frame, FramePose | None], None], report: DecodeReport,
                  region: tuple[float, float] | None = None, expected: int = 0
                  ) -> tuple[PoseRecorder, float, list[int]]:
    """The decode + inference loop: (the poses in full-size pixels, inference seconds, the
    frames that start a new shot); with ``region``, only those columns of each frame are shown
    to the model. Cuts are found on the decoded frames themselves (:func:`mark_cuts`, two
    frames of look-ahead) and the estimator is restarted (its ``reset``, when it has one) before
    the first frame of each new shot, so VIDEO-mode tracking never carries one shot's body
    region and scale into the next."""
    poses = PoseRecorder(expected + 16)  # a few frames more than the header says is common
    cuts: list[int] = []
    infer_s = 0.0
    last_ms = -1
    restart = getattr(est, "reset", None)
    # the cut signal is computed on the decoder's thread (the spare core), not beside inference
    decoded = iter_frames(path, max_side=max_side, report=report)
    for frame, cut in prefetched(mark_cuts(decoded, lambda f: f.rgb), 4):
        if cut:
            cuts.append(len(poses))
            if restart is not None:
                restart()
        ts = max(int(round(frame.time_s * 1000)), last_ms + 1)
        last_ms = ts
        t0 = time.perf_counter()
        pose = est.process(_masked(frame, region), ts)
        infer_s += time.perf_counter() - t0
        if pose is not None and frame.scale != 1.0:
            pose = FramePose(pose.image / frame.scale, pose.world, pose.visibility,
                             pose.timestamp_ms)
        poses.add(frame.time_s, pose)
        on_frame(frame, pose)
    return poses, infer_s, cuts


def _leave_out_shots(seq: PoseSequence, cuts: list[int]) -> PoseSequence:
    """``seq`` with its shots recorded in ``meta`` (:data:`~lumbar_rom.video.shots.META_KEY`)
    and the frames of the shots without a full body (a close-up, a title card:
    :func:`~lumbar_rom.video.shots.left_out`) set to NaN (missing), so no trial is built from
    them. Nothing changes in a clip of one shot."""
    if not cuts:
        return seq
    ok = full_body_frames(seq.image, seq.visibility, seq.frame_size)
    found = body_shots(np.asarray(cuts, int), ok)
    out = excluded_mask(found, seq.n_frames)
    meta = {**seq.meta, SHOTS_KEY: shots_to_json(found)}
    if not out.any():
        return replace(seq, meta=meta)
    image, world, vis = seq.image.copy(), seq.world.copy(), seq.visibility.copy()
    image[out], world[out], vis[out] = np.nan, np.nan, np.nan
    return replace(seq, image=image, world=world, visibility=vis, meta=meta)


def track_video(
    path: str | Path,
    *,
    estimator: PoseEstimator | None = None,
    model_path: str | Path | None = None,
    max_side: int | None = DEFAULT_MAX_SIDE,
    annotate_to: str | Path | None = None,
    annotate_max_side: int = DEFAULT_ANNOTATE_SIDE,
    progress: bool = False,
    on_progress: ProgressFn | None = None,
    timing: Timing | None = None,
    raw_label: bool = True,
    mirrored: bool = False,
    info: VideoInfo | None = None,
    region: tuple[float, float] | None = None,
    frame_hook: Callable[[Frame, FramePose | None], None] | None = None,
) -> PoseSequence:
    """Run the pose estimator over every frame of a video file (one decode).

    Parameters
    ----------
    estimator : a :class:`PoseEstimator` (kept open); default: a MediaPipe VIDEO-mode landmarker
        on ``model_path`` (opened and closed here).
    max_side : scale frames down to this long side before inference (None: never).
    annotate_to : also write an annotated H.264 MP4 (skeleton, trunk line and, with
        ``raw_label``, the raw trunk angle; without it only "No person found" where nobody was
        found: :func:`analyze_video` puts the excursion from neutral in captions instead).
    progress : show a progress bar on stderr.
    on_progress : callback ``(frames_done, frames_expected)`` after each frame.
    mirrored : the video is a mirror image (front cameras): landmarks are flipped back (x and
        left/right swapped) so a left side bend stays left.
    info : the video's :func:`probe` when already read.
    region : only the columns ``(x0, x1)`` (display px) are shown to the model (one person of
        several); without it a few frames are searched for more people (``crowd``).

    Returns
    -------
    PoseSequence in the display (rotation-corrected, full-size) pixel coordinates of the video;
    ``damaged_from_s`` is set when the decoder had to skip damaged data. The estimator is
    restarted after each cut; with cuts, ``meta["shots"]`` holds the shots and the frames of
    those without a full body are NaN (module docstring, "Shots").

    Raises
    ------
    VideoError : unreadable, truncated-to-nothing or zero-frame video, or a still image.
    NoPersonError : no person found in any frame.
    """
    t_start = time.perf_counter()
    info = info if info is not None else probe(path)
    expected = expected_frames(info)
    bar = _Bar(expected, None, Path(path).name if progress else None)
    sink = _FrameSink(annotate_to, raw_label, info, annotate_max_side, mirrored)
    report = DecodeReport()
    crowd = _PeopleProbe(expected)
    est: PoseEstimator | None = None

    def on_frame(frame: Frame, pose: FramePose | None) -> None:
        sink.put(frame, pose)
        if frame.index % TRIM_EVERY == TRIM_EVERY - 1:
            trim()  # memory stays flat over long videos (video/malloc.py)
        if frame_hook is not None:
            frame_hook(frame, pose)
        if region is None and est is not None:
            crowd.look(est, frame)
        bar.add(1)
        if on_progress is not None:
            on_progress(frame.index + 1, max(expected, frame.index + 1))

    try:
        with _estimator_for(estimator, model_path) as est:
            poses, infer_s, cuts = _track_frames(path, est, max_side, on_frame, report,
                                                 region, expected)
    finally:
        bar.close()
        sink.close()
    seq = poses.sequence((info.width, info.height), str(path),
                         damaged_from_s=report.damaged_from_s)
    del poses
    xs = crowd.result(est)
    seq = _leave_out_shots(replace(seq, crowd=xs if len(xs) > 1 else ()), cuts)
    if mirrored:
        seq = seq.flipped()
    if not np.any(seq.detected):
        raise NoPersonError(
            f"No person was found in {Path(path).name}; film the whole body, well lit, "
            "with nobody else in view."
        )
    if timing is not None:
        timing.frames = seq.n_frames
        timing.inference_s = infer_s
        timing.total_s = time.perf_counter() - t_start
    return seq


def repaired_landmarks(seq: PoseSequence) -> tuple[PoseSequence, int]:
    """``seq`` with its hips' and shoulders' left/right swaps put back as the analysis does
    (:func:`~lumbar_rom.kinematics.swaps.repair_swaps`, before any cleaning: the exported
    landmarks stay the model's own, only relabelled), and the number of frames repaired.
    ``lumbar-rom landmarks`` exports these (issue 28: it exported the raw labels)."""
    image, world, visibility, fixed = repair_swaps(seq.image, seq.world, seq.visibility)
    return replace(seq, image=image, world=world, visibility=visibility), int(fixed.sum())


def movement_span(seq: PoseSequence | None) -> float:
    """How much a person moves: the largest 5th-95th percentile travel of an upper-body landmark,
    in trunk lengths (shoulder to hip midpoints); 0 when the person is seen in under half the
    frames."""
    if seq is None or seq.detected.mean() < 0.5:
        return 0.0
    pts = seq.image[seq.detected][:, _UPPER, :2]
    trunk = np.linalg.norm(pts[:, 1:3].mean(axis=1) - pts[:, 7:9].mean(axis=1), axis=1)
    travel = np.linalg.norm(np.percentile(pts, 95, axis=0) - np.percentile(pts, 5, axis=0),
                            axis=-1)
    return float(np.max(travel) / max(float(np.median(trunk)), 1e-6))


def _where(i: int, n: int) -> str:
    return "on the left" if i == 0 else "on the right" if i == n - 1 else "in the middle"


def choose_person(path: str | Path, seq: PoseSequence, est: PoseEstimator, *, info: VideoInfo,
                  mirrored: bool = False, on_progress: ProgressFn | None = None
                  ) -> PoseSequence:
    """With several people in view (``seq.crowd``), track each in their own columns of the
    picture and return the one who moves (:func:`movement_span` >= :data:`MOVER_SPAN`), with a
    ``people_note`` saying so; when nobody moves, ``seq`` itself with a note.

    Raises :class:`SeveralPeopleError` when more than one person moves."""
    xs = list(seq.crowd)
    cuts = [0.0] + [(a + b) / 2 for a, b in zip(xs, xs[1:], strict=False)] + [float(info.width)]
    tracks: list[PoseSequence | None] = []
    for x0, x1 in zip(cuts, cuts[1:], strict=False):
        try:
            tracks.append(track_video(path, estimator=est, info=info, region=(x0, x1),
                                      mirrored=mirrored, on_progress=on_progress))
        except NoPersonError:
            tracks.append(None)
    movers = [i for i, t in enumerate(tracks) if movement_span(t) >= MOVER_SPAN]
    n = len(xs)
    if len(movers) > 1:
        raise SeveralPeopleError(f"{len(movers)} people move in {Path(path).name}, so it is not "
                                 "clear whom to measure; film one person at a time, with nobody "
                                 "else moving in view.")
    if not movers:
        return replace(seq, people_note=f"{n} people were in view and none of them moved much; "
                       "the person the camera followed was measured.")
    i = movers[0]
    where = _where(n - 1 - i if mirrored else i, n)
    chosen = tracks[i]
    assert chosen is not None
    return replace(chosen, crowd=seq.crowd, people_note=f"{n} people were in view; the one who "
                   f"moved ({where} of the picture) was measured.")


def fit_to(rgb: np.ndarray, width: int, height: int) -> np.ndarray:
    """Resize ``rgb`` to ``(height, width)`` (no-op when it already has that size)."""
    if (rgb.shape[1], rgb.shape[0]) == (width, height):
        return rgb
    return cv2.resize(rgb, (width, height), interpolation=cv2.INTER_LINEAR)


# ---- annotation: one drawing function and its labels (tracking pass and analysis pass) ----------


def frame_drawer(xy: np.ndarray | None, visibility: np.ndarray | None, label: str | None,
                 highlight: bool, width: int, height: int, flip: bool = False
                 ) -> Callable[[np.ndarray], np.ndarray]:
    """Drawing of one annotated frame (runs on the writer thread): the frame fitted to
    ``width x height`` (mirrored back with ``flip``), the skeleton ``xy (33, 2)`` (pixels of that
    size; None: no person) with its ``visibility (33,)``, the ``label`` and, with ``highlight``,
    the trunk line in green."""
    def draw(rgb: np.ndarray) -> np.ndarray:
        small = fit_to(rgb, width, height)
        if flip:
            small = np.ascontiguousarray(small[:, ::-1])
        return draw_pose(small, xy, label or None, highlight=highlight, visibility=visibility)
    return draw


def trunk_label(pose: FramePose | None) -> str:
    """Tracking-pass label: the raw image trunk angle, or "No person found"."""
    if pose is None:
        return "No person found"
    return f"Trunk {float(trunk_image_angle(pose.image[None])[0]):+.0f} deg"


def excursion_labels(table: dict[str, list], mirrored: bool = False) -> list[str]:
    """Caption texts, one per frame of :func:`angle_table`: the movement's short name and its
    excursion from neutral ("" outside the trials; :func:`~lumbar_rom.report.captions.
    excursion_label`)."""
    return [excursion_label(mv, ex, mirrored) for mv, ex in
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


def peak_frames(seq: PoseSequence, trial: TrialResult, offset: int) -> list[int]:
    """Frames of ``seq`` at the end range of the trial's used repetitions."""
    if not len(trial.time_s):
        return []
    return [int(np.argmin(np.abs(seq.time_s - (seq.time_s[offset] + trial.repetitions[k].peak_s
                                                 - trial.time_s[0]))))
            for k in trial.used_repetitions]


def _video_flags(seq: PoseSequence, trial: TrialResult, offset: int) -> tuple[Flag, ...]:
    """Notes every trial of this video carries: damage, mirroring and the side measured."""
    flags: list[Flag] = []
    if seq.people_note is not None:
        flags.append(Flag("several_people", seq.people_note, False))
    if seq.damaged_from_s is not None:
        flags.append(Flag("video_damaged", f"The video is damaged from {seq.damaged_from_s:.1f} s;"
                          " the frames that could not be decoded were skipped, so record it "
                          "again if the result looks wrong.", False))
    note = shots_note(seq)
    if note is not None:
        flags.append(Flag("shots", note, False))
    side = side_of(trial.movement)
    if side is not None:
        peaks = peak_frames(seq, trial, offset)
        at = f", end range at frame {peaks[0]}" if peaks else ""
        how = ("the video was marked as mirrored and flipped back" if seq.mirrored
               else "the video was taken as not mirrored")
        flags.append(Flag("side_measured", f"Side measured: the person's {side} side ({how}"
                          f"{at}).", False))
    return tuple(flags)


def _shots_of(seq: PoseSequence) -> tuple[Shot, ...]:
    """The shots :func:`track_video` recorded for ``seq`` (empty without cuts, or when ``seq``
    is no longer the whole tracked clip: its frame indices would not match)."""
    found = shots_from_json(seq.meta.get(SHOTS_KEY))
    return found if found and found[-1].stop == seq.n_frames else ()


def _span(seq: PoseSequence, shot: Shot) -> str:
    t = seq.time_s
    end = float(t[shot.stop]) if shot.stop < seq.n_frames else float(t[-1]) + 1.0 / seq.fps
    return f"{float(t[shot.start]):.1f}-{end:.1f} s"


def shots_note(seq: PoseSequence) -> str | None:
    """In words, the shots of a clip with cuts and which were left out (None: one shot)."""
    found = _shots_of(seq)
    if len(found) < 2:
        return None
    at = [f"{float(seq.time_s[s.start]):.1f} s" for s in found[1:]]
    cuts = at[0] if len(at) == 1 else ", ".join(at[:-1]) + " and " + at[-1]
    text = (f"The clip has {len(found)} shots (cut{'s' if len(at) > 1 else ''} at {cuts}); "
            "tracking started afresh after each cut.")
    out = left_out(found)
    if out:
        text += (" Left out of the measurement because they do not show the whole body (a "
                 "close-up or a title card): " + ", ".join(_span(seq, s) for s in out) + ".")
    return text


def _shots_dict(seq: PoseSequence) -> dict:
    """result.json's ``shots`` (one entry per shot; empty for a clip without cuts) and
    ``excluded_frames`` (half-open frame ranges left out as showing no full body)."""
    found = _shots_of(seq)
    out = set(left_out(found))
    return {"shots": [{"start_frame": s.start, "stop_frame": s.stop,
                       "start_s": float(seq.time_s[s.start]), "full_body": s.full_body,
                       "left_out": s in out} for s in found],
            "excluded_frames": [[s.start, s.stop] for s in found if s in out]}


def _with_video_flags(analysis: VideoAnalysis) -> VideoAnalysis:
    trials = tuple(replace(t, flags=t.flags + _video_flags(analysis.seq, t, off))
                   for t, off in zip(analysis.trials, analysis.offsets, strict=True))
    return replace(analysis, trials=trials)


def analyze_sequence(seq: PoseSequence, movement: MovementSpec | str = "auto", *,
                     height_cm: float | None = None,
                     settings: AnalysisSettings = DEFAULT_ANALYSIS) -> VideoAnalysis:
    """Analyse a pose sequence as one ``movement`` (its spec or name) or, with ``"auto"``,
    detect and split it. The landmarks are cleaned once; each trial analyses its slice. Every
    trial notes a damaged video and, for side-specific movements, the side measured.

    ``auto`` with nothing recognisable gives one inconclusive "unknown" trial explaining why.
    """
    return _with_video_flags(_analyze_sequence(seq, movement, height_cm, settings))


def _analyze_sequence(seq: PoseSequence, movement: MovementSpec | str, height_cm: float | None,
                      settings: AnalysisSettings) -> VideoAnalysis:
    spec = _spec_or_auto(movement)
    out = excluded_mask(_shots_of(seq), seq.n_frames)
    if spec is not None:
        trial = analyze_trial(seq, spec, height_cm=height_cm, settings=settings)
        return VideoAnalysis(seq, (_framing_without(trial, seq, out, settings),), (0,))
    if seq.detected.sum() < settings.min_detected_frames:
        return VideoAnalysis(seq, (unrecognised_trial(seq),), (0,))
    kin = CleanedPose.from_sequence(seq, settings.cleaning)
    segments = segment_movements(kin, settings)
    if not segments:
        return VideoAnalysis(seq, (unrecognised_trial(seq),), (0,))
    found = [(_framing_without(_best_movement(kin.slice(s.start, s.stop), s.movement, height_cm,
                                              settings),
                               seq.slice(s.start, s.stop), out[s.start:s.stop], settings),
              s.start) for s in segments]
    # the movements done first, the refused candidates after them (each group in clip order)
    found.sort(key=lambda pair: pair[0].status != "ok")
    return VideoAnalysis(seq, tuple(t for t, _ in found), tuple(o for _, o in found))


def _best_movement(kin: CleanedPose, label: Movement, height_cm: float | None,
                   settings: AnalysisSettings) -> TrialResult:
    """One auto-detected segment analysed as the movement it was labelled; when that is not
    valid, as every other movement in turn (issue 28: a long side bend among other movements
    was measured when chosen and lost in auto), the first valid one kept with a note. The same
    gates apply to each, so a refused label is never turned into a false value."""
    first = analyze_cleaned(kin, label, height_cm=height_cm, settings=settings)
    if first.status == "ok":
        return first
    for other in MOVEMENTS:
        if other == label:
            continue
        trial = analyze_cleaned(kin, other, height_cm=height_cm, settings=settings)
        if trial.status == "ok":
            note = Flag("tried_movements", f"Found as {movement_spec(other).label.lower()}; "
                        "as the movement it first looked like it was not valid.", False)
            return replace(trial, flags=(*trial.flags, note))
    return first


_FRAMING = ("out_of_frame", "limbs_out_of_frame", "low_visibility")  # _quality_flags' codes


def _framing_without(trial: TrialResult, seq: PoseSequence, out: np.ndarray,
                     settings: AnalysisSettings) -> TrialResult:
    """``trial`` (analysed over ``seq``) with its framing and visibility flags judged over the
    frames not left out (``out (T,) bool``: the shots without a full body, already NaN in
    ``seq``), so a close-up or a title card does not count against a trial whose neutral, peak
    and return are visible. Those frames count as unseen in the trial's own check, so this can
    only take flags away, never add one; a trial with no value stays inconclusive."""
    if not out.any():
        return trial
    keep = ~out
    shown = replace(seq, time_s=seq.time_s[keep], image=seq.image[keep],
                    world=seq.world[keep], visibility=seq.visibility[keep])
    framing = tuple(_quality_flags(shown, settings)) if keep.any() else ()
    flags = framing + tuple(f for f in trial.flags if f.code not in _FRAMING)
    blocked = any(f.blocking for f in flags) or not np.isfinite(trial.value_deg)
    return replace(trial, flags=flags, status="inconclusive" if blocked else "ok")


def analyze_video(path: str | Path, movement: MovementSpec | str = "auto", *,
                  out_dir: str | Path | None = None,
                  estimator: PoseEstimator | None = None, model_path: str | Path | None = None,
                  height_cm: float | None = None, progress: bool = False,
                  on_progress: ProgressFn | None = None,
                  settings: AnalysisSettings = DEFAULT_ANALYSIS,
                  mirrored: bool = False) -> VideoAnalysis:
    """Video file -> trials, decoding the video once. ``movement``: a spec, a movement's name or
    ``"auto"`` (checked before the video is read). With ``out_dir``: ``result.json``,
    ``angles.csv`` and ``annotated.mp4`` (trunk line, live excursion, end-range frames marked)
    are written there. ``on_progress(done, total)``: the whole job in work units (module
    docstring); ``mirrored``: see :func:`track_video`. With several people in view, the one who
    moves is measured (:func:`choose_person`: each person is then tracked once more)."""
    spec = _spec_or_auto(movement)
    info = probe(path)
    n = expected_frames(info)
    writes = out_dir is not None
    bar = _Bar(n * TRACK_UNITS + n // 2, on_progress, Path(path).name if progress else None)
    left = n // 2  # units after tracking

    def tracked(done: int, expected: int) -> None:
        bar.add(TRACK_UNITS, (expected - done) * TRACK_UNITS + left)

    def retracked(done: int, expected: int) -> None:
        bar.add(TRACK_UNITS)

    drawn: Path | None = None  # the replay drawn while tracking, if it shows the person measured
    made: Path | None = None  # the file it went to (removed if the job fails)
    try:
        with _estimator_for(estimator, model_path, fresh=False) as est:  # track_video resets
            # drawn while tracking, straight into out_dir (VideoWriter renames it into place on
            # success; removed below if the job fails later, so nothing partial is left)
            if out_dir is not None:
                Path(out_dir).mkdir(parents=True, exist_ok=True)
                drawn = made = Path(out_dir) / "annotated.mp4"
            keeper = PeakFrameKeeper() if spec is None or spec.id == "flexion" else None
            seq = track_video(path, estimator=est, on_progress=tracked, annotate_to=drawn,
                              raw_label=False, mirrored=mirrored, info=info,
                              frame_hook=keep_frames(keeper))
            if seq.crowd:
                bar.total += len(seq.crowd) * seq.n_frames * TRACK_UNITS
                seq = choose_person(path, seq, est, info=info, mirrored=mirrored,
                                    on_progress=retracked)
                drawn = None  # the replay shows the person chosen: drawn again (write_outputs)
            share = seq.n_frames // 2  # the analysis' units; heartbeats use up to 7/8 of them
            used = [0]

            def beat() -> None:
                step = (share - used[0]) // 8
                used[0] += step
                bar.add(step)

            analysis = _with_heartbeat(lambda: analyze_sequence(
                seq, spec or "auto", height_cm=height_cm, settings=settings), beat)
            analysis = deep_flexion(analysis, keeper, model_path, settings)
            redraw = writes and drawn is None
            bar.add(share - used[0], seq.n_frames if redraw else 0)
            if out_dir is not None:
                write_outputs(analysis, path, Path(out_dir), annotated=drawn,
                              on_frame=lambda: bar.add(1))
    except BaseException:
        if made is not None:
            made.unlink(missing_ok=True)
        raise
    finally:
        bar.close()
    if bar.done < bar.total:
        bar.add(bar.total - bar.done)
    return analysis


# ---- deep flexion (issue 11 item 5): the back-anchored correction from frames kept in the decode


def keep_frames(keeper: PeakFrameKeeper | None
                ) -> Callable[[Frame, FramePose | None], None] | None:
    """A :func:`track_video` ``frame_hook`` feeding ``keeper`` (None: no hook)."""
    if keeper is None:
        return None
    k = keeper
    return lambda frame, pose: k.put_on(_PROBE, frame.index, frame.rgb, frame.scale,
                                        None if pose is None else pose.image)


def deep_flexion(analysis: VideoAnalysis, keeper: PeakFrameKeeper | None,
                 model_path: str | Path | None = None,
                 settings: AnalysisSettings = DEFAULT_ANALYSIS) -> VideoAnalysis:
    """Each side-view flexion trial corrected for the shoulder's slide at depth
    (:func:`~lumbar_rom.assessment.trial.correct_deep_flexion`; a few mask calls per trial)."""
    if keeper is None or not len(keeper) or not any(deep_flexion_applies(t)
                                                    for t in analysis.trials):
        return analysis
    with PersonMasker(model_path) as masker:
        trials = tuple(correct_deep_flexion(t, analysis.seq, off, keeper, masker, settings)
                       for t, off in zip(analysis.trials, analysis.offsets, strict=True))
    return replace(analysis, trials=trials)


def _with_heartbeat(work: Callable[[], VideoAnalysis], beat: Callable[[], None],
                    every_s: float = 0.5) -> VideoAnalysis:
    """``work()`` on a worker thread while this thread calls ``beat()`` every ``every_s``
    seconds until it is done (the progress callback stays on the caller's thread: Streamlit
    needs that, and a Cancel raised by it stops the wait). Exceptions are re-raised here."""
    out: dict[str, object] = {}

    def run() -> None:
        try:
            out["value"] = work()
        except BaseException as exc:  # re-raised below
            out["error"] = exc

    worker = threading.Thread(target=run, name="analysis", daemon=True)
    worker.start()
    while True:
        worker.join(every_s)
        if not worker.is_alive():
            break
        beat()
    if "error" in out:
        raise out["error"]  # type: ignore[misc]
    return out["value"]  # type: ignore[return-value]


def write_outputs(analysis: VideoAnalysis, video: str | Path, out_dir: Path, *,
                  annotated: Path | None = None, on_frame: Callable[[], None] | None = None
                  ) -> dict[str, Path]:
    """Write result.json, angles.csv, annotated.mp4 and its captions annotated.vtt for an
    analysed video. ``annotated``: the replay drawn while tracking (moved into ``out_dir``);
    without it ``video`` is decoded and drawn again (:func:`render_annotated`), calling
    ``on_frame`` after each frame."""
    out_dir.mkdir(parents=True, exist_ok=True)
    seq = analysis.seq
    result = {
        "schema_version": SCHEMA_VERSION,
        "software": {"lumbar_rom": __version__},
        "video": str(video),
        "frames": seq.n_frames,
        "frame_size": list(seq.frame_size),
        "mirrored": seq.mirrored,
        "damaged_from_s": seq.damaged_from_s,
        **_shots_dict(seq),
        "trials": [_trial_dict(t, seq, off) for t, off in
                   zip(analysis.trials, analysis.offsets, strict=True)],
    }
    paths = {"result": out_dir / "result.json", "angles": out_dir / "angles.csv",
             "video": out_dir / "annotated.mp4", "captions": out_dir / "annotated.vtt"}
    paths["result"].write_text(json.dumps(result, indent=2, allow_nan=False))
    table = angle_table(analysis)
    with paths["angles"].open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(list(table))
        for row in zip(*table.values(), strict=True):
            writer.writerow(["" if (isinstance(v, float) and not np.isfinite(v)) else
                             (f"{v:.3f}" if isinstance(v, float) else v) for v in row])
    times = np.asarray(table["time_s"], dtype=float)
    peak_times = times[np.asarray(table["peak"], bool)]
    paths["captions"].write_text(webvtt(times, with_peaks(
        excursion_labels(table, seq.mirrored), near_peaks(times, peak_times.tolist()))))
    if annotated is not None:
        if Path(annotated) != paths["video"]:
            shutil.move(annotated, paths["video"])
    else:
        render_annotated(video, analysis, paths["video"], on_frame=on_frame)
    return paths


def _trial_dict(trial: TrialResult, seq: PoseSequence, offset: int) -> dict:
    """A trial's JSON with, for side-specific movements, the side of the body measured, whether
    the video was mirrored, and the frames at the end range."""
    d = trial.to_dict()
    side = side_of(trial.movement)
    if side is not None:
        d["side_measured"] = {"side": side, "mirrored": seq.mirrored,
                              "frames": peak_frames(seq, trial, offset)}
    return d


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
        for idx in peak_frames(seq, trial, off):
            peak[idx] = 1
    raw = trunk_image_angle(seq.image)
    return {"frame": list(range(n)), "time_s": [float(x) for x in seq.time_s],
            "trunk_image_deg": [float(x) for x in raw], "movement": movement,
            "excursion_deg": excursion, "peak": peak}


def render_annotated(video: str | Path, analysis: VideoAnalysis, out: Path,
                     max_side: int = DEFAULT_ANNOTATE_SIDE,
                     on_frame: Callable[[], None] | None = None) -> Path:
    """A second drawing pass (no inference) over the source ``video``, for when the replay drawn
    while tracking shows someone else (several people in view: the person chosen was tracked
    again): the skeleton and trunk line of ``analysis.seq``, drawn as the tracking pass draws
    them ("No person found" where nobody was). Three stages overlap: decoding (a helper thread),
    drawing (this thread) and encoding (the writer's thread), none pinned: no inference runs
    alongside."""
    seq = analysis.seq
    w, h = _fit(seq.frame_size, max_side)
    k = w / seq.frame_size[0]
    detected = seq.detected
    with unpinned(), VideoWriter(out, w, h, fps=seq.fps, threads=2) as writer:
        for i, frame in enumerate(iter_frames(video, max_side=max(w, h) * 2, prefetch=4)):
            if i >= seq.n_frames:
                break
            xy = seq.image[i, :, :2] * k if detected[i] else None
            label = None if detected[i] else trunk_label(None)
            writer.write(frame_drawer(xy, seq.visibility[i], label, False, w, h,
                                      flip=seq.mirrored)(frame.rgb), frame.time_s)
            if on_frame is not None:
                on_frame()
    return out


def unrecognised_trial(seq: PoseSequence) -> TrialResult:
    flag = Flag("not_recognised", "No movement of the test was recognised in this clip; stand "
                "still for a second, then do one movement three times, filmed as the guide shows.",
                True)
    return TrialResult.unmeasured("unknown", [flag], seq.source)
