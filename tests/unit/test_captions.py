"""The replay's captions (report/captions.py): what only the analysis knows, as WebVTT."""

from dataclasses import replace

import numpy as np

from lumbar_rom.assessment.trial import Repetition, TrialResult
from lumbar_rom.report.captions import excursion_label, near_peaks, trial_captions, webvtt


def test_equal_labels_merge_into_one_cue_and_blank_frames_give_none():
    t = np.arange(6) / 10.0
    doc = webvtt(t, ["", "Forward bending: 10 deg", "Forward bending: 10 deg",
                     "Forward bending: 12 deg", "", ""])
    assert doc.splitlines() == [
        "WEBVTT", "",
        "00:00:00.100 --> 00:00:00.300", "Forward bending: 10 deg", "",
        "00:00:00.300 --> 00:00:00.400", "Forward bending: 12 deg"]


def test_the_last_cue_ends_one_frame_after_the_last_frame_and_nan_times_are_skipped():
    doc = webvtt(np.array([0.0, np.nan, 3661.5]), ["a", "b", "c"])
    assert "00:00:00.000 --> 01:01:01.500\na" in doc  # the NaN frame's "b" is dropped
    assert "01:01:01.500 --> 02:02:03.000\nc" in doc  # one median step (3661.5 s) more


def test_labels_name_the_movement_and_only_side_specific_ones_say_mirror_flipped():
    assert excursion_label("flexion", 42.4) == "Forward bending: 42 deg"
    assert excursion_label("flexion", 42.4, mirrored=True) == "Forward bending: 42 deg"
    assert excursion_label("rotation-left", 30.6, mirrored=True) == \
        "Turning to the left: 31 deg (mirror flipped)"
    assert excursion_label("", 5.0) == "" and excursion_label("flexion", float("nan")) == ""


def test_a_trials_captions_mark_its_used_repetitions_end_range():
    t = np.round(np.arange(0, 3.0, 0.05), 3)
    exc = 40 * np.sin(np.pi * t / 3.0)
    reps = (Repetition(0.0, 1.5, 3.0, 40.0, 0.2), Repetition(0.0, 0.5, 1.0, 20.0, 0.0))
    trial = replace(TrialResult.unmeasured("flexion", []), status="ok", value_deg=40.0,
                    repetitions=reps, used_repetitions=(0,), time_s=t, excursion_deg=exc)
    doc = trial_captions(trial)
    marked = [line for line in doc.splitlines() if line.endswith("end of range")]
    assert marked and all("Forward bending: 4" in line for line in marked)
    # only the used repetition (peak 1.5 s) is marked: 1.4-1.6 s, not the unused one at 0.5 s
    assert near_peaks(t, [1.5]).sum() == 5
    assert "00:00:00.500" not in "".join(x for x in doc.split("\n\n") if "end of range" in x)
    assert trial_captions(TrialResult.unmeasured("flexion", [])) == ""
