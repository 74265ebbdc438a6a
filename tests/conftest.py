"""Shared fixtures. Real data (Pose2Sim footage, body assets) comes from the git-ignored
``.test-data/`` folder (or ``$LUMBAR_ROM_TEST_DATA``), filled from pinned PyPI wheels by
``make test-data`` (scripts/test_data.py), which ``make test`` runs before pytest. Nothing is
downloaded during the tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TEST_DATA = Path(os.environ.get("LUMBAR_ROM_TEST_DATA") or ROOT / ".test-data")
POSE2SIM = TEST_DATA / "pose2sim-demo"
POSE2SIM_FILES = ("balancing_cam01.mp4", "balancing_cam03.mp4", "static_cam01.mp4",
                  "Balancing_for_IK.trc", "Calib_qualisys.toml")


def require_test_data(folder: Path, files: tuple[str, ...]) -> Path:
    """``folder`` if it holds ``files``; otherwise fail with one sentence (never skip: a missing
    folder means `make test-data` was not run, which `make test` always does)."""
    missing = [f for f in files if not (folder / f).is_file()]
    if missing:
        pytest.fail(f"{folder / missing[0]} is missing: run `make test-data` (it fetches the "
                    "test data from PyPI and checks its checksum).", pytrace=False)
    return folder


@pytest.fixture(scope="session")
def pose2sim() -> Path:
    return require_test_data(POSE2SIM, POSE2SIM_FILES)


@pytest.fixture(scope="session")
def estimator():
    """One real MediaPipe landmarker (VIDEO mode) for the whole test session, closed at the end."""
    from lumbar_rom.pose.estimator import MediaPipeEstimator

    est = MediaPipeEstimator(mode="video")
    yield est
    est.close()


# a throwaway PostgreSQL server (session scope) and `db_url`, which runs a test on SQLite and on it
from tests.fixtures.postgres import db_url, pg_url, postgres_server  # noqa: E402, F401
