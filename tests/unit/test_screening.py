"""The safety screening, table-driven (issues 17 and 27): each answer set -> the gate it opens.

Categories are data (safety.toml); these tables pin the decisions taken from the cited guidance
(S96 GIRFT cauda equina pathway, S73 Finucane 2020, S72 NICE CKS, S97 NICE NG234, S93 Verhagen
2016, S95 Downie 2013, S94 Boonstra 2016, S98 NICE NG65, S99 NICE NG59).
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
    (["urine_sensation"], 2, 40, None, "emergency"),
    (["sexual_dysfunction"], 2, 40, None, "emergency"),
    (["both_legs"], 2, 40, None, "emergency"),  # new or worsening in both legs
    (["both_legs_weakness"], 2, 40, None, "emergency"),
    (["both_legs_weakness", "fever"], 2, 40, None, "emergency"),  # the strongest category wins
    # one leg getting weaker is a nerve root: urgent, not an emergency ...
    (["leg_weakness"], 2, 40, None, "urgent"),
    # ... unless a bladder, bowel or saddle sign comes with it
    (["leg_weakness", "saddle_numbness"], 2, 40, None, "emergency"),
    # urgent stops
    (["major_trauma"], 2, 40, None, "urgent"),
    (["fever"], 2, 40, None, "urgent"),
    (["weight_loss"], 2, 40, None, "urgent"),
    (["iv_drugs"], 2, 40, None, "urgent"),
    (["thoracic_pain"], 2, 40, None, "urgent"),
    (["deformity"], 2, 40, None, "urgent"),
    (["widespread_neuro"], 2, 40, None, "urgent"),
    # cancer now or in the past: a doctor or the cancer team first, at any age (S97, S95)
    (["cancer_history"], 2, 40, None, "urgent"),
    (["cancer_history"], 2, 25, None, "urgent"),
    # infection: spinal surgery or injection stops; a recent infection or feeling unwell
    # alone informs, together (or with a weakened immune system) they stop
    (["spinal_procedure"], 2, 40, None, "urgent"),
    (["recent_infection"], 2, 40, None, "inform"),
    (["unwell"], 2, 40, None, "inform"),
    (["recent_infection", "unwell"], 2, 40, None, "urgent"),
    (["recent_infection", "immune"], 2, 40, None, "urgent"),
    (["unwell", "immune"], 2, 40, None, "urgent"),
    # a minor strain is the injury question: the 72-hour rule, then go ...
    ([], 2, 40, HOURS_AGO, "acute"),
    ([], 2, 40, DAYS_AGO, "go"),
    # ... unless older, osteoporotic or on steroids: a possible fracture
    ([], 2, 72, DAYS_AGO, "urgent"),
    (["osteoporosis"], 2, 40, DAYS_AGO, "urgent"),
    (["vertebral_fracture"], 2, 40, DAYS_AGO, "urgent"),
    (["long_term_steroids"], 2, 40, HOURS_AGO, "urgent"),
    # history items inform, alone they never stop
    (["no_improvement"], 2, 40, None, "inform"),
    (["onset_over_50"], 2, 60, None, "inform"),
    (["onset_under_20"], 2, 18, None, "inform"),
    (["night_pain"], 2, 40, None, "inform"),
    (["osteoporosis"], 2, 40, None, "inform"),
    (["vertebral_fracture"], 2, 40, None, "inform"),
    (["long_term_steroids"], 2, 40, None, "inform"),
    (["immune"], 2, 40, None, "inform"),
    ([], 2, 75, None, "go"),  # older age alone, no injury
    # severe pain (NRS >= 8, S94) stops end-range testing
    ([], 8, 40, None, "severe"),
    ([], 10, 40, None, "severe"),
    ([], 7, 40, None, "go"),
    (["no_improvement"], 9, 40, None, "severe"),
    (["cancer_history"], 9, 40, None, "urgent"),  # a red flag comes before severe pain
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
    alone = {c[0][0]: c[4] for c in CASES if len(c[0]) == 1 and c[3] is None and c[1] == 2
             and c[2] != 25}
    assert {q.id: q.category for q in k.red_flags} == alone


def test_a_stop_names_the_answers_and_the_guidance():
    name, safety = gate(["major_trauma", "cancer_history"])
    assert name == "urgent"
    assert "see your doctor" in safety[0].text
    assert [s.topic for s in safety[1:]] == ["major_trauma", "cancer_history"]
    assert all(s.source for s in safety)


def test_a_past_cancer_says_speak_to_the_doctor_or_cancer_team_with_its_guideline():
    _, safety = gate(["cancer_history"], age=30)
    cancer = next(s for s in safety if s.topic == "cancer_history")
    assert "doctor or your cancer team before testing or stretching" in cancer.text
    assert "S97" in cancer.source  # NICE NG234
    assert "S97" in K.sources_for(cancer.source)[0].key
    assert "ng234" in K.sources_for(cancer.source)[0].url


def test_one_leg_weakness_is_a_nerve_root_and_says_when_it_becomes_an_emergency():
    name, safety = gate(["leg_weakness"])
    text = next(s.text for s in safety if s.topic == "leg_weakness")
    assert name == "urgent" and "nerve root" in text and "emergency department" in text


def test_both_legs_asks_about_new_symptoms_only():
    q = next(q for q in K.knowledge().safety.red_flags if q.id == "both_legs")
    assert "last 2 weeks" in q.question and "Long-standing" in q.question


def test_every_question_has_a_category_and_a_guideline_or_primary_source():
    kinds = {"guideline", "primary study", "systematic review"}
    for q in K.knowledge().safety.red_flags:
        found = K.sources_for(q.source)
        assert found and any(s.kind in kinds for s in found), q.id


def test_an_emergency_stop_is_not_softened():
    from lumbar_rom.clinical.summary import summary_text

    text = summary_text(screen(Screening(red_flags={"bladder": True}), Profile(), NOW))
    assert "emergency department now" in text and "If in doubt" not in text


def ng65(criteria=(), entry=("ibp_onset_before_45", "ibp_over_3_months"), extra=()):
    from lumbar_rom.clinical.engine import inflammatory_screen

    flags = dict.fromkeys((*entry, *criteria, *extra), True)
    return [a.topic for a in inflammatory_screen(Screening(red_flags=flags))]


def test_the_ng65_rule_as_written():
    i = K.knowledge().safety.inflammatory
    assert i.refer_at == 4 and i.blood_test_at == 3 and len(i.criteria) == 9
    four = i.criteria[:4]
    assert ng65(four) == ["inflammatory_refer", "basmi_context"]
    assert ng65(i.criteria) == ["inflammatory_refer", "basmi_context"]
    assert ng65(four[:3]) == ["inflammatory_blood_test", "basmi_context"]
    assert ng65(four[:2]) == []
    assert ng65(four, entry=("ibp_onset_before_45",)) == []  # not more than 3 months
    assert ng65(four[:2], extra=("ibp_uveitis",)) == ["inflammatory_watch"]
    assert ng65((), entry=(), extra=("ibp_ibd",)) == ["inflammatory_watch"]


def test_the_ng65_advice_never_stops_the_test_and_reaches_the_assessment():
    i = K.knowledge().safety.inflammatory
    flags = dict.fromkeys(("ibp_onset_before_45", "ibp_over_3_months", *i.criteria[:5]), True)
    a = assess(Profile(age=30), Screening(red_flags=flags, pain_before=3), restricted_set(),
               now=NOW)
    assert a.status == "complete"
    refer = next(s for s in a.safety if s.topic == "inflammatory_refer")
    assert "rheumatologist" in refer.text and "5 of its 9" in refer.text and "S98" in refer.source


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
    a = assess(Profile(age=40), Screening(red_flags={"night_pain": True}, pain_before=3),
               restricted_set(), now=NOW)
    assert a.status == "complete" and a.plan
    assert a.safety[0].topic == "inform" and "Worth telling your doctor" in a.safety[0].text
    assert a.safety[1].topic == "night_pain"


def test_acute_care_follows_nice_ng59():
    s = K.knowledge().safety
    care = s.acute.care
    assert "control inflammation" not in care and "avoiding anti-inflammatory" not in care
    assert "keep gently active" in care and "may suggest an anti-inflammatory (NSAID)" in care
    assert "evidence for ice is weak" in care
    assert "S99" in s.acute.source and "ng59" in K.sources_for("S99")[0].url
    for text in (care, s.severity.care):  # no "rest" after "avoid bed rest"
        after = text.lower().split("bed rest", 1)[1]
        assert " rest" not in after and "rest," not in after


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
    assert summary_text(severe).startswith("NO MEASUREMENT: SEVERE PAIN 9/10.")
    acute = screen(Screening(pain_before=2), Profile(injury=HOURS_AGO), NOW)
    retest = HOURS_AGO + timedelta(hours=72)
    assert summary_text(acute).startswith("DEFERRED: INJURY UNDER 72 HOURS, RE-TEST AFTER "
                                          f"{retest:%Y-%m-%d %H:%M}")
    informed = assess(Profile(), Screening(red_flags={"no_improvement": True}), restricted_set(),
                      now=NOW)
    assert "WORTH TELLING YOUR DOCTOR" in summary_text(informed)


def test_nothing_measured_never_reads_as_nothing_restricted():
    from lumbar_rom.clinical.summary import summary_text

    text = summary_text(assess(Profile(), Screening(pain_before=2), [], now=NOW))
    assert "No motion was measured: no stretching advice." in text
    assert "measured as normal" not in text
