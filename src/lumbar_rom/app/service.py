"""The app's work that is not UI: analyse an upload, the current assessment, saving, reading a
stored session back, and the few knowledge values the pages show. Pages call these; nothing here
draws a widget.
"""

from __future__ import annotations

import math
import os
import tempfile
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

from lumbar_rom.app.state import Visit, account, file_estimator, store
from lumbar_rom.assessment.protocol import MOVEMENTS
from lumbar_rom.assessment.trial import TrialResult
from lumbar_rom.clinical.engine import Assessment, Profile, Screening, assess, is_chronic
from lumbar_rom.clinical.knowledge import knowledge
from lumbar_rom.history.pain import TrialPain


class AnalysisQueue:
    """At most ``limit`` analyses at once in this server process, first come first served.

    Decision (issue 13): a clinic server has many sessions and few cores; ten analyses started
    at once each take ten times as long, starve the page reruns of every other session (sign
    in, Continue) and hold ten decoded clips in memory. So analyses queue here, and a waiting
    session is told how many are ahead of it. The bound is ``LUMBAR_ROM_MAX_ANALYSES`` or the
    number of cores."""

    def __init__(self, limit: int) -> None:
        self.limit = max(1, limit)
        self._cond = threading.Condition()
        self._waiting: list[object] = []
        self._running = 0

    def ahead(self, ticket: object) -> int:
        """How many analyses run or wait before ``ticket`` (0: it may start)."""
        i = self._waiting.index(ticket)
        return i + self._running - self.limit + 1 if self._running >= self.limit else i

    def run(self, job: Callable[[], Any], on_wait: Callable[[int], None] | None = None) -> Any:
        """``job()`` once a place is free; meanwhile ``on_wait(n_ahead)`` about once a second
        (it may raise to give up the place in the queue)."""
        ticket = object()
        with self._cond:
            self._waiting.append(ticket)
            try:
                while (n := self.ahead(ticket)) > 0:
                    if on_wait is not None:
                        on_wait(n)
                    self._cond.wait(timeout=1.0)
            finally:
                self._waiting.remove(ticket)
                self._cond.notify_all()
            self._running += 1
        try:
            return job()
        finally:
            with self._cond:
                self._running -= 1
                self._cond.notify_all()


ANALYSES = AnalysisQueue(int(os.environ.get("LUMBAR_ROM_MAX_ANALYSES", "0") or 0)
                         or (os.cpu_count() or 1))
"""The server's one analysis queue (shared by every session: the module is imported once)."""


def analyse_upload(path: Path, movement: str, height_cm: float | None,
                   on_progress: Callable[[int, int], None] | None = None,
                   mirrored: bool = False,
                   on_wait: Callable[[int], None] | None = None,
                   ) -> tuple[list[TrialResult], bytes]:
    """One video file -> (its trials, the annotated replay as MP4 bytes), decoding it once.

    ``on_progress(done, total)`` runs over the whole job (tracking, analysis, the replay); it
    may raise :class:`~lumbar_rom.pipeline.Cancelled` to stop. ``mirrored``: the video is a
    mirror image (front camera). Raises :class:`~lumbar_rom.errors.LumbarRomError` (one
    sentence) for a video that cannot be analysed. It waits its turn in :data:`ANALYSES`,
    calling ``on_wait(n_ahead)`` meanwhile."""
    from lumbar_rom.pipeline import analyze_video

    estimator = file_estimator()

    def job() -> tuple[list[TrialResult], bytes]:
        with tempfile.TemporaryDirectory(prefix="lumbar-rom-upload-") as tmp:
            result = analyze_video(path, movement, estimator=estimator, height_cm=height_cm,
                                   on_progress=on_progress, out_dir=Path(tmp),
                                   mirrored=mirrored)
            replay = (Path(tmp) / "annotated.mp4").read_bytes()
        return list(result.trials), replay

    out: tuple[list[TrialResult], bytes] = ANALYSES.run(job, on_wait)
    return out


def keep_trials(v: Visit, trials: list[TrialResult], replay: bytes,
                sample: bool = False) -> None:
    """Add the trials of known movements (with their replay) to the visit: one per movement,
    the most valid one whatever the order they arrive in (:func:`trial_rank`). A ``sample``
    trial (a bundled clip, not this person) never replaces a real one, and a real trial always
    replaces a sample's (issue 31). New trials close a stored session being viewed: "your
    results" are this visit's."""
    for trial in trials:
        if trial.movement not in MOVEMENTS:
            continue
        m = trial.movement
        old = v.trials.get(m)
        was_sample = m in v.samples
        if old is not None and sample and not was_sample:
            continue  # the person's own trial outranks any sample
        if old is None or (was_sample and not sample) or trial_rank(trial) > trial_rank(old):
            v.trials[m] = trial
            v.videos[m] = replay
            if sample:
                v.samples.add(m)
            else:
                v.samples.discard(m)
        v.opened_session = None


def trial_rank(t: TrialResult) -> tuple[bool, int, int, float, float]:
    """How much a trial is worth keeping (greater = better): measured ("ok") over
    inconclusive, then fewer blocking flags, more repetitions, smaller uncertainty; the value
    last, so that two trials of one movement give the same choice in either order."""
    unc = t.uncertainty_deg if math.isfinite(t.uncertainty_deg) else math.inf
    val = t.value_deg if math.isfinite(t.value_deg) else -math.inf
    return (t.status == "ok", -sum(f.blocking for f in t.flags), len(t.repetitions), -unc, val)


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


def data_dir() -> Path:
    """The user data folder (``platformdirs``), resolved; every stored file lives under it."""
    from platformdirs import user_data_dir

    return Path(user_data_dir("lumbar-rom", appauthor=False)).resolve()


def inside_data_dir(path: Path) -> Path:
    """``path`` resolved, checked to be inside :func:`data_dir` (else :class:`ValueError`)."""
    resolved = path.resolve()
    if not resolved.is_relative_to(data_dir()):
        raise ValueError(f"Refusing to write outside the data folder: {resolved}.")
    return resolved


def keep_videos(v: Visit) -> str | None:
    """Write this visit's replays to the user data folder (the opt-in); return the folder.

    Names come from ids only (the visit's start time and a random token; the trial's index and
    its movement id), never from what a person typed."""
    if not v.videos:
        return None
    folder = inside_data_dir(
        data_dir() / "videos" / f"visit-{v.started_at:%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:8]}")
    folder.mkdir(parents=True, exist_ok=True)
    for i, (movement, data) in enumerate(sorted(v.videos.items()), start=1):
        if movement not in MOVEMENTS:
            continue
        inside_data_dir(folder / f"{i:02d}-{movement}.mp4").write_bytes(data)
    return str(folder)


def save(v: Visit, a: Assessment, pain_after: int, notes: str, keep_video: bool = False,
         trial_pain: Mapping[str, TrialPain] | None = None) -> int:
    """Store the assessment ``a`` of this visit; returns the session id (also kept in the visit).

    ``a`` should be :func:`current_assessment` with the same ``pain_after``; ``trial_pain``:
    what each measured motion felt like (``app.pain_inputs``). Raises whatever the database
    raises; :class:`ValueError` (one sentence) for a visit with sample results, which are
    never saved to anyone's history."""
    from lumbar_rom.pose.model import FULL_MODEL_SHA256

    if v.samples:
        raise ValueError(SAMPLES_NOT_SAVED)
    video_path = keep_videos(v) if keep_video else None
    v.saved_session = store().save_session(
        v.person, v.profile, visit_screening(v, pain_after), list(v.trials.values()), a,
        started_at=v.started_at, notes=notes, model_sha256=FULL_MODEL_SHA256,
        video_path=video_path, trial_pain=trial_pain)
    return v.saved_session


SAMPLES_NOT_SAVED = ("Results from the sample videos are not yours, so they are never saved to "
                     "your history: upload your own videos (they replace the samples).")


def report_pdf(s: Any, session_id: int) -> bytes | None:
    """The clinician PDF (:mod:`lumbar_rom.report.pdf`) of stored session ``session_id``, read
    through the store ``s`` (scoped in clinic mode) and audited there as exported; ``None``
    when the session is not one this account may open. Called by a download button when it is
    pressed (Streamlit runs it then, outside the page's script: ``s`` is passed in), so the
    audit log records only exports that happened."""
    from lumbar_rom.report.pdf import write_report

    row = s.get_session(session_id)
    if row is None:
        return None
    history = s.sessions(row.person.name)
    with tempfile.TemporaryDirectory(prefix="lumbar-rom-report-") as tmp:
        data = write_report(row, history, Path(tmp) / "report.pdf").read_bytes()
    s.exported(row.person.name, session_id, "PDF report")
    return data


def stored_assessment(row: Any) -> Assessment:
    """The assessment of a stored session, rebuilt as the typed :class:`Assessment`."""
    return row.read_assessment()


def pain_is_chronic(profile: Profile | None, now: datetime | None = None) -> bool:
    """Whether pain is judged as chronic (no injury, or one older than the knowledge's
    ``recent_injury_days``)."""
    return is_chronic(profile or Profile(), now or datetime.now())


def pelvic_tilt_limit_deg() -> float:
    """The pelvic obliquity above which a leg-length or foot check is advised (``factors.toml``)."""
    limit = knowledge().factors.measured["pelvic_obliquity"].threshold_deg
    if limit is None:
        raise ValueError("factors.toml gives no threshold_deg for pelvic_obliquity.")
    return float(limit)


NOT_YOURS = "That session does not exist, or it is not one you may open."
"""What a session id outside the signed-in account's scope (or a deleted one) reads as: the
same sentence either way, so a refused id does not tell that it exists."""


SESSION_LINK = "session_link"
"""``st.session_state`` key of a ``?session=ID`` link that arrived on another page (the
sign-in form runs before navigation, so a link lands on Start, which hands it to Results)."""


def patients() -> list[str]:
    """The people the signed-in account may see (clinic mode: a patient's own person, a
    clinician's assigned patients; personal mode: everyone stored), by name."""
    return [p.name for p in store().people()]


def own_person() -> str | None:
    """A patient account's own person (the only name its visits may use); ``None`` for a
    clinician or in personal mode."""
    acc = account()
    if acc is None or acc.role != "patient":
        return None
    names = patients()
    return names[0] if names else None


def is_clinician() -> bool:
    acc = account()
    return acc is not None and acc.role == "clinician"


def session_id_from_query(value: str | None) -> int | None:
    """The session id of a ``?session=ID`` link (``None``: absent or not a whole number)."""
    if value is None or not value.strip().isdigit():
        return None
    return int(value.strip())


def annotate(session_id: int, notes: str) -> bool:
    """A clinician's note on a stored session (scoped and audited by the store)."""
    return bool(store().annotate(session_id, notes.strip()))
