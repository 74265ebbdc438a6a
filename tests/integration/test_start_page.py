"""The Start page (issues 16 and 17), driven with AppTest: nothing pre-filled, inputs checked
with one sentence, the injury date only after "Yes", nobody's name listed, nobody stored on
Continue, the new screening gates."""

from datetime import datetime, timedelta

import pytest

from lumbar_rom.clinical.engine import Profile, Screening, assess
from tests.fixtures.clinical import fill_start, restricted_set

pytestmark = pytest.mark.slow


def cont(at):
    next(b for b in at.button if b.label == "Continue").click().run()
    assert not at.exception
    return at


def errors(at):
    return [e.value for e in at.error]


def labels(at, kind):
    return [w.label for w in getattr(at, kind)]


def the_store():
    from lumbar_rom.app.state import store

    return store()


def test_nothing_is_pre_filled_and_continue_asks_for_the_answers(app):
    name = next(t for t in app.text_input if t.label.startswith("Name or nickname"))
    assert name.value == ""
    assert next(s for s in app.selectbox if s.label == "Sex").value is None
    assert next(n for n in app.number_input if n.label.startswith("Pain right now")).value \
        is None
    assert next(n for n in app.number_input if n.label.startswith("Age")).value is None
    cont(app)
    assert errors(app) == ["Please answer your name, your age, your sex and your pain right now "
                           "before you continue."]
    assert not app.success


@pytest.mark.parametrize("name, expected", [
    ("   ", "Please answer your name before you continue."),
    ("x" * 61, "The name has 61 characters; use at most 60."),
    ("a\x07b", "The name contains control characters; use letters, digits and spaces."),
])
def test_names_are_checked_with_one_sentence(app, name, expected):
    fill_start(app, name=name)
    cont(app)
    assert errors(app) == [expected]


def test_the_injury_date_shows_only_after_yes(app):
    assert not app.date_input and not app.time_input
    next(r for r in app.radio if r.label.startswith("Did you injure")).set_value("Yes").run()
    assert len(app.date_input) == 1 and len(app.time_input) == 1
    fill_start(app)
    cont(app)
    assert errors(app) == ["Please answer the date of the injury before you continue."]
    next(r for r in app.radio if r.label.startswith("Did you injure")).set_value("No").run()
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


def test_a_minor_strain_days_ago_goes_on_but_a_past_cancer_only_informs(app):
    next(r for r in app.radio if r.label.startswith("Have you ever had cancer")).set_value("Yes")
    next(r for r in app.radio if r.label.startswith("Did you injure")).set_value("Yes").run()
    when = datetime.now() - timedelta(days=4)
    app.date_input[0].set_value(when.date())
    fill_start(app)
    cont(app)
    assert not app.error
    assert "Worth telling your doctor" in " ".join(i.value for i in app.info)
    assert "Choose how to measure" in " ".join(s.value for s in app.success)


def test_sources_are_links(app):
    next(r for r in app.radio if r.label.startswith("Is a leg getting weaker")).set_value("Yes")
    fill_start(app)
    cont(app)
    md = " ".join(m.value for m in app.markdown)
    assert "](https://doi.org/10.2519/jospt.2020.9971)" in md  # Finucane 2020, linked
