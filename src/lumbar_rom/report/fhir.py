"""An assessment as a FHIR Bundle (``collection``) with one Observation per motion measured.

Built and validated with ``fhir.resources``' R4B models (``fhir.resources.R4B``; the package's
default models are R5). R4B (4.3.0) changed nothing in Bundle, Observation, Quantity, Coding or
Reference against R4 (4.0.1), so the JSON is valid R4 for the elements used here.

A stopped or deferred session (red flag, severe pain, injury under 72 hours) gives one
Observation instead, ``status`` ``cancelled`` with ``dataAbsentReason`` ``not-performed`` and the
headline ("No measurement: severe pain 9/10.") (:func:`stopped_observation`).

Each Observation (decision status "not tested" gives none):

- ``status`` ``final``; ``category`` ``exam`` (observation-category); ``code``: the motion
  (``MOTION_SYSTEM`` coding) with the construct measured as text ("forward bend of the trunk
  (hips and spine together)", "trunk rotation to the left, seated (mostly the upper back)"): no
  LOINC code for a camera-measured whole-trunk angle was confirmed; ``subject``:
  ``Patient/<patient id>``; ``effectiveDateTime``.
- ``valueQuantity``: degrees, UCUM ``deg``. Its 95 % uncertainty ``u`` goes on the quantity as the
  core extensions ``iso21090-uncertainty`` (a standard deviation, ``u / 1.96``) and
  ``iso21090-uncertaintyType`` ``N`` (normal distribution), and in words in ``note``
  (``value +/- u (95 %, low-high)``). Without a value: ``dataAbsentReason`` (``unknown`` for an
  untrustworthy trial, ``not-performed`` for a motion stopped by pain).
- ``interpretation``: the decision as HL7 v3 ObservationInterpretation (``INTERPRETATION``:
  normal N, restricted L, more than typical H, inconclusive and borderline IND; pain-limited and
  no decision have no v3 code and are sent as text only), with the value's centile in words
  ("about the 8th centile for a 45-year-old woman"); the decision's explanation in ``note``.
- ``referenceRange``: the cited reference interval for the person's age, from the 5th to the
  95th centile of the reference distribution (``norms.toml``), ``type`` normal, ``appliesTo``
  none, ``age`` the person's age, and as text the construct, the centiles, mean and SD, DERIVED
  or not, and the source. None without an age (no decision was made). Never norm +/- MDC: the
  MDC is a statistic of change, kept in the explanation of asymmetry and progress.
- ``method``: markerless video pose estimation, text with the software version and model SHA-256.
- ``bodySite``: SNOMED CT 22943007 "Trunk structure", with the construct as text (the camera
  measures the whole trunk: hips and spine, or the upper back for rotation; never "lumbar spine").

In plain words for the reader of the record: the person's angle is compared with people of the
same age without back pain; "restricted" means the whole measurement band (the camera's error
and the spread of the repetitions) lies below the 5th centile -- fewer than 5 in 100 such people
bend less; "borderline" means the band straddles it.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from lumbar_rom import __version__

UCUM = "http://unitsofmeasure.org"
SNOMED = "http://snomed.info/sct"
V3_INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
OBS_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
DATA_ABSENT = "http://terminology.hl7.org/CodeSystem/data-absent-reason"
RANGE_MEANING = "http://terminology.hl7.org/CodeSystem/referencerange-meaning"
UNCERTAINTY = "http://hl7.org/fhir/StructureDefinition/iso21090-uncertainty"
UNCERTAINTY_TYPE = "http://hl7.org/fhir/StructureDefinition/iso21090-uncertaintyType"
MOTION_SYSTEM = "urn:lumbar-rom:motion"  # lumbar-rom's own motion names (flexion, ...)
TRUNK = {"system": SNOMED, "code": "22943007", "display": "Trunk structure"}
Z95 = 1.96  # a 95 % half-width over the standard deviation of a normal distribution

# decision status -> (v3 ObservationInterpretation code, display); None: text only
INTERPRETATION: dict[str, tuple[str, str] | None] = {
    "normal": ("N", "Normal"),
    "restricted": ("L", "Low"),
    "more than typical": ("H", "High"),
    "above normal": ("H", "High"),  # sessions stored before issue 26
    "borderline": ("IND", "Indeterminate"),
    "inconclusive": ("IND", "Indeterminate"),
    "pain-limited": None,
    "no decision": None,
}
ABSENT = {"pain-limited": ("not-performed", "Not Performed")}  # default: unknown
METHOD_TEXT = ("Markerless video pose estimation (MediaPipe BlazePose GHUM): inclination of the "
               "mid-hip to mid-shoulder line from neutral (whole trunk: hips and spine; seated "
               "rotation read from the arms), mean of the end-range peaks of consistent "
               "repetitions (within the larger of 5 deg and 10 % of their mean)")


def _number(x: Any) -> float | None:
    if x is None:
        return None
    x = float(x)
    return x if x == x else None


def _when(effective: datetime | str | None) -> str:
    if effective is None:
        t = datetime.now(UTC)
    elif isinstance(effective, str):
        t = datetime.fromisoformat(effective)
    else:
        t = effective
    if t.tzinfo is None:  # stored times are local: say so
        t = t.astimezone()
    return t.isoformat(timespec="seconds")


def observation(decision: dict[str, Any], patient_ref: str, effective: str,
                method_text: str) -> dict[str, Any]:
    """One decision of ``Assessment.to_dict()["decisions"]`` as an Observation (JSON dict)."""
    status = decision["status"]
    v, u = _number(decision.get("value_deg")), _number(decision.get("uncertainty_deg"))
    notes = [decision.get("explanation", "")]
    obs: dict[str, Any] = {
        "resourceType": "Observation",
        "id": str(uuid.uuid4()),
        "status": "final",
        "category": [{"coding": [{"system": OBS_CATEGORY, "code": "exam", "display": "Exam"}]}],
        "code": {"coding": [{"system": MOTION_SYSTEM, "code": decision["movement"],
                             "display": decision["label"]}],
                 "text": f"{decision['label']}: {decision.get('construct') or 'trunk motion'}"},
        "subject": {"reference": patient_ref},
        "effectiveDateTime": effective,
        "bodySite": {"coding": [TRUNK], "text": decision.get("construct") or "Trunk"},
        "method": {"text": method_text},
    }
    if v is not None:
        quantity: dict[str, Any] = {"value": round(v, 1), "unit": "deg", "system": UCUM,
                                    "code": "deg"}
        if u is not None:
            quantity["extension"] = [
                {"url": UNCERTAINTY, "valueDecimal": round(u / Z95, 2)},
                {"url": UNCERTAINTY_TYPE, "valueCode": "N"},
            ]
            notes.insert(0, f"{v:.1f} deg +/- {u:.1f} (95 %, {v - u:.1f}-{v + u:.1f} deg).")
        obs["valueQuantity"] = quantity
    else:
        code, display = ABSENT.get(status, ("unknown", "Unknown"))
        obs["dataAbsentReason"] = {"coding": [{"system": DATA_ABSENT, "code": code,
                                               "display": display}]}
    interp = INTERPRETATION.get(status)
    words = decision.get("centile_text") or ""
    text = f"{status}; {words}" if words else status
    obs["interpretation"] = [
        {"coding": [{"system": V3_INTERPRETATION, "code": interp[0], "display": interp[1]}],
         "text": text} if interp is not None else {"text": text}]
    ref = _reference_range(decision)
    if ref is not None:
        obs["referenceRange"] = [ref]
    if decision.get("statistics"):
        notes.append(str(decision["statistics"]))
    obs["note"] = [{"text": t} for t in notes if t]
    return obs


def stopped_observation(assessment: dict[str, Any], patient_ref: str, effective: str,
                        method_text: str) -> dict[str, Any]:
    """A stopped or deferred session (no measurement) as one Observation: ``status``
    ``cancelled``, ``dataAbsentReason`` ``not-performed``, the headline ("No measurement: severe
    pain 9/10.", "Deferred: injury under 72 hours, re-test after ...") as ``valueString`` and
    the safety texts in ``note``. A receiving system never reads it as "nothing restricted"."""
    from lumbar_rom.clinical.engine import Assessment
    from lumbar_rom.clinical.summary import headline

    line = headline(Assessment.from_dict(assessment))
    notes = [line] + [str(x.get("text", "")) for x in assessment.get("safety", [])]
    return {
        "resourceType": "Observation",
        "id": str(uuid.uuid4()),
        "status": "cancelled",
        "category": [{"coding": [{"system": OBS_CATEGORY, "code": "exam", "display": "Exam"}]}],
        "code": {"coding": [{"system": MOTION_SYSTEM, "code": "assessment",
                             "display": "Trunk range of motion assessment"}],
                 "text": "Trunk range of motion assessment: not performed"},
        "subject": {"reference": patient_ref},
        "effectiveDateTime": effective,
        "bodySite": {"coding": [TRUNK], "text": "Trunk"},
        "method": {"text": method_text},
        "dataAbsentReason": {"coding": [{"system": DATA_ABSENT, "code": "not-performed",
                                         "display": "Not Performed"}], "text": line},
        "note": [{"text": t} for t in notes if t],
    }


def _reference_range(decision: dict[str, Any]) -> dict[str, Any] | None:
    """The cited reference interval (5th-95th centile for the person's age), or None without
    one (no age given, or a session stored before issue 26)."""
    lo, hi = _number(decision.get("threshold_deg")), _number(decision.get("upper_deg"))
    if lo is None or hi is None:
        return None
    mean, sd = _number(decision.get("norm_deg")), _number(decision.get("sd_deg"))
    derived = " DERIVED (worked out from related studies)," if decision.get("derived") else ""
    return {
        "low": {"value": round(lo, 1), "unit": "deg", "system": UCUM, "code": "deg"},
        "high": {"value": round(hi, 1), "unit": "deg", "system": UCUM, "code": "deg"},
        "type": {"coding": [{"system": RANGE_MEANING, "code": "normal",
                             "display": "Normal Range"}]},
        "text": (f"Reference interval, 5th-95th centile, for "
                 f"{decision.get('construct') or decision.get('label', '')}: people of the "
                 f"same age without back pain (mean {mean or 0:.0f} deg, SD {sd or 0:.1f});"
                 f"{derived} source {decision.get('norm_source', '')}."),
    }


def assessment_bundle(assessment: dict[str, Any], patient_id: str, *,
                      effective: datetime | str | None = None,
                      software_version: str = __version__, model_sha256: str = "",
                      ) -> dict[str, Any]:
    """``Assessment.to_dict()`` -> a validated FHIR R4 Bundle (JSON dict, ``collection``).

    ``patient_id``: the id of the Patient on the receiving FHIR server (the Observations
    reference ``Patient/<patient_id>``); ``effective``: when the session was measured (default:
    now; a naive time is taken as local).

    Raises
    ------
    ValueError : an empty ``patient_id``, or a result the FHIR models reject.
    """
    from fhir.resources.R4B.bundle import Bundle

    if not str(patient_id).strip():
        raise ValueError("A FHIR export needs the patient's id on the receiving server.")
    when = _when(effective)
    method = f"{METHOD_TEXT}; lumbar-rom {software_version}" + (
        f", pose model SHA-256 {model_sha256}" if model_sha256 else "")
    entries = []
    if assessment.get("status", "complete") != "complete":
        obs = stopped_observation(assessment, f"Patient/{patient_id}", when, method)
        entries.append({"fullUrl": f"urn:uuid:{obs['id']}", "resource": obs})
    for d in assessment.get("decisions", []):
        if d["status"] == "not tested":
            continue
        obs = observation(d, f"Patient/{patient_id}", when, method)
        entries.append({"fullUrl": f"urn:uuid:{obs['id']}", "resource": obs})
    bundle = {"resourceType": "Bundle", "id": str(uuid.uuid4()), "type": "collection",
              "timestamp": _when(None), "entry": entries}
    validated = Bundle.model_validate(bundle)  # raises pydantic.ValidationError (a ValueError)
    return json.loads(validated.model_dump_json(exclude_none=True))


def session_bundle(row: Any, patient_id: str) -> dict[str, Any]:
    """A stored session (``history.models.SessionRow``) as a FHIR Bundle."""
    return assessment_bundle(row.assessment, patient_id, effective=row.started_at,
                             software_version=row.software_version or __version__,
                             model_sha256=row.model_sha256)
