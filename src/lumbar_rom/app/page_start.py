"""Start page: who is testing, the profile, the safety screening and optional habits/checks.

Decisions (issues 16 and 17):

- **Nobody is listed.** The page never shows the names stored on this computer. The person types
  their name; only when the exact name typed is a stored person is that person's profile (age,
  sex, height) filled in, with one line saying so. Nothing is stored on Continue: a person exists
  in the history only once a session is saved (``Store.save_session`` creates them).
- **Nothing is answered for the person.** Name, age, sex and pain start empty and Continue is
  refused, with one sentence, until they are answered; every typed value is checked with
  :mod:`lumbar_rom.inputs` and a wrong one is refused with its one sentence. Height is optional.
  Every safety question, the inflammatory back pain questions and the injury question start
  unanswered (``st.radio(index=None)``: scrolling past a question never answers it "No");
  Continue is refused until each has an answer, naming how many and which are missing (issue
  27).
- **No form.** The questions are plain widgets, not an ``st.form``: a form does not rerun on a
  change, so the injury date and time could not appear only when the injury answer is "Yes".
- The screening decision is the engine's (:func:`lumbar_rom.clinical.engine.screen`): an
  emergency, urgent, severe-pain or acute-injury gate stops here; "worth telling your doctor"
  answers are shown and the test goes on.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

import streamlit as st

from lumbar_rom.app import service
from lumbar_rom.app.navigation import page
from lumbar_rom.app.state import account, new_visit, store, visit
from lumbar_rom.app.widgets import show_gate, show_informs
from lumbar_rom.clinical.engine import Screening, informs, screen
from lumbar_rom.clinical.knowledge import knowledge
from lumbar_rom.clinical.profile import SEXES as PROFILE_SEXES
from lumbar_rom.clinical.profile import Profile
from lumbar_rom.clinical.summary import DISCLAIMER
from lumbar_rom.history.accounts import AccessError
from lumbar_rom.inputs import (
    AGE_YEARS,
    HEIGHT_CM,
    PAIN_NRS,
    STRAIGHT_LEG_RAISE_DEG,
    InputError,
    check_pain,
    check_slr,
    clean_name,
)

SEXES = list(PROFILE_SEXES)
NEW_PATIENT = "A new patient (type the name)"
PATIENT_LABEL = "Who is tested? (your assigned patients)"
NAME_LABEL = "Name or nickname (keeps your results apart on this computer)"

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Answers:
    """What the Start page returned (None: not answered)."""

    name: str
    age: float | None
    sex: str | None
    height: float | None
    flags: dict[str, bool | None]  # None: not answered yet
    injured: bool | None
    inj_day: date | None
    inj_time: time | None
    pain: float | None
    factors: dict[str, bool]
    slr: float | None
    thomas: str

    def answered_flags(self) -> dict[str, bool]:
        """The screening answers (every question answered: see :func:`_unanswered`)."""
        return {k: v is True for k, v in self.flags.items()}

    def injury(self) -> datetime | None:
        if not self.injured or self.inj_day is None:
            return None
        return datetime.combine(self.inj_day, self.inj_time or time(0, 0))

    def checks(self) -> dict[str, float | bool]:
        out: dict[str, float | bool] = {}
        if self.slr:
            out["straight_leg_raise_deg"] = check_slr(self.slr)
        if self.thomas != "Not done":
            out["thomas_test_positive"] = self.thomas == "Yes"
        return out


def start_page() -> None:
    if "session" in st.query_params:  # a ?session=ID link (the sign-in form lands here)
        st.session_state[service.SESSION_LINK] = st.query_params["session"]
        st.switch_page(page("results"))
    st.title("lumbar-rom")
    st.write("Measure how far your lower back bends, compared with normal ranges, and stretch "
             "only what is truly restricted. " + DISCLAIMER)
    try:
        answers = _questions()
    except AccessError as err:  # the store refused: one sentence, no data
        st.error(str(err))
        return
    if not st.button("Continue", type="primary"):
        v = visit()
        if v.gate is not None:
            show_gate(v.gate)
        return
    _submit(answers)


def _stored_profile(name: str) -> Profile | None:
    """The stored profile of exactly ``name`` (None: no such person, or no database)."""
    try:
        return store().profile(clean_name(name)) if name.strip() else None
    except InputError:
        return None
    except Exception:  # the database is outside our control: say so (details in the log only)
        log.exception("the history database cannot be read")
        st.warning("The history database cannot be read; results will not be saved.")
        return None


def _questions() -> Answers:
    v = visit()
    st.subheader("About you")
    name = _who(v.person)
    stored = _stored_profile(name)
    if stored is not None:
        st.caption("Welcome back: your stored profile is filled in.")
    base = stored or (v.profile if name and name == v.person else Profile())
    c1, c2, c3 = st.columns(3)
    age = c1.number_input("Age (years)", *AGE_YEARS, value=base.age, step=1.0, format="%.0f",
                          placeholder="your age")
    sex = c2.selectbox("Sex", SEXES, index=SEXES.index(base.sex) if base.sex in SEXES else None,
                       placeholder="choose")
    height = c3.number_input("Height (cm, optional)", *HEIGHT_CM, value=base.height_cm,
                             step=1.0, format="%.0f", placeholder="optional")
    safety = _safety_questions()
    factors = _habits()
    with st.expander("Optional checks that narrow down which muscles limit you"):
        slr = st.number_input("Straight-leg raise of the tighter leg (degrees; leave empty if "
                              "not done)", *STRAIGHT_LEG_RAISE_DEG, value=None, step=1.0,
                              format="%.0f")
        thomas = st.radio("Thomas test: did the other thigh lift off the bed?",
                          ["Not done", "Yes", "No"], horizontal=True)
    return Answers(name=name, age=age, sex=sex, height=height, factors=factors, slr=slr,
                   thomas=thomas, **safety)


def _who(current: str) -> str:
    """Who is tested. Personal mode: a typed name (nobody is listed). Clinic mode: a patient is
    their own person (fixed); a clinician assigns the test to one of their patients (listed
    from the scoped store) or types a new patient's name."""
    if account() is None:
        return str(st.text_input(NAME_LABEL, value=current, max_chars=None,
                                 help="Type your own name. Profiles are kept on this computer; "
                                      "nobody's name is listed here."))
    mine = service.own_person()
    if mine is not None:
        st.text_input("Your name", value=mine, disabled=True, key="own_person")
        return mine
    if not service.is_clinician():
        raise AccessError("This account has no person of its own; ask your clinic to link it.")
    options = service.patients() + [NEW_PATIENT]
    chosen = st.selectbox(PATIENT_LABEL, options,
                          index=options.index(current) if current in options else None,
                          placeholder="Choose a patient", key="clinic_patient")
    if chosen == NEW_PATIENT:
        return str(st.text_input("The new patient's name", key="new_patient"))
    return chosen or ""


INJURY_QUESTION = "Did you injure your back recently (a strain, a fall, lifting)?"


def _yes_no(question: str, key: str) -> bool | None:
    """A Yes/No question that starts unanswered (None until the person picks one)."""
    ans = st.radio(question, ["No", "Yes"], index=None, horizontal=True, key=key)
    return None if ans is None else ans == "Yes"


def _safety_questions() -> dict[str, Any]:
    s = knowledge().safety
    st.subheader("Safety questions")
    st.caption("Answer each one honestly (none is answered for you): some back problems must "
               "be checked by a doctor first.")
    flags = {q.id: _yes_no(q.question, f"rf_{q.id}") for q in s.red_flags}
    st.subheader(s.inflammatory.title)
    st.caption("Back pain from inflammation (axial spondyloarthritis) is often missed; these "
               "questions follow the NICE guideline's referral rule. They never stop the test.")
    flags |= {q.id: _yes_no(q.question, f"rf_{q.id}") for q in s.inflammatory.questions}
    injured = _yes_no(INJURY_QUESTION, "injured")
    inj_day: date | None = None
    inj_time: time | None = None
    if injured:
        c1, c2 = st.columns(2)
        inj_day = c1.date_input("When? (date)", value=None, max_value=datetime.now().date())
        inj_time = c2.time_input("When? (time)", value=None)
    pain = st.number_input("Pain right now (0 = none, 10 = worst imaginable)", *PAIN_NRS,
                           value=None, step=1.0, format="%.0f", placeholder="0-10")
    return {"flags": flags, "injured": injured, "inj_day": inj_day, "inj_time": inj_time,
            "pain": pain}


def _habits() -> dict[str, bool]:
    st.subheader("Habits (optional)")
    factors = {}
    for q in knowledge().factors.questions:
        ans = st.radio(q.question, ["Not answered", "Yes", "No"], horizontal=True,
                       key=f"f_{q.id}")
        if ans != "Not answered":
            factors[q.id] = ans == "Yes"
    return factors


def _unanswered(ans: Answers) -> str | None:
    """One sentence naming what is still to answer (None: everything needed is there): the
    profile, the pain, then the safety questions not answered yet (by number when there are
    many, quoting the first ones)."""
    missing = [what for what, value in (("your name", ans.name.strip()), ("your age", ans.age),
                                        ("your sex", ans.sex), ("your pain right now", ans.pain))
               if value is None or value == ""]
    s = knowledge().safety
    asked = {q.id: q.question for q in s.red_flags}
    asked |= {q.id: q.question for q in s.inflammatory.questions}
    open_ids = [k for k, v in ans.flags.items() if v is None]
    if ans.injured is None:
        open_ids.append("injured")
        asked["injured"] = INJURY_QUESTION
    if open_ids:
        quoted = "; ".join(f'"{asked[k]}"' for k in open_ids[:2])
        more = f" and {len(open_ids) - 2} more" if len(open_ids) > 2 else ""
        missing.append(f"{len(open_ids)} safety question{'s' if len(open_ids) > 1 else ''} "
                       f"({quoted}{more})")
    if ans.injured and ans.inj_day is None:
        missing.append("the date of the injury")
    if not missing:
        return None
    return ("Please answer " + ", ".join(missing[:-1]) + (" and " if len(missing) > 1 else "")
            + missing[-1] + " before you continue.")


def _checked(ans: Answers) -> tuple[str, Profile, Screening]:
    """The typed values checked (:mod:`lumbar_rom.inputs`); raises InputError (one sentence)."""
    name = clean_name(ans.name)
    profile = Profile(age=ans.age, sex=ans.sex, height_cm=ans.height, injury=ans.injury())
    screening = Screening(red_flags=ans.answered_flags(), pain_before=check_pain(ans.pain),
                          factors=ans.factors, checks=ans.checks())
    return name, profile, screening


def _submit(ans: Answers) -> None:
    problem = _unanswered(ans)
    if problem:
        st.error(problem)
        return
    try:
        name, profile, screening = _checked(ans)
    except InputError as err:
        st.error(str(err))
        return
    v = new_visit(keep_person=False)
    v.person, v.profile, v.screening = name, profile, screening
    v.gate = screen(screening, profile, datetime.now())
    v.screened = True
    if v.gate is not None:
        show_gate(v.gate)
        return
    show_informs(informs(screening, profile))
    st.success("Thank you. Choose how to measure: the guided webcam test, or upload videos.")
    c1, c2 = st.columns(2)
    c1.page_link(page("guided"), label="Guided webcam test", icon=":material/videocam:")
    c2.page_link(page("upload"), label="Upload videos", icon=":material/upload_file:")
