"""Write annotated video as H.264 MP4 that browsers play (PyAV's bundled libx264, yuv420p,
``+faststart``). OpenCV's ``mp4v`` output does not play in Chromium, so it is not used.

Encoding runs on a background thread fed through a small bounded queue, so it overlaps with pose
inference instead of adding to it; the queue bounds memory (frames are never piled up).
"""

from __future__ import annotations

import queue
import threading
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
    """

    def __init__(self, path: str | Path, width: int, height: int, fps: float = 30.0,
                 preset: str = "ultrafast", crf: int = 26) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.width, self.height = width - width % 2, height - height % 2
        try:
            self._container = av.open(str(self.path), mode="w",
                                      options={"movflags": "+faststart"})
        except av.error.FFmpegError as exc:
            raise VideoError(f"Cannot write {self.path}; check the output folder.") from exc
        rate = Fraction(round(fps * 1000), 1000) if fps and fps == fps else Fraction(30)
        stream = self._container.add_stream("libx264", rate=rate)
        stream.width, stream.height = self.width, self.height
        stream.pix_fmt = "yuv420p"
        stream.time_base = Fraction(1, 1000)
        stream.codec_context.time_base = Fraction(1, 1000)
        stream.options = {"preset": preset, "crf": str(crf)}
        # the writer is already its own thread; x264's own threads would compete with inference
        stream.codec_context.thread_count = 1
        self._stream = stream
        self._last_pts = -1
        self._queue: queue.Queue[object] = queue.Queue(maxsize=8)
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
                rgb, pts, transform = item  # type: ignore[misc]
                if transform is not None:
                    rgb = np.ascontiguousarray(transform(rgb))
                rgb = rgb[: self.height, : self.width]
                frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
                frame.pts = pts
                frame.time_base = Fraction(1, 1000)
                for packet in self._stream.encode(frame):
                    self._container.mux(packet)
            for packet in self._stream.encode():
                self._container.mux(packet)
        except BaseException as exc:  # surfaced in write()/close()
            self._error = exc
            while True:  # keep draining so producers never block
                if self._queue.get() is _STOP:
                    break
        finally:
            self._container.close()

    def write(self, rgb: np.ndarray, time_s: float,
              transform: Callable[[np.ndarray], np.ndarray] | None = None) -> None:
        """Queue one ``(H, W, 3)`` uint8 RGB frame shown at ``time_s`` seconds.

        ``transform`` (resize, drawing) runs on the writer thread and must return a frame of the
        writer's size; without it the frame must already have that size.
        """
        if self._error is not None:
            raise VideoError(f"Writing {self.path.name} failed: {self._error}")
        pts = max(int(round(time_s * 1000)), self._last_pts + 1)
        self._last_pts = pts
        self._queue.put((rgb, pts, transform))

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._queue.put(_STOP)
        self._thread.join()
        if self._error is not None:
            raise VideoError(f"Writing {self.path.name} failed: {self._error}")

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
