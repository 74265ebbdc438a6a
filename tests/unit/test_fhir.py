"""FHIR export: a real assessment (the engine on synthetic trials) as an R4 Bundle, read back and
validated by fhir.resources (R4B models, identical to R4 for these resources)."""

import json
from datetime import datetime
from statistics import NormalDist

import pytest

pytest.importorskip("fhir.resources")
from fhir.resources.R4B.bundle import Bundle  # noqa: E402
from fhir.resources.R4B.observation import Observation  # noqa: E402

from lumbar_rom.clinical import knowledge as K  # noqa: E402
from lumbar_rom.clinical.engine import Profile, Screening, assess  # noqa: E402
from lumbar_rom.report.fhir import (  # noqa: E402
    UNCERTAINTY,
    UNCERTAINTY_TYPE,
    V3_INTERPRETATION,
    assessment_bundle,
    session_bundle,
)
from tests.fixtures.clinical import trial  # noqa: E402

NOW = datetime(2026, 11, 25, 10, 0)

WHEN = datetime(2026, 11, 25, 10, 0)


@pytest.fixture(scope="module")
def assessment():
    # a 40-year-old woman (norms.toml): flexion 40 +/- 3: restricted; extension 31 +/- 2: normal;
    # side bends 32 / 20 +/- 12 (left borderline: band straddles the 5th centile 22.7);
    # rotation-right 80 +/- 3: far above, but its reference is DERIVED -> normal, never "more";
    # rotation-left not measured (no decision, no Observation)
    trials = [trial("flexion", 40, 3), trial("extension", 31, 2),
              trial("side-bend-left", 20, 12, view="front"),
              trial("side-bend-right", 32, 2, view="front"),
              trial("rotation-right", 80, 3, view="front")]
    a = assess(Profile(age=40, sex="female"), Screening(), trials, now=NOW)
    return a.to_dict()


@pytest.fixture(scope="module")
def bundle(assessment):
    return assessment_bundle(assessment, "pat-42", effective=WHEN, model_sha256="ab" * 32)


def by_motion(bundle):
    return {e["resource"]["code"]["coding"][0]["code"]: e["resource"] for e in bundle["entry"]}


def test_bundle_parses_back_with_the_library(bundle):
    text = json.dumps(bundle)
    parsed = Bundle.model_validate_json(text)
    assert parsed.type == "collection"
    assert len(parsed.entry) == 5
    for e in parsed.entry:
        obs = Observation.model_validate(e.resource.model_dump(exclude_none=True))
        assert obs.subject.reference == "Patient/pat-42"
        assert obs.status == "final"
        assert e.fullUrl == f"urn:uuid:{obs.id}"


def test_one_observation_per_measured_motion_with_interpretation(bundle, assessment):
    obs = by_motion(bundle)
    statuses = {d["movement"]: d["status"] for d in assessment["decisions"]}
    assert "rotation-left" not in statuses and "rotation-left" not in obs
    assert set(obs) == set(statuses)
    expect = {"flexion": ("restricted", "L"), "extension": ("normal", "N"),
              "side-bend-left": ("borderline", "IND"), "side-bend-right": ("normal", "N"),
              "rotation-right": ("normal", "N")}
    for motion, (status, code) in expect.items():
        assert statuses[motion] == status
        interp = obs[motion]["interpretation"][0]
        assert interp["coding"][0] == {"system": V3_INTERPRETATION, "code": code,
                                       "display": interp["coding"][0]["display"]}
        assert interp["text"].startswith(status)
        assert "centile for a 40-year-old woman" in interp["text"]


def test_value_in_degrees_with_uncertainty_range_method_and_body_site(bundle):
    flex = by_motion(bundle)["flexion"]
    q = flex["valueQuantity"]
    assert q["value"] == pytest.approx(40.0)
    assert (q["unit"], q["system"], q["code"]) == ("deg", "http://unitsofmeasure.org", "deg")
    ext = {x["url"]: x for x in q["extension"]}
    assert float(ext[UNCERTAINTY]["valueDecimal"]) == pytest.approx(3 / 1.96, abs=0.005)
    assert ext[UNCERTAINTY_TYPE]["valueCode"] == "N"
    assert "40.0 deg +/- 3.0 (95 %, 37.0-43.0 deg)" in flex["note"][0]["text"]
    # the cited reference interval at 40 (Laird 2018, S301: 111 +/- 16): 5th-95th centile
    raw = K.raw("norms")["motions"]["flexion"]
    ref = NormalDist(raw["mean_deg"], raw["sd_deg"])
    rr = flex["referenceRange"][0]
    assert rr["low"]["value"] == pytest.approx(ref.inv_cdf(0.05), abs=0.05)
    assert rr["high"]["value"] == pytest.approx(ref.inv_cdf(0.95), abs=0.05)
    assert rr["low"]["code"] == "deg" and "S301" in rr["text"] and "MDC" not in rr["text"]
    assert "hips and spine together" in rr["text"] and "hips and spine" in flex["code"]["text"]
    assert flex["bodySite"]["coding"][0]["system"] == "http://snomed.info/sct"
    assert flex["bodySite"]["coding"][0]["code"] == "22943007"
    assert "Lumbar" not in json.dumps(flex["bodySite"])
    rot = by_motion(bundle)["rotation-right"]
    assert "mostly the upper back" in rot["code"]["text"] and "DERIVED" in \
        rot["referenceRange"][0]["text"]
    assert "BlazePose" in flex["method"]["text"] and "ab" * 32 in flex["method"]["text"]
    assert flex["category"][0]["coding"][0]["code"] == "exam"
    assert flex["effectiveDateTime"].startswith("2026-11-25T10:00:00")


def test_pain_limited_motion_has_no_value_and_a_reason():
    a = assess(Profile(age=40), Screening(pain_limited=("extension",)), [], now=NOW).to_dict()
    ext = by_motion(assessment_bundle(a, "p1", effective=WHEN))["extension"]
    assert "valueQuantity" not in ext
    assert ext["dataAbsentReason"]["coding"][0]["code"] == "not-performed"
    assert ext["interpretation"][0] == {"text": "pain-limited"}


def test_stored_session_row_and_bad_patient_id(assessment):
    class Row:  # the attributes of history.models.SessionRow that the export reads
        started_at = WHEN
        software_version = "9.9.9"
        model_sha256 = "cd" * 32

    Row.assessment = assessment
    b = session_bundle(Row(), "pat-7")
    flex = by_motion(b)["flexion"]
    assert flex["subject"]["reference"] == "Patient/pat-7"
    assert "lumbar-rom 9.9.9" in flex["method"]["text"]
    with pytest.raises(ValueError, match="patient"):
        assessment_bundle(assessment, "  ")


def test_red_flag_assessment_exports_an_empty_bundle():
    a = assess(Profile(), Screening(red_flags={"night_pain": True}), [], now=NOW).to_dict()
    b = assessment_bundle(a, "p1", effective=WHEN)
    assert b.get("entry", []) == []
    Bundle.model_validate(b)


@pytest.mark.parametrize("screening, profile, words", [
    (Screening(pain_before=9), Profile(), "No measurement: severe pain 9/10."),
    (Screening(pain_before=2), Profile(injury=datetime(2026, 11, 25, 2, 0)),
     "Deferred: injury under 72 hours, re-test after 2026-11-28 02:00."),
    (Screening(red_flags={"bladder": True}), Profile(), "No measurement: stopped by the safety"),
])
def test_a_stopped_or_deferred_session_is_a_cancelled_observation(screening, profile, words):
    """Issue 27: a receiving system must not read a session without measurement as one where
    nothing was restricted."""
    a = assess(profile, screening, [], now=NOW).to_dict()
    b = assessment_bundle(a, "p1", effective=WHEN)
    [entry] = b["entry"]
    obs = Observation.model_validate(entry["resource"])
    assert obs.status == "cancelled" and obs.dataAbsentReason.coding[0].code == "not-performed"
    assert obs.dataAbsentReason.text.startswith(words)
    assert "valueQuantity" not in entry["resource"]


def test_no_age_gives_no_reference_range():
    a = assess(Profile(), Screening(), [trial("flexion", 40, 3)], now=NOW).to_dict()
    flex = by_motion(assessment_bundle(a, "p1", effective=WHEN))["flexion"]
    assert "referenceRange" not in flex and flex["interpretation"][0]["text"] == "no decision"
