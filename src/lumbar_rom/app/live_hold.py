"""The guided test's optional endurance holds (after the six motions): one hold timed live.

A small state machine fed by camera frames, kept apart from the six motions' ``app.live`` (its
own module, its own stream key) so the two can change independently:

``framing`` (the whole body in the picture for ``framing_hold_s``) -> ``countdown``
(``countdown_s``, the placement picture and the test's position beside it) -> ``timing`` (spoken
"Start": get into the position and hold it; every frame is recorded, and :meth:`GuidedHold.tick`
times the recording so far with the offline rule, :func:`~lumbar_rom.assessment.hold.analyze_hold`)
-> ``done`` (spoken "Stop") as soon as that rule says the posture dropped or the person left the
view, or when the person presses Stop (then the time is a lower bound, as for a clip that ends
while holding). ``help``: the position was not reached within :data:`WAIT_S` of the start;
``stalled``: no pictures for ``stall_s`` before the timing (it starts over at the next
picture); a camera that stops (no picture for :data:`TIMING_SILENT_S`, or the stream ends) while
timing ends the hold there, timed as a lower bound (or starts over when nothing was timed).
The recording is timed at most once a second (:data:`ANALYSE_EVERY_S`): the script thread
shares the interpreter with the frame worker.

Time is the frames' own time stamps (as in ``app.live``), so the held seconds do not depend on
how fast frames are processed. The same rule times uploaded videos, so a live hold and a filmed
one are comparable.

Decisions (no source gives them; product constants, stated here): the position must be reached
within :data:`WAIT_S` = 30 s of "Start"; a hold is cut at the test's protocol maximum
(``endurance.toml`` ``max_s``, else :data:`MAX_S`).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from lumbar_rom.app.live import (
    COUNTDOWN_S,
    FRAMING_HOLD_S,
    FRAMING_TIPS,
    MIN_FPS,
    STALL_S,
    STALLED,
    TOO_SLOW,
    framing_problem,
)
from lumbar_rom.assessment.hold import HoldResult, analyze_hold, endurance_knowledge
from lumbar_rom.pose.draw import draw_pose
from lumbar_rom.pose.estimator import FramePose, PoseEstimator
from lumbar_rom.pose.sequence import PoseSequence

WAIT_S = 30.0
MAX_S = 300.0
ANALYSE_EVERY_S = 1.0  # the recording so far is timed at most once a second (it costs 0.1 s+)
TIMING_SILENT_S = 10.0  # while timing, a slow model is not a stopped camera (webrtc's 10 s)
ENDS = ("posture_dropped", "out_of_frame")
ACTIVE = ("framing", "countdown", "timing")


@dataclass
class HoldSnapshot:
    """What the page shows (a copy)."""

    phase: str = "framing"
    cue: str = ""
    held_s: float | None = None  # seconds held so far (None: not in position yet)
    fps: float = 0.0
    frames: int = 0
    result: HoldResult | None = None
    problem: str = ""

    @property
    def too_slow(self) -> bool:
        return self.frames >= 10 and 0 < self.fps < MIN_FPS


def test_text(test: str) -> dict[str, Any]:
    """The test's entry in ``endurance.toml`` (name, camera, position, end, ...)."""
    return dict(endurance_knowledge()["tests"][test])


class GuidedHold:
    """One live endurance hold. ``estimator``: the pose model (the page's camera);
    ``clock``: seconds, only for stall detection."""

    _analysed: int  # frames of the recording timed so far (set in _reset)
    _analysed_at: float  # clock() of the last timing

    def __init__(self, test: str, estimator: PoseEstimator,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.test = test
        self.info = test_text(test)
        self.max_s = float(self.info.get("max_s", MAX_S))
        self.estimator = estimator
        self.clock = clock
        self._lock = threading.Lock()
        self._snap = HoldSnapshot(cue=str(self.info["camera"]))
        self._times: list[float] = []
        self._since = 0.0
        self._ok_since: float | None = None
        self._last_t: float | None = None
        self._raw_last: float | None = None
        self._shift = 0.0
        self._last_clock: float | None = None
        self._size: tuple[int, int] | None = None
        self._reset()

    # ---- the page (script thread) ---------------------------------------------------------
    def command(self, cmd: str) -> None:
        """``stop`` (the person ends the hold now), ``redo`` (start this hold again)."""
        with self._lock:
            t = self._last_t or 0.0
            if cmd == "stop" and self._snap.phase == "timing":
                self._finish_pending = True
            elif cmd == "redo":
                self._reset()
                self._snap.result, self._snap.held_s = None, None
                self._set("framing", str(self.info["camera"]), t)

    def snapshot(self) -> HoldSnapshot:
        with self._lock:
            return replace(self._snap)

    def tick(self) -> None:
        """Every half second: time the recording so far (outside the lock); end the hold when
        the rule says it ended (or on Stop, a silent camera, the protocol maximum)."""
        with self._lock:
            if self._snap.phase != "timing":
                self._check_silent()
                return
            silent = self._silent(TIMING_SILENT_S)
            stop = self._finish_pending or silent
            now = self.clock()
            if not stop and (self._analysed == len(self._rec)
                             or now - self._analysed_at < ANALYSE_EVERY_S):
                return  # no new frame, or timed less than a second ago
            self._analysed_at = now
            times, poses, size = list(self._rec_t), list(self._rec), self._size or (0, 0)
            self._analysed = len(poses)
        result = self._time(times, poses, size)
        with self._lock:
            if self._snap.phase != "timing":  # redo while it was timed
                return
            if silent and not math.isfinite(result.held_s):  # nothing timed: start over
                self._reset()
                self._set("stalled", STALLED, self._last_t or 0.0)
                return
            self._update(result, times, stop)

    def stream_ended(self) -> None:
        with self._lock:
            if self._snap.phase == "timing":
                self._finish_pending = True
            elif self._snap.phase in ACTIVE:
                self._set("stalled", STALLED, self._last_t or 0.0)

    # ---- frames (worker thread) -------------------------------------------------------------
    def process(self, rgb: np.ndarray, t: float | None = None) -> np.ndarray:
        """One camera frame ``(H, W, 3) uint8 RGB`` at ``t`` s (its own time stamp) -> the
        annotated frame."""
        now = self.clock()
        t = self._timeline(now if t is None else float(t))
        h, w = rgb.shape[:2]
        pose = self.estimator.process(rgb, int(round(t * 1000)))
        with self._lock:
            self._last_clock = self.clock()
            self._observe(pose, t, (w, h))
            label = self._label()
        return draw_pose(rgb, pose.image[:, :2] if pose is not None else None, label,
                         visibility=pose.visibility if pose is not None else None)

    # ---- inside (lock held) -----------------------------------------------------------------
    def _reset(self) -> None:
        self._rec_t: list[float] = []
        self._rec: list[FramePose | None] = []
        self._analysed = 0
        self._analysed_at = -math.inf
        self._finish_pending = False
        self._ok_since = None

    def _set(self, phase: str, cue: str, t: float) -> None:
        self._snap.phase, self._snap.cue, self._since = phase, cue, t

    def _timeline(self, raw: float) -> float:
        """Frame times on one increasing line (a new stream restarts its clock)."""
        prev, self._raw_last = self._raw_last, raw
        if prev is not None and 0 < raw - prev <= STALL_S:
            return raw + self._shift
        last = self._last_t
        self._shift = (0.0 if last is None else last + 1 / 30) - raw
        return raw + self._shift

    def _silent(self, limit_s: float = STALL_S) -> bool:
        last = self._last_clock
        return last is not None and self.clock() - last > limit_s

    def _check_silent(self) -> None:
        if self._snap.phase in ("framing", "countdown") and self._silent():
            self._set("stalled", STALLED, self._last_t or 0.0)

    def _observe(self, pose: FramePose | None, t: float, size: tuple[int, int]) -> None:
        if self._last_t is not None and t <= self._last_t:
            return
        self._last_t = t
        s = self._snap
        s.frames += 1
        self._times = (self._times + [t])[-30:]
        if len(self._times) > 1:
            s.fps = (len(self._times) - 1) / max(1e-6, self._times[-1] - self._times[0])
        if s.phase == "stalled":  # pictures again (before timing): the framing starts over
            self._set("framing", str(self.info["camera"]), t)
        if self._size is None:
            self._size = size
        elif pose is not None and size != self._size:  # the browser lowered the resolution
            scale = np.array([self._size[0] / size[0], self._size[1] / size[1], 1.0])
            pose = replace(pose, image=pose.image * scale)
        if s.phase in ("framing", "countdown"):
            self._frame_check(pose, t)
        elif s.phase == "timing":
            self._rec_t.append(t)
            self._rec.append(pose)

    def _frame_check(self, pose: FramePose | None, t: float) -> None:
        # the person may be lying, sitting or standing: only the picture's edges are checked
        problem = framing_problem(pose, self._size or (0, 0), True, "side")
        self._snap.problem = problem
        if problem:
            self._ok_since = None
            self._set("framing", FRAMING_TIPS[problem], t)
            return
        if self._snap.phase == "framing":
            self._ok_since = t if self._ok_since is None else self._ok_since
            if t - self._ok_since >= FRAMING_HOLD_S:
                self._set("countdown", f"Good. Get ready: {self.info['position']}", t)
            return
        left = COUNTDOWN_S - (t - self._since)
        if left <= 0:
            self._set("timing", "Start: get into the position and hold it as long as you can.",
                      t)
        else:
            self._snap.cue = f"Starting in {int(np.ceil(left))}. {self.info['position']}"

    def _update(self, r: HoldResult, times: list[float], stop: bool) -> None:
        span = times[-1] - times[0] if len(times) > 1 else 0.0
        if math.isfinite(r.held_s):
            self._snap.held_s = r.held_s
        ended = r.end_reason in ENDS or (math.isfinite(r.held_s) and r.held_s >= self.max_s)
        if ended or stop:
            self._snap.result = r
            if math.isfinite(r.held_s):
                cue = f"Stop. You held {r.held_s:.0f} seconds."
            else:
                cue = "Stop. The test position was not reached: see the picture, then Redo."
            self._set("done", cue, times[-1] if times else 0.0)
        elif not math.isfinite(r.held_s) and span > WAIT_S:
            self._snap.problem = "never_in_position"
            self._set("help", f"The test position was not reached within {WAIT_S:.0f} seconds: "
                      f"{self.info['position']} Then press Redo.", times[-1])

    @staticmethod
    def _time_frames(test: str, times: list[float], poses: list[FramePose | None],
                     size: tuple[int, int]) -> HoldResult:
        t = np.asarray(times, float)
        seq = PoseSequence.from_frames(t - t[0], poses, size, "camera")
        return analyze_hold(seq, test)

    def _time(self, times: list[float], poses: list[FramePose | None],
              size: tuple[int, int]) -> HoldResult:
        if len(times) < 2:
            nan, empty = float("nan"), np.zeros(0)
            return HoldResult(self.test, nan, nan, nan, nan, "never_in_position", nan, nan,
                              nan, nan, empty, empty)
        return self._time_frames(self.test, times, poses, size)

    def _label(self) -> str:
        s = self._snap
        if s.phase == "timing" and s.held_s is not None:
            return f"Holding: {s.held_s:.0f} s"
        if s.phase == "done" and s.result is not None and math.isfinite(s.result.held_s):
            return f"Held {s.result.held_s:.0f} s"
        return {"framing": "Get into view", "countdown": "Get ready", "timing": "Hold it",
                "stalled": "Camera stopped", "help": "See the help below",
                "done": "Done"}.get(s.phase, s.phase)


__all__ = ["GuidedHold", "HoldSnapshot", "TOO_SLOW"]
