"""Clinical units on the rendered samples against the rig's fingertip truth (sidecar
``truth.fingertip``, written by ``python -m lumbar_rom.studio.fingertips``), the height entered
being the rendered body's stature."""

import json
from pathlib import Path

import pytest

from lumbar_rom.pipeline import analyze_video

pytestmark = pytest.mark.slow

SAMPLES = Path(__file__).resolve().parents[2] / "sample_videos"
TOLERANCE_CM = 3.0


def measure(estimator, name):
    truth = json.loads((SAMPLES / f"{name}.json").read_text())
    tip = truth["truth"]["fingertip"]
    a = analyze_video(SAMPLES / f"{name}.mp4", truth["movement"], estimator=estimator,
                      height_cm=tip["stature_cm"])
    return tip, a.trials[0]


@pytest.mark.parametrize("name", ["side-bend-left", "side-bend-right"])
def test_lateral_fingertip_distance_within_3_cm_of_the_rig(estimator, name):
    tip, trial = measure(estimator, name)
    got, sd = trial.extras["lateral_fingertip_floor_cm"], \
        trial.extras["lateral_fingertip_floor_cm_sd"]
    want = tip["lateral_fingertip_floor_cm"]
    print(f"{name}: truth {want:.1f} cm, measured {got:.1f} +/- {1.96 * sd:.1f} cm; BASMI "
          f"{trial.extras['basmi_lateral_flexion_score']:.1f}")
    assert got > 1.0 and sd > 0
    assert abs(got - want) <= TOLERANCE_CM
    assert 0.0 <= trial.extras["basmi_lateral_flexion_score"] <= 10.0


@pytest.mark.parametrize("name", ["flexion", "flexion-restricted"])
def test_fingertip_to_floor_within_3_cm_of_the_rig(estimator, name):
    tip, trial = measure(estimator, name)
    got = trial.extras["fingertip_to_floor_cm"]
    print(f"{name}: truth {tip['fingertip_to_floor_cm']:.1f} cm, measured {got:.1f} cm")
    assert abs(got - tip["fingertip_to_floor_cm"]) <= TOLERANCE_CM


def test_result_json_holds_the_named_fields(estimator, tmp_path):
    truth = json.loads((SAMPLES / "side-bend-left.json").read_text())
    analyze_video(SAMPLES / "side-bend-left.mp4", "side-bend-left", estimator=estimator,
                  height_cm=truth["truth"]["fingertip"]["stature_cm"], out_dir=tmp_path)
    extras = json.loads((tmp_path / "result.json").read_text())["trials"][0]["extras"]
    for f in ("lateral_fingertip_floor_cm", "lateral_fingertip_floor_cm_sd",
              "basmi_lateral_flexion_score", "basmi_lateral_flexion_score_sd"):
        assert isinstance(extras[f], float), f
