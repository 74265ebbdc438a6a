"""Per-browser-session state and shared resources of the Streamlit app.

Decisions (issue 31): "your results" are the current visit's. A stored session opened from
Progress is a view of that session (``Visit.opened_session``), shown as "Session of <date>";
it closes when the person goes to Start or Upload, or when a new movement is measured. Results
of the bundled sample clips are marked (``Visit.samples``), never saved to anyone's history,
and a real trial of the same movement always replaces a sample's.

Everything the pages share lives in ``st.session_state`` under the keys below; the history store
is shared by all sessions (``st.cache_resource``); each session gets its own landmarkers (file
and live mode), closed when the server shuts down (the estimator registry's ``atexit``) or when a
live stream ends.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import streamlit as st

from lumbar_rom.assessment.trial import TrialResult
from lumbar_rom.clinical.engine import Assessment, Profile, Screening

ROOT = Path(__file__).resolve().parents[3]
SAMPLES = ROOT / "sample_videos"


@dataclass
class Visit:
    """What one person does in one sitting of the app."""

    person: str = ""
    profile: Profile = field(default_factory=Profile)
    screening: Screening = field(default_factory=Screening)
    screened: bool = False
    gate: Assessment | None = None  # a stopped assessment (red flag / acute injury)
    trials: dict[str, TrialResult] = field(default_factory=dict)
    videos: dict[str, bytes] = field(default_factory=dict)  # annotated replays by movement
    pain_limited: set[str] = field(default_factory=set)
    started_at: datetime = field(default_factory=datetime.now)
    saved_session: int | None = None
    opened_session: int | None = None  # a stored session being viewed
    samples: set[str] = field(default_factory=set)  # movements measured from a sample clip

    def sample_only(self) -> bool:
        """Every measured movement comes from a bundled sample clip (not this person)."""
        return bool(self.trials) and set(self.trials) <= self.samples


def visit() -> Visit:
    if "visit" not in st.session_state:
        st.session_state["visit"] = Visit()
    return st.session_state["visit"]


def new_visit(keep_person: bool = True) -> Visit:
    old = st.session_state.get("visit")
    v = Visit()
    if keep_person and old is not None:
        v.person, v.profile = old.person, old.profile
    st.session_state["visit"] = v
    return v


def store() -> Any:
    """The history store as this browser session may see it (SQLite by default;
    ``LUMBAR_ROM_DB``): the whole store in personal mode, the signed-in account's scoped view in
    clinic mode (:func:`lumbar_rom.app.auth.store`; every query scoped at the store layer)."""
    from lumbar_rom.app.auth import store as account_store

    return account_store()


def account() -> Any:
    """The signed-in account (:class:`~lumbar_rom.history.accounts.SignedIn`) in clinic mode;
    ``None`` in personal mode (no accounts)."""
    from lumbar_rom.app.auth import signed_in

    return signed_in()


def file_estimator() -> Any:
    """This session's VIDEO-mode landmarker for uploads (created once per session)."""
    if st.session_state.get("file_estimator") is None:
        from lumbar_rom.pose.estimator import MediaPipeEstimator

        st.session_state["file_estimator"] = MediaPipeEstimator(mode="video")
    return st.session_state["file_estimator"]


MAX_UPLOAD_MB = 200
"""The largest upload, in both modes: ``.streamlit/config.toml``'s ``server.maxUploadSize``
(Streamlit refuses a bigger file) and the Upload page's own check of each file's size."""
