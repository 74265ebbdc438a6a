"""The normative model (issue 26): the decision table computed here from norms.toml's raw numbers
with statistics.NormalDist (not from the engine's helpers), and the validator's refusals."""

import copy
import math
from statistics import NormalDist

import pytest

from lumbar_rom.clinical import knowledge as K
from lumbar_rom.clinical.engine import Profile, decide
from tests.fixtures.clinical import trial

RAW = K.raw("norms")
MOTIONS = ["flexion", "extension", "side-bend-left", "side-bend-right", "rotation-left",
           "rotation-right"]


def expected_reference(movement, age):
    """mean and SD at ``age`` from the raw TOML, following the model the TOML states:
    beyond age_max the lumbar part falls with Troke's (linear) medians, the rest by half that
    proportion, and the rest's range (0..full) adds width^2/12 to the variance."""
    m, a = RAW["motions"][movement], RAW["age_model"]

    def troke(x):
        x = min(max(x, a["young_age"]), a["old_age"])
        f = (x - a["young_age"]) / (a["old_age"] - a["young_age"])
        return m["troke_young_deg"] + f * (m["troke_old_deg"] - m["troke_young_deg"])

    d = 0.0 if age <= m["age_max"] else 1 - troke(age) / troke(m["age_max"])
    rest = m["mean_deg"] - m["lumbar_mean_deg"]
    mean = m["mean_deg"] - m["lumbar_mean_deg"] * d - rest * d / 2
    sd = math.sqrt(m["sd_deg"] ** 2 + (rest * d) ** 2 / 12)
    return NormalDist(mean, sd), m["derived"] or d > 0


def expected_status(movement, age, v, u):
    dist, derived = expected_reference(movement, age)
    lo = dist.inv_cdf(RAW["limits"]["lower_centile"] / 100)
    hi = dist.inv_cdf(RAW["limits"]["upper_centile"] / 100)
    if v + u < lo:
        return "restricted"
    if v - u < lo:
        return "borderline"
    if v - u > hi and not derived:
        return "more than typical"
    return "normal"


def cases():
    """Ages 20-85, both sexes, all six motions: the median, just below / above the lower limit
    (band clear of it), a band straddling it, and well above the upper limit."""
    out = []
    ages = [20, 35, 45, 55, 65, 75, 85]
    for i, movement in enumerate(MOTIONS):
        for j, age in enumerate(ages):
            sex = ("female", "male")[(i + j) % 2]
            dist, _ = expected_reference(movement, age)
            lo = dist.inv_cdf(0.05)
            u = 2.5
            out += [(movement, age, sex, dist.mean, u),          # the median
                    (movement, age, sex, lo - u - 0.3, u),       # band just below: restricted
                    (movement, age, sex, lo + u + 0.3, u),       # band just above: normal
                    (movement, age, sex, lo + 1.0, u),           # straddles: borderline
                    (movement, age, sex, dist.inv_cdf(0.999) + u, u)]  # far above
    return out


CASES = cases()


def test_the_table_is_big_enough():
    assert len(CASES) >= 40
    assert {c[0] for c in CASES} == set(MOTIONS) and {c[2] for c in CASES} == {"female", "male"}
    assert min(c[1] for c in CASES) == 20 and max(c[1] for c in CASES) == 85


@pytest.mark.parametrize(("movement", "age", "sex", "v", "u"), CASES)
def test_decision_table(movement, age, sex, v, u):
    d = decide(trial(movement, v, u), movement, Profile(age=age, sex=sex))
    assert d.status == expected_status(movement, age, v, u)
    dist, derived = expected_reference(movement, age)
    assert d.centile == pytest.approx(100 * dist.cdf(v), abs=1e-6)
    assert d.threshold_deg == pytest.approx(dist.inv_cdf(0.05), abs=1e-6)
    assert d.derived is derived
    who = {"female": "woman", "male": "man"}[sex]
    c = 100 * dist.cdf(v)
    if 1 <= c <= 99:
        article = "an" if str(age).startswith("8") else "a"
        assert f"centile for {article} {age}-year-old {who}" in d.centile_text
        assert d.centile_text in d.explanation


def test_more_than_typical_only_from_a_primary_reference():
    # flexion at 30 (Laird 2018, primary): far above the 95th centile -> more than typical
    d = decide(trial("flexion", 160, 2), "flexion", Profile(age=30))
    assert d.status == "more than typical"
    # rotation is DERIVED (SD from SEM and ICC): never more than typical
    d = decide(trial("rotation-left", 120, 2), "rotation-left", Profile(age=30))
    assert d.status == "normal" and d.derived


def test_a_75_year_olds_23_deg_extension_is_not_above_normal():
    d = decide(trial("extension", 23, 3), "extension", Profile(age=75))
    dist, _ = expected_reference("extension", 75)
    assert d.status == "normal" and d.centile == pytest.approx(100 * dist.cdf(23))
    assert "hypermobile" not in d.explanation and "above normal" not in d.explanation


def test_no_age_no_decision_and_the_reason_says_what_to_add():
    d = decide(trial("flexion", 40, 2), "flexion", Profile())
    assert d.status == "no decision" and "age" in d.explanation.lower()
    assert "--age" in d.explanation and math.isnan(d.centile)


# ---- the validator's refusals ---------------------------------------------------------------


def tables():
    return {n: copy.deepcopy(K.raw(n)) for n in K.FILES}


def refused(t, match):
    with pytest.raises(K.KnowledgeError, match=match):
        K.build(t)


def test_a_norm_without_a_spread_is_refused():
    t = tables()
    del t["norms"]["motions"]["extension"]["sd_deg"]
    refused(t, "extension has no spread")
    t = tables()
    t["norms"]["motions"]["flexion"]["sd_deg"] = 0.0
    refused(t, "flexion has no spread")


def test_a_norm_without_its_construct_is_refused():
    t = tables()
    del t["norms"]["motions"]["flexion"]["construct"]
    refused(t, "flexion does not name the construct")


def test_a_derived_norm_without_its_method_is_refused():
    t = tables()
    del t["norms"]["motions"]["rotation-left"]["method"]
    refused(t, "rotation-left is DERIVED but does not say how")
    t = tables()
    del t["norms"]["straight_leg_raise"]["method"]
    refused(t, "straight_leg_raise is DERIVED")


def test_an_mdc_without_its_type_is_refused():
    t = tables()
    del t["error"]["motions"]["flexion"]["mdc_type"]
    refused(t, "MDC of flexion does not say its type")
    t = tables()
    t["error"]["motions"]["side-bend-left"]["level"] = "9 deg"
    refused(t, "MDC95 or an MDC90")
    t = tables()
    del t["error"]["motions"]["extension"]["construct"]
    refused(t, "lumbar-only figure is a proxy")


def test_the_shipped_mdcs_say_what_they_are():
    k = K.knowledge()
    for m in MOTIONS:
        e = k.error.motions[m]
        assert "inter-rater" in e.mdc_type or "test-retest" in e.mdc_type
    assert "lumbar only" in k.error.motions["flexion"].construct
    assert "MDC90" in k.error.motions["side-bend-left"].level
    # MDC90 9 -> MDC95 x 1.96 / 1.645
    assert k.error.motions["side-bend-left"].mdc_deg == pytest.approx(9 * 1.96 / 1.645, abs=0.05)
