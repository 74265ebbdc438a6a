"""The guided live test of one motion: a state machine fed by camera frames.

Runs in streamlit-webrtc's frame-callback worker thread, so it never touches Streamlit; the page
reads :meth:`GuidedTrial.snapshot` (lock-guarded) and sends commands (pause, redo, stop for pain).
Phases: ``framing`` (whole body visible, right view, level camera, held 1 s) -> ``countdown``
(3 s) -> ``neutral`` (1.5 s standing still) -> ``moving`` (three repetitions; live angle from a
causal One Euro filter, end range detected when the person comes back) -> ``done`` with the
result of the same offline trial analysis that recorded videos get (``analyze_trial`` on the
recorded pose sequence). ``paused`` and ``stopped`` (pain) can be entered at any time.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field

import numpy as np

from lumbar_rom.assessment.protocol import MovementSpec, movement_spec
from lumbar_rom.assessment.trial import DEFAULT_ANALYSIS, TrialResult, analyze_trial
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
KEY_POINTS = [L.NOSE, L.LEFT_SHOULDER, L.RIGHT_SHOULDER, L.LEFT_HIP, L.RIGHT_HIP,
              L.LEFT_ANKLE, L.RIGHT_ANKLE]


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


class GuidedTrial:
    """One motion of the guided test. ``estimator`` is a live-mode pose estimator."""

    def __init__(self, movement: MovementSpec | str, estimator: PoseEstimator,
                 height_cm: float | None = None, clock=time.monotonic) -> None:
        self.spec = movement_spec(movement)
        self.movement = self.spec.id
        self.estimator = estimator
        self.height_cm = height_cm
        self.clock = clock
        self._lock = threading.Lock()
        self._snap = Snapshot(cue=self.spec.camera)
        self._reset_recording()
        self._phase_since = clock()
        self._ok_since: float | None = None
        self._times: deque[float] = deque(maxlen=60)
        self._recent: deque[FramePose] = deque(maxlen=15)
        self._frame_size = (0, 0)
        self._last_pose_ms = -1

    # ---- commands from the page ---------------------------------------------------------------
    def command(self, cmd: str) -> None:
        with self._lock:
            if cmd == "pause" and self._snap.phase not in ("done", "stopped", "paused"):
                self._set_phase("paused", "Paused. Press resume when you are ready.")
            elif cmd == "resume" and self._snap.phase == "paused":
                self._reset_recording()
                self._set_phase("framing", self.spec.camera)
            elif cmd == "redo":
                self._reset_recording()
                self._snap.result = None
                self._set_phase("framing", self.spec.camera)
            elif cmd == "stop_pain":
                self._set_phase("stopped", "Stopped because it hurts. This motion is recorded "
                                "as limited by pain; do not push into pain.")

    def snapshot(self) -> Snapshot:
        with self._lock:
            s = self._snap
            return Snapshot(s.phase, s.cue, s.angle_deg, s.peak_deg, s.reps, s.fps,
                            s.latency_ms, dict(s.framing), s.result, s.frames)

    # ---- frames from the camera (worker thread) -----------------------------------------------
    def process(self, rgb: np.ndarray, t: float | None = None) -> np.ndarray:
        """Handle one camera frame ``(H, W, 3) uint8 RGB`` taken at ``t`` seconds; return the
        annotated frame to show."""
        t0 = self.clock()
        t = t0 if t is None else t
        h, w = rgb.shape[:2]
        self._frame_size = (w, h)
        pose = self.estimator.process(rgb, int(t * 1000))
        # live mode hands back the newest finished result, which may be an earlier frame's:
        # only a new one is analysed (at its own time stamp)
        fresh = pose is None or pose.timestamp_ms > self._last_pose_ms
        with self._lock:
            self._times.append(t0)
            self._snap.frames += 1
            if len(self._times) > 1:
                self._snap.fps = (len(self._times) - 1) / max(1e-6, self._times[-1]
                                                             - self._times[0])
            stats = getattr(self.estimator, "live_stats", None)
            if stats is not None:  # live mode: the model's own result rate and latency
                rate, latency = stats()
                if np.isfinite(rate):
                    self._snap.fps = rate
                    self._snap.latency_ms = latency
            if fresh:
                if pose is not None:
                    self._last_pose_ms = pose.timestamp_ms
                self._step(pose, pose.timestamp_ms / 1000 if pose is not None else t)
            label = self._label()
            phase = self._snap.phase
        out = draw_pose(rgb, pose.image[:, :2] if pose is not None else None, label,
                        highlight=phase == "moving" and self._holding,
                        visibility=pose.visibility if pose is not None else None)
        if getattr(self.estimator, "live_stats", None) is None:
            with self._lock:
                self._snap.latency_ms = (self.clock() - t0) * 1000
        return out

    # ---- the state machine (called with the lock held) ----------------------------------------
    def _reset_recording(self) -> None:
        self._rec_t: list[float] = []
        self._rec: list[FramePose | None] = []
        self._filter = OneEuroFilter(min_cutoff=float(_LIVE["one_euro_min_cutoff_hz"]),
                                     beta=float(_LIVE["one_euro_beta"]))
        self._neutral: float | None = None
        self._neutral_vals: list[float] = []
        self._rep_state = "rest"
        self._rep_max = 0.0
        self._holding = False
        self._peaks: list[float] = []
        self._facing = 1.0
        self._left = 1.0
        self._rest_since: float | None = None

    def _set_phase(self, phase: str, cue: str) -> None:
        self._snap.phase, self._snap.cue = phase, cue
        self._phase_since = self.clock()

    def _framing(self, pose: FramePose | None) -> dict[str, bool]:
        checks = {"person": pose is not None, "whole body": False, "view": False, "level": False}
        if pose is None:
            return checks
        w, h = self._frame_size
        xy, vis = pose.image[KEY_POINTS, :2], pose.visibility[KEY_POINTS]
        inside = (xy[:, 0] >= 0) & (xy[:, 0] <= w) & (xy[:, 1] >= 0) & (xy[:, 1] <= h)
        seen = np.mean(vis >= _LIVE["visibility_threshold"])
        checks["whole body"] = bool(np.all(inside) and seen >= _LIVE["visible_fraction_min"])
        recent = list(self._recent)
        img = np.stack([p.image for p in recent])
        world = np.stack([p.world for p in recent])
        view = classify_view(img, world)
        want = self.spec.view
        checks["view"] = view.view == want and (
            self.spec.signal != "rotation"
            or view.off_front_deg <= DEFAULT_ANALYSIS.rotation_off_front_max_deg)
        if want == "front":
            left = A.left_side_sign(img)
            tilt = 0.5 * (np.nanmedian(A.pelvic_obliquity(img, left)) +
                          np.nanmedian(A.shoulder_obliquity(img, left)))
            checks["level"] = bool(abs(tilt) <= LEVEL_MAX_DEG)
        else:
            checks["level"] = True  # a side view shows roll as trunk lean: checked at neutral
        return checks

    def _raw(self, pose: FramePose) -> float:
        return float(A.movement_signal(pose.image[None], self.spec.signal)[0])

    def _excursion(self, raw: float) -> float:
        assert self._neutral is not None
        sign = self._facing if self.spec.signal == "sagittal" else self._left
        return float(A.excursion(np.array([raw]), self.spec.signal, self._neutral, sign,
                                 self.spec.direction)[0])

    def _step(self, pose: FramePose | None, t: float) -> None:
        phase = self._snap.phase
        if phase in ("paused", "stopped", "done", "analysing"):
            return
        if pose is not None:
            self._recent.append(pose)
        now = self.clock()
        if phase in ("framing", "countdown"):
            checks = self._framing(pose)
            self._snap.framing = checks
            ok = all(checks.values())
            if not ok:
                self._ok_since = None
                missing = [k for k, v in checks.items() if not v]
                tip = {"person": "Step into the picture.",
                       "whole body": "Move back until your whole body, head to feet, is in view.",
                       "view": self.spec.camera,
                       "level": "Level the camera: it looks tilted."}[missing[0]]
                self._set_phase("framing", tip)
                return
            if phase == "framing":
                self._ok_since = self._ok_since or now
                if now - self._ok_since >= FRAMING_HOLD_S:
                    self._set_phase("countdown", "Good. " + self.spec.start)
                return
            left = COUNTDOWN_S - (now - self._phase_since)
            if left <= 0:
                self._set_phase("neutral", "Stand still in your start position.")
            else:
                self._snap.cue = f"Starting in {int(np.ceil(left))}. {self.spec.start}"
            return
        # neutral and moving: record everything for the offline analysis
        if self._rec_t and t <= self._rec_t[-1]:
            return
        self._rec_t.append(t)
        self._rec.append(pose)
        if pose is None:
            return
        raw = self._raw(pose)
        if phase == "neutral":
            self._neutral_vals.append(raw)
            if now - self._phase_since >= NEUTRAL_S:
                vals = np.array(self._neutral_vals)
                s = DEFAULT_ANALYSIS
                still = (np.ptp(vals) / np.median(vals) <= s.neutral_max_rel_span_range) \
                    if self.spec.signal == "rotation" else np.ptp(vals) <= s.neutral_max_range_deg
                if not still:
                    self._neutral_vals = []
                    self._set_phase("neutral", "Please stand still for a moment.")
                    return
                self._neutral = float(np.median(vals))
                img = np.stack([p.image for p in self._recent])
                self._facing = A.facing_sign(img) if np.isfinite(A.facing_sign(img)) else 1.0
                self._left = A.left_side_sign(img) if np.isfinite(A.left_side_sign(img)) \
                    else 1.0
                self._set_phase("moving", self.spec.cue)
            return
        # moving
        ex = float(self._filter(np.array([self._excursion(raw)]), t)[0])
        self._snap.angle_deg = ex
        thr = float(_LIVE["rep_start_deg"])
        rest = float(_LIVE["rest_fraction"]) * thr
        if self._rep_state == "down":  # counted: wait for the return before the next one
            self._holding = False
            if ex < rest:
                self._rep_state = "rest"
        elif self._rep_state == "rest":
            self._holding = False
            if ex > thr:
                self._rep_state, self._rep_max = "up", ex
        else:
            self._rep_max = max(self._rep_max, ex)
            self._holding = ex >= self._rep_max - float(_LIVE["hold_band_deg"])
            self._snap.peak_deg = self._rep_max
            if ex < float(_LIVE["rep_done_fraction"]) * self._rep_max:
                self._peaks.append(self._rep_max)
                self._snap.reps = len(self._peaks)
                self._rep_state, self._holding = "down", False
                self._snap.cue = (f"Repetition {len(self._peaks)} done. " +
                                  ("Once more: " + self.spec.cue if len(self._peaks) < 3 else
                                   "Well done: come back to your start position and stand still."))
        if len(self._peaks) >= 3 and self._rep_state == "rest" and ex < rest:
            self._rest_since = self._rest_since or now
            if now - self._rest_since >= float(_LIVE["rest_hold_s"]):
                self._finish()
        elif now - self._phase_since > MAX_MOVING_S:
            self._finish()

    def _finish(self) -> None:
        self._set_phase("analysing", "Measuring...")
        times = np.array(self._rec_t)
        keep = np.concatenate([[True], np.diff(times) > 0]) if len(times) else np.array([], bool)
        poses = [p for p, k in zip(self._rec, keep, strict=True) if k]
        seq = PoseSequence.from_frames(times[keep] - times[0] if len(times) else times, poses,
                                       self._frame_size, "camera")
        result = analyze_trial(seq, self.spec, height_cm=self.height_cm)
        self._snap.result = result
        if result.status == "ok":
            self._set_phase("done", f"{self.spec.label}: {result.value_deg:.0f} degrees.")
        else:
            self._set_phase("done", "That did not work: " + " ".join(result.reasons))

    def _label(self) -> str:
        s = self._snap
        name = self.spec.label.split(" (")[0]
        if s.phase == "moving" and s.angle_deg is not None:
            return f"{name}: {s.angle_deg:.0f} deg  (rep {min(s.reps + 1, 3)}/3)"
        if s.phase == "done" and s.result is not None and s.result.status == "ok":
            return f"{name}: {s.result.value_deg:.0f} deg"
        return {"framing": "Get into position", "countdown": "Get ready",
                "neutral": "Stand still", "paused": "Paused", "stopped": "Stopped (pain)",
                "analysing": "Measuring...", "done": "Done"}.get(s.phase, s.phase)
