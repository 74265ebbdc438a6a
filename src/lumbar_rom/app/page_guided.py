"""Guided webcam test page: one movement at a time, measured live."""

from __future__ import annotations

import streamlit as st

from lumbar_rom.app.navigation import need_screening, page
from lumbar_rom.app.state import visit
from lumbar_rom.app.widgets import picture
from lumbar_rom.assessment.protocol import MOVEMENTS, movement_spec


def guided_page() -> None:
    from lumbar_rom.app import guided_holds
    from lumbar_rom.app.pain_inputs import motion_pain_inputs
    from lumbar_rom.app.webcam import camera_panel

    st.title("Guided webcam test")
    if need_screening():
        return
    v = visit()
    if guided_holds.is_open():  # issue 14: the optional holds step after the six motions
        guided_holds.holds_step(v)
        return
    order = list(MOVEMENTS)
    if "guided_index" not in st.session_state:
        st.session_state["guided_index"] = 0
    i = st.session_state["guided_index"]
    done = [m for m in order if m in v.trials or m in v.pain_limited]
    st.progress(len(done) / len(order), text=f"{len(done)} of {len(order)} movements done")
    cols = st.columns(len(order))
    for c, m in zip(cols, order, strict=True):
        if c.button(movement_spec(m).label.split(" (")[0], key=f"pick_{m}",
                    type="primary" if order[i] == m else "secondary"):
            st.session_state["guided_index"] = order.index(m)
            st.rerun()
    movement = order[i]
    spec = movement_spec(movement)
    st.subheader(spec.label)
    c1, c2 = st.columns([1, 2])
    pic = picture(movement)
    if pic is not None:
        c1.image(pic, caption=f"Camera: {spec.view} view", width=220)
    c2.markdown(f"**Camera:** {spec.camera}\n\n**Start:** {spec.start}\n\n**Then:** {spec.cue}")
    camera_panel(movement, v)
    if movement in v.trials:  # issue 14: what the motion felt like (saved with the results)
        with st.expander("How did it feel?", expanded=True):
            motion_pain_inputs(movement)
    c1, c2, c3 = st.columns(3)
    if c1.button("Skip this movement") or c3.button("Next movement", type="primary",
                                                     disabled=movement not in v.trials):
        st.session_state["guided_index"] = (i + 1) % len(order)
        st.rerun()
    if c2.button("See results"):
        st.switch_page(page("results"))
    guided_holds.holds_offer(len(done), len(order))  # issue 14: optional, after the motions
