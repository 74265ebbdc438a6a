"""Inputs from the hostile pass (issue 29): only regular files are opened as videos, ids are
range-checked before the database, landmarkers left open close before interpreter shutdown."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

import lumbar_rom
from lumbar_rom.errors import VideoError
from lumbar_rom.inputs import InputError, check_video_file
from lumbar_rom.video.reader import probe

SRC = Path(lumbar_rom.__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])}


def _cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "lumbar_rom.cli", *args], capture_output=True,
                          text=True, timeout=timeout, env=ENV)


@pytest.fixture
def specials(tmp_path):
    fifo = tmp_path / "clip.mp4"
    os.mkfifo(fifo)
    sock_path = tmp_path / "s.mp4"
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(sock_path))
    yield [fifo, sock_path, Path("/dev/zero")]
    sock.close()


def test_a_fifo_a_socket_and_a_device_are_refused_before_open(specials):
    for path in specials:
        with pytest.raises(InputError, match="is not a regular file"):
            check_video_file(path)
        with pytest.raises(VideoError, match="is not a regular file"):
            probe(path)  # would block forever in open() on the FIFO


def test_analyze_refuses_a_fifo_in_one_sentence(tmp_path):
    fifo = tmp_path / "clip.mp4"
    os.mkfifo(fifo)
    run = _cli("analyze", str(fifo), "-o", str(tmp_path / "out"), timeout=120)
    assert run.returncode == 1
    assert "is not a regular file (a pipe, device or socket)" in run.stderr + run.stdout
    assert "Traceback" not in run.stderr


@pytest.mark.parametrize("sid", ["99999999999999999999999", "2147483648"])
def test_report_range_checks_the_id_before_the_database(tmp_path, sid):
    ENV["LUMBAR_ROM_DB"] = f"sqlite:///{tmp_path / 'none' / 'h.db'}"  # never opened
    try:
        run = _cli("report", "--session", sid, "-o", str(tmp_path / "r.pdf"))
    finally:
        ENV.pop("LUMBAR_ROM_DB")
    assert run.returncode == 1
    assert run.stderr.strip() == (f"Error: --session must be a whole number from 1 to "
                                  f"2147483647; '{sid}' was given.")
    assert not (tmp_path / "none").exists()


EXIT_WITH_OPEN_LANDMARKERS = """
from lumbar_rom.pose.estimator import MediaPipeEstimator, _create
est = MediaPipeEstimator(mode="video")   # never closed
raw = _create(est._options)               # a bare PoseLandmarker, never closed
print("made")
"""


@pytest.mark.slow
def test_landmarkers_left_open_close_before_shutdown_without_a_traceback():
    for _ in range(3):
        run = subprocess.run([sys.executable, "-c", EXIT_WITH_OPEN_LANDMARKERS],
                             capture_output=True, text=True, timeout=300, env=ENV)
        assert run.returncode == 0 and run.stdout.strip() == "made"
        assert "Traceback" not in run.stderr and "Exception ignored" not in run.stderr, \
            run.stderr[-2000:]


@pytest.mark.slow
def test_assess_says_who_was_measured_when_two_people_are_in_view(tmp_path):
    from lumbar_rom.video.reader import iter_frames
    from tests.integration.test_people import SAMPLE, _pair

    frames = [f.rgb for f in iter_frames(SAMPLE)]
    video = _pair(tmp_path / "two.mp4", frames, True, False)
    run = _cli("assess", f"{video}:side-bend-left", timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    assert ("two.mp4: 2 people were in view; the one who moved (on the left of the picture) was "
            "measured.") in run.stdout.splitlines()


def test_a_side_specific_value_says_which_side_of_the_body():
    from lumbar_rom.assessment.protocol import side_measured

    assert side_measured("flexion") == "" and side_measured("extension", True) == ""
    assert side_measured("side-bend-left") == (
        " (the person's left as the video shows it; if the video is a mirror image, as front "
        "cameras often save, it was their right: run again with --mirrored)")
    assert side_measured("rotation-right", mirrored=True) == (
        " (the person's right; the video was turned back from a mirror image)")


@pytest.mark.slow
def test_analyze_states_the_side_in_the_headline(tmp_path):
    from tests.integration.test_people import SAMPLE

    run = _cli("analyze", str(SAMPLE), "-o", str(tmp_path / "out"), timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    head = next(line for line in run.stdout.splitlines() if line.startswith("side-bend-left"))
    assert head.startswith("side-bend-left (the person's left as the video shows it; if the "
                           "video is a mirror image")
    assert " deg +/- " in head
