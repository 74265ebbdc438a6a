"""The guided live test of one motion: a state machine fed by camera frames.

Threads: :meth:`GuidedTrial.process` runs in streamlit-webrtc's frame-callback worker (which is
handed only the newest frame: frames that arrive while the model is busy are dropped, never
queued). It runs the model without holding any lock, then updates the state machine (cheap) under
the snapshot lock. The page (script thread) reads :meth:`GuidedTrial.snapshot`, sends commands
(pause, redo, stop for pain) and calls :meth:`GuidedTrial.tick` every half second: ``tick`` runs
the end-of-trial analysis (``analyze_trial``, 0.5-2 s) outside the lock, and notices a camera
that stopped sending pictures and steps that cannot finish.

Time: every duration (framing hold, countdown, neutral, repetitions, time limits) is measured on
the frames' own time stamps (``av.VideoFrame.time``), not on the clock when a frame is processed,
so the result does not depend on the processing rate (tested at 8, 15 and 30 processed fps).

Phases: ``framing`` (whole body visible, right view, level camera, held 1 s) -> ``countdown``
(3 s) -> ``neutral`` (1.5 s standing still) -> ``moving`` (three repetitions; live angle from a
causal One Euro filter) -> ``analysing`` -> ``done`` with the result of the same offline trial
analysis that recorded videos get. ``paused``, ``stopped`` (pain), ``stalled`` (no pictures for
3 s; the step restarts at the next picture) and ``help`` (a time limit passed) can be entered
from the active phases.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import cv2
import numpy as np

from lumbar_rom.assessment.protocol import MovementSpec, movement_spec
from lumbar_rom.assessment.trial import DEFAULT_ANALYSIS, Flag, TrialResult, analyze_trial
from lumbar_rom.data import load_toml
from lumbar_rom.kinematics import angles as A
from lumbar_rom.kinematics.cleaning import OneEuroFilter
from lumbar_rom.kinematics.view import classify_view
from lumbar_rom.pose.draw import draw_pose
from lumbar_rom.pose.estimator import FramePose, PoseEstimator
from lumbar_rom.pose.landmarks import Landmark as L
from lumbar_rom.pose.sequence import PoseSequence

# the live test's thresholds: data/protocol.toml [live] (explained there, with their source);
# stillness and the camera's off-front limit are the offline analysis' own (AnalysisSettings)
_LIVE = load_toml("protocol.toml")["live"]
FRAMING_HOLD_S = float(_LIVE["framing_hold_s"])
COUNTDOWN_S = float(_LIVE["countdown_s"])
NEUTRAL_S = float(_LIVE["neutral_s"])
MAX_MOVING_S = float(_LIVE["max_moving_s"])
LEVEL_MAX_DEG = float(_LIVE["level_max_deg"])
STALL_S = float(_LIVE["stall_s"])
MIN_FPS = float(_LIVE["min_fps"])
NEUTRAL_TIMEOUT_S = float(_LIVE["neutral_timeout_s"])
FIRST_REP_TIMEOUT_S = float(_LIVE["first_rep_timeout_s"])
TARGET_REPS = 3
KEY_POINTS = [L.NOSE, L.LEFT_SHOULDER, L.RIGHT_SHOULDER, L.LEFT_HIP, L.RIGHT_HIP,
              L.LEFT_ANKLE, L.RIGHT_ANKLE]
ACTIVE = ("framing", "countdown", "neutral", "moving")

STALLED = "The camera stopped sending pictures; press Start to carry on."
TOO_SLOW = ("Too slow to measure: {fps:.1f} pictures a second are processed and at least "
            f"{MIN_FPS:.0f} are needed; close other programs, or record a video and use the "
            "Upload page.")
# what the framing check says, one sentence per problem (the placement picture is beside it)
FRAMING_TIPS = {
    "nobody": "Nobody found: step into the picture, 2 to 3 metres from the camera.",
    "too close": "You are too close: step back until your head and your feet are both in view.",
    "head": "Your head is cut off: step back or tilt the camera up.",
    "feet": "Your feet are cut off: step back or tilt the camera down.",
    "left": "You are cut off at the left edge: move towards the middle of the picture.",
    "right": "You are cut off at the right edge: move towards the middle of the picture.",
    "hidden": "Part of your body is hidden: clear the space around you and face the light.",
    "side": "Wrong view: turn side-on to the camera (one shoulder towards it).",
    "front": "Wrong view: face the camera.",
    "square": "Face the camera squarely: turn until both shoulders are equally visible.",
    "level": "The camera is not level: stand it upright on a flat surface at hip height.",
}
HELP = {
    "neutral": ("No still start position was found within {s:.0f} seconds: stand upright and "
                "still for two seconds after the countdown, then press Redo."),
    "moving": ("No movement was seen within {s:.0f} seconds of the start: follow the "
               "instruction above, move at least a little, then press Redo."),
}


@dataclass
class Snapshot:
    """What the page shows (a copy; safe to read in the script thread)."""

    phase: str = "framing"
    cue: str = ""
    angle_deg: float | None = None
    peak_deg: float | None = None
    reps: int = 0
    fps: float = 0.0
    latency_ms: float = 0.0
    framing: dict[str, bool] = field(default_factory=dict)
    result: TrialResult | None = None
    frames: int = 0
    problem: str = ""  # the framing problem (a FRAMING_TIPS key) or the help reason

    @property
    def too_slow(self) -> bool:
        """Frames are processed too slowly to measure (after a second of frames)."""
        return self.frames >= 10 and 0 < self.fps < MIN_FPS


def framing_problem(pose: FramePose | None, frame_size: tuple[int, int], view_ok: bool | None,
                    want_view: str, level_ok: bool = True) -> str:
    """The first thing wrong with the framing (a :data:`FRAMING_TIPS` key), or ``""``.
    ``view_ok`` None: not known yet (too few frames)."""
    if pose is None:
        return "nobody"
    w, h = frame_size
    xy, vis = pose.image[KEY_POINTS, :2], pose.visibility[KEY_POINTS]
    inside = (xy[:, 0] >= 0) & (xy[:, 0] <= w) & (xy[:, 1] >= 0) & (xy[:, 1] <= h)
    ok = inside & (vis >= _LIVE["visibility_threshold"])
    head_cut, feet_cut = bool(xy[0, 1] < 0), bool(np.nanmin(xy[5:, 1]) > h)
    span = np.nanmax(xy[:, 1]) - np.nanmin(xy[:, 1])
    if (head_cut and feet_cut) or span > float(_LIVE["too_close_height_fraction"]) * h:
        return "too close"
    for part, cut in (("left", np.any(xy[:, 0] < 0)), ("right", np.any(xy[:, 0] > w)),
                      ("head", head_cut), ("feet", feet_cut)):
        if cut:
            return part
    if np.mean(ok) < _LIVE["visible_fraction_min"]:
        return "hidden"
    if view_ok is False:
        return want_view if want_view in ("side", "front") else "square"
    return "" if level_ok else "level"


def checklist(problem: str) -> dict[str, bool]:
    """The four framing checks shown to the user, from :func:`framing_problem`."""
    body = ("too close", "head", "feet", "left", "right", "hidden")
    return {"person": problem != "nobody",
            "whole body": problem not in ("nobody", *body),
            "view": problem not in ("nobody", *body, "side", "front", "square"),
            "level": problem == ""}


class GuidedTrial:
    """One motion of the guided test. ``estimator`` runs the pose model (for the camera, one
    shared by the visit's six steps: see ``app.webcam.LiveCamera``); ``clock`` (seconds) is only
    used for stall detection and latency."""

    def __init__(self, movement: MovementSpec | str, estimator: PoseEstimator,
                 height_cm: float | None = None,
                 clock: Callable[[], float] = time.monotonic,
                 display_width: int | None = None) -> None:
        self.spec = movement_spec(movement)
        self.display_width = display_width
        self.movement = self.spec.id
        self.estimator = estimator
        self.height_cm = height_cm
        self.clock = clock
        self._lock = threading.Lock()
        self._snap = Snapshot(cue=self.spec.camera)
        self._times: deque[float] = deque(maxlen=30)  # time stamps of processed frames
        self._recent: deque[FramePose] = deque(maxlen=15)
        self._last_pose_ms = -1
        self._last_t: float | None = None  # the newest frame time (s, our own time line)
        self._raw_last: float | None = None
        self._t_shift = 0.0
        self._last_frame_clock: float | None = None  # clock() when the newest frame arrived
        self._busy = False  # the model is working on a frame
        self._pending: tuple[np.ndarray, list[FramePose | None], tuple[int, int]] | None = None
        self._ref_size: tuple[int, int] | None = None  # the first frame's (W, H) of a recording
        # no landmarks for this long: the camera stopped (the browser path sets 10 s)
        self.silence_s = STALL_S
        self._reset_recording()
        self._phase_since = 0.0

    # ---- commands and polling from the page (script thread) -----------------------------------
    def command(self, cmd: str) -> None:
        with self._lock:
            phase, t = self._snap.phase, self._last_t or 0.0
            if cmd == "pause" and phase in ACTIVE:
                self._set_phase("paused", "Paused. Press resume when you are ready.", t)
            elif cmd == "resume" and phase == "paused":
                self._restart(t)
            elif cmd == "redo":
                self._snap.result = None
                self._pending = None
                self._restart(t)
            elif cmd == "stop_pain":
                self._pending = None
                self._set_phase("stopped", "Stopped because it hurts. This motion is recorded "
                                "as limited by pain; do not push into pain.", t)

    def snapshot(self) -> Snapshot:
        with self._lock:
            return replace(self._snap, framing=dict(self._snap.framing))

    def tick(self) -> None:
        """Called by the page every half second: analyses a finished trial (outside the lock)
        and turns a camera silent for :data:`STALL_S` into the ``stalled`` phase."""
        with self._lock:
            pending, self._pending = self._pending, None
            last = self._last_frame_clock
            # streamlit-webrtc gives up on a frame callback after 10 s; landmarks from the page
            # come in batches that wait for the server's turn (``silence_s``)
            limit = max(10.0 if self._busy else STALL_S, self.silence_s)
            silent = self.clock() - last > limit if last is not None else False
            if pending is None and self._snap.phase in ACTIVE and silent:
                self._set_phase("stalled", STALLED, self._last_t or 0.0)
        if pending is None:
            return
        result = self._analyse(*pending)
        with self._lock:
            if self._snap.phase != "analysing":  # redo or pain while it was analysed
                return
            self._snap.result = result
            if result.status == "ok":
                cue = f"{self.spec.label}: {result.value_deg:.0f} degrees."
            else:
                cue = "That did not work: " + " ".join(result.reasons)
            self._set_phase("done", cue, self._phase_since)

    def stream_ended(self) -> None:
        """The browser stopped the stream (STOP, tab closed, connection lost)."""
        with self._lock:
            if self._snap.phase in ACTIVE:
                self._set_phase("stalled", STALLED, self._last_t or 0.0)

    # ---- landmarks from the page (app.pose_component: the model ran in the browser) -----------
    def feed(self, times_s: np.ndarray, poses: Sequence[FramePose | None],
             sizes: np.ndarray, latency_ms: float | None = None) -> int:
        """Landmarks found in the browser, in frame order: ``times_s (n,)`` the frames' own time
        stamps (seconds), ``n`` poses (None: nobody) in each frame's pixels, ``sizes (n, 2)``
        the frames' (W, H). The same state machine as :meth:`process` (which runs the model on
        the server); returns how many frames were taken (older than the newest are skipped)."""
        taken = 0
        with self._lock:
            self._last_frame_clock = self.clock()
            for raw, pose, size in zip(times_s, poses, sizes, strict=True):
                t = self._page_time(float(raw))
                before = self._snap.frames
                if pose is not None:
                    pose = replace(pose, timestamp_ms=int(round(t * 1000)))
                self._observe(pose, t, (int(size[0]), int(size[1])))
                taken += self._snap.frames - before
            if latency_ms is not None:
                self._snap.latency_ms = float(latency_ms)
        return taken

    def _page_time(self, raw: float) -> float:
        """The page's frame times are on one clock for the whole visit (the browser's): a gap is
        real time without an analysed picture and is kept, unlike :meth:`_timeline` (a WebRTC
        stream restarts its clock, so there a gap is closed up). Only a clock that goes back (a
        reloaded page) continues right after the last frame."""
        prev, self._raw_last = self._raw_last, raw
        if prev is None or raw <= prev:
            last = self._last_t
            self._t_shift = (0.0 if last is None else last + 1 / 30) - raw
        return raw + self._t_shift

    def label(self) -> str:
        """The picture's caption now (what the server path draws on the frame)."""
        with self._lock:
            return self._label()

    def live_reference(self) -> dict[str, float | str] | None:
        """While moving: what the page needs to draw the live angle with the same formula
        (``kinematics.angles.movement_signal`` / ``excursion``): the signal, its neutral value,
        the side sign and the direction; None in the other phases."""
        with self._lock:
            if self._snap.phase != "moving" or self._neutral is None:
                return None
            sign = self._facing if self.spec.signal == "sagittal" else self._left
            return {"signal": self.spec.signal, "neutral": self._neutral, "sign": float(sign),
                    "direction": float(self.spec.direction)}

    # ---- frames from the camera (worker thread) -----------------------------------------------
    def process(self, rgb: np.ndarray, t: float | None = None) -> np.ndarray:
        """Handle one camera frame ``(H, W, 3) uint8 RGB`` taken at ``t`` seconds (the frame's
        own time stamp; None: now); return the annotated frame to show."""
        t0 = self.clock()
        with self._lock:  # a frame arrived (a slow model is not a silent camera)
            self._last_frame_clock, self._busy = t0, True
        t = self._timeline(t0 if t is None else float(t))
        h, w = rgb.shape[:2]
        try:
            pose = self.estimator.process(rgb, int(round(t * 1000)))  # no lock held: the model
        finally:
            with self._lock:
                self._busy = False
        with self._lock:
            self._last_frame_clock = self.clock()
            self._observe(pose, t, (w, h))
            label, phase, holding = self._label(), self._snap.phase, self._holding
        xy = pose.image[:, :2] if pose is not None else None
        if self.display_width is not None and w > self.display_width:
            # the picture sent back is smaller than the one measured: drawing it and encoding
            # it for the browser costs a quarter (issue 12: the server encodes every frame)
            k = self.display_width / w
            rgb = cv2.resize(rgb, (self.display_width, round(h * k)),
                             interpolation=cv2.INTER_LINEAR)
            xy = None if xy is None else xy * k
        out = draw_pose(rgb, xy, label, highlight=phase == "moving" and holding,
                        visibility=pose.visibility if pose is not None else None)
        with self._lock:
            self._snap.latency_ms = (self.clock() - t0) * 1000
        return out

    def _timeline(self, raw: float) -> float:
        """Frame time stamps on one increasing time line: a new stream (its clock restarts at a
        random value) or a gap longer than :data:`STALL_S` continues right after the last
        frame."""
        prev, self._raw_last = self._raw_last, raw
        if prev is not None and 0 < raw - prev <= STALL_S:
            return raw + self._t_shift
        last = self._last_t
        self._t_shift = (0.0 if last is None else last + 1 / 30) - raw
        return raw + self._t_shift

    # ---- the state machine (called with the lock held) ----------------------------------------
    def _observe(self, pose: FramePose | None, t: float, size: tuple[int, int]) -> None:
        if pose is not None:
            # live results may belong to an earlier frame: only a new one is used, at its time
            if pose.timestamp_ms <= self._last_pose_ms:
                return
            self._last_pose_ms = pose.timestamp_ms
            t = pose.timestamp_ms / 1000
        if self._last_t is not None and t <= self._last_t:
            return
        self._last_t = t
        self._snap.frames += 1
        self._times.append(t)
        if len(self._times) > 1:
            self._snap.fps = (len(self._times) - 1) / max(1e-6, self._times[-1] - self._times[0])
        if self._snap.phase == "stalled":  # pictures again: the current step starts over
            self._restart(t)
        if self._ref_size is None:
            self._ref_size = size
        elif pose is not None and size != self._ref_size:
            # the browser lowers the resolution when the CPU is busy: keep one pixel scale
            scale = np.array([self._ref_size[0] / size[0], self._ref_size[1] / size[1], 1.0])
            pose = replace(pose, image=pose.image * scale)
        if pose is not None:
            self._recent.append(pose)
        handler = self._HANDLERS.get(self._snap.phase)
        if handler is not None:
            handler(self, pose, t)

    def _reset_recording(self) -> None:
        self._rec_t: list[float] = []
        self._rec: list[FramePose | None] = []
        self._filter = OneEuroFilter(min_cutoff=float(_LIVE["one_euro_min_cutoff_hz"]),
                                     beta=float(_LIVE["one_euro_beta"]))
        self._neutral: float | None = None
        self._neutral_vals: list[float] = []
        self._neutral_started: float | None = None
        self._rep_state = "rest"
        self._rep_max = 0.0
        self._holding = False
        self._peaks: list[float] = []
        self._facing = 1.0
        self._left = 1.0
        self._rest_since: float | None = None
        self._ok_since: float | None = None
        self._ref_size = None
        self._recent.clear()

    def _restart(self, t: float) -> None:
        self._reset_recording()
        self._snap.reps, self._snap.angle_deg, self._snap.peak_deg = 0, None, None
        self._set_phase("framing", self.spec.camera, t)

    def _set_phase(self, phase: str, cue: str, t: float) -> None:
        self._snap.phase, self._snap.cue = phase, cue
        self._phase_since = t

    def _view_and_level(self) -> tuple[bool | None, bool]:
        recent = list(self._recent)
        if len(recent) < 3:
            return None, True
        img = np.stack([p.image for p in recent])
        view = classify_view(img, np.stack([p.world for p in recent]))
        ok = view.view == self.spec.view and (
            self.spec.signal != "rotation"
            or view.off_front_deg <= DEFAULT_ANALYSIS.rotation_off_front_max_deg)
        if self.spec.view != "front" or not ok:
            return ok, True  # a side view shows roll as trunk lean: checked at neutral
        left = A.left_side_sign(img)
        tilt = 0.5 * (np.nanmedian(A.pelvic_obliquity(img, left)) +
                      np.nanmedian(A.shoulder_obliquity(img, left)))
        return ok, bool(abs(tilt) <= LEVEL_MAX_DEG)

    def _check_framing(self, pose: FramePose | None, t: float) -> bool:
        """Updates the checklist; False (and back to ``framing`` with the tip) if wrong."""
        view_ok, level_ok = self._view_and_level() if pose is not None else (None, True)
        size = self._ref_size or (0, 0)
        problem = framing_problem(pose, size, view_ok, self.spec.view, level_ok)
        if problem == "" and view_ok is None:
            problem = "wait"
        self._snap.framing = checklist("" if problem == "wait" else problem)
        if problem == "wait":  # the view needs a few frames
            self._snap.framing["view"] = False
        self._snap.problem = problem if problem != "wait" else ""
        if problem:
            self._ok_since = None
            if problem != "wait":
                self._set_phase("framing", FRAMING_TIPS[problem], t)
            return False
        return True

    def _on_framing(self, pose: FramePose | None, t: float) -> None:
        if not self._check_framing(pose, t):
            return
        if self._ok_since is None:
            self._ok_since = t
            self._snap.cue = "Good: hold this position."
        if t - self._ok_since >= FRAMING_HOLD_S:
            self._set_phase("countdown", "Good. " + self.spec.start, t)

    def _on_countdown(self, pose: FramePose | None, t: float) -> None:
        if not self._check_framing(pose, t):
            return
        left = COUNTDOWN_S - (t - self._phase_since)
        if left <= 0:
            self._neutral_started = t
            self._set_phase("neutral", "Stand still in your start position.", t)
        else:
            self._snap.cue = f"Starting in {int(np.ceil(left))}. {self.spec.start}"

    def _record(self, pose: FramePose | None, t: float) -> float | None:
        """Keeps the frame for the offline analysis; the raw movement signal (None: nobody)."""
        self._rec_t.append(t)
        self._rec.append(pose)
        if pose is None:
            return None
        return float(A.movement_signal(pose.image[None], self.spec.signal)[0])

    def _on_neutral(self, pose: FramePose | None, t: float) -> None:
        raw = self._record(pose, t)
        if self._neutral_started is not None and t - self._neutral_started > NEUTRAL_TIMEOUT_S:
            self._help("neutral", NEUTRAL_TIMEOUT_S, t)
            return
        if raw is None or not np.isfinite(raw):
            return
        self._neutral_vals.append(raw)
        if t - self._phase_since < NEUTRAL_S or len(self._neutral_vals) < 3:
            return
        vals = np.array(self._neutral_vals)
        s = DEFAULT_ANALYSIS
        still = (np.ptp(vals) / np.median(vals) <= s.neutral_max_rel_span_range) \
            if self.spec.signal == "rotation" else np.ptp(vals) <= s.neutral_max_range_deg
        if not still:
            self._neutral_vals = []
            self._set_phase("neutral", "Please stand still for a moment.", t)
            return
        self._neutral = float(np.median(vals))
        img = np.stack([p.image for p in self._recent])
        facing, left = A.facing_sign(img), A.left_side_sign(img)
        self._facing = facing if np.isfinite(facing) else 1.0
        self._left = left if np.isfinite(left) else 1.0
        self._set_phase("moving", self.spec.cue, t)

    def _excursion(self, raw: float) -> float:
        assert self._neutral is not None
        sign = self._facing if self.spec.signal == "sagittal" else self._left
        return float(A.excursion(np.array([raw]), self.spec.signal, self._neutral, sign,
                                 self.spec.direction)[0])

    def _count(self, ex: float) -> None:
        """Repetition counting with hysteresis; never counts past :data:`TARGET_REPS`."""
        thr = float(_LIVE["rep_start_deg"])
        if self._rep_state == "down":  # counted: wait for the return before the next one
            self._holding = False
            if ex < float(_LIVE["rest_fraction"]) * thr:
                self._rep_state = "rest"
        elif self._rep_state == "rest":
            self._holding = False
            if ex > thr and len(self._peaks) < TARGET_REPS:
                self._rep_state, self._rep_max = "up", ex
        else:
            self._rep_max = max(self._rep_max, ex)
            self._holding = ex >= self._rep_max - float(_LIVE["hold_band_deg"])
            self._snap.peak_deg = self._rep_max
            if ex < float(_LIVE["rep_done_fraction"]) * self._rep_max:
                self._peaks.append(self._rep_max)
                n = self._snap.reps = len(self._peaks)
                self._rep_state, self._holding = "down", False
                self._snap.cue = (f"Repetition {n} done. " + (
                    "Once more: " + self.spec.cue if n < TARGET_REPS else
                    "Well done: come back to your start position and stand still."))

    def _on_moving(self, pose: FramePose | None, t: float) -> None:
        raw = self._record(pose, t)
        moving_for = t - self._phase_since
        if raw is None or not np.isfinite(raw):
            if moving_for > MAX_MOVING_S:
                self._finish(t)
            return
        ex = float(self._filter(np.array([self._excursion(raw)]), t)[0])
        self._snap.angle_deg = ex
        self._count(ex)
        at_rest = self._rep_state == "rest" and ex < float(_LIVE["rest_fraction"]) * float(
            _LIVE["rep_start_deg"])
        if len(self._peaks) >= TARGET_REPS and at_rest:
            self._rest_since = self._rest_since if self._rest_since is not None else t
            if t - self._rest_since >= float(_LIVE["rest_hold_s"]):
                self._finish(t)
        elif not self._peaks and self._rep_state == "rest" and moving_for > FIRST_REP_TIMEOUT_S:
            self._help("moving", FIRST_REP_TIMEOUT_S, t)
        elif moving_for > MAX_MOVING_S:
            self._finish(t)

    def _help(self, reason: str, seconds: float, t: float) -> None:
        self._snap.problem = reason
        self._set_phase("help", HELP[reason].format(s=seconds), t)

    def _finish(self, t: float) -> None:
        """Hands the recording to :meth:`tick` (the script side) for the analysis."""
        self._set_phase("analysing", "Measuring...", t)
        self._pending = (np.array(self._rec_t), list(self._rec), self._ref_size or (0, 0))

    def _analyse(self, times: np.ndarray, poses: list[FramePose | None],
                 size: tuple[int, int]) -> TrialResult:
        """The offline trial analysis of the recording, or "too slow" below :data:`MIN_FPS`."""
        rate = (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 else 0.0
        if rate < MIN_FPS:
            return TrialResult.unmeasured(self.spec.id, [Flag("too_slow", TOO_SLOW.format(
                fps=rate), True)], "camera")
        seq = PoseSequence.from_frames(times - times[0], poses, size, "camera")
        return analyze_trial(seq, self.spec, height_cm=self.height_cm)

    def _label(self) -> str:
        s = self._snap
        name = self.spec.label.split(" (")[0]
        if s.phase == "moving" and s.angle_deg is not None:
            return (f"{name}: {s.angle_deg:.0f} deg  "
                    f"(rep {min(s.reps + 1, TARGET_REPS)}/{TARGET_REPS})")
        if s.phase == "done" and s.result is not None and s.result.status == "ok":
            return f"{name}: {s.result.value_deg:.0f} deg"
        return {"framing": "Get into position", "countdown": "Get ready",
                "neutral": "Stand still", "paused": "Paused", "stopped": "Stopped (pain)",
                "analysing": "Measuring...", "done": "Done", "stalled": "Camera stopped",
                "help": "See the help below"}.get(s.phase, s.phase)

    _HANDLERS: dict[str, Callable[[GuidedTrial, FramePose | None, float], None]] = {
        "framing": _on_framing, "countdown": _on_countdown, "neutral": _on_neutral,
        "moving": _on_moving,
    }
