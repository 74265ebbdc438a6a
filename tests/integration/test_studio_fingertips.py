"""The studio's fingertip truth: a rendered scenario's sidecar carries it, and it moves the
fingertip the posed way."""

import json

import pytest

from lumbar_rom.studio.fingertips import add_fingertip_truth, fingertip_truth
from lumbar_rom.studio.scenarios import Scenario, render_scenario

pytestmark = pytest.mark.slow


def test_side_bend_truth_drops_the_bending_sides_fingertip(tmp_path):
    s = Scenario("side-bend-left", (20.0,), width=180, height=320, fps=10.0, neutral_s=0.6,
                 rise_s=0.6, hold_s=0.3, rest_s=0.3)
    tip = fingertip_truth(s)
    assert 150 < tip["stature_cm"] < 200
    assert tip["lateral_fingertip_floor_cm"] > 1.0
    assert min(tip["left_cm"]) < tip["left_cm"][0] - 1.0  # the left tip goes down
    assert max(tip["right_cm"]) > tip["right_cm"][0]  # the right one rises
    _, sidecar = render_scenario(s, tmp_path, backend="cv")
    written = json.loads(sidecar.read_text())["truth"]["fingertip"]
    assert written["lateral_fingertip_floor_cm"] == tip["lateral_fingertip_floor_cm"]
    assert add_fingertip_truth(sidecar) == written  # refreshing gives the same truth


def test_flexion_truth_is_above_the_floor_and_below_standing():
    s = Scenario("flexion", (60.0,), fps=10.0, neutral_s=0.6, rise_s=0.6, hold_s=0.3,
                 rest_s=0.3)
    tip = fingertip_truth(s)
    standing = min(tip["left_cm"][0], tip["right_cm"][0])
    assert 0 < tip["fingertip_to_floor_cm"] < standing - 10
