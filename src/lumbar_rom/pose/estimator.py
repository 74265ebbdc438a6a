"""Pose estimators: a small interface and the MediaPipe Tasks backend.

The interface is one method, ``process(rgb, timestamp_ms) -> FramePose | None``, plus ``close()``;
tests use a fake, and another backend could be added behind the same interface.

MediaPipe notes (measured; see README "Pose model"):
- Only the Tasks API (``mediapipe.tasks.python.vision.PoseLandmarker``) is used.
- The RGB array handed to MediaPipe must be C-contiguous. PyAV's ``to_ndarray`` returns row-padded
  (non-contiguous) views for some widths, which VIDEO mode silently turns into "no person".
- Landmarkers must be closed explicitly: one freed by the cyclic garbage collector runs
  ``close()`` from ``__del__`` and can freeze that thread. Open landmarkers are kept alive in a
  registry and closed at interpreter exit if their owner forgot.
- Loading and the first inference print TFLite/absl log lines straight to file descriptor 2; they
  are silenced (set ``LUMBAR_ROM_NATIVE_LOGS=1`` to see them).
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import threading
import time
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol, runtime_checkable

import numpy as np

from lumbar_rom.pose.landmarks import LANDMARK_NAMES, N_LANDMARKS
from lumbar_rom.pose.model import default_model_path, verify_model
from lumbar_rom.pose.offline import block_telemetry
from lumbar_rom.video.threads import float_on_all_cores

logger = logging.getLogger(__name__)

Mode = Literal["video", "live", "image"]

# landmark j of a mirror image is landmark MIRROR_INDEX[j] of the person
MIRROR_INDEX: tuple[int, ...] = tuple(
    LANDMARK_NAMES.index(n.replace("left", "@").replace("right", "left").replace("@", "right"))
    for n in LANDMARK_NAMES)


def flip_landmarks(image: np.ndarray, world: np.ndarray, visibility: np.ndarray, width: float
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Landmarks ``(..., 33, 3)``, ``(..., 33, 3)``, ``(..., 33)`` of a mirror image as those of
    the person filmed: left and right swapped, image x -> ``width - x``, world x -> ``-x``."""
    idx = list(MIRROR_INDEX)
    image = np.array(image, dtype=np.float64)[..., idx, :]
    world = np.array(world, dtype=np.float64)[..., idx, :]
    image[..., 0] = width - image[..., 0]
    world[..., 0] = -world[..., 0]
    return image, world, np.asarray(visibility, dtype=np.float64)[..., idx]


@dataclass(frozen=True)
class FramePose:
    """Landmarks of one person in one frame.

    image : (33, 3) pixels (x right, y down, z relative depth in pixel units)
    world : (33, 3) metres, origin between the hips
    visibility : (33,) in [0, 1]
    timestamp_ms : the timestamp of the frame these landmarks belong to
    """

    image: np.ndarray
    world: np.ndarray
    visibility: np.ndarray
    timestamp_ms: int

    def flipped(self, width: float) -> FramePose:
        """These landmarks of a mirror image ``width`` px wide, as the person's (left and right
        swapped, x mirrored)."""
        image, world, vis = flip_landmarks(self.image, self.world, self.visibility, width)
        return FramePose(image, world, vis, self.timestamp_ms)

    @staticmethod
    def missing(timestamp_ms: int) -> FramePose:
        nan3 = np.full((N_LANDMARKS, 3), np.nan)
        return FramePose(nan3, nan3.copy(), np.full(N_LANDMARKS, np.nan), timestamp_ms)


@runtime_checkable
class PoseEstimator(Protocol):
    """What the pipeline needs from a pose backend."""

    name: str

    def process(self, rgb: np.ndarray, timestamp_ms: int) -> FramePose | None:
        """Landmarks for one RGB frame ``(H, W, 3) uint8``; ``None`` when no person is found.

        ``timestamp_ms`` must increase from call to call (video and live modes).
        """
        ...

    def close(self) -> None: ...


@contextlib.contextmanager
def quiet_native_stderr() -> Iterator[None]:
    """Send file descriptor 2 to /dev/null for the duration (native TFLite/absl log lines).

    Python-level ``sys.stderr`` writes in that window are lost too, so keep the window short.
    """
    if os.environ.get("LUMBAR_ROM_NATIVE_LOGS") == "1":
        yield
        return
    # one window at a time: two overlapping windows on two threads would restore each other's
    # /dev/null and silence stderr for good (a spare landmarker is created on a helper thread)
    with _QUIET_LOCK:
        try:
            saved = os.dup(2)
        except OSError:  # no fd 2 (some embedded runners)
            yield
            return
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, 2)
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            os.close(devnull)


_QUIET_LOCK = threading.RLock()


_OPEN: set[MediaPipeEstimator] = set()
_OPEN_LOCK = threading.Lock()


@atexit.register
def _close_forgotten() -> None:
    with _OPEN_LOCK:
        leftovers = list(_OPEN)
    for est in leftovers:
        est.close()


def _close_all_before_shutdown() -> None:
    """Close every landmarker still alive while threads can still run.

    MediaPipe runs each native call through a ``ThreadPoolExecutor``; once the interpreter's
    thread shutdown has begun (before ``atexit`` handlers) a landmarker freed later dies in its
    ``__del__`` ("cannot schedule new futures after shutdown", or a half-torn-down module).
    This runs from ``threading._register_atexit`` -- registered after ``concurrent.futures``,
    so it runs before the executors refuse work -- and closes our estimators, waits for the
    helper's pending closes, then closes any other live ``PoseLandmarker``."""
    import gc

    _close_forgotten()
    _HELPER.shutdown(wait=True)
    try:
        from mediapipe.tasks.python.vision import PoseLandmarker
    except Exception:  # pragma: no cover - mediapipe is a dependency
        return
    for obj in gc.get_objects():
        if isinstance(obj, PoseLandmarker):
            with contextlib.suppress(Exception), quiet_native_stderr():
                obj.close()


# one helper thread creates and closes landmarkers off the job's path; it is NOT pinned to the
# spare core: a landmarker's inference threads inherit its creator's affinity (video/threads.py)
_HELPER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="landmarker-helper",
                             initializer=float_on_all_cores)


threading._register_atexit(_close_all_before_shutdown)  # type: ignore[attr-defined]


def _close_quietly(landmarker: Any) -> None:
    with quiet_native_stderr():
        landmarker.close()


MAX_PEOPLE = 3  # people counted by MediaPipeEstimator.people


def _create(options: object) -> Any:
    """A ``PoseLandmarker`` from ``options`` (native log lines silenced)."""
    from mediapipe.tasks.python import vision

    block_telemetry()  # before the landmarker exists: its usage upload goes nowhere (offline.py)
    with quiet_native_stderr():
        return vision.PoseLandmarker.create_from_options(options)


def _to_frame_pose(result: object, width: int, height: int, ts: int, k: int = 0
                   ) -> FramePose | None:
    poses = getattr(result, "pose_landmarks", None)
    if not poses or len(poses) <= k:
        return None
    lms = poses[k]
    image = np.array([[p.x * width, p.y * height, p.z * width] for p in lms], dtype=np.float64)
    vis = np.array([p.visibility if p.visibility is not None else np.nan for p in lms])
    worlds = getattr(result, "pose_world_landmarks", None)
    if worlds and len(worlds) > k:
        world = np.array([[p.x, p.y, p.z] for p in worlds[k]], dtype=np.float64)
    else:  # pragma: no cover - MediaPipe always returns both
        world = np.full((N_LANDMARKS, 3), np.nan)
    return FramePose(image, world, vis, ts)


class MediaPipeEstimator:
    """MediaPipe Tasks ``PoseLandmarker`` (BlazePose GHUM 3D).

    Parameters
    ----------
    model_path
        a ``.task`` bundle; default: the bundled, checksum-verified full model.
    mode
        ``"video"`` (files: tracking between frames, synchronous), ``"live"`` (camera: MediaPipe's
        LIVE_STREAM mode; ``process`` submits the frame and returns the newest finished result,
        which may belong to an earlier frame, so the camera never waits on the model), or
        ``"image"`` (independent photos).
    min_detection_confidence, min_tracking_confidence
        MediaPipe thresholds (defaults 0.5, MediaPipe's own).
    spare
        VIDEO mode: prepare the next video's fresh landmarker in the background (see
        :meth:`reset`), for an estimator that serves several videos (the app, ``batch``). An
        estimator made for one video (``analyze``) passes False: it saves the spare's memory
        (about 70 MB, held through the whole video otherwise) and a reset at a cut then creates
        the landmarker on the spot (0.1-0.3 s).

    Use as a context manager, or call :meth:`close`.
    """

    name = "mediapipe-blazepose"

    def __init__(self, model_path: str | Path | None = None, mode: Mode = "video",
                 min_detection_confidence: float = 0.5,
                 min_tracking_confidence: float = 0.5, spare: bool = True) -> None:
        check = verify_model(model_path if model_path is not None else default_model_path())
        self.model = check
        self.mode: Mode = mode
        from mediapipe.tasks.python import BaseOptions, vision

        running = {"video": vision.RunningMode.VIDEO, "live": vision.RunningMode.LIVE_STREAM,
                   "image": vision.RunningMode.IMAGE}[mode]
        self._latest: FramePose | None = None
        self._latest_lock = threading.Lock()
        self._submitted: dict[int, float] = {}
        self._latency: deque[tuple[float, float]] = deque(maxlen=120)
        self._size = (0, 0)
        kwargs = {}
        if mode == "live":
            kwargs["result_callback"] = self._on_result
        options = vision.PoseLandmarkerOptions(
            base_options=BaseOptions(model_asset_path=str(check.path)),
            running_mode=running,
            num_poses=1,
            min_pose_detection_confidence=min_detection_confidence,
            min_tracking_confidence=min_tracking_confidence,
            **kwargs,
        )
        self._options = options
        self._landmarker = _create(options)
        self._spare: Future[Any] | None = None  # the next video's fresh landmarker (reset)
        self._keep_spare = spare
        self._used = False  # frames went through the landmarker since it was created
        self._crowd: Any = None  # IMAGE-mode landmarker of :meth:`people`
        self._crowd_options = (check.path, min_detection_confidence)
        self._crowd_quiet = True
        self._mp_image = __import__("mediapipe").Image
        self._mp_format = __import__("mediapipe").ImageFormat.SRGB
        self._calls = 0
        self._closed = False
        # MediaPipe wants strictly increasing timestamps for the landmarker's whole life; a new
        # video restarts at 0, so requested times are shifted onto one increasing clock.
        self._offset = 0
        self._last_req = -1
        self._last_ts = -1
        with _OPEN_LOCK:
            _OPEN.add(self)

    # live mode: results arrive on MediaPipe's thread
    def _on_result(self, result: object, _image: object, timestamp_ms: int) -> None:
        fp = _to_frame_pose(result, self._size[0], self._size[1],
                            int(timestamp_ms) - self._offset)
        now = time.perf_counter()
        with self._latest_lock:
            self._latest = fp
            sent = self._submitted.pop(int(timestamp_ms), None)
            if sent is not None:
                self._latency.append((now, now - sent))

    def live_stats(self) -> tuple[float, float]:
        """Live mode: (results per second over the last ~2 s, median latency in ms from
        submitting a frame to its result). NaN before any result."""
        with self._latest_lock:
            recent = [x for x in self._latency if x[0] > time.perf_counter() - 2.0]
        if len(recent) < 2:
            return float("nan"), float("nan")
        span = recent[-1][0] - recent[0][0]
        rate = (len(recent) - 1) / span if span > 0 else float("nan")
        return rate, 1000 * float(np.median([x[1] for x in recent]))

    def process(self, rgb: np.ndarray, timestamp_ms: int) -> FramePose | None:
        if self._closed:
            raise RuntimeError("MediaPipeEstimator is closed")
        if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
            raise ValueError(f"expected an (H, W, 3) uint8 RGB frame, got {rgb.shape} {rgb.dtype}")
        rgb = np.ascontiguousarray(rgb)
        height, width = rgb.shape[:2]
        self._size = (width, height)
        image = self._mp_image(image_format=self._mp_format, data=rgb)
        if timestamp_ms <= self._last_req:  # a new clip: continue the clock
            self._offset = self._last_ts + 1 - int(timestamp_ms)
        self._last_req = int(timestamp_ms)
        ts = max(int(timestamp_ms) + self._offset, self._last_ts + 1)
        self._last_ts = ts
        quiet = quiet_native_stderr() if self._calls < 2 else contextlib.nullcontext()
        self._calls += 1
        if (not self._used and self.mode == "video" and self._spare is None
                and self._keep_spare):
            self._spare = _HELPER.submit(_create, self._options)  # for the next reset
        self._used = True
        with quiet:
            if self.mode == "video":
                result = self._landmarker.detect_for_video(image, ts)
            elif self.mode == "image":
                result = self._landmarker.detect(image)
            else:
                with self._latest_lock:
                    self._submitted[ts] = time.perf_counter()
                    if len(self._submitted) > 256:  # results MediaPipe dropped
                        for k in sorted(self._submitted)[:128]:
                            del self._submitted[k]
                self._landmarker.detect_async(image, ts)
                with self._latest_lock:
                    return self._latest
        return _to_frame_pose(result, width, height, int(timestamp_ms))

    def people(self, rgb: np.ndarray) -> list[FramePose]:
        """Everyone (up to :data:`MAX_PEOPLE`) in one still frame ``(H, W, 3) uint8``, in its
        pixels: a second, IMAGE-mode landmarker (opened on first use) so the VIDEO-mode tracking
        is not disturbed. Used on a few frames of each video to notice a second person."""
        if self._crowd is None:
            from mediapipe.tasks.python import BaseOptions, vision

            path, conf = self._crowd_options
            self._crowd = _create(vision.PoseLandmarkerOptions(
                base_options=BaseOptions(model_asset_path=str(path)),
                running_mode=vision.RunningMode.IMAGE, num_poses=MAX_PEOPLE,
                min_pose_detection_confidence=conf))
        rgb = np.ascontiguousarray(rgb)
        h, w = rgb.shape[:2]
        first, self._crowd_quiet = self._crowd_quiet, False  # TFLite logs on the first call
        with quiet_native_stderr() if first else contextlib.nullcontext():
            result = self._crowd.detect(self._mp_image(image_format=self._mp_format, data=rgb))
        found = (_to_frame_pose(result, w, h, 0, k) for k in range(MAX_PEOPLE))
        return [p for p in found if p is not None]

    def release_people(self) -> None:
        """Close the IMAGE-mode landmarker of :meth:`people` (about 75 MB), on the helper
        thread; the next :meth:`people` call opens a new one. Called once a video's people have
        been counted, so it is not held through the analysis and between videos (measured on a
        10-minute clip: it was a tenth of the job's peak memory)."""
        crowd, self._crowd, self._crowd_quiet = self._crowd, None, True
        if crowd is not None:
            _HELPER.submit(_close_quietly, crowd)

    def reset(self) -> None:
        """Start a new video with a fresh landmarker (VIDEO mode). MediaPipe's tracking carries
        the previous clip's body region and scale into the next one, so without this a result
        depends on which video came before (measured: an auto analysis of the side-bend sample
        gained a spurious 6 deg rotation trial after the flexion sample; a side plank lying the
        other way lost 1.7 s). The live camera keeps its landmarker.

        Creating a landmarker costs 0.1-0.3 s, so it is kept off the job's path: a landmarker
        that has seen no frame yet is kept as it is, and the next one is created on a helper
        thread when the current one sees its first frame (ready long before the next video: in
        the app, ``assess`` and ``batch`` a reset costs nothing); the old one is closed there
        too."""
        if self._closed or self.mode != "video" or not self._used:
            return
        old = self._landmarker
        spare, self._spare = self._spare, None
        self._landmarker = spare.result() if spare is not None else _create(self._options)
        self._used = False
        self._offset, self._last_req, self._last_ts = 0, -1, -1
        _HELPER.submit(_close_quietly, old)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        spare, self._spare = self._spare, None
        if spare is not None:
            _close_quietly(spare.result())
        with _OPEN_LOCK:
            _OPEN.discard(self)
        with quiet_native_stderr():
            self._landmarker.close()
            if self._crowd is not None:
                self._crowd.close()
                self._crowd = None

    def __enter__(self) -> MediaPipeEstimator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
