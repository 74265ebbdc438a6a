"""The repeated-movement test's decision: preference, stop, exercises offered or withheld
(expected sets computed here from repeated.toml and stretches.toml, not copied from the code)."""

import tomllib
from pathlib import Path

import pytest

from lumbar_rom.clinical import repeated as R
from lumbar_rom.clinical.beyond_data import problems

DATA = Path(R.__file__).parent / "data"
EX = tomllib.loads((DATA / "repeated.toml").read_text())["exercises"]
STRETCHES = tomllib.loads((DATA / "stretches.toml").read_text())["stretches"]


def of(direction, end_range_only=False):
    return {k for k, d in EX.items() if d["direction"] == direction
            and (d["end_range"] or not end_range_only)}


def test_data_is_sourced_and_covers_every_sagittal_stretch():
    assert problems("repeated") == []
    sagittal = {k for k, d in STRETCHES.items()
                if {"flexion", "extension"} & set(d["movements"])}
    assert set(EX) == sagittal
    assert "press_up" in of("extension", True) and "knees_to_chest" in of("flexion", True)


def test_extension_spreading_symptoms_withholds_extension_and_stops():
    d = R.decide([R.SetAnswer("flexion", "no_change"),
                  R.SetAnswer("extension", "peripheralised")])
    assert d.stopped == "extension" and d.preference is None
    assert set(d.withheld) == of("extension")  # every extension exercise, press-up included
    assert not set(d.offered) & of("extension") and set(d.offered) == of("flexion")
    assert "looked at by a physiotherapist or doctor" in d.advice[0]
    # the engine's plan passed through: press-up and the hip-flexor stretch removed
    kept, out = R.filter_plan(d, ["press_up", "knee_roll", "half_kneeling_hip_flexor",
                                  "hamstring_step"])
    assert kept == ["knee_roll", "hamstring_step"]
    assert set(out) == {"press_up", "half_kneeling_hip_flexor"}
    assert all(reason.endswith(".") for reason in out.values())


def test_no_set_after_a_stop():
    with pytest.raises(R.RepeatedError, match="stopped"):
        R.decide([R.SetAnswer("flexion", "peripheralised"), R.SetAnswer("extension", "better")])
    d = R.decide([R.SetAnswer("flexion", "peripheralised")])
    assert d.stopped == "flexion" and set(d.withheld) == of("flexion")


def test_extension_preference_offers_extension_first_and_withholds_end_range_flexion():
    d = R.decide([R.SetAnswer("flexion", "no_change"), R.SetAnswer("extension", "centralised")])
    assert d.preference == "extension" and d.stopped is None
    assert set(d.withheld) == of("flexion", end_range_only=True)
    n_ext = len(of("extension"))
    assert set(d.offered[:n_ext]) == of("extension")
    kept, _ = R.filter_plan(d, ["hamstring_step", "knees_to_chest", "press_up"])
    assert kept == ["press_up", "hamstring_step"]


def test_flexion_preference_when_it_ranks_above_extension():
    d = R.decide([R.SetAnswer("flexion", "better"), R.SetAnswer("extension", "worse")])
    assert d.preference == "flexion"
    # extension's end-range exercises withheld (worse, and the opposite of the preference)
    assert set(d.withheld) == of("extension", end_range_only=True)


@pytest.mark.parametrize(("flex", "ext"), [("better", "better"), ("no_change", "no_change"),
                                           ("centralised", "centralised")])
def test_no_preference_when_both_alike(flex, ext):
    d = R.decide([R.SetAnswer("flexion", flex), R.SetAnswer("extension", ext)])
    assert d.preference is None and d.withheld == {}
    assert len(d.offered) == len(EX)


def test_one_direction_alone_claims_no_preference():
    d = R.decide([R.SetAnswer("flexion", "centralised")])
    assert d.preference is None and d.withheld == {}


def test_worse_withholds_only_end_range_of_that_direction():
    d = R.decide([R.SetAnswer("flexion", "worse"), R.SetAnswer("extension", "no_change")])
    assert d.preference is None and set(d.withheld) == of("flexion", end_range_only=True)


@pytest.mark.parametrize(("sets", "words"), [
    ([], "at least one set"),
    ([R.SetAnswer("rotation", "better")], "flexion and extension"),
    ([R.SetAnswer("flexion", "sore")], "Choose what happened"),
    ([R.SetAnswer("flexion", "better"), R.SetAnswer("flexion", "worse")], "twice"),
])
def test_bad_answers_are_refused_in_one_sentence(sets, words):
    with pytest.raises(R.RepeatedError) as e:
        R.decide(sets)
    assert words in str(e.value) and str(e.value).endswith(".")
