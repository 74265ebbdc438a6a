"""The live camera panel (streamlit-webrtc): frames go to a :class:`GuidedTrial` in the
worker thread; the page polls its snapshot with an auto-rerunning fragment.

Local use needs no STUN/TURN server: ``rtc_configuration={"iceServers": []}`` (streamlit-webrtc
would otherwise fill in a public STUN server, traffic off the machine). Browsers allow the camera
only on https or localhost. Frames that arrive while the model is busy are dropped by
streamlit-webrtc (``async_processing``), so the view never lags behind.
"""

from __future__ import annotations

import av
import streamlit as st

from lumbar_rom.app.live import GuidedTrial
from lumbar_rom.app.state import Visit
from lumbar_rom.app.widgets import speak
from lumbar_rom.assessment.protocol import movement_spec

RTC_CONFIGURATION: dict[str, list[dict[str, str]]] = {"iceServers": []}


def _trial_for(movement: str, v: Visit) -> GuidedTrial:
    key = f"live_{movement}"
    trial = st.session_state.get(key)
    if trial is None:
        from lumbar_rom.pose.estimator import MediaPipeEstimator

        est = st.session_state.get("live_estimator")
        if est is None:
            est = MediaPipeEstimator(mode="live")
            st.session_state["live_estimator"] = est
        trial = GuidedTrial(movement, est, height_cm=v.profile.height_cm)
        st.session_state[key] = trial
    return trial


def live_panel(movement: str, v: Visit) -> None:
    from streamlit_webrtc import WebRtcMode, webrtc_streamer

    trial = _trial_for(movement, v)

    def callback(frame: av.VideoFrame) -> av.VideoFrame:
        rgb = frame.to_ndarray(format="rgb24")
        out = trial.process(rgb, frame.time if frame.time is not None else None)
        return av.VideoFrame.from_ndarray(out, format="rgb24")

    key = f"webrtc_{movement}"
    ctx_state = st.session_state.get(key)
    if ctx_state is not None and hasattr(ctx_state, "_last_rendered_run_count"):
        # streamlit-webrtc 0.79 start-up race: a context whose run-count stamp lags during the
        # burst of reruns caused by ICE trickling is reset as "orphaned" and the stream dies;
        # clearing the stamp before each call avoids it (measurement-findings section 6)
        ctx_state._last_rendered_run_count = None
    webrtc_streamer(
        key=key, mode=WebRtcMode.SENDRECV, rtc_configuration=RTC_CONFIGURATION,
        media_stream_constraints={"video": {"width": 640, "height": 480}, "audio": False},
        video_frame_callback=callback, async_processing=True,
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


@st.fragment(run_every=0.5)
def _status(movement: str, v: Visit) -> None:
    trial = st.session_state.get(f"live_{movement}")
    if trial is None:
        return
    s = trial.snapshot()
    label = movement_spec(movement).label
    st.markdown(f"**{s.cue}**")
    last = st.session_state.get(f"spoken_{movement}")
    if s.cue and s.cue != last:
        st.session_state[f"spoken_{movement}"] = s.cue
        speak(s.cue)
    if s.framing and s.phase == "framing":
        st.caption(" · ".join(f"{'✅' if ok else '❌'} {k}" for k, ok in s.framing.items()))
    cols = st.columns(4)
    cols[0].metric("Phase", s.phase)
    cols[1].metric("Angle now", "-" if s.angle_deg is None else f"{s.angle_deg:.0f}°")
    cols[2].metric("Repetitions", f"{s.reps}/3")
    cols[3].metric("Processed", f"{s.fps:.0f} fps")
    if s.frames:
        st.caption(f"Processing: {s.fps:.1f} frames/s, {s.latency_ms:.0f} ms per frame "
                   f"({s.frames} frames)")
    if s.result is not None:
        r = s.result
        if r.status == "ok":
            v.trials[movement] = r
            st.success(f"{label}: {r.value_deg:.1f} degrees ± {r.uncertainty_deg:.1f}",
                       icon="✅")
            st.caption(f"Live result: {movement} {r.value_deg:.2f} degrees")
        else:
            st.error(f"{label}: inconclusive. " + " ".join(r.reasons))
