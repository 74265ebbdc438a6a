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
- **One screen at a time** (issue 31): "About you" (name, age, sex, height), the safety
  questions, then the pain with the habits and the optional checks folded in expanders; a
  progress bar names the step. Next is refused, with one sentence, until the screen's required
  answers are given. Every answer is kept (``start_kept`` in the session) going Back and when
  the person visits another page and comes back (Streamlit forgets an undrawn widget's value);
  typing another person's name on the first screen drops the earlier person's answers. The
  stop advice of a submitted screening is shown again only while the answers are those that
  were submitted: once one changes, no stale red banner.
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


STEPS = ("About you", "Safety questions", "Pain right now")
"""The three screens of the first visit (issue 31): the required questions first, one screen at
a time; the optional habits and checks are folded on the last one."""
STEP = "start_step"
KEPT = "start_kept"
SCREENED_WITH = "start_screened_with"
PROFILE_KEYS = ("name", "clinic_patient", "new_patient", "age", "sex", "height")


def start_page() -> None:
    if "session" in st.query_params:  # a ?session=ID link (the sign-in form lands here)
        st.session_state[service.SESSION_LINK] = st.query_params["session"]
        st.switch_page(page("results"))
    visit().opened_session = None  # "your results" are this visit's again (issue 31)
    st.title("lumbar-rom")
    st.write("Measure how far your lower back bends, compared with normal ranges, and stretch "
             "only what is truly restricted. " + DISCLAIMER)
    step = int(st.session_state.get(STEP, 0))
    st.progress((step + 1) / len(STEPS), text=f"Step {step + 1} of {len(STEPS)}: {STEPS[step]}")
    try:
        if step == 0:
            _about_you_step()
        elif step == 1:
            _safety_step()
        else:
            _pain_step()
    except AccessError as err:  # the store refused: one sentence, no data
        st.error(str(err))


def _go(step: int) -> None:
    st.session_state[STEP] = step
    st.rerun()


def _kept() -> dict[str, Any]:
    kept: dict[str, Any] = st.session_state.setdefault(KEPT, {})
    return kept


def _restore(key: str) -> None:
    """Give the widget ``key`` the answer kept from an earlier screen (Streamlit forgets a
    widget's value once it is not drawn: going back, or to another page, would reset it)."""
    kept = _kept()
    if key not in st.session_state and key in kept:
        st.session_state[key] = kept[key]


def _keep(key: str, value: Any) -> Any:
    _kept()[key] = value
    return value


def _widget(make: Any, label: str, key: str, **kwargs: Any) -> Any:
    """``make(label, key=key, **kwargs)`` with its answer kept across screens and pages."""
    _restore(key)
    return _keep(key, make(label, key=key, **kwargs))


def _nav(back: bool, forward: str) -> bool:
    """The Back button (to the previous screen, answers kept) and the forward button; True when
    the forward button was pressed."""
    c1, c2 = st.columns([1, 1])
    if back and c1.button("Back", key="start_back"):
        _go(int(st.session_state.get(STEP, 0)) - 1)
    return bool(c2.button(forward, type="primary", key="start_forward"))


def _about_you_step() -> None:
    st.subheader("About you")
    name = _who()
    stored = _stored_profile(name)
    if stored is not None:
        st.caption("Welcome back: your stored profile is filled in.")
        if _kept().get("_filled_for") != name:  # fill in once, when the name is typed
            for key, value in (("age", stored.age), ("sex", stored.sex),
                               ("height", stored.height_cm)):
                st.session_state[key] = value
            _keep("_filled_for", name)
    c1, c2, c3 = st.columns(3)
    age = _widget(c1.number_input, "Age (years)", "age", min_value=AGE_YEARS[0],
                  max_value=AGE_YEARS[1], value=None, step=1.0, format="%.0f",
                  placeholder="your age")
    sex = _widget(c2.selectbox, "Sex", "sex", options=SEXES, index=None, placeholder="choose")
    _widget(c3.number_input, "Height (cm, optional)", "height", min_value=HEIGHT_CM[0],
            max_value=HEIGHT_CM[1], value=None, step=1.0, format="%.0f", placeholder="optional")
    if not _nav(back=False, forward="Next"):
        return
    missing = [what for what, value in (("your name", name.strip()), ("your age", age),
                                        ("your sex", sex)) if value is None or value == ""]
    if missing:
        st.error(_please(missing))
        return
    try:
        clean_name(name)
    except InputError as err:
        st.error(str(err))
        return
    kept = _kept()
    if kept.get("_for") not in (None, name):  # another person: their own answers, not these
        for key in [k for k in kept if k not in PROFILE_KEYS and not k.startswith("_")]:
            del kept[key]
            st.session_state.pop(key, None)
    kept["_for"] = name
    _go(1)


def _safety_step() -> None:
    _safety_questions()
    if not _nav(back=True, forward="Next"):
        return
    missing = _safety_missing(_answers())
    if missing:
        st.error(_please(missing))
        return
    _go(2)


def _pain_step() -> None:
    _widget(st.number_input, "Pain right now (0 = none, 10 = worst imaginable)", "pain",
            min_value=PAIN_NRS[0], max_value=PAIN_NRS[1], value=None, step=1.0, format="%.0f",
            placeholder="0-10")
    with st.expander("Habits (optional)"):
        _habits()
    with st.expander("Optional checks that narrow down which muscles limit you"):
        _widget(st.number_input, "Straight-leg raise of the tighter leg (degrees; leave empty "
                "if not done)", "slr", min_value=STRAIGHT_LEG_RAISE_DEG[0],
                max_value=STRAIGHT_LEG_RAISE_DEG[1], value=None, step=1.0, format="%.0f")
        _widget(st.radio, "Thomas test: did the other thigh lift off the bed?", "thomas",
                options=["Not done", "Yes", "No"], horizontal=True)
    if not _nav(back=True, forward="Continue"):
        v = visit()
        # the stop advice of the answers as they were sent; none once an answer has changed
        if v.gate is not None and st.session_state.get(SCREENED_WITH) == _snapshot():
            show_gate(v.gate)
        return
    _submit(_answers())


def _snapshot() -> dict[str, Any]:
    return {k: v for k, v in _kept().items() if not k.startswith("_")}


def _answers() -> Answers:
    """Every answer given so far, from the kept answers of all three screens."""
    k = _kept()
    s = knowledge().safety
    ids = [q.id for q in s.red_flags] + [q.id for q in s.inflammatory.questions]
    flags = {i: (None if k.get(f"rf_{i}") is None else k[f"rf_{i}"] == "Yes") for i in ids}
    injured = None if k.get("injured") is None else k["injured"] == "Yes"
    factors = {q.id: k[f"f_{q.id}"] == "Yes" for q in knowledge().factors.questions
               if k.get(f"f_{q.id}") in ("Yes", "No")}
    return Answers(name=str(k.get("_name", "")), age=k.get("age"), sex=k.get("sex"),
                   height=k.get("height"), flags=flags, injured=injured,
                   inj_day=k.get("inj_day") if injured else None,
                   inj_time=k.get("inj_time") if injured else None, pain=k.get("pain"),
                   factors=factors, slr=k.get("slr"), thomas=str(k.get("thomas") or "Not done"))


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


def _who() -> str:
    """Who is tested. Personal mode: a typed name (nobody is listed). Clinic mode: a patient is
    their own person (fixed); a clinician assigns the test to one of their patients (listed
    from the scoped store) or types a new patient's name."""
    if account() is None:
        name = str(_widget(st.text_input, NAME_LABEL, "name", value="",
                           help="Type your own name. Profiles are kept on this computer; "
                                "nobody's name is listed here."))
        return _keep("_name", name)
    mine = service.own_person()
    if mine is not None:
        st.text_input("Your name", value=mine, disabled=True, key="own_person")
        return _keep("_name", mine)
    if not service.is_clinician():
        raise AccessError("This account has no person of its own; ask your clinic to link it.")
    options = service.patients() + [NEW_PATIENT]
    chosen = _widget(st.selectbox, PATIENT_LABEL, "clinic_patient", options=options, index=None,
                     placeholder="Choose a patient")
    if chosen == NEW_PATIENT:
        return _keep("_name", str(_widget(st.text_input, "The new patient's name",
                                          "new_patient", value="")))
    return _keep("_name", chosen or "")


INJURY_QUESTION = "Did you injure your back recently (a strain, a fall, lifting)?"


def _yes_no(question: str, key: str) -> bool | None:
    """A Yes/No question that starts unanswered (None until the person picks one)."""
    ans = _widget(st.radio, question, key, options=["No", "Yes"], index=None, horizontal=True)
    return None if ans is None else ans == "Yes"


def _safety_questions() -> None:
    s = knowledge().safety
    st.subheader("Safety questions")
    st.caption("Answer each one honestly (none is answered for you): some back problems must "
               "be checked by a doctor first.")
    for q in s.red_flags:
        _yes_no(q.question, f"rf_{q.id}")
    st.subheader(s.inflammatory.title)
    st.caption("Back pain from inflammation (axial spondyloarthritis) is often missed; these "
               "questions follow the NICE guideline's referral rule. They never stop the test.")
    for iq in s.inflammatory.questions:
        _yes_no(iq.question, f"rf_{iq.id}")
    if _yes_no(INJURY_QUESTION, "injured"):
        c1, c2 = st.columns(2)
        _widget(c1.date_input, "When? (date)", "inj_day", value=None,
                max_value=datetime.now().date())
        _widget(c2.time_input, "When? (time)", "inj_time", value=None)


def _habits() -> None:
    for q in knowledge().factors.questions:
        _widget(st.radio, q.question, f"f_{q.id}", options=["Not answered", "Yes", "No"],
                horizontal=True)


def _please(missing: list[str]) -> str:
    return ("Please answer " + ", ".join(missing[:-1]) + (" and " if len(missing) > 1 else "")
            + missing[-1] + " before you continue.")


def _unanswered(ans: Answers) -> str | None:
    """One sentence naming what is still to answer (None: everything needed is there): the
    profile, the pain, then the safety questions not answered yet (by number when there are
    many, quoting the first ones)."""
    missing = [what for what, value in (("your name", ans.name.strip()), ("your age", ans.age),
                                        ("your sex", ans.sex), ("your pain right now", ans.pain))
               if value is None or value == ""]
    missing += _safety_missing(ans)
    return _please(missing) if missing else None


def _safety_missing(ans: Answers) -> list[str]:
    """The safety questions not answered yet, as phrases of :func:`_please`."""
    missing: list[str] = []
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
    return missing


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
    st.session_state[SCREENED_WITH] = _snapshot()
    if v.gate is not None:
        show_gate(v.gate)
        return
    show_informs(informs(screening, profile))
    st.success("Thank you. Choose how to measure: the guided webcam test, or upload videos.")
    c1, c2 = st.columns(2)
    c1.page_link(page("guided"), label="Guided webcam test", icon=":material/videocam:")
    c2.page_link(page("upload"), label="Upload videos", icon=":material/upload_file:")
