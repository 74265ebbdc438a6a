"""The guided page's optional step after the six motions: the endurance holds, timed live.

The step replaces the six motions' camera panel while it is open (``st.session_state[STEP]``):
one stream at a time, with its own key (:data:`STREAM_KEY`) and its own landmarker
(``app.webcam.LiveCamera`` used as the pose estimator), so nothing of the six motions' panel
(``app.webcam`` / ``app.live``) changes. Each finished hold joins the visit's holds
(``app.holds``): the Results page shows them and saves them.

The placement picture is a still from the rendered sample of the test
(``sample_videos/holds/<test>.mp4``, made by ``python -m lumbar_rom.studio.holds``), in the
middle of its hold.
"""

from __future__ import annotations

import math
from importlib.metadata import version

import av
import streamlit as st

from lumbar_rom.app import charts
from lumbar_rom.app.holds import hold_label, holds, keep_hold, readiness_check, show_hold
from lumbar_rom.app.live import TOO_SLOW
from lumbar_rom.app.live_hold import GuidedHold, test_text
from lumbar_rom.app.navigation import page
from lumbar_rom.app.state import SAMPLES, Visit, visit
from lumbar_rom.app.webcam import RTC_CONFIGURATION, LiveCamera, clear_orphan_stamp
from lumbar_rom.app.widgets import speak
from lumbar_rom.assessment.hold import HOLD_TESTS

STEP = "guided_holds_open"
STREAM_KEY = "webrtc_hold"
HOLD_PICTURE_AT = 0.45  # of the sample clip: inside the hold


def holds_offer(done: int, total: int) -> None:
    """Below the six motions: the optional holds, offered once the motions are done (and
    reachable any time)."""
    text = ("The six motions are done. Optional: time your trunk endurance holds (McGill's "
            "four tests) with the camera." if done >= total else
            "After the six motions: optional endurance holds (McGill's four tests).")
    c1, c2 = st.columns([3, 1])
    c1.caption(text)
    if c2.button("Endurance holds (optional)", key="open_holds",
                 type="primary" if done >= total else "secondary"):
        st.session_state[STEP] = True
        st.rerun()


def is_open() -> bool:
    return bool(st.session_state.get(STEP))


def _camera() -> LiveCamera:
    cam = st.session_state.get("hold_camera")
    if cam is None:
        cam = st.session_state["hold_camera"] = LiveCamera()
    return cam


class _Router:
    """Where the stream's frames go: the chosen test's hold (read in the frame worker, which
    has no access to ``st.session_state``)."""

    def __init__(self) -> None:
        self.hold: GuidedHold | None = None


def _router() -> _Router:
    r = st.session_state.get("hold_router")
    if r is None:
        r = st.session_state["hold_router"] = _Router()
    return r


def _hold_for(test: str, cam: LiveCamera) -> GuidedHold:
    key = f"live_hold_{test}"
    hold = st.session_state.get(key)
    if hold is None:
        hold = st.session_state[key] = GuidedHold(test, cam)
    _router().hold = hold
    return hold


def _picture(test: str) -> bytes | None:
    path = SAMPLES / "holds" / f"{test}.mp4"
    return charts.still_from_video(str(path), HOLD_PICTURE_AT) if path.exists() else None


def holds_step(v: Visit) -> None:
    """The holds step: choose a test, placement picture and instructions, the live panel."""
    st.subheader("Endurance holds (optional)")
    if st.button("← Back to the six motions", key="close_holds"):
        st.session_state[STEP] = False
        st.rerun()
    test = st.radio("Which hold?", HOLD_TESTS, format_func=hold_label, horizontal=True,
                    key="guided_hold_test")
    info = test_text(test)
    c1, c2 = st.columns([1, 2])
    pic = _picture(test)
    if pic is not None:
        c1.image(pic, caption=f"Camera: {info['view']} view", width=240)
    c2.markdown(f"**Camera:** {info['camera']}\n\n**Position:** {info['position']}\n\n"
                f"**The hold ends when:** {info['end']}")
    st.caption("Only if it is safe for you: stop at once if it hurts. The timer starts by itself "
               "when you reach the position and stops when the position is lost.")
    if not readiness_check("guided_ready"):  # issue 27: no hold before the readiness check
        return
    _panel(test)
    if holds():
        st.page_link(page("results"), label="See your results (the holds are saved there)",
                     icon=":material/bar_chart:")


def _panel(test: str) -> None:
    from streamlit_webrtc import WebRtcMode, webrtc_streamer

    cam = _camera()
    cam.open()
    hold = _hold_for(test, cam)
    router = _router()

    def callback(frame: av.VideoFrame) -> av.VideoFrame:
        rgb = frame.to_ndarray(format="rgb24")
        current = router.hold
        out = rgb if current is None else current.process(rgb, frame.time)
        return av.VideoFrame.from_ndarray(out, format="rgb24")

    def ended() -> None:
        cam.close()
        current = router.hold
        if current is not None:
            current.stream_ended()

    clear_orphan_stamp(st.session_state.get(STREAM_KEY), version("streamlit-webrtc"))
    webrtc_streamer(
        key=STREAM_KEY, mode=WebRtcMode.SENDRECV, rtc_configuration=RTC_CONFIGURATION,
        media_stream_constraints={"video": {"width": 640, "height": 480}, "audio": False},
        video_frame_callback=callback, on_video_ended=ended, async_processing=True,
    )
    st.caption("Press START and allow the camera (localhost or https only).")
    _status(test)
    c1, c2 = st.columns(2)
    if c1.button("Stop the hold", key=f"stop_hold_{test}"):
        hold.command("stop")
    if c2.button("Redo this hold", key=f"redo_hold_{test}"):
        hold.command("redo")
        st.session_state.pop(f"spoken_hold_{test}", None)


@st.fragment(run_every=0.5)
def _status(test: str) -> None:
    hold = st.session_state.get(f"live_hold_{test}")
    if hold is None:
        return
    hold.tick()  # the hold is timed here, on the script side
    s = hold.snapshot()
    st.markdown(f"**{s.cue}**")
    key = f"spoken_hold_{test}"
    if s.cue and s.phase != "countdown" and s.cue != st.session_state.get(key):
        st.session_state[key] = s.cue  # spoken: the start, the stop, the framing tips
        speak(s.cue)
    if s.phase == "help":
        st.info(s.cue, icon=":material/help:")
    if s.phase == "stalled":
        st.warning(s.cue, icon=":material/videocam_off:")
    cols = st.columns(3)
    cols[0].metric("Phase", s.phase)
    cols[1].metric("Held", "-" if s.held_s is None else f"{s.held_s:.0f} s")
    cols[2].metric("Processed", f"{s.fps:.0f} fps")
    if s.too_slow:
        st.warning(TOO_SLOW.format(fps=s.fps), icon=":material/speed:")
    r = s.result
    if r is None:
        return
    if holds().get(test) is not r:
        keep_hold(r)
    show_hold(r, visit().profile.sex)
    if math.isfinite(r.held_s):
        st.caption(f"Live hold result: {test} {r.held_s:.2f} s")
