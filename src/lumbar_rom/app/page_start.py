"""Start page: who is testing, the profile, the safety screening and optional habits/checks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

import streamlit as st

from lumbar_rom.app.navigation import page
from lumbar_rom.app.state import Visit, new_visit, store, visit
from lumbar_rom.app.widgets import show_gate
from lumbar_rom.clinical.engine import Profile, Screening, screen
from lumbar_rom.clinical.knowledge import knowledge
from lumbar_rom.clinical.summary import DISCLAIMER

SEXES = ["female", "male", "other / prefer not to say"]
NEW = "someone new"


@dataclass(frozen=True)
class Answers:
    """What the Start form returned."""

    name: str
    age: int
    sex: str
    height: int
    flags: dict[str, bool]
    injured: bool
    inj_day: date
    inj_time: time
    pain: int
    factors: dict[str, bool]
    slr: int
    thomas: str

    def injury(self) -> datetime | None:
        return datetime.combine(self.inj_day, self.inj_time) if self.injured else None

    def checks(self) -> dict[str, float | bool]:
        out: dict[str, float | bool] = {}
        if self.slr:
            out["straight_leg_raise_deg"] = float(self.slr)
        if self.thomas != "Not done":
            out["thomas_test_positive"] = self.thomas == "Yes"
        return out


def start_page() -> None:
    st.title("lumbar-rom")
    st.write("Measure how far your lower back bends, compared with normal ranges, and stretch "
             "only what is truly restricted. " + DISCLAIMER)
    v = visit()
    who, stored = _who(v)
    with st.form("start"):
        answers = _form(v, who, stored)
        go = st.form_submit_button("Continue", type="primary")
    if not go:
        if v.gate is not None:
            show_gate(v.gate)
        return
    _submit(answers)


def _who(v: Visit) -> tuple[str, Profile | None]:
    """The person chosen in the "Who is testing?" box and their stored profile (if any)."""
    try:
        known = [p.name for p in store().people()]
    except Exception as err:  # the database is outside our control: say so, carry on
        st.warning(f"The history database cannot be read ({err}); results will not be saved.")
        known = []
    who = st.selectbox("Who is testing?", [NEW, *known],
                       index=1 + known.index(v.person) if v.person in known else 0,
                       help="Profiles are kept on this computer; each person's results stay "
                            "apart.")
    stored = store().profile(who) if known and who != NEW else None
    return who, stored


def _form(v: Visit, who: str, stored: Profile | None) -> Answers:
    base = stored or v.profile
    st.subheader("About you")
    name = st.text_input("Name or nickname (keeps your results apart on this computer)",
                         value=who if stored else (v.person or "me"))
    c1, c2, c3 = st.columns(3)
    age = c1.number_input("Age (years)", 16, 100, int(base.age or 40))
    sex = c2.selectbox("Sex", SEXES, index=SEXES.index(base.sex) if base.sex in SEXES else 0)
    height = c3.number_input("Height (cm)", 120, 220, int(base.height_cm or 170))
    safety = _safety_questions()
    factors = _habits()
    with st.expander("Optional checks that narrow down which muscles limit you"):
        slr = st.number_input("Straight-leg raise of the tighter leg (degrees, 0 = not "
                              "done)", 0, 120, 0)
        thomas = st.radio("Thomas test: did the other thigh lift off the bed?",
                          ["Not done", "Yes", "No"], horizontal=True)
    return Answers(name=name, age=int(age), sex=sex, height=int(height), factors=factors,
                   slr=int(slr), thomas=thomas, **safety)


def _safety_questions() -> dict[str, Any]:
    st.subheader("Safety questions")
    st.caption("Answer honestly: some back problems must be checked by a doctor first.")
    flags = {q.id: st.radio(q.question, ["No", "Yes"], horizontal=True,
                               key=f"rf_{q.id}") == "Yes"
             for q in knowledge().safety.red_flags}
    injured = st.radio("Did you injure your back recently (a strain, a fall, lifting)?",
                       ["No", "Yes"], horizontal=True) == "Yes"
    c1, c2 = st.columns(2)
    inj_day = c1.date_input("When? (date)", value=datetime.now().date())
    inj_time = c2.time_input("When? (time)", value=time(8, 0))
    pain = st.slider("Pain right now (0 = none, 10 = worst imaginable)", 0, 10, 2)
    return {"flags": flags, "injured": injured, "inj_day": inj_day, "inj_time": inj_time,
            "pain": int(pain)}


def _habits() -> dict[str, bool]:
    st.subheader("Habits (optional)")
    factors = {}
    for q in knowledge().factors.questions:
        ans = st.radio(q.question, ["Not answered", "Yes", "No"], horizontal=True,
                       key=f"f_{q.id}")
        if ans != "Not answered":
            factors[q.id] = ans == "Yes"
    return factors


def _submit(ans: Answers) -> None:
    injury = ans.injury()
    if injury is not None and injury > datetime.now():
        st.error("The injury time is in the future; check the date and time.")
        return
    v = new_visit(keep_person=False)
    v.person = ans.name.strip() or "me"
    v.profile = Profile(age=float(ans.age), sex=ans.sex, height_cm=float(ans.height),
                        injury=injury)
    v.screening = Screening(red_flags=ans.flags, pain_before=ans.pain, factors=ans.factors,
                            checks=ans.checks())
    v.gate = screen(v.screening, v.profile, datetime.now())
    v.screened = True
    try:
        store().person(v.person, v.profile)  # the profile is kept on this computer
    except Exception as err:
        st.warning(f"Your profile could not be stored ({err}); the test still works.")
    if v.gate is not None:
        show_gate(v.gate)
        return
    st.success("Thank you. Choose how to measure: the guided webcam test, or upload videos.")
    c1, c2 = st.columns(2)
    c1.page_link(page("guided"), label="Guided webcam test", icon="🎥")
    c2.page_link(page("upload"), label="Upload videos", icon="📁")
