"""Issue 26 in the app (AppTest): an answer that pain stopped a motion (alone or with stiffness),
or that it hurt in the leg, makes that motion pain-limited: no stretch, gentle-movement advice
and a suggestion to have it assessed; the results name the construct and the centile."""

import pytest

from tests.fixtures.app import PAGE, screened, texts
from tests.fixtures.clinical import trial

pytestmark = pytest.mark.slow


def plan_names(app):
    return texts(app)


@pytest.mark.parametrize("limit", ["pain", "both"])
def test_pain_stopped_it_answer_removes_the_stretch(app, limit):
    screened(app)  # a 40-year-old woman (tests/fixtures/clinical.py START_ANSWERS)
    v = app.session_state["visit"]
    v.trials["flexion"] = trial("flexion", 40.0, 3)  # far below the 5th centile at 40
    app.switch_page(PAGE.format("results")).run()
    assert not app.exception
    body = texts(app)
    assert "Forward bending (flexion): **restricted**" in body
    assert "centile for a 40-year-old woman" in body
    assert "forward bend of the trunk (hips and spine together)" in " ".join(
        c.value for c in app.caption)
    assert "Knees to chest" in body  # a restricted, stiff forward bend gets its stretches
    app.radio(key="tp_flexion_hurt").set_value("yes").run()
    app.selectbox(key="tp_flexion_limit").set_value(limit).run()
    assert not app.exception
    body = texts(app)
    assert "Forward bending (flexion): **pain-limited**" in body
    assert "Knees to chest" not in body
    assert "gently" in body and "assessed" in body


def test_leg_pain_answer_makes_the_motion_pain_limited(app):
    screened(app)
    v = app.session_state["visit"]
    v.trials["flexion"] = trial("flexion", 40.0, 3)
    app.switch_page(PAGE.format("results")).run()
    app.radio(key="tp_flexion_hurt").set_value("yes").run()
    app.multiselect(key="tp_flexion_where").set_value(["leg"]).run()
    app.selectbox(key="tp_flexion_limit").set_value("stiffness").run()
    assert not app.exception
    body = texts(app)
    assert "Forward bending (flexion): **pain-limited**" in body and "Knees to chest" not in body
