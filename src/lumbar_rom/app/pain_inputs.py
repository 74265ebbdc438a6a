"""What each measured motion felt like: hurt yes/no, where (the body map), what stopped it.

The answers live in ``st.session_state[ANSWERS]`` (movement -> :class:`TrialPain`), outside the
widgets' own state, so that an answer given on the guided page is still there on the Results
page (Streamlit forgets a widget's state on a page where it is not drawn); each widget is seeded
from it. They are saved with the session (``trials.pain``) for the motions that were measured.

Decision: "hurt" is a yes/no radio with no default answer (a motion not answered is stored as not
asked, never as "no pain"); "where" and the painful arc are only asked once it hurt.
"""

from __future__ import annotations

import streamlit as st

from lumbar_rom.app.state import Visit
from lumbar_rom.assessment.protocol import movement_spec
from lumbar_rom.history.pain import TrialPain, pain_vocabulary

ANSWERS = "trial_pain_answers"
_HURT = ("yes", "no")


def answers() -> dict[str, TrialPain]:
    """The visit's per-motion pain answers so far (movement -> answer)."""
    got = st.session_state.get(ANSWERS)
    if got is None:
        got = st.session_state[ANSWERS] = {}
    return got


def measured_answers(v: Visit) -> dict[str, TrialPain]:
    """The answers of the motions measured in this visit (what the store accepts)."""
    return {m: p for m, p in answers().items() if m in v.trials}


def motion_pain_inputs(movement: str) -> TrialPain | None:
    """The questions for one measured motion; records and returns the answer (None: not
    answered yet)."""
    vocab = pain_vocabulary()
    old = answers().get(movement)
    k = f"tp_{movement}"
    label = movement_spec(movement).label
    # each widget starts from the recorded answer (its default), so the answer survives a page
    # switch; the same answer as default keeps the widget as it is on the page
    hurt = st.radio(f"Did {label.lower()} hurt?", _HURT, horizontal=True, key=f"{k}_hurt",
                    index=None if old is None else _HURT.index("yes" if old.hurt else "no"))
    if hurt is None:
        return None
    where: list[str] = []
    arc = False
    if hurt == "yes":
        where = st.multiselect("Where did it hurt?", list(vocab["body_map"]),
                               format_func=vocab["body_map"].__getitem__, key=f"{k}_where",
                               default=list(old.where) if old else [])
        arc = st.checkbox("It hurt in the middle of the movement and eased further on "
                          "(a painful arc)", key=f"{k}_arc",
                          value=bool(old and old.painful_arc))
    limit = st.selectbox("What stopped the movement?", list(vocab["limited_by"]),
                         format_func=vocab["limited_by"].__getitem__,
                         index=None if old is None or old.limited_by is None
                         else list(vocab["limited_by"]).index(old.limited_by),
                         placeholder="Choose one (optional)", key=f"{k}_limit")
    answer = TrialPain(hurt == "yes", tuple(where), limit, arc)
    answers()[movement] = answer
    return answer


def trial_pain_panel(v: Visit) -> None:
    """The questions for every motion measured in this visit (Results page)."""
    measured = [m for m in v.trials if v.trials[m].status == "ok"]
    if not measured:
        return
    st.subheader("How did each motion feel?")
    st.caption("For each motion: did it hurt, where, and did pain or stiffness stop it. Saved "
               "with your results; the Progress page shows it beside each motion's goal.")
    for m in measured:
        with st.expander(movement_spec(m).label, expanded=m not in answers()):
            motion_pain_inputs(m)
