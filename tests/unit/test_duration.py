"""Episode duration and pain milestones from onset (issue 30); expected values computed here from
the pooled course's published numbers (S92)."""

import tomllib
from datetime import date, timedelta
from pathlib import Path

import pytest

from lumbar_rom.clinical import duration as D
from lumbar_rom.clinical.beyond_data import problems

DATA = Path(D.__file__).parent / "data"
COURSE = tomllib.loads((DATA / "duration.toml").read_text())["course"]
TODAY = date(2026, 12, 7)


def interp(points, t):
    for (w0, p0), (w1, p1) in zip(points, points[1:], strict=False):
        if w0 <= t <= w1:
            return p0 + (p1 - p0) * (t - w0) / (w1 - w0)
    return points[-1][1]


def test_data_is_sourced():
    assert problems("duration") == []
    # the published pooled means (S92 abstract)
    assert COURSE["acute"]["points"] == [[0, 52], [6, 23], [26, 12], [52, 6]]
    assert COURSE["persistent"]["points"] == [[0, 51], [6, 33], [26, 26], [52, 23]]


@pytest.mark.parametrize(("days", "cat"), [(0, "acute"), (5, "acute"), (41, "acute"),
                                           (42, "subacute"), (70, "subacute"),
                                           (84, "subacute"), (85, "persistent"),
                                           (400, "persistent")])
def test_category_boundaries(days, cat):
    assert D.category(TODAY - timedelta(days=days), TODAY) == cat


def test_five_days_is_acute_not_the_persistent_course():
    onset = TODAY - timedelta(days=5)
    weeks, pain = D.course(D.category(onset, TODAY))
    assert list(pain) == [52, 23, 12, 6]


def test_acute_milestones_from_onset():
    onset = TODAY - timedelta(days=20)
    ms = D.pain_milestones(onset, TODAY, 6)
    pts = COURSE["acute"]["points"]
    ref = interp(pts, 20 / 7)  # 38.19 out of 100 at 2.86 weeks after onset
    assert [m.day for m in ms] == [onset + timedelta(weeks=w) for w in (6, 26, 52)]
    assert [m.pain for m in ms] == [round(6 * interp(pts, w) / ref, 1) for w in (6, 26, 52)]
    assert [m.pain for m in ms] == [3.6, 1.9, 0.9]  # hand check of the line above
    assert not any(m.past for m in ms)


def test_persistent_milestones_keep_past_ones_for_the_chart():
    onset = TODAY - timedelta(weeks=20)
    ms = D.pain_milestones(onset, TODAY, 5)
    pts = COURSE["persistent"]["points"]
    ref = interp(pts, 20)  # 33 + (26-33)*14/20 = 28.1
    assert ref == pytest.approx(28.1)
    assert [m.past for m in ms] == [True, False, False]
    assert ms[1].pain == round(5 * 26 / 28.1, 1) == 4.6
    assert ms[2].pain == round(5 * 23 / 28.1, 1) == 4.1


def test_same_numbers_as_goals_toml_pain_schedule():
    goals = tomllib.loads((DATA / "goals.toml").read_text())["pain"]
    a, p = COURSE["acute"]["points"], COURSE["persistent"]["points"]
    for (day, frac), wk in zip(goals["recent"], (6, 26), strict=True):
        assert day == 7 * wk and frac == pytest.approx(1 - interp(a, wk) / a[0][1], abs=0.01)
    for (day, frac), wk in zip(goals["chronic"], (6, 26), strict=True):
        assert day == 7 * wk and frac == pytest.approx(1 - interp(p, wk) / p[0][1], abs=0.01)


@pytest.mark.parametrize(("onset", "pain", "words"), [
    (TODAY + timedelta(days=1), 5, "in the future"),
    (TODAY - timedelta(days=3), 11, "0 to 10"),
])
def test_bad_input_is_one_sentence(onset, pain, words):
    with pytest.raises(D.DurationError) as e:
        D.pain_milestones(onset, TODAY, pain)
    assert words in str(e.value) and str(e.value).endswith(".")


def test_labels():
    assert D.label("subacute") == "Subacute (6 to 12 weeks)"
