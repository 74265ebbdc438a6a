"""Questionnaire answers as FHIR R4 resources (issue 30): one ``QuestionnaireResponse`` per
answered instrument and one ``Observation`` with its score ``derivedFrom`` it, in a
``collection`` Bundle validated with ``fhir.resources``' R4B models (as report/fhir.py does).

- ``QuestionnaireResponse``: ``questionnaire`` = ``urn:lumbar-rom:questionnaire:<id>`` (no
  published FHIR Questionnaire of these instruments was confirmed); ``status`` ``completed``;
  ``subject`` ``Patient/<id>``; ``authored``; one ``item`` per answer with the item id as
  ``linkId``, the item's wording (or, when the licence does not allow bundling it, its topic) as
  ``text`` and ``valueInteger``. PSFS: ``linkId`` ``activity-1``..., the person's activity as
  ``text``.
- ``Observation``: ``code`` = the instrument (``urn:lumbar-rom:questionnaire`` system, its name
  as text), ``valueQuantity`` the score (UCUM ``{score}``); STarT Back adds the psychosocial
  subscale as a ``component`` and the risk group in ``interpretation`` text; ``note`` the scoring
  rule and the MIC with its source.

Wiring (next session): report/fhir.py's session export appends these entries for the session's
stored responses; the CLI's ``export --fhir`` and the app's download get them for free.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from lumbar_rom.clinical.questionnaires import Score, instrument

__all__ = ["QUESTIONNAIRE_SYSTEM", "questionnaire_bundle", "questionnaire_response",
           "score_observation"]

QUESTIONNAIRE_SYSTEM = "urn:lumbar-rom:questionnaire"
UCUM = "http://unitsofmeasure.org"
OBS_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"


def _when(t: datetime) -> str:
    return (t if t.tzinfo else t.astimezone()).isoformat(timespec="seconds")


def questionnaire_response(score: Score, patient_id: str, authored: datetime) -> dict[str, Any]:
    """The answers of ``score`` (a scored :class:`Response`) as a QuestionnaireResponse dict."""
    inst = instrument(score.instrument)
    items = []
    if inst.answer == "activity":
        for k, (name, v) in enumerate(score.answers.items(), 1):
            items.append({"linkId": f"activity-{k}", "text": name,
                          "answer": [{"valueInteger": int(v)}]})
    else:
        for it in inst.items:
            items.append({"linkId": it.id, "text": it.text or it.topic,
                          "answer": [{"valueInteger": int(score.answers[it.id])}]})
    return {"resourceType": "QuestionnaireResponse", "id": str(uuid.uuid4()),
            "questionnaire": f"{QUESTIONNAIRE_SYSTEM}:{inst.id}", "status": "completed",
            "subject": {"reference": f"Patient/{patient_id}"}, "authored": _when(authored),
            "item": items}


def score_observation(score: Score, response_id: str, patient_id: str, authored: datetime
                      ) -> dict[str, Any]:
    """The score of ``score`` as an Observation derived from QuestionnaireResponse
    ``response_id``."""
    inst = instrument(score.instrument)
    code = {"coding": [{"system": QUESTIONNAIRE_SYSTEM, "code": inst.id,
                        "display": inst.name}], "text": inst.name}
    obs: dict[str, Any] = {
        "resourceType": "Observation", "id": str(uuid.uuid4()), "status": "final",
        "category": [{"coding": [{"system": OBS_CATEGORY, "code": "survey",
                                  "display": "Survey"}]}],
        "code": code, "subject": {"reference": f"Patient/{patient_id}"},
        "effectiveDateTime": _when(authored),
        "valueQuantity": {"value": score.value, "unit": "score", "system": UCUM,
                          "code": "{score}"},
        "derivedFrom": [{"reference": f"QuestionnaireResponse/{response_id}"}],
        "note": [{"text": f"{inst.scoring_text} Minimal important change: "
                          f"{inst.mic_measured} ({inst.mic_source})."}],
    }
    if score.subscale is not None:
        obs["component"] = [{"code": {"text": "psychosocial subscale (items 5-9)"},
                             "valueQuantity": {"value": score.subscale, "unit": "score",
                                               "system": UCUM, "code": "{score}"}}]
    if score.risk is not None:
        obs["interpretation"] = [{"text": f"{score.risk} risk"}]
    return obs


def questionnaire_bundle(scores: Sequence[Score], patient_id: str, authored: datetime
                         ) -> dict[str, Any]:
    """A validated ``collection`` Bundle: per score its QuestionnaireResponse and Observation.
    Raises ``ValueError`` for an empty ``patient_id`` or a resource the FHIR models reject."""
    from fhir.resources.R4B.bundle import Bundle

    if not str(patient_id).strip():
        raise ValueError("A FHIR export needs the patient's id on the receiving server.")
    entries = []
    for s in scores:
        qr = questionnaire_response(s, patient_id, authored)
        obs = score_observation(s, qr["id"], patient_id, authored)
        entries += [{"fullUrl": f"urn:uuid:{r['id']}", "resource": r} for r in (qr, obs)]
    bundle = {"resourceType": "Bundle", "id": str(uuid.uuid4()), "type": "collection",
              "timestamp": _when(authored), "entry": entries}
    validated = Bundle.model_validate(bundle)
    return json.loads(validated.model_dump_json(exclude_none=True))
