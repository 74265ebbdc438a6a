"""The guided test's camera panel, by one of two paths into the same :class:`GuidedTrial`.

The browser path (default, issue 32: :func:`browser_panel`): the pose model runs in the page
(``app.pose_component``); the page's landmark messages go into :meth:`GuidedTrial.feed` in the
script thread, so the server runs only the state machine and the trial analysis, and no video
leaves the person's device. The server path (the fallback for a browser that cannot run the
model, e.g. without WebAssembly SIMD; the person chooses it under "Camera not working?"):

streamlit-webrtc: one stream for the whole guided test; its frames go
to the current step's :class:`GuidedTrial` in the worker thread; the page polls the trial's
snapshot (and lets it analyse a finished trial) with an auto-rerunning fragment.

Threads and resources: streamlit-webrtc's ``async_processing`` hands the callback only the newest
frame (frames that arrive while the model is busy are dropped, never queued). One landmarker
(:class:`LiveCamera`) serves the six steps of a visit; it is opened at the stream's first frame
and closed in ``on_video_ended`` (STOP, tab closed, connection lost), never left to the garbage
collector (which can freeze a thread in mediapipe 1.2).

Local use needs no STUN/TURN server: ``rtc_configuration={"iceServers": []}`` (streamlit-webrtc
would otherwise fill in a public STUN server, traffic off the machine). Browsers allow the camera
only on https or localhost.
"""

from __future__ import annotations

import gc
import logging
import os
import threading
from collections.abc import Callable
from importlib.metadata import version
from typing import Any

import av
import numpy as np
import streamlit as st

from lumbar_rom.app.live import FRAMING_TIPS, MIN_FPS, TOO_SLOW, GuidedTrial, Snapshot
from lumbar_rom.app.state import Visit
from lumbar_rom.app.widgets import picture, speak
from lumbar_rom.assessment.protocol import movement_spec
from lumbar_rom.pose.estimator import FramePose, PoseEstimator

logger = logging.getLogger(__name__)
RTC_CONFIGURATION: dict[str, list[dict[str, str]]] = {"iceServers": []}
STREAM_KEY = "webrtc_guided"
# the start-up workaround below writes a private field; checked against these versions
# (tests/unit/test_live.py reads the installed source), pinned in pyproject.toml
WEBRTC_TESTED = ("0.79.",)
OK_ICON, BAD_ICON = ":material/check_circle:", ":material/cancel:"
# the annotated picture sent back to the browser is this wide (the model still gets the camera's
# 640x480): streamlit-webrtc re-encodes a picture for every camera frame, processed or not, and
# at full size that encoding alone took a third of a core on a busy 2-core machine (issue 12)
DISPLAY_WIDTH = 320


def _video_estimator() -> PoseEstimator:
    from lumbar_rom.pose.estimator import MediaPipeEstimator

    # VIDEO mode, synchronous: the callback only ever gets the newest frame, so each result is
    # that frame's own (no stale results, no "no person" repeated for frames never analysed)
    return MediaPipeEstimator(mode="video")


_FROZEN = threading.Event()


def _freeze_heap() -> None:
    """Once per server process: move every object alive now (streamlit, mediapipe, the modules)
    out of the cyclic garbage collector's reach (``gc.freeze``). Measured in issue 12: during a
    stream the server spent most of its CPU time in full collections walking that heap, with the
    GIL held, so frames waited 0.4-1.7 s; frozen objects are simply never collected (they live
    as long as the server anyway)."""
    if not _FROZEN.is_set():
        _FROZEN.set()
        gc.collect()
        gc.freeze()


class LiveCamera:
    """One visit's camera: routes frames to the current step's trial; a pose estimator opened
    at the first frame of a stream, shared by all steps, closed when the stream ends.
    Implements the ``PoseEstimator`` interface for the trials."""

    name = "live-camera"

    def __init__(self, factory: Callable[[], PoseEstimator] = _video_estimator) -> None:
        self._factory = factory
        self._lock = threading.Lock()  # the estimator's: never the trials' snapshot lock
        self._est: PoseEstimator | None = None
        self.trial: GuidedTrial | None = None
        self.opened = 0  # how many estimators were opened (tests)

    def open(self) -> None:
        """Load the model now (the page does, before START: loading takes seconds on a busy
        machine, too long for the frame callback)."""
        with self._lock:
            if self._est is None:
                self._est = self._factory()
                self.opened += 1
                # the first inference sets the graph up (1-2 s on a busy machine): done here,
                # not on the stream's first frame (the estimator keeps its time stamps
                # increasing across this and the streams that follow)
                self._est.process(np.zeros((480, 640, 3), np.uint8), 0)

    def process(self, rgb: np.ndarray, timestamp_ms: int) -> FramePose | None:
        with self._lock:
            if self._est is None:
                self._est = self._factory()
                self.opened += 1
            return self._est.process(rgb, timestamp_ms)

    def close(self) -> None:
        with self._lock:
            est, self._est = self._est, None
        if est is not None:
            est.close()

    @property
    def is_open(self) -> bool:
        return self._est is not None

    def frame(self, rgb: np.ndarray, t: float | None) -> np.ndarray:
        """The frame callback's work: the current trial handles the frame."""
        trial = self.trial
        return rgb if trial is None else trial.process(rgb, t)

    def stream_ended(self) -> None:
        """``on_video_ended``: close the model; the current step says the camera stopped."""
        self.close()
        trial = self.trial
        if trial is not None:
            trial.stream_ended()


def camera() -> LiveCamera:
    cam = st.session_state.get("live_camera")
    if cam is None:
        cam = st.session_state["live_camera"] = LiveCamera()
    return cam


def _trial_for(movement: str, v: Visit, cam: LiveCamera) -> GuidedTrial:
    key = f"live_{movement}"
    trial = st.session_state.get(key)
    if trial is None:
        trial = GuidedTrial(movement, cam, height_cm=v.profile.height_cm,
                            display_width=DISPLAY_WIDTH)
        st.session_state[key] = trial
    cam.trial = trial
    return trial


def clear_orphan_stamp(state: object, installed: str) -> bool:
    """streamlit-webrtc 0.79 start-up race: a context whose run-count stamp lags during the burst
    of reruns caused by ICE trickling is reset as "orphaned" and the stream dies; clearing the
    stamp before each call avoids it (measurement-findings section 6). Only done on the tested
    versions, where the private field exists; True if it was cleared."""
    if state is None or not installed.startswith(WEBRTC_TESTED):
        return False
    if not hasattr(state, "_last_rendered_run_count"):
        logger.warning("streamlit-webrtc %s has no _last_rendered_run_count", installed)
        return False
    state._last_rendered_run_count = None
    return True


def live_panel(movement: str, v: Visit) -> None:
    from streamlit_webrtc import WebRtcMode, webrtc_streamer

    cam = camera()
    cam.open()  # reopened after a stream ended, before the next START
    _freeze_heap()
    trial = _trial_for(movement, v, cam)

    async def callback(frames: list[av.VideoFrame]) -> list[av.VideoFrame]:
        # the frames that arrived while the model was busy: only the newest is processed, the
        # others are dropped (never queued)
        frame = frames[-1]
        out = cam.frame(frame.to_ndarray(format="rgb24"), frame.time)
        return [av.VideoFrame.from_ndarray(out, format="rgb24")]

    clear_orphan_stamp(st.session_state.get(STREAM_KEY), version("streamlit-webrtc"))
    webrtc_streamer(
        key=STREAM_KEY, mode=WebRtcMode.SENDRECV, rtc_configuration=RTC_CONFIGURATION,
        media_stream_constraints={"video": {"width": 640, "height": 480}, "audio": False},
        queued_video_frames_callback=callback, on_video_ended=cam.stream_ended,
        async_processing=True,
    )
    st.caption("Press START and allow the camera. If the picture stays black, the browser has "
               "blocked the camera: click the camera icon in the address bar and allow it (it "
               "works on localhost or https only), or use the Upload page instead.")
    _status(movement, v)
    c1, c2, c3 = st.columns(3)
    if c1.button("Pause / resume", key=f"pause_{movement}"):
        trial.command("resume" if trial.snapshot().phase == "paused" else "pause")
    if c2.button("Redo this movement", key=f"redo_{movement}"):
        trial.command("redo")
        v.trials.pop(movement, None)
    if c3.button("Stop: it hurts", key=f"pain_{movement}"):
        trial.command("stop_pain")
        v.pain_limited.add(movement)
        v.trials.pop(movement, None)


# ---- the browser path (default, issue 32): the model runs in the page ---------------------------
PATH_KEY = "camera_path"  # "browser" (default) or "server" (streamlit-webrtc, the fallback)
BROWSER_KEY = "pose_camera"
BROWSER_SILENCE_S = 10.0  # no landmarks for this long: the camera stopped (batches can wait)


def use_server_path() -> bool:
    return st.session_state.get(PATH_KEY) == "server"


def camera_panel(movement: str, v: Visit) -> None:
    """The guided step's camera: the browser path unless the server path was chosen."""
    if use_server_path():
        live_panel(movement, v)
        if st.button("Back to the camera in this browser (recommended)", key="path_browser"):
            st.session_state[PATH_KEY] = "browser"
            st.rerun()
        return
    browser_panel(movement, v)


def _feed() -> Any:
    from lumbar_rom.app.pose_component import Feed

    feed = st.session_state.get("pose_feed")
    if feed is None:
        feed = st.session_state["pose_feed"] = Feed()
    return feed


def browser_panel(movement: str, v: Visit) -> None:
    """The pose model runs in the page (``app.pose_component``): only landmarks reach the
    server, and they go through the same state machine and trial analysis."""
    trial = _trial_for(movement, v, camera())  # the camera's model is never opened here
    trial.silence_s = BROWSER_SILENCE_S
    _browser_status(movement, v)
    st.caption("Press Start camera and allow the camera. The video stays on this device: the "
               "pose is found in this browser and only the body's landmark positions are sent. "
               "If the picture stays black, allow the camera in the address bar (it works on "
               "localhost or https only), or use the Upload page instead.")
    c1, c2, c3 = st.columns(3)
    if c1.button("Pause / resume", key=f"pause_{movement}"):
        trial.command("resume" if trial.snapshot().phase == "paused" else "pause")
    if c2.button("Redo this movement", key=f"redo_{movement}"):
        trial.command("redo")
        v.trials.pop(movement, None)
    if c3.button("Stop: it hurts", key=f"pain_{movement}"):
        trial.command("stop_pain")
        v.pain_limited.add(movement)
        v.trials.pop(movement, None)
    error = _feed().error
    if error:
        st.warning("The camera cannot be analysed in this browser (" + error + "). Use a "
                   "current Chrome, Edge, Firefox or Safari, or the server camera below (it "
                   "sends the video to this app's server).", icon=":material/warning:")
    with st.expander("Camera not working?", expanded=bool(error)):
        st.caption("The server camera sends the video to this app's server, which finds the "
                   "pose there: use it only where this browser cannot run the model.")
        if st.button("Use the server camera instead", key="path_server"):
            st.session_state[PATH_KEY] = "server"
            st.rerun()


def _component_args(trial: GuidedTrial, s: Snapshot, feed: Any) -> dict[str, Any]:
    from lumbar_rom.app.live import _LIVE

    return {
        "step": trial.movement, "name": trial.spec.label.split(" (")[0], "label": trial.label(),
        "phase": s.phase, "cue": s.cue, "framing": s.framing, "rep": min(s.reps + 1, 3),
        "live": trial.live_reference(), "ack": feed.ack(trial.movement), "tips": FRAMING_TIPS,
        "thresholds": {k: float(_LIVE[k]) for k in (
            "visibility_threshold", "visible_fraction_min", "too_close_height_fraction")},
        "delegate": os.environ.get("LUMBAR_ROM_BROWSER_DELEGATE", "CPU").upper(),
    }


def take_landmarks(value: Any, trial: GuidedTrial, feed: Any) -> int:
    """The page's message into the step's trial (new frames only); how many were taken."""
    from lumbar_rom.app.pose_component import parse_batch

    if feed.seen(value):
        return 0
    try:
        batch = parse_batch(value)
    except (ValueError, TypeError) as err:
        logger.warning("malformed landmarks from the page: %s", err)
        return 0
    if batch is None or (batch.step != trial.movement and not batch.error):
        return 0  # the previous step's last message, returned again by a rerun
    fresh = feed.new_frames(batch)
    taken = 0
    if fresh is not None and fresh.n:
        taken = trial.feed(fresh.times_s, fresh.poses(), fresh.sizes,
                           latency_ms=batch.stats.get("infer_ms"))
    if batch.ended:
        trial.stream_ended()
    return taken


# the page's landmark messages (about every half second while the camera runs) re-run this
# fragment too: once a second is enough for the rest (the analysis, a silent camera)
@st.fragment(run_every=1.0)
def _browser_status(movement: str, v: Visit) -> None:
    from lumbar_rom.app.pose_component import pose_camera

    trial = st.session_state.get(f"live_{movement}")
    if trial is None:
        return
    feed = _feed()
    # the page's newest message first (the component's value, kept under its key), so that the
    # panel is drawn with this run's acknowledgement and cue, not the previous run's
    try:
        take_landmarks(st.session_state.get(BROWSER_KEY), trial, feed)
    except Exception:  # noqa: BLE001 - no value yet: the component returns it below
        logger.debug("no component value in the session state yet")
    trial.tick()  # the finished trial is analysed here, on the script side
    value = pose_camera(BROWSER_KEY, **_component_args(trial, trial.snapshot(), feed))
    take_landmarks(value, trial, feed)  # the same message is taken once (Feed.seen)
    _show_status(movement, v, trial, speak_cue=False)


def _say(movement: str, cue: str) -> None:
    st.markdown(f"**{cue}**")
    key = f"spoken_{movement}"
    if cue and cue != st.session_state.get(key):
        st.session_state[key] = cue
        speak(cue)


def _show_result(movement: str, v: Visit, trial: GuidedTrial) -> None:
    r = trial.snapshot().result
    if r is None:
        return
    label = movement_spec(movement).label
    if r.status == "ok":
        first = v.trials.get(movement) is not r
        v.trials[movement] = r
        if first:  # the whole page again: "Next movement" (outside this fragment) is enabled
            st.rerun()
        st.success(f"{label}: {r.value_deg:.1f} degrees ± {r.uncertainty_deg:.1f}",
                   icon=OK_ICON)
        st.caption(f"Live result: {movement} {r.value_deg:.2f} degrees")
    else:
        st.error(f"{label}: inconclusive. " + " ".join(r.reasons), icon=BAD_ICON)


@st.fragment(run_every=0.5)
def _status(movement: str, v: Visit) -> None:
    trial = st.session_state.get(f"live_{movement}")
    if trial is None:
        return
    trial.tick()  # the finished trial is analysed here, on the script side
    _show_status(movement, v, trial)


def _show_status(movement: str, v: Visit, trial: GuidedTrial, speak_cue: bool = True) -> None:
    """The step's phase, cue, framing checklist, angle, repetitions, rate and result (the
    browser path speaks in the page itself: ``speak_cue`` False)."""
    s = trial.snapshot()
    if speak_cue:
        _say(movement, s.cue)
    else:
        st.markdown(f"**{s.cue}**")
    if s.phase == "stalled":
        st.warning(s.cue, icon=":material/videocam_off:")
    if s.phase == "help":
        st.info(s.cue, icon=":material/help:")
        pic = picture(movement)
        if pic is not None:
            st.image(pic, caption=movement_spec(movement).camera, width=260)
    if s.framing and s.phase == "framing":
        st.markdown("  ".join(f"{OK_ICON if ok else BAD_ICON} {k}"
                              for k, ok in s.framing.items()))
    cols = st.columns(4)
    cols[0].metric("Phase", s.phase)
    cols[1].metric("Angle now", "-" if s.angle_deg is None else f"{s.angle_deg:.0f}°")
    cols[2].metric("Repetitions", f"{min(s.reps, 3)}/3")
    cols[3].metric("Processed", f"{s.fps:.0f} fps")
    if s.frames:
        st.caption(f"Processing: {s.fps:.1f} frames/s, {s.latency_ms:.0f} ms per frame "
                   f"({s.frames} frames; at least {MIN_FPS:.0f} frames/s are needed)")
    if s.too_slow:
        st.warning(TOO_SLOW.format(fps=s.fps), icon=":material/speed:")
    _show_result(movement, v, trial)
