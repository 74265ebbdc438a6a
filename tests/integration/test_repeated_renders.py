"""The repeated-movement test on rendered clips (issue 30): the studio renders ten standing
flexions and ten standing extensions; the camera must count ten of each and measure the first and
the last repetition's range against the sidecar's truth."""

from __future__ import annotations

import json

import pytest

from lumbar_rom.assessment.repeated import analyze_repeated
from lumbar_rom.pipeline import track_video
from lumbar_rom.studio.assets import cache_dir
from lumbar_rom.studio.repeated import render_repeated, truth_per_repetition

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("movement", ["flexion", "extension"])
def test_ten_repetitions_counted_with_first_and_last_range(movement, estimator):
    s, video, sidecar = render_repeated(movement, cache_dir() / "renders")
    truth = truth_per_repetition(s, json.loads(sidecar.read_text())["truth"]["sagittal_deg"])
    seq = track_video(video, estimator=estimator)
    r = analyze_repeated(seq, movement)
    assert r.status == "ok", r.message
    assert r.count == len(s.peaks) == 10 and not r.at_least, r
    # first and last range within the camera's tolerance of the truth (+/- 5 deg on renders)
    assert abs(r.first_deg - truth[0]) <= 5.0, (r.first_deg, truth[0])
    assert abs(r.last_deg - truth[-1]) <= 5.0, (r.last_deg, truth[-1])
    # the applied growth (9 deg) is seen as a change of the right sign
    assert r.change_deg > 0 and abs(r.change_deg - (truth[-1] - truth[0])) <= 5.0
    print(movement, r.count, round(r.first_deg, 1), round(truth[0], 1), round(r.last_deg, 1),
          round(truth[-1], 1), round(r.range_uncertainty_deg, 1))
