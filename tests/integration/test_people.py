"""Issue 16, "the wrong person": with a still bystander in view the one who moves is measured
and the result says so; two people moving is refused. Clips composed side by side from the
rendered side-bend sample (real model)."""

from pathlib import Path

import numpy as np
import pytest

from lumbar_rom.pipeline import SeveralPeopleError, analyze_video
from lumbar_rom.pose.estimator import MediaPipeEstimator
from lumbar_rom.video.reader import iter_frames
from tests.fixtures.videos import make_video

pytestmark = pytest.mark.slow
SAMPLE = Path(__file__).resolve().parents[2] / "sample_videos" / "side-bend-left.mp4"


@pytest.fixture(scope="module")
def estimator():
    with MediaPipeEstimator(mode="video") as est:
        yield est


@pytest.fixture(scope="module")
def frames():
    return [f.rgb for f in iter_frames(SAMPLE)]


def _pair(path, frames, left_moves, right_moves):
    still = frames[0]
    pics = [np.concatenate([f if left_moves else still, f if right_moves else still], axis=1)
            for f in frames]
    h, w = pics[0].shape[:2]
    return make_video(path, n_frames=len(pics), width=w, height=h, fps=15, frames=pics)


@pytest.mark.parametrize(("left_moves", "where"), [(True, "on the left"),
                                                    (False, "on the right")])
def test_the_one_who_moves_is_measured_and_named(tmp_path, estimator, frames, left_moves, where):
    video = _pair(tmp_path / "two.mp4", frames, left_moves, not left_moves)
    result = analyze_video(video, "auto", estimator=estimator)
    trial = next(t for t in result.trials if t.movement == "side-bend-left")
    assert trial.status == "ok" and 15 < trial.value_deg < 30  # the sample: 20 deg
    note = next(f for f in trial.flags if f.code == "several_people")
    assert note.message == f"2 people were in view; the one who moved ({where} of the " \
                           "picture) was measured."
    x = np.nanmedian(result.seq.image[:, 23, 0])
    assert (x < 360) == left_moves  # the landmarks are the mover's


def test_two_people_moving_is_refused(tmp_path, estimator, frames):
    video = _pair(tmp_path / "both.mp4", frames, True, True)
    with pytest.raises(SeveralPeopleError, match="2 people move in both.mp4"):
        analyze_video(video, "auto", estimator=estimator)
