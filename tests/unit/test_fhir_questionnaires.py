"""Questionnaire answers as FHIR QuestionnaireResponse + Observation (issue 30)."""

from datetime import UTC, datetime

import pytest

from lumbar_rom.clinical import questionnaires as Q
from lumbar_rom.report.fhir_questionnaires import questionnaire_bundle

WHEN = datetime(2026, 12, 7, 10, 30, tzinfo=UTC)


def scores():
    rm = Q.item_ids("rmdq")
    sb = {f"sbst{i}": int(i in (5, 6, 7)) for i in range(1, 9)} | {"sbst9": 4}
    return [Q.score(Q.Response("rmdq", {i: int(k < 7) for k, i in enumerate(rm)})),
            Q.score(Q.Response("psfs", {"walking": 4, "gardening": 6})),
            Q.score(Q.Response("peg", {"peg_p": 5, "peg_e": 4, "peg_g": 6})),
            Q.score(Q.Response("start_back", sb))]


def test_bundle_validates_and_links_each_score_to_its_answers():
    b = questionnaire_bundle(scores(), "p-1", WHEN)
    res = [e["resource"] for e in b["entry"]]
    assert [r["resourceType"] for r in res] == ["QuestionnaireResponse", "Observation"] * 4
    qr_rm, obs_rm = res[0], res[1]
    assert qr_rm["questionnaire"] == "urn:lumbar-rom:questionnaire:rmdq"
    assert len(qr_rm["item"]) == 24 and qr_rm["item"][0]["linkId"] == "rmdq01"
    assert sum(i["answer"][0]["valueInteger"] for i in qr_rm["item"]) == 7
    assert obs_rm["valueQuantity"]["value"] == 7
    assert obs_rm["derivedFrom"][0]["reference"] == f"QuestionnaireResponse/{qr_rm['id']}"
    psfs = res[2]
    assert [(i["linkId"], i["text"]) for i in psfs["item"]] == [("activity-1", "walking"),
                                                              ("activity-2", "gardening")]
    assert res[3]["valueQuantity"]["value"] == 5.0
    peg_items = res[4]["item"]
    # the PEG's wording is not bundled: each item carries its topic instead
    assert [i["text"] for i in peg_items] == [it.topic for it in Q.instrument("peg").items]
    sb_obs = res[7]
    assert sb_obs["valueQuantity"]["value"] == 4  # items 5, 6, 7 and item 9 "extremely"
    assert sb_obs["component"][0]["valueQuantity"]["value"] == 4
    assert sb_obs["interpretation"][0]["text"] == "high risk"


def test_empty_patient_id_is_refused():
    with pytest.raises(ValueError, match="patient's id"):
        questionnaire_bundle(scores(), " ", WHEN)
