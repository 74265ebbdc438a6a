"""Decode videos with PyAV, one frame at a time (memory does not grow with video length).

- Rotation: phone videos store portrait clips as landscape frames plus a display matrix; frames are
  turned upright here (``VideoFrame.rotation`` is counter-clockwise degrees, ``np.rot90`` likewise).
- Time: each frame's real presentation time ``pts * time_base`` in seconds, rebased to start at 0
  (variable frame rate kept); frames whose time does not increase are dropped.
- Size: frames larger than ``max_side`` on their long side are scaled down (OpenCV, area).
  MediaPipe crops and resizes the person to 256x256 anyway, so landmarks in full-frame
  coordinates do not change in any way that matters (tests/integration checks this).
- Arrays handed out are C-contiguous RGB ``uint8`` (MediaPipe needs contiguous memory).
- Damage: decoding goes packet by packet; a packet the decoder rejects (corrupted data) is
  skipped and decoding goes on with the next one, so a clip with damage in the middle keeps its
  second half; a file that breaks off early (truncated) yields what was there. Both are recorded
  in a :class:`DecodeReport` ("damaged from 2.6 s") instead of FFmpeg's own log lines, which are
  silenced.
- Still images (JPEG, PNG, ...) are refused: FFmpeg reads them as one-frame videos.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import av
import av.logging
import cv2
import numpy as np

from lumbar_rom.errors import VideoError
from lumbar_rom.video.threads import pin_to_spare_core

logger = logging.getLogger(__name__)

av.logging.set_level(None)  # FFmpeg's raw log lines: damage is reported in DecodeReport
_IMAGE_FORMATS = ("image2", "_pipe")  # FFmpeg demuxers of single images (jpeg_pipe, png_pipe...)


@dataclass
class DecodeReport:
    """What decoding had to skip, filled in while :func:`iter_frames` runs.

    damaged_from_s : video time (s, from the first frame) of the first damaged or missing data;
        None when the video decoded cleanly.
    skipped_packets : packets the decoder rejected.
    """

    damaged_from_s: float | None = None
    skipped_packets: int = 0

    def damaged(self, time_s: float) -> None:
        if self.damaged_from_s is None:
            self.damaged_from_s = max(0.0, round(time_s, 3))


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


NOT_REGULAR = ("{path} is not a regular file (a pipe, device or socket); save the video as a "
               "file and give its path.")


def _open(path: str | Path) -> av.container.InputContainer:
    p = Path(path)
    if not p.exists():
        raise VideoError(f"{p} does not exist; check the path and try again.")
    if p.is_dir():
        raise VideoError(f"{p} is a folder, not a video file; give the path of a video file.")
    if not p.is_file():  # stat only: opening a FIFO would wait for a writer forever
        raise VideoError(NOT_REGULAR.format(path=p))
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
    fmt = container.format.name
    if fmt == _IMAGE_FORMATS[0] or fmt.endswith(_IMAGE_FORMATS[1]):
        container.close()
        raise VideoError(f"{p.name} is a still image, not a video; film the movement as a "
                         "video (MP4, MOV or WebM).")
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


def iter_frames(path: str | Path, max_side: int | None = None, prefetch: int = 0,
                report: DecodeReport | None = None) -> Iterator[Frame]:
    """Yield upright RGB frames with real timestamps, one at a time.

    ``prefetch > 0`` decodes on a background thread up to that many frames ahead, so decoding
    overlaps with whatever the caller does with each frame (pose inference).

    Raises
    ------
    VideoError
        the file cannot be opened, has no video track, is a still image, or yields no frame at
        all. Damaged data is skipped and recorded in ``report`` (see the module docstring).
    """
    report = report if report is not None else DecodeReport()
    if prefetch > 0:
        yield from prefetched(_decode(path, max_side, report), prefetch)
    else:
        yield from _decode(path, max_side, report)


_END = object()
T = TypeVar("T")


def _hand_over(source: Iterator[object], q: queue.Queue[object], stop: threading.Event) -> None:
    """Worker thread: put ``source``'s items on ``q`` (then ``_END``, or the exception raised)
    until ``stop`` is set."""
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


def prefetched(source: Iterator[T], depth: int) -> Iterator[T]:
    """Run ``source`` (e.g. :func:`iter_frames` and a per-frame step after it) on a worker
    thread pinned to the spare core, handing items over through a bounded queue of ``depth``."""
    q: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()
    worker = threading.Thread(target=_hand_over, args=(source, q, stop), name="video-decoder",
                              daemon=True)
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


def _raw_frames(container: av.container.InputContainer, stream: av.video.stream.VideoStream,
                report: DecodeReport) -> Iterator[av.VideoFrame]:
    """Decoded frames, packet by packet: a packet the decoder rejects is skipped (recorded at
    the time of the last good frame), a container that breaks off ends the frames (recorded)."""
    packets = container.demux(stream)
    last = 0.0
    while True:
        try:
            packet = next(packets)
        except StopIteration:
            return
        except (av.error.FFmpegError, EOFError):
            report.damaged(last)
            return
        try:
            frames = packet.decode()
        except (av.error.FFmpegError, EOFError):
            report.skipped_packets += 1
            report.damaged(last)
            continue
        for frame in frames:
            if frame.time is not None:
                last = float(frame.time)
            yield frame


def _to_frame(frame: av.VideoFrame, index: int, t: float, max_side: int | None) -> Frame:
    """Upright RGB (scaled to ``max_side``) of one decoded frame."""
    rotation = int(frame.rotation or 0)
    w, h = frame.width, frame.height
    disp_w, disp_h = (h, w) if rotation % 180 else (w, h)
    tw, th = _target_size(disp_w, disp_h, max_side)
    cw, ch = (th, tw) if rotation % 180 else (tw, th)
    rgb: np.ndarray = frame.to_ndarray(format="rgb24")
    if (cw, ch) != (w, h):  # cheaper than swscale's scaled conversion (measured)
        rgb = cv2.resize(rgb, (cw, ch), interpolation=cv2.INTER_AREA)
    k = (rotation // 90) % 4
    if k:
        rgb = np.rot90(rgb, k)
    return Frame(index, t, np.ascontiguousarray(rgb), tw / disp_w)


def _decode(path: str | Path, max_side: int | None, report: DecodeReport) -> Iterator[Frame]:
    container = _open(path)
    name = Path(path).name
    stream = container.streams.video[0]
    # One decoding thread: the pose model already keeps one core busy; decoder threads only
    # compete with it (measured: frame threads cost more CPU per frame than they save).
    stream.thread_count = 1
    expected = int(stream.frames or 0)
    index = 0
    t0: float | None = None
    last_t = -np.inf
    fallback_dt = 1.0 / float(stream.average_rate) if stream.average_rate else 1.0 / 30.0
    inner = DecodeReport()  # times relative to the container; rebased below
    try:
        for frame in _raw_frames(container, stream, inner):
            t = float(frame.time) if frame.time is not None else index * fallback_dt
            if t0 is None:
                t0 = t
            t -= t0
            if t <= last_t:
                continue
            last_t = t
            yield _to_frame(frame, index, t, max_side)
            index += 1
    finally:
        container.close()
    if index == 0:
        raise VideoError(f"{name} contains no video frames that can be decoded (the file may be "
                         "damaged); record or export it again.")
    if inner.damaged_from_s is None and expected and index < 0.98 * expected:
        inner.damaged(last_t + (t0 or 0.0))  # broke off without an error: truncated
    if inner.damaged_from_s is not None:
        report.skipped_packets += inner.skipped_packets
        report.damaged(inner.damaged_from_s - (t0 or 0.0))
        logger.info("%s: damaged from %.1f s (%d packets skipped, %d frames decoded)", name,
                    report.damaged_from_s, inner.skipped_packets, index)
