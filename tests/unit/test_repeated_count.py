"""Counting repeated movements on synthetic trunk-angle series with known counts (issue 30)."""

import re

import numpy as np
import pytest

from lumbar_rom.assessment.repeated import (
    RepeatedSettings,
    bridge_gaps,
    camera_sd,
    count_repetitions,
)

FPS = 15.0


def series(peaks, rise_s=0.8, hold_s=0.2, rest_s=0.3, lead_s=1.0, last_rise_s=None):
    """Excursion from neutral (deg): lead rest, then per peak a cosine rise, hold, fall, rest."""
    parts = [np.zeros(int(lead_s * FPS))]
    for k, p in enumerate(peaks):
        r = last_rise_s if (last_rise_s and k == len(peaks) - 1) else rise_s
        ramp = 0.5 - 0.5 * np.cos(np.linspace(0, np.pi, int(round(r * FPS))))
        parts += [p * ramp, np.full(int(round(hold_s * FPS)), p), p * ramp[::-1],
                  np.zeros(int(round(rest_s * FPS)))]
    x = np.concatenate(parts)
    return x, np.arange(len(x)) / FPS


def test_ten_clean_flexions():
    peaks = np.linspace(50, 60, 10)
    x, t = series(peaks)
    r = count_repetitions(x, t, "flexion")
    assert r.status == "ok" and r.count == 10 and not r.at_least
    assert r.first_deg == pytest.approx(50, abs=0.5) and r.last_deg == pytest.approx(60, abs=0.5)
    assert r.change_deg == pytest.approx(10, abs=1)
    assert r.change_uncertainty_deg == pytest.approx(1.96 * np.sqrt(2) * camera_sd("flexion"))
    assert r.measurable_change


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_noise_does_not_add_or_lose_repetitions(seed):
    rng = np.random.default_rng(seed)
    x, t = series([25.0] * 10)  # extension-sized
    x = x + rng.normal(0, 1.5, x.shape)  # 1.5 deg frame noise
    r = count_repetitions(x, t, "extension")
    assert r.count == 10 and np.isfinite(r.peaks_deg).all()
    assert np.max(np.abs(np.array(r.peaks_deg) - 25)) < 4
    assert r.first_deg == pytest.approx(25, abs=2.5) and r.last_deg == pytest.approx(25, abs=2.5)
    assert not r.measurable_change or abs(r.change_deg) < 4


def test_a_short_missing_stretch_is_bridged():
    x, t = series([55.0] * 10)
    peak5 = int(np.argsort(-x)[0])  # somewhere at a top
    x = x.copy()
    x[peak5 - 3:peak5 + 3] = np.nan  # 0.4 s not seen at the top of a repetition
    x[100:104] = np.nan              # and 0.27 s elsewhere
    filled, gaps = bridge_gaps(x, t, 0.5)
    assert gaps == [] and np.isfinite(filled).all()
    r = count_repetitions(x, t, "flexion")
    assert r.count == 10 and not r.at_least


def test_a_long_missing_stretch_is_reported_as_at_least():
    x, t = series([55.0] * 10)
    rep_len = int((0.8 * 2 + 0.2 + 0.3) * FPS)
    start = int(1.0 * FPS) + 4 * rep_len
    x = x.copy()
    x[start:start + rep_len] = np.nan  # the whole 5th repetition out of view (2.1 s)
    r = count_repetitions(x, t, "flexion")
    assert r.count == 9 and r.at_least and len(r.gaps_s) == 1
    assert "At least 9 of the 10" in r.message


def test_a_slowing_last_repetition_counts_once():
    x, t = series([60.0] * 10, last_rise_s=3.0)  # the last one takes 3 s up and 3 s down
    r = count_repetitions(x, t, "flexion")
    assert r.count == 10
    assert r.durations_s[-1] > 2 * np.median(r.durations_s[:-1])


def test_no_movement_is_inconclusive_with_a_sentence():
    t = np.arange(150) / FPS
    r = count_repetitions(np.zeros(150), t, "flexion")
    assert r.status == "inconclusive" and r.count == 0
    assert r.message.endswith(".") and "8 degrees" in r.message


def test_expected_count_is_a_setting():
    x, t = series([40.0] * 6)
    r = count_repetitions(x, t, "flexion", settings=RepeatedSettings(expected=6))
    assert r.count == 6 and r.message == "6 repetitions counted."
    r = count_repetitions(x, t, "flexion")
    assert r.message == "6 of the 10 repetitions were seen."


# -- the whole path from a PoseSequence (hand-built stick figures, tests/fixtures/skeleton.py)

def test_analyze_repeated_on_stick_figures():
    from lumbar_rom.assessment.repeated import analyze_repeated
    from tests.fixtures.skeleton import make_trial

    flex = list(np.linspace(45, 54, 10))
    r = analyze_repeated(make_trial("flexion", flex, "side", fps=15.0, noise_px=1.0), "flexion")
    assert r.status == "ok" and r.count == 10
    assert r.first_deg == pytest.approx(45, abs=2) and r.last_deg == pytest.approx(54, abs=2)
    ext = analyze_repeated(make_trial("flexion", [-20.0] * 10, "side", fps=15.0), "extension")
    assert ext.count == 10 and ext.first_deg == pytest.approx(20, abs=2)


def test_analyze_repeated_with_the_person_lost_for_a_while():
    from dataclasses import replace

    from lumbar_rom.assessment.repeated import analyze_repeated
    from tests.fixtures.skeleton import make_trial

    seq = make_trial("flexion", [50.0] * 10, "side", fps=15.0)
    image = seq.image.copy()
    image[150:156] = np.nan  # 0.4 s without a detected person, mid-set
    r = analyze_repeated(replace(seq, image=image), "flexion")
    assert r.count == 10


def test_analyze_repeated_refuses_a_clip_without_an_upright_start():
    from lumbar_rom.assessment.repeated import analyze_repeated
    from tests.fixtures.skeleton import make_trial

    seq = make_trial("flexion", [60.0] * 3, "side", fps=15.0)
    n = len(seq.time_s)
    from dataclasses import replace
    bent = make_trial("flexion", [40.0], "side", fps=15.0)
    # start already bent: every frame of the first trial shifted by a constant 40 deg pose
    seq = replace(seq, image=np.repeat(bent.image[len(bent.time_s) // 2][None], n, 0))
    r = analyze_repeated(seq, "flexion")
    assert r.status == "inconclusive"
    m = re.fullmatch(r"Start the set standing upright; this one starts already bent forward "
                     r"about (\d+) deg\.", r.message)
    assert m and 38 <= int(m.group(1)) <= 41, r.message  # the posed 40 deg
