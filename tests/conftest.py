"""Shared fixtures. Real data comes from ../shared (never copied into the repo)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
POSE2SIM = SHARED / "data" / "pose2sim-demo"


def require_path(path: Path) -> Path:
    """Return ``path``; if missing, fail under CI (CI=true) and skip elsewhere."""
    if path.exists():
        return path
    msg = f"{path} is missing (tests read ../shared beside the repo)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(msg)
    pytest.skip(msg)


@pytest.fixture(scope="session")
def pose2sim() -> Path:
    return require_path(POSE2SIM)


@pytest.fixture(scope="session")
def estimator():
    """One real MediaPipe landmarker (VIDEO mode) for the whole test session, closed at the end."""
    from lumbar_rom.pose.estimator import MediaPipeEstimator

    est = MediaPipeEstimator(mode="video")
    yield est
    est.close()


# a throwaway PostgreSQL server (session scope) and `db_url`, which runs a test on SQLite and on it
from tests.fixtures.postgres import db_url, pg_url, postgres_server  # noqa: E402, F401
