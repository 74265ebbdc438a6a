"""Write annotated video as H.264 MP4 that browsers play (PyAV's bundled libx264, yuv420p,
``+faststart``). OpenCV's ``mp4v`` output does not play in Chromium, so it is not used.

Encoding runs on a background thread fed through a small bounded queue, so it overlaps with pose
inference instead of adding to it; the queue bounds memory (frames are never piled up).

The video is written to a hidden temporary file in the same folder and renamed onto ``path`` only
when :meth:`VideoWriter.close` succeeds, so a failure (a full disk) never leaves a partial MP4; the
failure is raised from ``write``/``close`` as a one-sentence :class:`VideoError`.
"""

from __future__ import annotations

import errno
import os
import queue
import threading
import uuid
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from lumbar_rom.errors import VideoError
from lumbar_rom.video.threads import pin_to_spare_core

_STOP = object()


class VideoWriter:
    """H.264 MP4 writer taking RGB frames with their own timestamps.

    Parameters
    ----------
    path : output ``.mp4``
    width, height : frame size in pixels (made even)
    fps : nominal rate (used for the stream's rate field; timestamps come from ``write``)
    preset, crf : libx264 speed/quality
    threads : libx264's own threads (1 beside inference)
    """

    def __init__(self, path: str | Path, width: int, height: int, fps: float = 30.0,
                 preset: str = "ultrafast", crf: int = 26, threads: int = 1) -> None:
        self.path = Path(path)
        self._tmp = self.path.with_name(f".{self.path.stem}.{uuid.uuid4().hex[:8]}.partial"
                                        f"{self.path.suffix}")
        self.width, self.height = width - width % 2, height - height % 2
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._container = av.open(str(self._tmp), mode="w",
                                      options={"movflags": "+faststart"})
        except (OSError, av.error.FFmpegError) as exc:
            self._tmp.unlink(missing_ok=True)
            raise self._failure(exc) from exc
        rate = Fraction(round(fps * 1000), 1000) if fps and fps == fps else Fraction(30)
        stream = self._container.add_stream("libx264", rate=rate)
        stream.width, stream.height = self.width, self.height
        stream.pix_fmt = "yuv420p"
        stream.time_base = Fraction(1, 1000)
        stream.codec_context.time_base = Fraction(1, 1000)
        stream.options = {"preset": preset, "crf": str(crf)}
        # the writer is already its own thread; x264's own threads would compete with inference
        # (``threads`` > 1 only where no inference runs alongside: the drawing pass)
        stream.codec_context.thread_count = threads
        self._stream = stream
        self._last_pts = -1
        # full-size frames wait here (the resize is the writer's): 4 x 6 MB at 1080p at most
        self._queue: queue.Queue[object] = queue.Queue(maxsize=4)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="video-writer", daemon=True)
        self._thread.start()
        self._closed = False

    def _run(self) -> None:
        pin_to_spare_core()
        try:
            while True:
                item = self._queue.get()
                if item is _STOP:
                    break
                self._encode(*item)  # type: ignore[misc]
            for packet in self._stream.encode():
                self._container.mux(packet)
        except BaseException as exc:  # surfaced in write()/close()
            self._error = exc
            while True:  # keep draining so producers never block
                if self._queue.get() is _STOP:
                    break
        finally:
            try:
                self._container.close()  # writes the index: fails too on a full disk
            except BaseException as exc:
                if self._error is None:
                    self._error = exc

    def _encode(self, rgb: np.ndarray, pts: int,
                transform: Callable[[np.ndarray], np.ndarray] | None) -> None:
        if transform is not None:
            rgb = np.ascontiguousarray(transform(rgb))
        rgb = rgb[: self.height, : self.width]
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
        frame.pts = pts
        frame.time_base = Fraction(1, 1000)
        for packet in self._stream.encode(frame):
            self._container.mux(packet)

    def write(self, rgb: np.ndarray, time_s: float,
              transform: Callable[[np.ndarray], np.ndarray] | None = None) -> None:
        """Queue one ``(H, W, 3)`` uint8 RGB frame shown at ``time_s`` seconds.

        ``transform`` (resize, drawing) runs on the writer thread and must return a frame of the
        writer's size; without it the frame must already have that size.
        """
        if self._error is not None:
            raise self._failure(self._error)
        pts = max(int(round(time_s * 1000)), self._last_pts + 1)
        self._last_pts = pts
        self._queue.put((rgb, pts, transform))

    def close(self) -> None:
        """Finish the file and move it onto ``path``; on failure remove it and raise."""
        if self._closed:
            return
        self._closed = True
        self._queue.put(_STOP)
        self._thread.join()
        if self._error is None:
            try:
                os.replace(self._tmp, self.path)
            except OSError as exc:
                self._error = exc
        if self._error is not None:
            self._tmp.unlink(missing_ok=True)
            raise self._failure(self._error)

    def abort(self) -> None:
        """Stop and remove the unfinished file (``path`` is left as it was)."""
        if self._closed:
            return
        self._closed = True
        self._queue.put(_STOP)
        self._thread.join()
        self._tmp.unlink(missing_ok=True)

    def _failure(self, exc: BaseException) -> VideoError:
        where = f"{self.path.name} in {self.path.parent}"
        if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
            return VideoError(f"The disk is full, so {where} was not written; free some space "
                              "or choose another output folder.")
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        return VideoError(f"Cannot write {where} ({reason}); choose another output folder.")

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        if exc_type is None:
            self.close()
        else:  # an error is on its way out: do not replace it, leave no partial file
            self.abort()
