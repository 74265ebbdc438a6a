"""Shot boundaries (cuts) and frames without a full body.

Cuts: PySceneDetect's ``AdaptiveDetector`` rule over its ``ContentDetector`` score, on the
decoded frames (PySceneDetect 0.7 itself requires the ``opencv-python`` wheel, which would clash
with the ``opencv-contrib-python`` that MediaPipe brings, so the 30-line rule is here). A frame
starts a new shot when its mean HSV difference from the previous frame is large in itself and
``ratio`` times that of the frames around it (a handheld pan changes every frame a little; a cut
changes one frame a lot), and it does not keep the old picture in another light
(:data:`MAX_SIMILARITY`: a lens flare, a change of exposure or an encoder's key frame is no cut;
issue 28). :func:`mark_cuts` applies the same rule to a stream of frames with
two frames of look-ahead, so the tracking loop finds cuts in its one decode and can restart the
landmarker before a new shot's first frame.

Frames without a full body: from a pose sequence's arrays (``seq.image, seq.visibility,
seq.frame_size``; this module sits below ``pose`` in the layers, so it takes arrays), frames where
no person was found, the hips or shoulders are out of the picture or unseen, or the body's scale
(shoulder-to-hip length in pixels) jumps away from the clip's own (a close-up). A shot
(:class:`Shot`) shows the body when at least half its frames do; :func:`left_out` says which
shots the measurement leaves out.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import cv2
import numpy as np

from lumbar_rom.video.reader import iter_frames

T = TypeVar("T")
TRUNK = (11, 12, 23, 24)  # shoulders, hips (MediaPipe landmark indices)
SMALL = 160  # frames are compared at this width (px)
# Least content value of a cut. PySceneDetect's default is 15; measured here (160 px, bilinear):
# the rendered close-up cut at 4.5 m scores 13.8-13.9 (a plain wall zoomed), at 3.2 m 22, at
# 2.2 m 42, title cards 105-109; the largest value of a frame that is not a cut but stands out 3x
# from its neighbours is 3.3 (10 fps stored with every frame tripled); the real Pose2Sim clips and
# the sample videos have none above 0.1. A false cut costs a landmarker restart (0.1-0.3 s) and
# leaves nothing out while both shots show the body; a missed one keeps a close-up in the trial.
MIN_CONTENT = 8.0
# Most a cut's picture may keep of the previous frame's structure: the correlation of the two
# frames' brightness (V channel, 160 px, mean and scale removed). A change of light, a lens flare
# passing or an encoder's key frame changes many pixels a little and keeps the picture: measured
# on the real clips (benchmarks/real_clips, issue 28) 0.93 (a sun flare gone, Sports2D demo),
# 0.99-1.00 (the key frames every 128 frames of a dark studio clip and of a seated clip, content
# 9.6-10.6 and 6-7 in a walking clip); a new picture keeps little: the rendered close-up 0.26, title
# cards -0.16 to 0.08, a real cut to a logo card 0.08-0.32.
MAX_SIMILARITY = 0.8


def _hsv_small(rgb: np.ndarray) -> np.ndarray:
    """``(h, 160, 3) uint8`` HSV of the frame scaled to :data:`SMALL` px wide. Bilinear, as
    PySceneDetect's own downscale: area averaging costs 7-28 ms on a 1080x1920 frame on this
    machine, bilinear 0.6 ms (the detector runs inside the tracking loop, on every frame)."""
    h = max(1, round(SMALL * rgb.shape[0] / rgb.shape[1]))
    small = cv2.resize(rgb, (SMALL, h), interpolation=cv2.INTER_LINEAR)
    return cv2.cvtColor(small, cv2.COLOR_RGB2HSV)


def _similarity(prev: np.ndarray | None, hsv: np.ndarray) -> float:
    """The correlation of ``prev``'s and ``hsv``'s brightness (V channel) over the pixels, mean
    and scale removed (1: the same picture in another light; 0 for the first frame or a new
    size; two flat frames: 1 when equal, else 0)."""
    if prev is None or prev.shape != hsv.shape:
        return 0.0
    a = prev[..., 2].astype(np.float32)
    b = hsv[..., 2].astype(np.float32)
    a -= a.mean()
    b -= b.mean()
    den = float(np.sqrt(float((a * a).sum()) * float((b * b).sum())))
    if den < 1e-6:
        return 1.0 if np.array_equal(prev, hsv) else 0.0
    return float((a * b).sum()) / den


def _content(prev: np.ndarray | None, hsv: np.ndarray) -> float:
    """The content value of ``hsv`` after ``prev`` (0 for the first frame, 255 for a new
    size): the mean absolute difference over the pixels and the three channels."""
    if prev is None:
        return 0.0
    if prev.shape != hsv.shape:
        return 255.0
    return float(sum(cv2.mean(cv2.absdiff(hsv, prev))[:3]) / 3.0)


def content_differences(frames: Iterable[np.ndarray]) -> np.ndarray:
    """``(T,)`` PySceneDetect's "content value" of each frame against the previous one: the mean
    absolute difference of hue, saturation and value (0-255) over the frame scaled to 160 px
    wide (0 for the first frame; a frame of a new size counts as 255)."""
    return frame_changes(frames)[0]


def frame_changes(frames: Iterable[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """``(T,)`` content values (:func:`content_differences`) and ``(T,)`` similarities of each
    frame to the previous one (the brightness correlation, :data:`MAX_SIMILARITY`)."""
    out: list[float] = []
    sim: list[float] = []
    prev = None
    for rgb in frames:
        hsv = _hsv_small(rgb)
        out.append(_content(prev, hsv))
        sim.append(_similarity(prev, hsv))
        prev = hsv
    return np.asarray(out, float), np.asarray(sim, float)


def _is_cut(d: list[float] | np.ndarray, i: int, last_cut: int | None, min_content: float,
            ratio: float, window: int, min_shot: int, similarity: float = 0.0) -> bool:
    """The AdaptiveDetector rule for frame ``i`` of the content values ``d`` (which must hold
    ``d[i + window]`` unless the clip ends sooner); ``last_cut``: the previous cut or None;
    ``similarity``: frame ``i``'s to the frame before (a cut keeps at most
    :data:`MAX_SIMILARITY` of the picture: a change of light is not a cut)."""
    around = [*d[max(1, i - window):i], *d[i + 1:i + 1 + window]]
    base = float(np.mean(around)) if around else 0.0
    return (d[i] > min_content and d[i] > ratio * base and similarity <= MAX_SIMILARITY
            and (last_cut is None or i - last_cut >= min_shot))


def cuts_from_differences(diff: np.ndarray, min_content: float = MIN_CONTENT, ratio: float = 3.0,
                          window: int = 2, min_shot: int = 3,
                          similarity: np.ndarray | None = None) -> np.ndarray:
    """Frame indices (sorted ``(K,) int``) that start a new shot, from ``diff (T,)``.

    PySceneDetect's ``AdaptiveDetector`` rule: a frame is a cut when its content value exceeds
    ``min_content`` and ``ratio`` x the mean of the ``window`` frames either side (itself
    excluded); cuts closer than ``min_shot`` frames keep the first. With ``similarity (T,)``
    (:func:`frame_changes`), a frame that keeps more than :data:`MAX_SIMILARITY` of the picture
    before it (a change of light) is no cut."""
    d = np.nan_to_num(np.asarray(diff, float))
    sim = np.zeros(len(d)) if similarity is None else np.nan_to_num(np.asarray(similarity, float))
    cuts: list[int] = []
    for i in range(1, len(d)):
        if _is_cut(d, i, cuts[-1] if cuts else None, min_content, ratio, window, min_shot,
                   float(sim[i])):
            cuts.append(i)
    return np.asarray(cuts, int)


def mark_cuts(items: Iterable[T], rgb: Callable[[T], np.ndarray], min_content: float = MIN_CONTENT,
              ratio: float = 3.0, window: int = 2, min_shot: int = 3
              ) -> Iterator[tuple[T, bool]]:
    """Streaming :func:`cuts_from_differences`: each of ``items`` (decoded frames; ``rgb(item)``
    its ``(H, W, 3)`` picture) with True when it starts a new shot, in order and with the same
    decisions as the batch rule. The rule looks ``window`` frames ahead, so an item is yielded
    once ``window`` more have arrived (or the stream ended): the consumer (the tracking loop)
    runs that many frames behind the decoder, and can restart its tracker *before* the first
    frame of a new shot. Keeps one float per frame and ``window + 1`` items."""
    d: list[float] = []
    sim: list[float] = []
    pending: deque[T] = deque()
    cuts: list[int] = []
    prev: np.ndarray | None = None
    done = 0  # items yielded so far (= index of pending[0])

    def decide() -> tuple[T, bool]:
        nonlocal done
        i = done
        cut = i > 0 and _is_cut(d, i, cuts[-1] if cuts else None, min_content, ratio, window,
                                min_shot, sim[i])
        if cut:
            cuts.append(i)
        done += 1
        return pending.popleft(), cut

    for item in items:
        hsv = _hsv_small(rgb(item))
        d.append(_content(prev, hsv))
        sim.append(_similarity(prev, hsv))
        prev = hsv
        pending.append(item)
        if len(d) - done > window:
            yield decide()
    while pending:
        yield decide()


def detect_cuts(source: str | Path | Iterable[np.ndarray], min_content: float = MIN_CONTENT,
                ratio: float = 3.0) -> np.ndarray:
    """Shot boundaries: indices of the frames that start a new shot (frame 0 not included),
    ``(K,) int``. ``source``: a video path (decoded at 320 px) or RGB frames ``(H, W, 3)``."""
    if isinstance(source, str | Path):
        frames: Iterable[np.ndarray] = (f.rgb for f in iter_frames(source, max_side=320))
    else:
        frames = source
    diff, sim = frame_changes(frames)
    return cuts_from_differences(diff, min_content, ratio, similarity=sim)


def shots(cuts: np.ndarray, n_frames: int) -> list[tuple[int, int]]:
    """``[(start, stop), ...]`` half-open frame ranges of the shots between ``cuts``."""
    edges = [0, *(int(c) for c in cuts if 0 < c < n_frames), n_frames]
    return [(a, b) for a, b in zip(edges[:-1], edges[1:], strict=True) if b > a]


def full_body_frames(image: np.ndarray, visibility: np.ndarray, frame_size: tuple[int, int],
                     min_visibility: float = 0.5, margin: float = 0.0,
                     scale_tolerance: float = 0.35) -> np.ndarray:
    """``(T,) bool``: frames that show the whole trunk at the clip's usual body scale, from
    ``image (T, 33, 3)`` landmarks in px (NaN = no person), ``visibility (T, 33)`` and the frame
    ``(width, height)`` (a PoseSequence's ``image``, ``visibility``, ``frame_size``).

    False where no person was found, a shoulder or hip is unseen (visibility below
    ``min_visibility``) or outside the picture (``margin`` fraction of the frame), or the trunk
    length (mid-shoulder to mid-hip, px) differs from the median over the frames that pass the
    other tests by more than ``scale_tolerance`` (relative): a close-up, or a second, smaller
    person."""
    img = np.asarray(image, float)[:, TRUNK, :2]
    vis = np.asarray(visibility, float)[:, TRUNK]
    w, h = frame_size
    inside = ((img[..., 0] >= -margin * w) & (img[..., 0] <= (1 + margin) * w)
              & (img[..., 1] >= -margin * h) & (img[..., 1] <= (1 + margin) * h))
    with np.errstate(invalid="ignore"):
        ok = np.all(inside & (vis >= min_visibility), axis=1)
    sh = img[:, :2].mean(axis=1)
    hip = img[:, 2:].mean(axis=1)
    length = np.linalg.norm(sh - hip, axis=1)
    if ok.any():
        typical = float(np.nanmedian(length[ok]))
        with np.errstate(invalid="ignore"):
            ok &= np.abs(length / typical - 1.0) <= scale_tolerance
    return ok


MIN_BODY_FRACTION = 0.5  # a shot shows the body when this share of its frames show the trunk
META_KEY = "shots"  # where a PoseSequence's ``meta`` keeps its shots (JSON, see shots_to_json)


@dataclass(frozen=True)
class Shot:
    """One continuous shot: frames ``start:stop`` (half-open) of the clip, and whether it shows
    the whole body (at least :data:`MIN_BODY_FRACTION` of its frames pass
    :func:`full_body_frames`)."""

    start: int
    stop: int
    full_body: bool = True


def body_shots(cuts: np.ndarray, full_body: np.ndarray,
               min_fraction: float = MIN_BODY_FRACTION) -> tuple[Shot, ...]:
    """The shots between ``cuts (K,)`` over the ``len(full_body)`` frames of a clip, each marked
    by whether at least ``min_fraction`` of its frames are True in ``full_body (T,) bool``."""
    ok = np.asarray(full_body, bool)
    return tuple(Shot(a, b, bool(ok[a:b].mean() >= min_fraction))
                 for a, b in shots(np.asarray(cuts, int), len(ok)))


def left_out(all_shots: Iterable[Shot]) -> tuple[Shot, ...]:
    """The shots to leave out of the measurement: those without a full body (a close-up, a title
    card), but only when another shot shows the body. A clip with no full-body shot at all is
    analysed as it is, so its trial says what is wrong with the framing ("step back ...")
    rather than "no person found"; a clip of one shot is therefore never changed."""
    seq = tuple(all_shots)
    if not any(s.full_body for s in seq):
        return ()
    return tuple(s for s in seq if not s.full_body)


def excluded_mask(all_shots: Iterable[Shot], n_frames: int) -> np.ndarray:
    """``(n_frames,) bool``: the frames of the shots :func:`left_out` leaves out."""
    mask = np.zeros(n_frames, bool)
    for s in left_out(all_shots):
        mask[s.start:s.stop] = True
    return mask


def shots_to_json(all_shots: Iterable[Shot]) -> str:
    """``[[start, stop, full_body], ...]`` as JSON (kept in a PoseSequence's ``meta``)."""
    return json.dumps([[s.start, s.stop, s.full_body] for s in all_shots])


def shots_from_json(text: str | None) -> tuple[Shot, ...]:
    """The shots of :func:`shots_to_json` (empty for None or "")."""
    if not text:
        return ()
    return tuple(Shot(int(a), int(b), bool(f)) for a, b, f in json.loads(text))
