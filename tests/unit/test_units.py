"""Clinical units: known-answer landmark arrays for the geometry, the BASMI linear formula's
published values, the knowledge file's sources, and the rows the app and the PDF show."""

import math

import numpy as np
import pytest

from lumbar_rom.assessment import units as U
from lumbar_rom.clinical.knowledge import source_problems
from lumbar_rom.data import CLINICAL, file_problems, load_toml
from lumbar_rom.pose.landmarks import Landmark as L

FRAC = 0.936 - 0.039  # eye height - ankle height, fractions of stature (anthropometry.toml)


def standing(height_cm=170.0, px_per_cm=2.0, n=10, tip_y=None):
    """``(n, 33, 3)`` neutral frames: ankles at y = 1000 px, eyes FRAC * height above them,
    index fingertips at ``tip_y`` (default 40 % of the height above the ankles)."""
    pts = np.zeros((n, 33, 3))
    ankle = 1000.0
    pts[:, [L.LEFT_ANKLE, L.RIGHT_ANKLE], 1] = ankle
    pts[:, [L.LEFT_EYE, L.RIGHT_EYE], 1] = ankle - FRAC * height_cm * px_per_cm
    tip = ankle - 0.40 * height_cm * px_per_cm if tip_y is None else tip_y
    pts[:, [L.LEFT_INDEX, L.RIGHT_INDEX], 1] = tip
    return pts


def test_pixel_scale_from_the_eye_to_ankle_span_and_its_uncertainty():
    s = U.pixel_scale(standing(170.0, 2.5), 170.0)
    assert s.px_per_cm == pytest.approx(2.5)
    k = U.units_knowledge()["scaling"]
    assert s.rel_sd == pytest.approx(math.hypot(k["proportion_rel_sd"],
                                                k["height_sd_cm"] / 170.0))  # no frame noise


def test_pixel_scale_without_eyes_is_nan():
    n = standing()
    n[:, [L.LEFT_EYE, L.RIGHT_EYE], 1] = np.nan
    assert math.isnan(U.pixel_scale(n, 170.0).px_per_cm)


def test_lateral_fingertip_distance_is_the_drop_of_the_hand_that_went_down():
    neutral = standing(170.0, 2.0)
    bent = standing(170.0, 2.0, n=3)
    bent[:, L.LEFT_INDEX, 1] += np.array([40.0, 44.0, 36.0])  # 20, 22, 18 cm down
    bent[:, L.RIGHT_INDEX, 1] -= 30.0  # the other hand rises
    d, sd = U.lateral_fingertip_floor(bent, neutral, [0, 1, 2], 170.0)
    assert d == pytest.approx(20.0)
    k = U.units_knowledge()["scaling"]
    rel = math.hypot(k["proportion_rel_sd"], k["height_sd_cm"] / 170.0)
    assert sd == pytest.approx(math.sqrt((20 * rel) ** 2 + 2.0 ** 2 / 3 + k["tip_sd_cm"] ** 2))
    # the labels swapped: the same distance
    swapped = bent[:, [*range(19), L.RIGHT_INDEX, L.LEFT_INDEX, *range(21, 33)]]
    assert U.lateral_fingertip_floor(swapped, neutral, [0, 1, 2], 170.0)[0] == pytest.approx(20.0)


def test_lateral_distance_scales_with_the_entered_height():
    neutral = standing(170.0, 2.0)
    bent = standing(170.0, 2.0, n=1)
    bent[:, L.LEFT_INDEX, 1] += 40.0
    # the same pixels read with a 10 % taller height: 10 % more centimetres
    assert U.lateral_fingertip_floor(bent, neutral, [0], 187.0)[0] == pytest.approx(22.0)


def test_fingertip_to_floor_known_answer():
    h, px = 180.0, 2.0
    neutral = standing(h, px)
    k = U.units_knowledge()["scaling"]
    bent = standing(h, px, n=2, tip_y=1000.0 - 10.0 * px)  # landmark 10 cm above the ankles
    d, sd = U.fingertip_to_floor(bent, neutral, [0, 1], h)
    assert d == pytest.approx(10.0 + 0.039 * h - k["index_to_tip_fraction"] * h)
    assert sd > k["index_to_tip_sd_fraction"] * h
    # below floor level (a step): negative
    deep = standing(h, px, n=1, tip_y=1000.0 + 30.0 * px)
    assert U.fingertip_to_floor(deep, neutral, [0], h)[0] < 0


def test_no_height_gives_pixels_and_no_score():
    neutral = standing()
    bent = standing(n=1)
    bent[:, L.RIGHT_INDEX, 1] += 50.0
    ex = U.unit_extras("side-bend-right", bent, neutral, [0], None)
    assert ex == {"lateral_fingertip_floor_px": pytest.approx(50.0)}
    assert "fingertip_to_floor_px" in U.unit_extras("flexion", bent, neutral, [0], None)
    assert U.unit_extras("rotation-left", bent, neutral, [0], 170.0) == {}


def test_side_bend_extras_have_the_named_fields():
    neutral = standing(170.0, 2.0)
    bent = standing(170.0, 2.0, n=1)
    bent[:, L.LEFT_INDEX, 1] += 2.0 * 11.1  # 11.1 cm
    ex = U.unit_extras("side-bend-left", bent, neutral, [0], 170.0)
    assert set(ex) == {"lateral_fingertip_floor_cm", "lateral_fingertip_floor_cm_sd",
                       "basmi_lateral_flexion_score", "basmi_lateral_flexion_score_sd"}
    assert ex["basmi_lateral_flexion_score"] == pytest.approx(10.0 / 2.1)


@pytest.mark.parametrize(("cm", "score"), [(21.1, 0.0), (30.0, 0.0), (0.1, 10.0), (-2.0, 10.0),
                                           (10.6, 5.0), (15.85, 2.5), (0.1 + 2.1, 9.0)])
def test_basmi_linear_formula_known_values(cm, score):
    # van der Heijde 2008 table 3: S = (21.1 - A) / 2.1, 0 if A >= 21.1, 10 if A <= 0.1
    assert U.basmi_lateral_flexion_score(cm) == pytest.approx(score)


def test_basmi_item_is_the_score_of_the_mean_of_both_sides():
    score, sd = U.basmi_both_sides(12.0, 9.2, 1.0, 1.0)
    assert score == pytest.approx((21.1 - 10.6) / 2.1)
    assert sd == pytest.approx(math.hypot(1, 1) / 2 / 2.1)
    assert math.isnan(U.basmi_both_sides(12.0, float("nan"))[0])
    assert math.isnan(U.basmi_lateral_flexion_score(float("nan")))
    assert U.basmi_score_sd(25.0, 1.0) == 0.0  # clamped: a change does not move it


def test_units_knowledge_is_sourced_and_has_the_mdcs():
    table = load_toml("units.toml", package=CLINICAL)
    assert file_problems("units.toml", table) == []
    sources = load_toml("sources.toml", package=CLINICAL)["sources"]
    assert source_problems(sources, {"units.toml": table}) == []
    k = U.units_knowledge()
    assert k["fingertip_to_floor"]["mdc"] == 9.8
    assert k["lateral_fingertip_floor"]["mdc"] == 3.6
    assert k["basmi_lateral_flexion"]["mdc"] == 1.7
    assert k["basmi_lateral_flexion"]["intercept_cm"] == 21.1


def test_rows_for_the_app_and_the_pdf():
    extras = {
        "flexion": {"fingertip_to_floor_cm": 12.0, "fingertip_to_floor_cm_sd": 2.0},
        "side-bend-left": {"lateral_fingertip_floor_cm": 12.0,
                           "lateral_fingertip_floor_cm_sd": 1.0,
                           "basmi_lateral_flexion_score": 4.33,
                           "basmi_lateral_flexion_score_sd": 0.5},
        "side-bend-right": {"lateral_fingertip_floor_cm": 9.2,
                            "lateral_fingertip_floor_cm_sd": None},  # stored NaN
        "extension": {"fingertip_to_floor_cm": None},
    }
    rows = U.unit_rows(extras)
    keys = [r.key for r in rows]
    assert keys.count("fingertip_to_floor_cm") == 1
    assert keys.count("lateral_fingertip_floor_cm") == 2
    assert rows[-1].label.endswith("(mean of both sides)")
    assert rows[-1].value == pytest.approx(5.0)
    assert rows[0].u95 == pytest.approx(3.92)
    assert "9.8 cm" in rows[0].text() and "S28" in rows[0].source
    assert U.unit_rows({}) == []
