"""The Start page (issues 16, 17, 27 and 31), driven with AppTest: one screen at a time (the
profile, the safety questions, the pain with the optional habits folded), nothing pre-filled,
inputs checked with one sentence, answers kept going back and across pages, the injury date only
after "Yes", nobody's name listed, nobody stored on Continue, the screening gates."""

from datetime import datetime, timedelta

import pytest

from lumbar_rom.clinical import knowledge as K
from lumbar_rom.clinical.engine import Profile, Screening, assess
from tests.fixtures.app import PAGE
from tests.fixtures.clinical import (
    about_you,
    answer_safety,
    fill_start,
    restricted_set,
    step_back,
    step_forward,
)

pytestmark = pytest.mark.slow


def cont(at):
    return step_forward(at, "Continue")


def errors(at):
    return [e.value for e in at.error]


def labels(at, kind):
    return [w.label for w in getattr(at, kind)]


def the_store():
    from lumbar_rom.app.state import store

    return store()


def safety_radios(at):
    return [r for r in at.radio if r.key and (r.key.startswith("rf_") or r.key == "injured")]


def step_text(at):
    return " ".join(p.proto.text for p in at.get("progress"))


def radio_of(at, start):
    return next(r for r in at.radio if r.label.startswith(start))


def test_nothing_is_pre_filled_and_each_screen_asks_for_its_answers(app):
    assert step_text(app) == "Step 1 of 3: About you"
    name = next(t for t in app.text_input if t.label.startswith("Name or nickname"))
    assert name.value == ""
    assert next(s for s in app.selectbox if s.label == "Sex").value is None
    assert next(n for n in app.number_input if n.label.startswith("Age")).value is None
    assert not safety_radios(app) and not [b for b in app.button if b.label == "Continue"]
    step_forward(app)
    assert errors(app) == ["Please answer your name, your age and your sex before you continue."]
    about_you(app)
    step_forward(app)
    assert step_text(app) == "Step 2 of 3: Safety questions"
    # every safety question, the NG65 questions and the injury question start unanswered
    k = K.knowledge().safety
    n = len(k.red_flags) + len(k.inflammatory.questions) + 1
    radios = safety_radios(app)
    assert len(radios) == n and all(r.value is None and r.index is None for r in radios)
    step_forward(app)
    first = k.red_flags[0].question
    second = k.red_flags[1].question
    assert errors(app) == [f'Please answer {n} safety questions ("{first}"; "{second}" and '
                           f'{n - 2} more) before you continue.']
    answer_safety(app)
    step_forward(app)
    assert step_text(app) == "Step 3 of 3: Pain right now"
    assert next(n for n in app.number_input if n.label.startswith("Pain right now")).value \
        is None
    # the habits and checks are optional, folded, and start "Not answered" / "Not done"
    assert {e.label for e in app.expander} >= {
        "Habits (optional)", "Optional checks that narrow down which muscles limit you"}
    cont(app)
    assert errors(app) == ["Please answer your pain right now before you continue."]
    assert not app.success


def test_answers_are_kept_going_back_and_across_pages(app):
    fill_start(app, name="ana", safety=lambda at: radio_of(
        at, "Is the pain constant").set_value("Yes"))
    next(n for n in app.number_input if n.label.startswith("Pain right now")).set_value(3).run()
    step_back(app)
    assert radio_of(app, "Is the pain constant").value == "Yes"
    assert all(r.value is not None for r in safety_radios(app))
    step_back(app)
    assert next(t for t in app.text_input if t.label.startswith("Name or")).value == "ana"
    assert next(n for n in app.number_input if n.label.startswith("Age")).value == 40
    step_forward(app)
    step_forward(app)
    app.switch_page(PAGE.format("upload")).run()
    app.switch_page(PAGE.format("start")).run()  # back to Start, as the sidebar link does
    assert step_text(app) == "Step 3 of 3: Pain right now"
    assert next(n for n in app.number_input if n.label.startswith("Pain right now")).value == 3
    step_back(app)
    assert radio_of(app, "Is the pain constant").value == "Yes"
    assert all(r.value is not None for r in safety_radios(app))


def test_the_stop_advice_goes_once_an_answer_changes(app):
    fill_start(app, safety=lambda at: radio_of(at, "Do you have cancer now").set_value("Yes"))
    cont(app)
    assert "doctor or your cancer team" in " ".join(errors(app))
    app.switch_page(PAGE.format("upload")).run()
    app.switch_page(PAGE.format("start")).run()
    assert "doctor or your cancer team" in " ".join(errors(app))  # the same answers: still told
    step_back(app)
    radio_of(app, "Do you have cancer now").set_value("No")
    step_forward(app)
    assert not errors(app)  # no stale red banner beside the changed answer


def test_continue_is_refused_until_every_safety_question_is_answered(app):
    about_you(app, name="ana")
    step_forward(app)
    answer_safety(app)
    for r in safety_radios(app):  # take two answers back
        if r.key in ("rf_bowel", "injured"):
            r.set_value(None)
    step_forward(app)
    k = K.knowledge().safety
    bowel = next(q.question for q in k.red_flags if q.id == "bowel")
    assert errors(app) == [f'Please answer 2 safety questions ("{bowel}"; "Did you injure your '
                           'back recently (a strain, a fall, lifting)?") before you continue.']
    assert step_text(app) == "Step 2 of 3: Safety questions"
    next(r for r in safety_radios(app) if r.key == "rf_bowel").set_value("No")
    next(r for r in safety_radios(app) if r.key == "injured").set_value("No")
    step_forward(app)
    next(n for n in app.number_input if n.label.startswith("Pain right now")).set_value(2)
    cont(app)
    assert not app.error and "Choose how to measure" in " ".join(s.value for s in app.success)


@pytest.mark.parametrize("name, expected", [
    ("   ", "Please answer your name before you continue."),
    ("x" * 61, "The name has 61 characters; use at most 60."),
    ("a\x07b", "The name contains control characters; use letters, digits and spaces."),
])
def test_names_are_checked_with_one_sentence(app, name, expected):
    about_you(app, name=name)
    step_forward(app)
    assert errors(app) == [expected]
    assert step_text(app) == "Step 1 of 3: About you"


def test_the_injury_date_shows_only_after_yes(app):
    about_you(app)
    step_forward(app)
    assert not app.date_input and not app.time_input
    radio_of(app, "Did you injure").set_value("Yes").run()
    assert len(app.date_input) == 1 and len(app.time_input) == 1
    answer_safety(app)
    step_forward(app)
    assert errors(app) == ["Please answer the date of the injury before you continue."]
    radio_of(app, "Did you injure").set_value("No").run()
    assert not app.date_input


def test_continue_stores_nobody_and_lists_nobody(app):
    fill_start(app, name="ana")
    cont(app)
    assert "Choose how to measure" in " ".join(s.value for s in app.success)
    assert the_store().people() == []  # a person exists only once a session is saved
    assert not [s for s in app.selectbox if s.label == "Who is testing?"]


def test_a_stored_profile_fills_in_only_for_the_exact_name(app):
    the_store().save_session("bea", Profile(age=63, sex="male", height_cm=181), Screening(),
                             [], assess(Profile(age=63), Screening(), restricted_set()))
    app.run()
    shown = " ".join([w.value for w in app.markdown] + [w.value for w in app.caption])
    assert "bea" not in shown  # never listed
    name = next(t for t in app.text_input if t.label.startswith("Name or nickname"))
    name.set_value("be").run()
    assert next(n for n in app.number_input if n.label.startswith("Age")).value is None
    name.set_value("bea").run()
    assert next(n for n in app.number_input if n.label.startswith("Age")).value == 63
    assert next(s for s in app.selectbox if s.label == "Sex").value == "male"
    assert "Welcome back" in " ".join(c.value for c in app.caption)


def test_severe_pain_stops_end_range_testing(app):
    fill_start(app, pain=9)
    cont(app)
    text = " ".join(w.value for w in app.warning)
    assert "8/10 or more" in text and "Keep moving gently" in text
    assert not app.success


def test_a_minor_strain_days_ago_goes_on_and_night_pain_only_informs(app):
    when = datetime.now() - timedelta(days=4)

    def answers(at):
        radio_of(at, "Is the pain constant").set_value("Yes")
        radio_of(at, "Did you injure").set_value("Yes").run()
        at.date_input[0].set_value(when.date())

    fill_start(app, safety=answers)
    cont(app)
    assert not app.error
    assert "Worth telling your doctor" in " ".join(i.value for i in app.info)
    assert "Choose how to measure" in " ".join(s.value for s in app.success)


def test_a_past_cancer_stops_before_testing(app):
    fill_start(app, safety=lambda at: radio_of(at, "Do you have cancer now").set_value("Yes"))
    cont(app)
    text = " ".join(w.value for w in app.error)
    assert "doctor or your cancer team" in text and not app.success
    assert "No measurement: stopped by the safety questions" in \
        " ".join(m.value for m in app.subheader)


def test_sources_are_links(app):
    fill_start(app, safety=lambda at: radio_of(at, "Is one leg getting weaker").set_value("Yes"))
    cont(app)
    md = " ".join(m.value for m in app.markdown)
    assert "](https://doi.org/10.2519/jospt.2020.9971)" in md  # Finucane 2020, linked
