"""The app's work that is not UI: analyse an upload, the current assessment, saving, reading a
stored session back, and the few knowledge values the pages show. Pages call these; nothing here
draws a widget.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

from lumbar_rom.app.state import Visit, file_estimator, store
from lumbar_rom.assessment.protocol import MOVEMENTS
from lumbar_rom.assessment.trial import TrialResult
from lumbar_rom.clinical.engine import Assessment, Profile, Screening, assess, is_chronic
from lumbar_rom.clinical.knowledge import knowledge


def analyse_upload(path: Path, movement: str, height_cm: float | None,
                   on_progress: Callable[[int, int], None] | None = None,
                   mirrored: bool = False) -> tuple[list[TrialResult], bytes]:
    """One video file -> (its trials, the annotated replay as MP4 bytes), decoding it once.

    ``on_progress(done, total)`` runs over the whole job (tracking, analysis, the replay); it
    may raise :class:`~lumbar_rom.pipeline.Cancelled` to stop. ``mirrored``: the video is a
    mirror image (front camera). Raises :class:`~lumbar_rom.errors.LumbarRomError` (one
    sentence) for a video that cannot be analysed."""
    from lumbar_rom.pipeline import analyze_video

    with tempfile.TemporaryDirectory(prefix="lumbar-rom-upload-") as tmp:
        result = analyze_video(path, movement, estimator=file_estimator(), height_cm=height_cm,
                               on_progress=on_progress, out_dir=Path(tmp), mirrored=mirrored)
        replay = (Path(tmp) / "annotated.mp4").read_bytes()
    return list(result.trials), replay


def keep_trials(v: Visit, trials: list[TrialResult], replay: bytes) -> None:
    """Add the trials of known movements (with their replay) to the visit."""
    for trial in trials:
        if trial.movement in MOVEMENTS:
            v.trials[trial.movement] = trial
            v.videos[trial.movement] = replay


def visit_screening(v: Visit, pain_after: int | None = None) -> Screening:
    """The visit's screening with its pain-limited movements (and the pain after, when given)."""
    scr = replace(v.screening, pain_limited=tuple(sorted(v.pain_limited)))
    return scr if pain_after is None else replace(scr, pain_after=pain_after)


def current_assessment(v: Visit, pain_after: int | None = None) -> Assessment | None:
    """The visit's assessment: its gate when stopped, None before any movement."""
    if v.gate is not None:
        return v.gate
    if not v.trials and not v.pain_limited:
        return None
    return assess(v.profile, visit_screening(v, pain_after), list(v.trials.values()))


def keep_videos(v: Visit) -> str | None:
    """Write this visit's replays to the user data folder (the opt-in); return the folder."""
    from platformdirs import user_data_dir

    if not v.videos:
        return None
    folder = Path(user_data_dir("lumbar-rom", appauthor=False)) / "videos" / (
        f"{v.person}-{v.started_at:%Y%m%d-%H%M%S}")
    folder.mkdir(parents=True, exist_ok=True)
    for movement, data in v.videos.items():
        (folder / f"{movement}.mp4").write_bytes(data)
    return str(folder)


def save(v: Visit, a: Assessment, pain_after: int, notes: str, keep_video: bool = False) -> int:
    """Store the assessment ``a`` of this visit; returns the session id (also kept in the visit).

    ``a`` should be :func:`current_assessment` with the same ``pain_after``. Raises whatever the
    database raises."""
    from lumbar_rom.pose.model import FULL_MODEL_SHA256

    video_path = keep_videos(v) if keep_video else None
    v.saved_session = store().save_session(
        v.person, v.profile, visit_screening(v, pain_after), list(v.trials.values()), a,
        started_at=v.started_at, notes=notes, model_sha256=FULL_MODEL_SHA256,
        video_path=video_path)
    return v.saved_session


def stored_assessment(row: Any) -> Assessment:
    """The assessment of a stored session, rebuilt as the typed :class:`Assessment`."""
    return row.read_assessment()


def pain_is_chronic(profile: Profile | None, now: datetime | None = None) -> bool:
    """Whether pain is judged as chronic (no injury, or one older than the knowledge's
    ``recent_injury_days``)."""
    return is_chronic(profile or Profile(), now or datetime.now())


def pelvic_tilt_limit_deg() -> float:
    """The pelvic obliquity above which a leg-length or foot check is advised (``factors.toml``)."""
    return float(knowledge().factors.measured["pelvic_obliquity"].threshold_deg)
