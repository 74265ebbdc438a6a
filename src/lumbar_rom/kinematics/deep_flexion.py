"""Deep forward flexion: the back-anchored correction of the trunk line (side-view flexion).

What is wrong. BlazePose reads a deep forward bend high: as the trunk tips past ~60 deg its
shoulder points slide toward the belly, down the hanging arm (+1.0, +1.4, +2.5, +3.1 cm from
standing at 60/75/90/110 deg applied on renders; its upper arm shrinks to 0.77-0.91 of its
standing length while the rig's does not), so the mid-hip -> mid-shoulder line turns more than
the joint-centre line: +1.6 deg at 60 deg up to +3.5 at 110 (benchmarks/deep_flexion.py).

The fix chosen (``back_anchored`` / ``window_corrections``, wired through
:class:`PeakFrameKeeper` and :func:`kept_corrections`). The hip and shoulder joint centres are
rigid with the skin of the back at their level: bending does not move the shoulder joint away
from the back of the ribcage or the hip joint away from the back of the pelvis. The back's
outline in MediaPipe's own person mask does not slide with the landmarks. So each midpoint is
moved along the trunk's dorsal normal until its distance to the back's edge equals the distance
it had in the person's own standing frames. Nothing is fitted: no constant, gain or depth curve
is taken from the renders; the only reference is the clip's own neutral stand, and the geometry
(distance to the back along the dorsal normal) is the same at every depth, body and camera
distance. Two bodies and a higher camera were held out while the method was chosen. It needs a
mask on a few frames only (up to 5 of the neutral and of each repetition's end-range plateau):
the frames are kept, JPEG-compressed, by :class:`PeakFrameKeeper` during the one decode
(``pipeline.track_video(frame_hook=...)``), never decoded again.

Tried and rejected (same benchmark): the model again on the crop rotated upright
(``upright_crop_refine``: no better, +3.5 overall), a trunk axis through hips, shoulders and
ears (``trunk_angle_through``: +3.1), and, on the first four clips, the 3D world-landmark trunk
angle (-2.1 at 2.2 m, +4.0 at 3.2 and 4.5 m) and two landmark-only repairs: each shoulder put
back up its own upper arm to the arm's standing length (``arm_restored_angle``: over-corrects,
-4.0 overall, -6.0 at 2.2 m, because the elbow point moves too) and the same with the whole
shoulder-elbow-wrist chain (-8.4).

Applies to side-view flexion only: on the front-oblique Pose2Sim trial, where "the back" in the
mask crosses a raised arm, it doubled the error. Pure functions over numpy arrays; image
landmarks are ``(T, 33, >=2)`` pixels as in :class:`lumbar_rom.pose.sequence.PoseSequence`;
angles in degrees.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import Executor, Future
from typing import Protocol

import cv2
import numpy as np

from lumbar_rom.kinematics.angles import angle_from_up, nanmedian, trunk_image_angle, wrap180
from lumbar_rom.kinematics.cleaned import CleanedPose
from lumbar_rom.kinematics.cleaning import DEFAULT_CLEANING, CleaningSettings, clean
from lumbar_rom.pose.estimator import PoseEstimator
from lumbar_rom.pose.landmarks import Landmark as L

PAIRS = {
    "hip": (L.LEFT_HIP, L.RIGHT_HIP),
    "shoulder": (L.LEFT_SHOULDER, L.RIGHT_SHOULDER),
    "ear": (L.LEFT_EAR, L.RIGHT_EAR),
}


def upright_crop(rgb: np.ndarray, points: np.ndarray, angle_deg: float, margin: float = 0.25
                 ) -> tuple[np.ndarray, np.ndarray]:
    """The person's crop, rotated by ``angle_deg`` (the trunk's image angle) so the trunk points
    up. ``rgb (H, W, 3)``, ``points (33, >=2)`` the frame's landmarks (for the box) ->
    ``(crop (S, S, 3), affine (2, 3))`` where ``affine`` maps frame pixels to crop pixels."""
    xy = points[:, :2][np.isfinite(points[:, :2]).all(axis=1)]
    if len(xy) < 4:
        raise ValueError("A crop needs at least four landmarks seen in the frame.")
    centre = 0.5 * (xy.min(axis=0) + xy.max(axis=0))
    rot = cv2.getRotationMatrix2D((float(centre[0]), float(centre[1])), float(angle_deg), 1.0)
    moved = xy @ rot[:, :2].T + rot[:, 2]
    side = int(np.ceil((1.0 + 2.0 * margin) * np.ptp(moved, axis=0).max()))
    side = max(side, 64)
    rot[:, 2] += side / 2.0 - (0.5 * (moved.min(axis=0) + moved.max(axis=0)))
    crop = cv2.warpAffine(rgb, rot, (side, side), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0))
    return crop, rot


def to_frame(points: np.ndarray, affine: np.ndarray) -> np.ndarray:
    """Crop pixels back to frame pixels. ``points (33, 3)`` (z kept), ``affine (2, 3)`` frame ->
    crop -> ``(33, 3)``."""
    inv = cv2.invertAffineTransform(affine)
    out = points.copy()
    out[:, :2] = points[:, :2] @ inv[:, :2].T + inv[:, 2]
    return out


def upright_crop_refine(frames: Sequence[np.ndarray], image: np.ndarray,
                        estimator: PoseEstimator, fraction: float = 1.0,
                        margin: float = 0.25) -> np.ndarray:
    """Landmarks re-estimated on upright crops.

    ``frames``: ``N`` RGB frames ``(H, W, 3)`` uint8; ``image (N, 33, >=2)``: their landmarks
    from the first pass (they give the box and the trunk angle); ``estimator``: an IMAGE-mode
    estimator (each crop is an independent picture); ``fraction``: how much of the trunk angle to
    undo (1 = upright). Returns ``(N, 33, 3)`` frame pixels, NaN where the crop gave no person or
    the first pass had no trunk.
    """
    if len(frames) != len(image):
        raise ValueError(f"Got {len(frames)} frames but landmarks for {len(image)}.")
    out = np.full((len(frames), 33, 3), np.nan)
    angles = trunk_image_angle(image)
    for i, (rgb, pts, a) in enumerate(zip(frames, image, angles, strict=True)):
        if not np.isfinite(a):
            continue
        crop, affine = upright_crop(rgb, pts, fraction * float(a), margin)
        pose = estimator.process(np.ascontiguousarray(crop), i)
        if pose is not None and np.isfinite(pose.image).all():
            out[i] = to_frame(pose.image, affine)
    return out


def midpoints(image: np.ndarray, parts: Sequence[str]) -> np.ndarray:
    """Midpoints of the named left/right pairs (``PAIRS``), ``(T, 33, >=2) -> (T, P, 2)``."""
    return np.stack([0.5 * (image[:, a, :2] + image[:, b, :2])
                     for a, b in (PAIRS[p] for p in parts)], axis=1)


def trunk_angle_through(image: np.ndarray, parts: Sequence[str] = ("hip", "shoulder", "ear")
                        ) -> np.ndarray:
    """Image angle (as :func:`trunk_image_angle`: vs up, + toward image right) of the principal
    axis through the midpoints of ``parts`` (first = bottom), oriented from the first toward the
    last. ``(T, 33, >=2) -> (T,)`` degrees; NaN where any midpoint is missing."""
    m = midpoints(image, parts)
    centred = m - m.mean(axis=1, keepdims=True)
    cov = np.einsum("tpi,tpj->tij", centred, centred)
    ok = np.isfinite(cov).all(axis=(1, 2))
    axis = np.full((len(image), 2), np.nan)
    if ok.any():
        _, vecs = np.linalg.eigh(cov[ok])
        axis[ok] = vecs[:, :, -1]
    span = m[:, -1] - m[:, 0]
    axis *= np.sign(np.einsum("ti,ti->t", axis, span))[:, None]
    return angle_from_up(axis)


def dorsal_gap(mask: np.ndarray, point: np.ndarray, dorsal: np.ndarray, reach_px: float
               ) -> float:
    """Distance (px) from ``point`` along the unit vector ``dorsal`` to the body's dorsal edge in
    the person mask (``(H, W)`` float, > 0.5 = person); negative when ``point`` lies outside the
    body beyond that edge; NaN when no edge is found within ``reach_px`` or the input is missing.
    """
    if not (np.isfinite(point).all() and np.isfinite(dorsal).all()):
        return float("nan")
    s = np.arange(-reach_px, reach_px + 0.5, 0.5)
    xy = point[None, :2] + s[:, None] * dorsal[None, :2]
    h, w = mask.shape
    ix = np.clip(np.round(xy[:, 0]).astype(int), 0, w - 1)
    iy = np.clip(np.round(xy[:, 1]).astype(int), 0, h - 1)
    inside = (mask[iy, ix] > 0.5) & (xy[:, 0] >= 0) & (xy[:, 0] < w) & (xy[:, 1] >= 0) & (
        xy[:, 1] < h)
    zero = len(s) // 2
    if inside[zero]:
        out = np.flatnonzero(~inside[zero:])
        return float(s[zero + out[0]]) if out.size else float("nan")
    back = np.flatnonzero(inside[:zero])
    return float(s[back[-1]]) if back.size else float("nan")


def back_anchored(image: np.ndarray, masks: Sequence[np.ndarray], neutral: np.ndarray,
                  facing: float, reach: float = 0.6,
                  anchor: tuple[bool, bool] = (True, True)) -> np.ndarray:
    """Mid-hip and mid-shoulder kept at their neutral distance from the back.

    BlazePose's shoulder slides ventrally (down the hanging arm) as the trunk tips forward; the
    back's outline in the person mask does not. Each midpoint is moved along the trunk's dorsal
    normal so that its gap to the dorsal edge of the mask equals its median gap over the
    ``neutral`` frames (indices into the ``N`` frames; the person standing upright), i.e. the
    joint centres are assumed rigid with the skin of the back at their level.

    ``image (N, 33, >=2)`` pixels, ``masks``: ``N`` arrays ``(H, W)``, ``facing`` from
    :func:`lumbar_rom.kinematics.angles.facing_sign`; ``reach``: search span as a fraction of
    the trunk length; ``anchor``: which of (hip, shoulder) to move. Returns ``(N, 2, 2)``:
    corrected mid-hip and mid-shoulder per frame, NaN where the mask gave no edge.
    """
    if len(masks) != len(image):
        raise ValueError(f"Got {len(masks)} masks but landmarks for {len(image)} frames.")
    mids = midpoints(image, ("hip", "shoulder"))
    u = mids[:, 1] - mids[:, 0]
    length = np.linalg.norm(u, axis=1)
    u = u / length[:, None]
    dorsal = -facing * np.stack([-u[:, 1], u[:, 0]], axis=1)
    gaps = np.array([[dorsal_gap(m, mids[i, j], dorsal[i], reach * length[i]) for j in (0, 1)]
                     for i, m in enumerate(masks)])
    shift = (gaps - np.nanmedian(gaps[neutral], axis=0)) * np.asarray(anchor, float)
    return mids + shift[:, :, None] * dorsal[:, None, :]


def line_angle(points: np.ndarray) -> np.ndarray:
    """Image angle of bottom -> top for ``(N, 2, 2)`` point pairs -> ``(N,)`` degrees (as
    :func:`trunk_image_angle`)."""
    return angle_from_up(points[:, 1] - points[:, 0])


def window_corrections(image: np.ndarray, masks: Sequence[np.ndarray], neutral: np.ndarray,
                       windows: Sequence[np.ndarray], facing: float,
                       min_seen: float = 0.5) -> np.ndarray:
    """What back anchoring changes in each window's sagittal range, for a trial's peaks.

    ``image (N, 33, >=2)`` and ``masks`` (``N`` arrays ``(H, W)``) of the frames that were
    re-read; ``neutral``: positions (into the ``N``) of the neutral stand; ``windows``: positions
    of each peak's frames. Returns ``(len(windows),)`` degrees to add to each peak's excursion:
    median(anchored - raw sagittal angle) over the window minus the same over the neutral frames;
    NaN where fewer than ``min_seen`` of a window's (or the neutral's) frames found the back.
    """
    back = back_anchored(image, masks, neutral, facing)
    delta = (line_angle(back) - trunk_image_angle(image)) * facing

    def med(pos: np.ndarray) -> float:
        d = delta[np.asarray(pos, dtype=int)]
        ok = np.isfinite(d)
        return float(np.median(d[ok])) if ok.size and ok.mean() >= min_seen else float("nan")

    base = med(neutral)
    return np.array([med(w) - base for w in windows])



ARMS = ((L.LEFT_SHOULDER, L.LEFT_ELBOW, L.LEFT_WRIST),
        (L.RIGHT_SHOULDER, L.RIGHT_ELBOW, L.RIGHT_WRIST))


def arm_restored_shift(image: np.ndarray, neutral: np.ndarray, chain: bool = False
                       ) -> np.ndarray:
    """How far each shoulder must move back up its own upper arm to the arm's standing length.

    ``image (T, 33, >=2)`` pixels; ``neutral``: frame indices (into ``T``) of the upright stand.
    For each side the standing upper-arm length ``l0`` (median |shoulder - elbow| over
    ``neutral``) is restored wherever the arm reads shorter: the shoulder moves along the
    elbow -> shoulder direction by ``l0 - |shoulder - elbow|``; where the arm reads as long or
    longer the shift is zero; NaN where the shoulder or elbow is missing. Returns ``(T, 2, 2)``:
    per frame the (left, right) shoulder's shift in pixels.
    """
    out = np.full((len(image), 2, 2), np.nan)
    neutral = np.asarray(neutral, dtype=int)
    for k, (s, e, w) in enumerate(ARMS):
        d = image[:, s, :2] - image[:, e, :2]
        length = np.linalg.norm(d, axis=1)
        total = length + (np.linalg.norm(image[:, e, :2] - image[:, w, :2], axis=1) if chain
                          else 0.0)
        l0 = _nanmedian(total[neutral])
        if not np.isfinite(l0) or l0 <= 0:
            continue
        ok = np.isfinite(total) & (length > 0)
        gap = np.clip(l0 - total[ok], 0.0, None)
        out[ok, k] = d[ok] * (gap / length[ok])[:, None]
    return out


def arm_restored_angle(image: np.ndarray, neutral: np.ndarray, chain: bool = False
                       ) -> np.ndarray:
    """Image trunk angle (as :func:`trunk_image_angle`: vs up, + toward image right) of
    mid-hip -> mid-shoulder with the mid-shoulder moved by the mean of the seen shoulders'
    :func:`arm_restored_shift` (no shift where neither arm is seen).
    ``(T, 33, >=2), neutral (N,) -> (T,)`` degrees."""
    shift = arm_restored_shift(image, neutral, chain)
    seen = np.isfinite(shift[:, :, 0])
    mean = np.where(seen.any(axis=1)[:, None],
                    np.nansum(np.where(seen[:, :, None], shift, 0.0), axis=1)
                    / np.maximum(seen.sum(axis=1), 1)[:, None], 0.0)
    mid_sh = 0.5 * (image[:, L.LEFT_SHOULDER, :2] + image[:, L.RIGHT_SHOULDER, :2]) + mean
    mid_hip = 0.5 * (image[:, L.LEFT_HIP, :2] + image[:, L.RIGHT_HIP, :2])
    return angle_from_up(mid_sh - mid_hip)


def _nanmedian(x: np.ndarray) -> float:
    x = np.asarray(x, dtype=float)
    return float(np.nanmedian(x)) if np.isfinite(x).any() else float("nan")


ELBOWS = [L.LEFT_ELBOW, L.RIGHT_ELBOW]


def with_cleaned_elbows(kin: CleanedPose, settings: CleaningSettings = DEFAULT_CLEANING
                        ) -> np.ndarray:
    """``kin.image`` with the elbows cleaned too (they are not in ``CLEANED_LANDMARKS``): the raw
    elbows, swapped left/right on the frames whose hips and shoulders were put back
    (``kin.swapped``), through the same :func:`clean`. ``-> (T, 33, 3)`` pixels."""
    image = np.array(kin.image, dtype=float)
    seq = kin.seq
    if not seq.n_frames:
        return image
    elbows = np.array(seq.image[:, ELBOWS], dtype=float)
    vis = np.array(seq.visibility[:, ELBOWS], dtype=float)
    sw = np.asarray(kin.swapped, dtype=bool)
    if sw.size == len(elbows) and sw.any():
        elbows[sw], vis[sw] = elbows[sw][:, ::-1], vis[sw][:, ::-1]
    image[:, ELBOWS] = clean(elbows, seq.time_s, vis, settings)
    return image


def arm_length_correction(image: np.ndarray, neutral: np.ndarray, facing: float) -> np.ndarray:
    """Degrees to add to the sagittal trunk angle (+ forward, as
    :func:`~lumbar_rom.kinematics.angles.sagittal_trunk_angle`) of each frame so that the
    shoulder sits at its standing upper-arm length from the elbow (:func:`arm_restored_angle`),
    relative to the neutral frames (their median correction is zero). ``image (T, 33, >=2)``
    with shoulders, hips and elbows; ``neutral``: frame indices of the upright stand.
    ``-> (T,)``; 0 where the elbows are not seen (no correction), NaN where the trunk is not.
    """
    delta = wrap180(arm_restored_angle(image, neutral) - trunk_image_angle(image)) * facing
    return delta - nanmedian(delta[np.asarray(neutral, dtype=int)])


class PeakFrameKeeper:
    """The hook the one decode calls per frame: it keeps (JPEG, long side <= ``max_side``) the
    frames a deep-flexion correction may need, so the peaks' masks can be read after the
    analysis without decoding the video again.

    Kept: frames whose trunk (mid-hip -> mid-shoulder, the frame's own landmarks) is within
    ``upright_max_deg`` of vertical (a neutral stand) or at least ``deep_min_deg`` from it (an
    end range), at most ``max_frames`` of them (~40 kB each; later frames are dropped once full,
    and their correction is then not made). ``put(index, rgb, scale, image)``: ``rgb (H, W, 3)``
    uint8 as decoded, ``scale`` = rgb px per display px, ``image (33, >=2)`` display-px landmarks
    or None. ``frame(index)`` -> ``(rgb, scale)`` or None.

    With :meth:`put_on`, at most ``max_waiting`` full-size frames wait for the helper thread;
    when it is busy (a people count, a landmarker being made) the next frames are shrunk on
    the caller's thread first, so a 1080p decode never piles up 6 MB frames behind it.
    """

    def __init__(self, max_frames: int = 1200, max_side: int = 640,
                 upright_max_deg: float = 15.0, deep_min_deg: float = 40.0,
                 max_waiting: int = 3) -> None:
        self.max_frames, self.max_side = max_frames, max_side
        self.upright_max_deg, self.deep_min_deg = upright_max_deg, deep_min_deg
        self.max_waiting = max_waiting
        self._kept: dict[int, tuple[bytes, float]] = {}
        self._pending: list[Future[None]] = []
        self._waiting = 0  # full-size frames handed to the helper and not yet stored
        self._lock = threading.Lock()

    def wants(self, image: np.ndarray | None) -> bool:
        """Whether a frame with these landmarks is kept (cheap: the trunk angle and the cap)."""
        if image is None or len(self._kept) + len(self._pending) >= self.max_frames:
            return False
        a = abs(float(trunk_image_angle(np.asarray(image)[None])[0]))
        return bool(np.isfinite(a) and not self.upright_max_deg < a < self.deep_min_deg)

    def put(self, index: int, rgb: np.ndarray, scale: float, image: np.ndarray | None) -> None:
        if self.wants(image):
            self._store(index, rgb, scale)

    def put_on(self, executor: Executor, index: int, rgb: np.ndarray, scale: float,
               image: np.ndarray | None) -> None:
        """:meth:`put`, with the JPEG made on ``executor`` (off the inference thread); the
        frame ``rgb`` must not change afterwards. :meth:`frame` and ``len`` wait for it."""
        if not self.wants(image):
            return
        with self._lock:
            busy = self._waiting >= self.max_waiting
            if not busy:
                self._waiting += 1
        if busy:  # shrink here: the helper holds only small frames while it is busy
            small, f = self._shrink(rgb)
            self._pending.append(executor.submit(self._store, index, small, scale * f))
        else:
            self._pending.append(executor.submit(self._store_full, index, rgb, scale))

    def _store_full(self, index: int, rgb: np.ndarray, scale: float) -> None:
        try:
            self._store(index, rgb, scale)
        finally:
            with self._lock:
                self._waiting -= 1

    def _wait(self) -> None:
        pending, self._pending = self._pending, []
        for done in pending:
            done.result()

    def _shrink(self, rgb: np.ndarray) -> tuple[np.ndarray, float]:
        """``rgb`` with its long side at most ``max_side``, and the factor applied."""
        f = min(1.0, self.max_side / max(rgb.shape[:2]))
        if f >= 1.0:
            return rgb, 1.0
        return cv2.resize(rgb, None, fx=f, fy=f, interpolation=cv2.INTER_AREA), f

    def _store(self, index: int, rgb: np.ndarray, scale: float) -> None:
        small, f = self._shrink(rgb)
        ok, buf = cv2.imencode(".jpg", cv2.cvtColor(small, cv2.COLOR_RGB2BGR),
                               [cv2.IMWRITE_JPEG_QUALITY, 92])
        if ok:
            self._kept[int(index)] = (buf.tobytes(), float(scale) * f)

    def frame(self, index: int) -> tuple[np.ndarray, float] | None:
        self._wait()
        got = self._kept.get(int(index))
        if got is None:
            return None
        bgr = cv2.imdecode(np.frombuffer(got[0], np.uint8), cv2.IMREAD_COLOR)
        if bgr is None:
            return None
        return np.ascontiguousarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)), got[1]

    def __len__(self) -> int:
        self._wait()
        return len(self._kept)

    def __contains__(self, index: object) -> bool:
        """Whether frame ``index`` is kept (without decoding it)."""
        self._wait()
        return isinstance(index, int | np.integer) and int(index) in self._kept


class Masker(Protocol):
    def mask(self, rgb: np.ndarray) -> np.ndarray: ...


def kept_corrections(image: np.ndarray, keeper: PeakFrameKeeper, masker: Masker,
                     neutral: np.ndarray, windows: Sequence[np.ndarray], facing: float,
                     mirrored: bool = False, per_window: int = 5) -> np.ndarray:
    """:func:`window_corrections` on the frames the ``keeper`` holds.

    ``image (T, 33, >=2)``: the video's raw landmarks (display px, as ``PoseSequence.image``);
    ``neutral`` and ``windows``: frame indices into ``T``; up to ``per_window`` kept frames of
    each (evenly spread) get a mask (``masker``: a few model calls per window). ``mirrored``:
    the landmarks were flipped back, so the kept frames are flipped too. Returns
    ``(len(windows),)`` degrees to add to each window's excursion; NaN where too few frames
    were kept or the back was not found.
    """
    def pick(idx: np.ndarray) -> list[int]:
        kept = [int(i) for i in idx if int(i) in keeper]
        if len(kept) > per_window:
            kept = [kept[int(round(j))] for j in np.linspace(0, len(kept) - 1, per_window)]
        return kept

    groups = [pick(np.asarray(neutral))] + [pick(np.asarray(w)) for w in windows]
    if not groups[0]:
        return np.full(len(windows), np.nan)
    frames, pts, pos, at = [], [], [], 0
    for g in groups:
        pos.append(np.arange(at, at + len(g)))
        at += len(g)
        for i in g:
            got = keeper.frame(i)
            assert got is not None
            rgb, scale = got
            if mirrored:
                rgb = np.ascontiguousarray(rgb[:, ::-1])
            frames.append(rgb)
            p = np.array(image[i], dtype=float)
            p[:, :2] *= scale
            pts.append(p)
    masks = [masker.mask(f) for f in frames]
    out = window_corrections(np.stack(pts), masks, pos[0], pos[1:], facing)
    return np.array([np.nan if len(p) == 0 else c for p, c in zip(pos[1:], out, strict=True)])
