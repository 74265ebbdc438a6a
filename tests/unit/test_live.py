"""The guided live test's state machine, fed frame by frame from a hand-built trial."""

import numpy as np
import pytest

from lumbar_rom.app.live import GuidedTrial
from lumbar_rom.pose.estimator import FramePose
from tests.fixtures.skeleton import make_trial


class Clock:
    def __init__(self):
        self.t = 0.0

    def __call__(self):
        return self.t


class Replay:
    """A fake live estimator replaying a PoseSequence (one pose per call)."""

    name = "replay"

    def __init__(self, seq, missing=()):
        self.seq, self.i, self.missing = seq, 0, set(missing)

    def process(self, rgb, ts):
        i = min(self.i, self.seq.n_frames - 1)
        self.i += 1
        if i in self.missing:
            return None
        return FramePose(self.seq.image[i], self.seq.world[i], self.seq.visibility[i], ts)

    def close(self):
        pass


def run(trial, clock, n, fps=30.0):
    frame = np.zeros((1280, 720, 3), np.uint8)
    for _ in range(n):
        trial.process(frame, clock.t)
        clock.t += 1 / fps


def hold_then(seq_neutral_frames, trial_seq):
    """Prepend extra still frames (for framing + countdown) to a trial."""
    from lumbar_rom.pose.sequence import PoseSequence

    k = seq_neutral_frames
    img = np.concatenate([np.repeat(trial_seq.image[:1], k, 0), trial_seq.image])
    wor = np.concatenate([np.repeat(trial_seq.world[:1], k, 0), trial_seq.world])
    vis = np.concatenate([np.repeat(trial_seq.visibility[:1], k, 0), trial_seq.visibility])
    t = np.arange(len(img)) / 30.0
    return PoseSequence(t, img, wor, vis, trial_seq.frame_size)


def test_full_guided_flexion_gives_the_offline_value():
    seq = hold_then(150, make_trial("flexion", [60, 62, 61], "side"))
    clock = Clock()
    g = GuidedTrial("flexion", Replay(seq), clock=clock)
    run(g, clock, 40)
    assert g.snapshot().phase == "countdown"  # framing held for 1 s
    run(g, clock, 100)
    assert g.snapshot().phase in ("neutral", "moving")
    run(g, clock, seq.n_frames - 140 + 30)
    s = g.snapshot()
    assert s.phase == "done" and s.reps == 3
    assert s.result is not None and s.result.status == "ok"
    assert s.result.value_deg == pytest.approx(61, abs=1.0)
    assert s.fps == pytest.approx(30, rel=0.05)


def test_wrong_view_keeps_framing_with_the_instruction():
    seq = make_trial("flexion", [60], "front")
    clock = Clock()
    g = GuidedTrial("flexion", Replay(seq), clock=clock)
    run(g, clock, 60)
    s = g.snapshot()
    assert s.phase == "framing" and not s.framing["view"]
    assert "side" in s.cue


def test_nobody_in_view():
    seq = make_trial("flexion", [60], "side")
    clock = Clock()
    g = GuidedTrial("flexion", Replay(seq, missing=range(1000)), clock=clock)
    run(g, clock, 20)
    assert g.snapshot().cue == "Step into the picture."


def test_pause_redo_and_stop_for_pain():
    seq = hold_then(150, make_trial("flexion", [60, 62, 61], "side"))
    clock = Clock()
    g = GuidedTrial("flexion", Replay(seq), clock=clock)
    run(g, clock, 40)
    g.command("pause")
    run(g, clock, 10)
    assert g.snapshot().phase == "paused"
    g.command("resume")
    assert g.snapshot().phase == "framing"
    g.command("stop_pain")
    run(g, clock, 5)
    assert g.snapshot().phase == "stopped" and "pain" in g.snapshot().cue


def test_the_movement_is_given_as_its_spec_or_name():
    from lumbar_rom.assessment.protocol import parse_movement

    seq = make_trial("flexion", [60], "side")
    by_spec = GuidedTrial(parse_movement("extension"), Replay(seq), clock=Clock())
    assert by_spec.movement == "extension" and by_spec.spec.direction == -1
    assert GuidedTrial("extension", Replay(seq), clock=Clock()).spec == by_spec.spec
    with pytest.raises(ValueError, match="Unknown movement 'twist'"):
        GuidedTrial("twist", Replay(seq), clock=Clock())
