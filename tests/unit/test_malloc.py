"""Freed frame buffers are handed back during long videos (video/malloc.py)."""

import sys

import numpy as np
import pytest

from lumbar_rom import pipeline
from lumbar_rom.video.malloc import TRIM_EVERY, trim
from tests.fixtures.fakes import FakeEstimator
from tests.fixtures.videos import make_video


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc_trim")
def test_trim_hands_memory_back():
    junk = [np.ones(200_000, np.uint8) for _ in range(50)]
    del junk[::2]  # holes in the heap
    assert trim() is True


def test_tracking_trims_every_so_many_frames(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(pipeline, "trim", lambda: calls.append(1) or True)
    monkeypatch.setattr(pipeline, "TRIM_EVERY", 4)
    path = make_video(tmp_path / "c.mp4", n_frames=10)
    pipeline.track_video(path, estimator=FakeEstimator())
    assert len(calls) == 2  # after frames 4 and 8
    assert TRIM_EVERY >= 100
