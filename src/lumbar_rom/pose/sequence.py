"""The pose sequence: per-frame landmarks of one person in one video, as numpy arrays.

Coordinates
-----------
image
    pixels of the (rotation-corrected) video frame: x to the right, y downwards; z is MediaPipe's
    relative depth scaled like x (pixels), smaller = nearer the camera. Shape ``(T, 33, 3)``.
world
    MediaPipe world landmarks in metres, origin between the hips, x to the image right, y down,
    z away from the camera. Shape ``(T, 33, 3)``.
visibility
    MediaPipe's visibility score in [0, 1]. Shape ``(T, 33)``.

NaN means missing (no person found in that frame); 0 is a valid coordinate, never "missing".

Mirror images (front cameras) are turned back by :meth:`PoseSequence.flipped`: x mirrored about
the frame's width (world x negated) and each left landmark swapped with its right one.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from lumbar_rom.errors import LumbarRomError
from lumbar_rom.pose.estimator import FramePose, flip_landmarks
from lumbar_rom.pose.landmarks import LANDMARK_NAMES, N_LANDMARKS


def _frozen(a: np.ndarray) -> np.ndarray:
    a = np.array(a, dtype=np.float64, copy=True)
    a.flags.writeable = False
    return a


class PoseRecorder:
    """Per-frame estimator results collected into preallocated arrays, for long videos.

    A :class:`FramePose` per frame costs a few kB of Python and numpy objects (a 10-minute clip:
    about 18,000 of them); here each frame costs 924 bytes (image, world and visibility as
    float32, MediaPipe's own precision) plus its time (float64). The arrays start at
    ``capacity`` frames (the expected count) and double when a video has more.
    ``add(time_s, pose)``: ``None`` is stored as NaN.
    :meth:`sequence` returns the :class:`PoseSequence` (float64, as everywhere else).
    """

    def __init__(self, capacity: int = 256) -> None:
        n = max(int(capacity), 16)
        self._time = np.empty(n)
        self._image = np.full((n, N_LANDMARKS, 3), np.nan, dtype=np.float32)
        self._world = np.full((n, N_LANDMARKS, 3), np.nan, dtype=np.float32)
        self._vis = np.full((n, N_LANDMARKS), np.nan, dtype=np.float32)
        self._n = 0

    def __len__(self) -> int:
        return self._n

    def _grow(self) -> None:
        n = 2 * self._time.shape[0]

        def bigger(a: np.ndarray) -> np.ndarray:
            out = np.full((n, *a.shape[1:]), np.nan, dtype=a.dtype)
            out[: a.shape[0]] = a
            return out

        self._time, self._image, self._world, self._vis = (
            bigger(self._time), bigger(self._image), bigger(self._world), bigger(self._vis))

    def add(self, time_s: float, pose: FramePose | None) -> None:
        if self._n == self._time.shape[0]:
            self._grow()
        i = self._n
        self._time[i] = time_s
        if pose is not None:
            self._image[i] = pose.image
            self._world[i] = pose.world
            self._vis[i] = pose.visibility
        self._n = i + 1

    def sequence(self, frame_size: tuple[int, int], source: str = "",
                 damaged_from_s: float | None = None) -> PoseSequence:
        n = self._n
        return PoseSequence(self._time[:n], self._image[:n], self._world[:n], self._vis[:n],
                            frame_size, source, damaged_from_s=damaged_from_s)


@dataclass(frozen=True)
class PoseSequence:
    """Landmarks of one person over ``T`` frames.

    Attributes
    ----------
    time_s : (T,) float
        presentation time of each frame in seconds (real timestamps, variable frame rate allowed).
    image : (T, 33, 3) float
        image landmarks in pixels (see module docstring); NaN where no person was found.
    world : (T, 33, 3) float
        world landmarks in metres; NaN where no person was found.
    visibility : (T, 33) float
        visibility score in [0, 1]; NaN where no person was found.
    frame_size : (width, height)
        size in pixels of the frames the image coordinates refer to.
    source : str
        where the frames came from (a path or "camera").
    damaged_from_s : float or None
        time of the first damaged data the decoder skipped (None: the video decoded cleanly).
    mirrored : bool
        the frames were a mirror image and the landmarks have been flipped back.
    crowd : tuple of float
        image x (px) of each person seen in the sampled frame with the most people, when more
        than one person was seen; empty otherwise.
    people_note : str or None
        how the person measured was chosen among several (None: one person in view).
    """

    time_s: np.ndarray
    image: np.ndarray
    world: np.ndarray
    visibility: np.ndarray
    frame_size: tuple[int, int]
    source: str = ""
    meta: dict[str, str] = field(default_factory=dict, compare=False)
    damaged_from_s: float | None = field(default=None, compare=False)
    mirrored: bool = field(default=False, compare=False)
    crowd: tuple[float, ...] = field(default=(), compare=False)
    people_note: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        t = _frozen(self.time_s)
        n = t.shape[0]
        for name, shape in (("image", (n, N_LANDMARKS, 3)), ("world", (n, N_LANDMARKS, 3)),
                            ("visibility", (n, N_LANDMARKS))):
            arr = np.asarray(getattr(self, name))
            if arr.shape != shape:
                raise ValueError(f"PoseSequence.{name} has shape {arr.shape}, expected {shape}")
            object.__setattr__(self, name, _frozen(arr))
        if t.ndim != 1:
            raise ValueError(f"PoseSequence.time_s must be 1-D, got shape {t.shape}")
        if n > 1 and np.any(np.diff(t) <= 0):
            raise ValueError("PoseSequence.time_s must be strictly increasing")
        object.__setattr__(self, "time_s", t)
        object.__setattr__(self, "frame_size", (int(self.frame_size[0]), int(self.frame_size[1])))

    @classmethod
    def from_frames(cls, times: Sequence[float] | np.ndarray, poses: Sequence[FramePose | None],
                    frame_size: tuple[int, int], source: str = "",
                    damaged_from_s: float | None = None) -> PoseSequence:
        """One sequence from per-frame estimator results: ``times (T,)`` seconds and ``T`` poses
        (``None``: no person in that frame, stored as NaN)."""
        n = len(times)
        if len(poses) != n:
            raise ValueError(f"PoseSequence.from_frames got {n} times but {len(poses)} poses")
        image = np.full((n, N_LANDMARKS, 3), np.nan)
        world = np.full((n, N_LANDMARKS, 3), np.nan)
        vis = np.full((n, N_LANDMARKS), np.nan)
        for i, p in enumerate(poses):
            if p is not None:
                image[i], world[i], vis[i] = p.image, p.world, p.visibility
        return cls(np.asarray(times, dtype=float), image, world, vis, frame_size, source,
                   damaged_from_s=damaged_from_s)

    def flipped(self) -> PoseSequence:
        """The sequence of a mirror image turned back (see the module docstring); ``mirrored``
        records it. Flipping twice gives the original landmarks."""
        image, world, vis = flip_landmarks(self.image, self.world, self.visibility,
                                           self.frame_size[0])
        return replace(self, image=image, world=world, visibility=vis,
                       mirrored=not self.mirrored)

    @property
    def n_frames(self) -> int:
        return int(self.time_s.shape[0])

    @property
    def detected(self) -> np.ndarray:
        """(T,) bool: a person was found in the frame."""
        return ~np.isnan(self.image[:, 0, 0])

    @property
    def fps(self) -> float:
        """Median frame rate in frames per second (NaN for fewer than two frames)."""
        if self.n_frames < 2:
            return float("nan")
        return float(1.0 / np.median(np.diff(self.time_s)))

    def slice(self, start: int, stop: int) -> PoseSequence:
        """Frames ``start:stop`` as a new sequence."""
        return replace(self, time_s=self.time_s[start:stop], image=self.image[start:stop],
                       world=self.world[start:stop], visibility=self.visibility[start:stop],
                       meta=dict(self.meta))

    # ---- tabular I/O -------------------------------------------------------------------------
    def to_columns(self) -> dict[str, np.ndarray]:
        """Wide table: ``frame, time_s`` then per landmark ``NAME_x/_y/_z`` (px),
        ``NAME_wx/_wy/_wz`` (m) and ``NAME_vis``. Missing values stay NaN."""
        cols: dict[str, np.ndarray] = {
            "frame": np.arange(self.n_frames),
            "time_s": np.asarray(self.time_s),
        }
        for j, name in enumerate(LANDMARK_NAMES):
            for k, axis in enumerate("xyz"):
                cols[f"{name}_{axis}"] = self.image[:, j, k]
            for k, axis in enumerate("xyz"):
                cols[f"{name}_w{axis}"] = self.world[:, j, k]
            cols[f"{name}_vis"] = self.visibility[:, j]
        return cols

    @classmethod
    def from_columns(cls, cols: dict[str, np.ndarray], frame_size: tuple[int, int],
                     source: str = "") -> PoseSequence:
        n = len(cols["time_s"])
        image = np.empty((n, N_LANDMARKS, 3))
        world = np.empty((n, N_LANDMARKS, 3))
        vis = np.empty((n, N_LANDMARKS))
        for j, name in enumerate(LANDMARK_NAMES):
            for k, axis in enumerate("xyz"):
                image[:, j, k] = cols[f"{name}_{axis}"]
                world[:, j, k] = cols[f"{name}_w{axis}"]
            vis[:, j] = cols[f"{name}_vis"]
        return cls(np.asarray(cols["time_s"], float), image, world, vis, frame_size, source)

    def save(self, path: str | Path) -> Path:
        """Write the wide table as ``.csv`` or ``.parquet`` (by suffix); frame size in the header
        comment (CSV) or the schema metadata (Parquet). NaN is written as an empty CSV cell."""
        path = Path(path)
        cols = self.to_columns()
        meta = {"frame_width": str(self.frame_size[0]), "frame_height": str(self.frame_size[1]),
                "source": self.source}
        if path.suffix == ".parquet":
            try:
                import pyarrow as pa
                import pyarrow.parquet as pq
            except ImportError as exc:  # pragma: no cover - depends on the install
                raise LumbarRomError(
                    "Parquet output needs pyarrow: install it with `pip install pyarrow` "
                    "or write CSV instead."
                ) from exc
            table = pa.table(cols).replace_schema_metadata(meta)
            pq.write_table(table, path)
            return path
        names = list(cols)
        with path.open("w", newline="") as fh:
            fh.write("# " + json.dumps(meta) + "\n")
            writer = csv.writer(fh)
            writer.writerow(names)
            data = np.column_stack([np.asarray(cols[c], float) for c in names])
            for i, row in enumerate(data):
                writer.writerow([str(i)] + ["" if np.isnan(v) else f"{v:.6g}" for v in row[1:]])
        return path

    @classmethod
    def load(cls, path: str | Path) -> PoseSequence:
        """Read a table written by :meth:`save`."""
        path = Path(path)
        if path.suffix == ".parquet":
            import pyarrow.parquet as pq

            table = pq.read_table(path)
            meta = {k.decode(): v.decode() for k, v in (table.schema.metadata or {}).items()}
            cols = {c: table.column(c).to_numpy() for c in table.column_names}
        else:
            with path.open(newline="") as fh:
                header = fh.readline()
                meta = json.loads(header[2:]) if header.startswith("# ") else {}
                rows = list(csv.reader(fh))
            names = rows[0]
            data = np.array([[float(v) if v != "" else np.nan for v in r] for r in rows[1:]])
            data = data.reshape(-1, len(names))
            cols = {c: data[:, i] for i, c in enumerate(names)}
        size = (int(meta.get("frame_width", 0)), int(meta.get("frame_height", 0)))
        return cls.from_columns(cols, size, meta.get("source", ""))
