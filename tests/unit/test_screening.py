"""The safety screening, table-driven (issue 17): each answer set -> the gate it opens.

Categories are data (safety.toml); these tables pin the decisions taken from the cited guidance
(S73 Finucane 2020, S72 NICE CKS, S93 Verhagen 2016, S95 Downie 2013, S94 Boonstra 2016).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from lumbar_rom.clinical import knowledge as K
from lumbar_rom.clinical.engine import Profile, Screening, assess, informs, screen
from tests.fixtures.clinical import restricted_set

NOW = datetime(2026, 11, 25, 10, 0)
DAYS_AGO = NOW - timedelta(days=3)  # an injury past the 72 hours
HOURS_AGO = NOW - timedelta(hours=20)  # an injury inside the 72 hours


def gate(flags=(), pain=None, age=40.0, injury=None):
    """(gate name, the safety texts): "emergency", "urgent", "severe", "acute", "inform" or
    "go", as the Start page would see it."""
    s = Screening(red_flags=dict.fromkeys(flags, True), pain_before=pain)
    p = Profile(age=age, injury=injury)
    a = screen(s, p, NOW)
    if a is None:
        return ("inform" if informs(s, p) else "go"), informs(s, p)
    name = {"severe-pain": "severe", "acute-injury": "acute"}.get(a.status)
    return (name or a.safety[0].topic), a.safety


CASES = [
    # cauda equina signs: emergency, one condition per question
    (["saddle_numbness"], 2, 40, None, "emergency"),
    (["bladder"], 2, 40, None, "emergency"),
    (["bowel"], 2, 40, None, "emergency"),
    (["both_legs"], 2, 40, None, "emergency"),
    (["leg_weakness"], 2, 40, None, "emergency"),
    (["leg_weakness", "fever"], 2, 40, None, "emergency"),  # the strongest category wins
    # urgent stops
    (["major_trauma"], 2, 40, None, "urgent"),
    (["fever"], 2, 40, None, "urgent"),
    (["weight_loss"], 2, 40, None, "urgent"),
    (["iv_drugs"], 2, 40, None, "urgent"),
    (["thoracic_pain"], 2, 40, None, "urgent"),
    (["deformity"], 2, 40, None, "urgent"),
    (["widespread_neuro"], 2, 40, None, "urgent"),
    # a minor strain is the injury question: the 72-hour rule, then go ...
    ([], 2, 40, HOURS_AGO, "acute"),
    ([], 2, 40, DAYS_AGO, "go"),
    # ... unless older, osteoporotic or on steroids: a possible fracture
    ([], 2, 72, DAYS_AGO, "urgent"),
    (["osteoporosis"], 2, 40, DAYS_AGO, "urgent"),
    (["long_term_steroids"], 2, 40, HOURS_AGO, "urgent"),
    # history items inform, alone they never stop
    (["cancer_history"], 2, 40, None, "inform"),
    (["no_improvement"], 2, 40, None, "inform"),
    (["onset_over_50"], 2, 60, None, "inform"),
    (["onset_under_20"], 2, 18, None, "inform"),
    (["night_pain"], 2, 40, None, "inform"),
    (["osteoporosis"], 2, 40, None, "inform"),
    (["long_term_steroids"], 2, 40, None, "inform"),
    (["immune"], 2, 40, None, "inform"),
    ([], 2, 75, None, "go"),  # older age alone, no injury
    # past cancer with another sign stops
    (["cancer_history", "night_pain"], 2, 40, None, "urgent"),
    (["cancer_history", "no_improvement"], 2, 40, None, "urgent"),
    (["cancer_history", "onset_over_50"], 2, 60, None, "urgent"),
    # severe pain (NRS >= 8, S94) stops end-range testing
    ([], 8, 40, None, "severe"),
    ([], 10, 40, None, "severe"),
    ([], 7, 40, None, "go"),
    (["cancer_history"], 9, 40, None, "severe"),
    ([], 9, 40, HOURS_AGO, "severe"),
    (["bladder"], 10, 40, None, "emergency"),  # red flags come first
    # nothing
    ([], 0, 40, None, "go"),
    ([], None, None, None, "go"),
]


@pytest.mark.parametrize("flags, pain, age, injury, expected", CASES)
def test_each_answer_set_opens_its_gate(flags, pain, age, injury, expected):
    assert gate(flags, pain, age, injury)[0] == expected


def test_every_question_is_covered_by_the_table():
    # one question per condition: each question's category is data, and each has a path above
    k = K.knowledge().safety
    assert {q.category for q in k.red_flags} == {"emergency", "urgent", "inform"}
    alone = {c[0][0]: c[4] for c in CASES if len(c[0]) == 1 and c[3] is None and c[1] == 2}
    assert {q.id: q.category for q in k.red_flags} == alone


def test_a_stop_names_the_answers_and_the_guidance():
    name, safety = gate(["major_trauma", "cancer_history"])
    assert name == "urgent"
    assert "see your doctor" in safety[0].text
    assert [s.topic for s in safety[1:]] == ["major_trauma", "cancer_history"]
    assert all(s.source for s in safety)


def test_minor_injury_with_fracture_risk_says_why():
    _, safety = gate([], 2, 72, DAYS_AGO)
    assert any(s.topic == "minor_trauma_fracture_risk" and "break a bone" in s.text
               for s in safety)


def test_severe_pain_offers_gentle_movement_and_when_to_seek_care():
    name, safety = gate([], 9)
    text = " ".join(s.text for s in safety)
    assert name == "severe"
    assert "Keep moving gently" in text and "medical advice" in text
    assert "S94" in safety[0].source


def test_inform_answers_reach_the_complete_assessment():
    a = assess(Profile(age=40), Screening(red_flags={"cancer_history": True}, pain_before=3),
               restricted_set(), now=NOW)
    assert a.status == "complete" and a.plan
    assert a.safety[0].topic == "inform" and "Worth telling your doctor" in a.safety[0].text
    assert a.safety[1].topic == "cancer_history"


def test_acute_care_follows_peace_and_love():
    care = K.knowledge().safety.acute.care
    assert "control inflammation" not in care
    assert "avoiding anti-inflammatory" in care and "evidence for ice is weak" in care


def test_the_engine_has_no_question_ids():
    import inspect

    from lumbar_rom.clinical import engine

    code = inspect.getsource(engine)
    assert not [q.id for q in K.knowledge().safety.red_flags if f'"{q.id}"' in code]


def test_the_validator_catches_a_bad_category_and_an_unknown_rule_name():
    t = {name: K.raw(name) for name in K.FILES}
    safety = dict(t["safety"])
    safety["red_flags"] = [*safety["red_flags"][:-1], {**safety["red_flags"][-1],
                                                         "category": "maybe"}]
    safety["rules"] = [{**safety["rules"][0], "any": ["no_such_answer"]}]
    with pytest.raises(K.KnowledgeError) as err:
        K.build({**t, "safety": safety})
    assert "category 'maybe'" in str(err.value) and "no_such_answer" in str(err.value)


def test_the_text_summary_names_each_gate():
    from lumbar_rom.clinical.summary import summary_text

    severe = screen(Screening(pain_before=9), Profile(), NOW)
    assert summary_text(severe).startswith("NO END-RANGE TEST TODAY (pain 8/10 or more)")
    informed = assess(Profile(), Screening(red_flags={"no_improvement": True}), restricted_set(),
                      now=NOW)
    assert "WORTH TELLING YOUR DOCTOR" in summary_text(informed)
