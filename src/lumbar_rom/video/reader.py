"""Decode videos with PyAV, one frame at a time (memory does not grow with video length).

- Rotation: phone videos store portrait clips as landscape frames plus a display matrix; frames are
  turned upright here (``VideoFrame.rotation`` is counter-clockwise degrees, ``np.rot90`` likewise).
- Time: each frame's real presentation time ``pts * time_base`` in seconds, rebased to start at 0
  (variable frame rate kept); frames whose time does not increase are dropped.
- Size: frames larger than ``max_side`` on their long side are scaled down (OpenCV, area).
  MediaPipe crops and resizes the person to 256x256 anyway, so landmarks in full-frame
  coordinates do not change in any way that matters (tests/integration checks this).
- Arrays handed out are C-contiguous RGB ``uint8`` (MediaPipe needs contiguous memory).
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import cv2
import numpy as np

from lumbar_rom.errors import VideoError
from lumbar_rom.video.threads import pin_to_spare_core

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class VideoInfo:
    """What a video container says about its video stream (display orientation)."""

    path: Path
    width: int
    height: int
    fps: float
    n_frames: int  # container's estimate; 0 when unknown
    duration_s: float
    rotation: int
    codec: str


@dataclass(frozen=True)
class Frame:
    """One decoded frame.

    rgb : (H, W, 3) uint8, upright, C-contiguous, possibly scaled down by ``scale``
    scale : rgb size / display size (1.0 when not scaled)
    """

    index: int
    time_s: float
    rgb: np.ndarray
    scale: float


def _open(path: str | Path) -> av.container.InputContainer:
    p = Path(path)
    if not p.exists():
        raise VideoError(f"{p} does not exist; check the path and try again.")
    if p.is_dir():
        raise VideoError(f"{p} is a folder, not a video file; give the path of a video file.")
    try:
        container = av.open(str(p), mode="r")
    except (av.error.FFmpegError, UnicodeDecodeError, ValueError) as exc:
        raise VideoError(
            f"{p.name} is not a video file that can be read; record or export it as MP4, MOV "
            "or WebM and try again."
        ) from exc
    if not container.streams.video:
        container.close()
        raise VideoError(f"{p.name} has no video track; choose a video file, not an audio file.")
    return container


def probe(path: str | Path) -> VideoInfo:
    """Read the header (and the first frame, for rotation) of a video."""
    container = _open(path)
    try:
        stream = container.streams.video[0]
        rotation = 0
        try:
            first = next(container.decode(stream))
            rotation = int(first.rotation or 0)
        except (StopIteration, av.error.FFmpegError):
            pass
        w, h = stream.codec_context.width, stream.codec_context.height
        if rotation % 180:
            w, h = h, w
        fps = float(stream.average_rate) if stream.average_rate else float("nan")
        duration = float(stream.duration * stream.time_base) if (
            stream.duration and stream.time_base) else (
            float(container.duration) / av.time_base if container.duration else float("nan"))
        return VideoInfo(Path(path), w, h, fps, int(stream.frames or 0), duration, rotation,
                         stream.codec_context.name)
    finally:
        container.close()


def _target_size(width: int, height: int, max_side: int | None) -> tuple[int, int]:
    if not max_side or max(width, height) <= max_side:
        return width, height
    s = max_side / max(width, height)
    # even sizes keep swscale and the H.264 writer happy
    return max(2, round(width * s / 2) * 2), max(2, round(height * s / 2) * 2)


def iter_frames(path: str | Path, max_side: int | None = None, prefetch: int = 0
                ) -> Iterator[Frame]:
    """Yield upright RGB frames with real timestamps, one at a time.

    ``prefetch > 0`` decodes on a background thread up to that many frames ahead, so decoding
    overlaps with whatever the caller does with each frame (pose inference).

    Raises
    ------
    VideoError
        the file cannot be opened, has no video track, or yields no frame at all. A file that
        breaks off part-way (truncated) yields the frames before the break and logs a warning.
    """
    if prefetch > 0:
        yield from _prefetched(_decode(path, max_side), prefetch)
    else:
        yield from _decode(path, max_side)


_END = object()


def _prefetched(source: Iterator[Frame], depth: int) -> Iterator[Frame]:
    """Run ``source`` on a worker thread, handing items over through a bounded queue."""
    q: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def work() -> None:
        pin_to_spare_core()
        try:
            for item in source:
                while not stop.is_set():
                    try:
                        q.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    break
            q.put(_END)
        except BaseException as exc:  # re-raised in the consumer
            q.put(exc)
        finally:
            close = getattr(source, "close", None)
            if close is not None and stop.is_set():
                close()

    worker = threading.Thread(target=work, name="video-decoder", daemon=True)
    worker.start()
    try:
        while True:
            item = q.get()
            if item is _END:
                break
            if isinstance(item, BaseException):
                raise item
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        while worker.is_alive():  # unblock a producer waiting on a full queue
            try:
                q.get_nowait()
            except queue.Empty:
                worker.join(0.05)


def _decode(path: str | Path, max_side: int | None) -> Iterator[Frame]:
    container = _open(path)
    name = Path(path).name
    stream = container.streams.video[0]
    # One decoding thread: the pose model already keeps one core busy; decoder threads only
    # compete with it (measured: frame threads cost more CPU per frame than they save).
    stream.thread_count = 1
    index = 0
    t0: float | None = None
    last_t = -np.inf
    fallback_dt = 1.0 / float(stream.average_rate) if stream.average_rate else 1.0 / 30.0
    try:
        frames = container.decode(stream)
        while True:
            try:
                frame = next(frames)
            except StopIteration:
                break
            except (av.error.FFmpegError, EOFError) as exc:
                if index == 0:
                    raise VideoError(
                        f"{name} could not be decoded (the file may be damaged or truncated); "
                        "record or export it again."
                    ) from exc
                logger.warning("%s: decoding stopped after %d frames: %s", name, index, exc)
                break
            t = float(frame.time) if frame.time is not None else index * fallback_dt
            if t0 is None:
                t0 = t
            t -= t0
            if t <= last_t:
                continue
            last_t = t
            rotation = int(frame.rotation or 0)
            w, h = frame.width, frame.height
            disp_w, disp_h = (h, w) if rotation % 180 else (w, h)
            tw, th = _target_size(disp_w, disp_h, max_side)
            cw, ch = (th, tw) if rotation % 180 else (tw, th)
            rgb = frame.to_ndarray(format="rgb24")
            if (cw, ch) != (w, h):  # cheaper than swscale's scaled conversion (measured)
                rgb = cv2.resize(rgb, (cw, ch), interpolation=cv2.INTER_AREA)
            k = (rotation // 90) % 4
            if k:
                rgb = np.rot90(rgb, k)
            yield Frame(index, t, np.ascontiguousarray(rgb), tw / disp_w)
            index += 1
    finally:
        container.close()
    if index == 0:
        raise VideoError(f"{name} contains no video frames; record the movement again.")
