"""Archive re-analysis: many videos analysed in parallel, resumable, one failure never stops it.

Input: a folder (every video file under it, recursively, sorted; the output folder is skipped)
or a manifest CSV with a header row and these columns:

=============  ==========  ================================================================
column         required    meaning
=============  ==========  ================================================================
``path``       yes         the video; a relative path is relative to the manifest's folder
``movement``   no          ``auto`` (default: detect and split) or one movement name
``person``     no          a pseudonymous id recorded with the result (not used to analyse)
``height_cm``  no          the person's height (fingertip-to-floor in cm)
=============  ==========  ================================================================

Each video is analysed by :func:`lumbar_rom.pipeline.analyze_video` into its own folder
``OUT/<stem>-<key[:12]>/`` (``result.json``, ``angles.csv``, ``annotated.mp4`` and
``provenance.json``). Every worker process has ONE MediaPipe VIDEO-mode landmarker of its own
(never shared), opened by the worker and renewed for each file so that no tracking state carries
over from one clip to the next (see :func:`_renew`): ``executor="local"`` runs a
``ProcessPoolExecutor`` (spawn) on this machine, ``executor="ray"`` runs one Ray actor per worker
on a local Ray cluster (``ray.init(num_cpus=workers)``, loopback only, dashboard UI off, usage stats
off; Ray still runs its minimal head processes, bound to 127.0.0.1) or on an existing
cluster (``address``). Only the parent process writes the database.

Progress lives in the store's ``batch_items`` table (:mod:`lumbar_rom.history.batch_models`),
keyed by the SHA-256 of the file's content plus the settings (movement, height, model checksum,
software version, analysis thresholds). A re-run skips what is done (and files that failed with a
reason, unless ``retry_failed``), and redoes what was pending or hit an internal error, so a batch
killed with ``kill -9`` resumes where it stopped. A file that fails with a user-facing error is
recorded with its one-sentence reason; an unexpected exception is recorded as "internal error"
with the traceback in the log (and ``OUT/batch.log``); a worker process that dies is replaced. The
summary CSV (``OUT/summary.csv``) lists each input's outcome and reason.
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
import os
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from lumbar_rom import __version__
from lumbar_rom.clinical.profile import Profile
from lumbar_rom.errors import LumbarRomError
from lumbar_rom.inputs import InputError, clean_name
from lumbar_rom.pose.model import sha256_of

logger = logging.getLogger(__name__)

VIDEO_SUFFIXES = frozenset({".mp4", ".mov", ".m4v", ".avi", ".mkv", ".webm"})
INTERNAL_ERROR = "internal error"
DIED = "internal error (the worker process died while analysing this file)"
SUMMARY_COLUMNS = ("path", "person", "movement", "outcome", "reason", "earlier_run", "trials",
                   "out_dir", "content_sha256", "elapsed_s")
Executor = Literal["local", "ray"]


@dataclass(frozen=True)
class BatchInput:
    """One video to analyse (a manifest row or a file found in a folder)."""

    path: Path
    movement: str = "auto"
    person: str | None = None
    height_cm: float | None = None


@dataclass(frozen=True)
class ItemOutcome:
    """One row of the summary. ``outcome``: ``done``, ``failed`` (``reason`` is a sentence for
    the user), ``error`` (internal error) or ``duplicate`` (the same content and settings as an
    earlier input); ``earlier_run``: settled by a previous run, skipped."""

    path: str
    person: str | None
    movement: str
    outcome: str
    reason: str
    earlier_run: bool
    trials: tuple[dict[str, Any], ...] = ()
    out_dir: str = ""
    content_sha256: str = ""
    elapsed_s: float | None = None


@dataclass(frozen=True)
class BatchSummary:
    """What a :func:`run_batch` call did. ``analysed``: done in this run; ``skipped``: settled
    by an earlier run; ``failed`` / ``errors``: failed in this run (or earlier, when skipped)."""

    items: tuple[ItemOutcome, ...]
    summary_csv: Path
    analysed: int
    skipped: int
    failed: int
    errors: int
    elapsed_s: float
    workers: int
    executor: str

    @property
    def total(self) -> int:
        return len(self.items)


# ---- inputs -------------------------------------------------------------------------------------


def read_manifest(path: Path) -> list[BatchInput]:
    """Rows of a manifest CSV (see the module docstring).

    Raises
    ------
    LumbarRomError : unreadable file, no ``path`` column, or a ``height_cm`` that is not a number.
    """
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            rows = list(csv.DictReader(fh))
            header = [c.strip().lower() for c in (rows[0].keys() if rows else [])]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise LumbarRomError(f"The manifest {path} cannot be read ({exc}); give a UTF-8 CSV "
                             "with a header row.") from exc
    if rows and "path" not in header:
        raise LumbarRomError(f"The manifest {path} has no 'path' column; its header must name "
                             "path and optionally movement, person, height_cm.")
    out = []
    for n, raw in enumerate(rows, start=2):
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items()}
        if not row.get("path"):
            continue
        p = Path(row["path"]).expanduser()
        height = row.get("height_cm") or None
        try:
            h = float(height) if height else None
        except ValueError:
            raise LumbarRomError(f"Line {n} of {path.name}: height_cm {height!r} is not a "
                                 "number; write it in cm, e.g. 172.") from None
        try:  # the one profile check (clinical.profile.Profile), as the CLI and the app do
            h = Profile(height_cm=h).height_cm
        except InputError as err:
            raise LumbarRomError(f"Line {n} of {path.name}: {err}") from None
        person = row.get("person") or None
        if person is not None:  # the same name check as the CLI and the app
            try:
                person = clean_name(person)
            except InputError as exc:
                raise LumbarRomError(f"Line {n} of {path.name}: {exc}") from None
        out.append(BatchInput(p if p.is_absolute() else path.parent / p,
                              row.get("movement") or "auto", person, h))
    return out


def collect_inputs(source: str | Path, exclude: Path | None = None) -> list[BatchInput]:
    """A folder's video files (recursive, sorted, ``exclude`` skipped) or a manifest's rows."""
    src = Path(source)
    if src.is_file():
        return read_manifest(src)
    if not src.is_dir():
        raise LumbarRomError(f"{src} is neither a folder of videos nor a manifest CSV; check "
                             "the path.")
    skip = exclude.resolve() if exclude is not None else None
    found = []
    for p in sorted(src.rglob("*")):
        if p.suffix.lower() not in VIDEO_SUFFIXES or not p.is_file():
            continue
        if skip is not None and p.resolve().is_relative_to(skip):
            continue
        found.append(BatchInput(p))
    return found


def item_settings(item: BatchInput, model_sha256: str) -> dict[str, Any]:
    """Everything that changes a result: part of the resume key and stored as provenance."""
    from lumbar_rom.assessment.trial import DEFAULT_ANALYSIS

    return {"movement": item.movement, "height_cm": item.height_cm,
            "model_sha256": model_sha256, "software_version": __version__,
            "analysis": asdict(DEFAULT_ANALYSIS)}


def item_key(content: str, settings: dict[str, Any]) -> str:
    canon = json.dumps(settings, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(f"{content}\n{canon}".encode()).hexdigest()


# ---- the work done in a worker ------------------------------------------------------------------


def analyse_job(job: dict[str, Any], estimator: Any) -> dict[str, Any]:
    """Analyse one video with the worker's own landmarker; never raises.

    Returns ``{"status": "done"|"failed"|"error", "reason", "trials", "elapsed_s", "detail"}``.
    """
    from lumbar_rom.pipeline import analyze_video

    t0 = time.perf_counter()
    out = Path(job["out_dir"])
    try:
        analysis = analyze_video(job["path"], job["movement"], out_dir=out, estimator=estimator,
                                 height_cm=job["height_cm"])
        trials = [_trial_summary(t) for t in analysis.trials]
        provenance = {k: job[k] for k in ("path", "person", "content_sha256", "settings")}
        provenance |= {"software_version": __version__,
                       "model_sha256": job["settings"]["model_sha256"],
                       "finished_at": datetime.now().isoformat(timespec="seconds")}
        (out / "provenance.json").write_text(json.dumps(provenance, indent=2))
        return {"status": "done", "reason": "", "trials": trials,
                "elapsed_s": time.perf_counter() - t0, "detail": ""}
    except (LumbarRomError, ValueError) as err:
        return {"status": "failed", "reason": str(err), "trials": [],
                "elapsed_s": time.perf_counter() - t0, "detail": ""}
    except Exception as err:  # noqa: BLE001 - one file must never stop the batch
        return {"status": "error", "reason": INTERNAL_ERROR, "trials": [],
                "elapsed_s": time.perf_counter() - t0,
                "detail": f"{type(err).__name__}: {err}\n{traceback.format_exc()}"}


def _trial_summary(trial: Any) -> dict[str, Any]:
    def num(x: float) -> float | None:
        return round(float(x), 3) if x == x else None  # NaN -> None

    return {"movement": trial.movement, "status": trial.status, "value_deg": num(trial.value_deg),
            "uncertainty_deg": num(trial.uncertainty_deg), "reasons": list(trial.reasons)}


# local executor: one landmarker per worker process, opened by the pool's initializer
_ESTIMATOR: Any = None
_MODEL_PATH: str | None = None


def _init_local_worker(model_path: str | None, parent_pid: int) -> None:
    global _ESTIMATOR, _MODEL_PATH
    # several analysing processes: pinning each one's helper threads to the same "spare" core
    # (video/threads.py, meant for one process) would pile them up; let the scheduler place them
    os.environ["LUMBAR_ROM_PIN_THREADS"] = "0"
    _watch_parent(parent_pid)
    from lumbar_rom.pose.estimator import MediaPipeEstimator

    _MODEL_PATH = model_path
    _ESTIMATOR = MediaPipeEstimator(model_path, mode="video")


def _watch_parent(parent_pid: int) -> None:
    """Exit when the parent dies (a killed batch must not leave orphan workers running)."""
    def watch() -> None:
        while True:
            if os.getppid() != parent_pid:
                os._exit(3)
            time.sleep(0.5)

    threading.Thread(target=watch, name="lumbar-rom-parent-watch", daemon=True).start()


def _run_local_job(job: dict[str, Any]) -> dict[str, Any]:
    global _ESTIMATOR
    try:
        return analyse_job(job, _ESTIMATOR)
    finally:
        _ESTIMATOR = _renew(_ESTIMATOR, _MODEL_PATH)


def _renew(estimator: Any, model_path: str | None) -> Any:
    """Close the worker's landmarker and open a fresh one for its next file.

    VIDEO mode tracks the person from frame to frame, and that state would carry over from one
    clip into the first frames of the next: measured, the sample flexion clip analysed just before
    side-bend-left makes ``auto`` find an extra 6 deg rotation-left trial there. A fresh landmarker
    per file (0.1-0.3 s, the model file is checked once per process) makes each result depend on
    the file and the settings only, which is what the resume key assumes."""
    from lumbar_rom.pose.estimator import MediaPipeEstimator

    estimator.close()
    return MediaPipeEstimator(model_path, mode="video")


class RayAnalyser:
    """Ray actor body: the actor's one landmarker, renewed per file (``ray.remote`` is applied
    lazily, so importing this module does not need Ray)."""

    def __init__(self, model_path: str | None) -> None:
        os.environ["LUMBAR_ROM_PIN_THREADS"] = "0"
        from lumbar_rom.pose.estimator import MediaPipeEstimator

        self.model_path = model_path
        self.estimator = MediaPipeEstimator(model_path, mode="video")

    def run(self, job: dict[str, Any]) -> dict[str, Any]:
        try:
            return analyse_job(job, self.estimator)
        finally:
            self.estimator = _renew(self.estimator, self.model_path)


# ---- executors (parent side) --------------------------------------------------------------------

_SUSPECT = object()  # a job in flight when a local worker process died (which one killed it?)


class _LocalBackend:
    def __init__(self, workers: int, model_path: str | None) -> None:
        self.workers = workers
        self.model_path = model_path
        self.pool = self._new_pool()

    def _new_pool(self) -> Any:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        return ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=_init_local_worker,
                                   initargs=(self.model_path, os.getpid()))

    def submit(self, job: dict[str, Any]) -> Any:
        return self.pool.submit(_run_local_job, job)

    def wait(self, handles: Iterable[Any]) -> list[tuple[Any, Any]]:
        from concurrent.futures import FIRST_COMPLETED
        from concurrent.futures import wait as wait_futures
        from concurrent.futures.process import BrokenProcessPool

        done, _ = wait_futures(list(handles), return_when=FIRST_COMPLETED)
        out, broken = [], False
        for fut in done:
            try:
                out.append((fut, fut.result()))
            except BrokenProcessPool:
                broken = True
                out.append((fut, _SUSPECT))
        if broken:
            logger.warning("a batch worker process died; starting a new pool")
            self.pool.shutdown(wait=False, cancel_futures=True)
            self.pool = self._new_pool()
        return out

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


class _RayBackend:
    def __init__(self, workers: int | None, address: str | None, model_path: str | None,
                 n_jobs: int) -> None:
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
        if not address:
            # Ray replaces a 127.0.0.1 node address by the machine's own address and then listens
            # on all interfaces, except where "clusters" are off (its Windows/macOS default):
            # then the local cluster's servers bind 127.0.0.1 only. Read when ray is imported.
            os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
        try:
            import ray
        except ImportError:
            raise LumbarRomError("The ray executor needs Ray; install it with "
                                 "`pip install 'lumbar-rom[batch]'` or use --executor local."
                                 ) from None
        self.ray = ray
        self.started = not ray.is_initialized()
        if self.started:
            env = {"env_vars": {"RAY_USAGE_STATS_ENABLED": "0", "LUMBAR_ROM_PIN_THREADS": "0"}}
            if address:
                ray.init(address=address, runtime_env=env, log_to_driver=False,
                         configure_logging=False)
            else:
                ray.init(num_cpus=workers or _cpu_count(), include_dashboard=False,
                         _node_ip_address="127.0.0.1", runtime_env=env, log_to_driver=False,
                         configure_logging=False)
        cluster_cpus = max(1, int(ray.cluster_resources().get("CPU", 1)))
        self.workers = min(workers or cluster_cpus, n_jobs)
        self.actor_cls: Any = ray.remote(num_cpus=1, max_restarts=0)(RayAnalyser)
        self.model_path = model_path
        self.idle = [self.actor_cls.remote(model_path) for _ in range(self.workers)]
        self.busy: dict[Any, Any] = {}  # ObjectRef -> actor

    def submit(self, job: dict[str, Any]) -> Any:
        actor = self.idle.pop() if self.idle else self.actor_cls.remote(self.model_path)
        ref = actor.run.remote(job)
        self.busy[ref] = actor
        return ref

    def wait(self, handles: Iterable[Any]) -> list[tuple[Any, Any]]:
        ready, _ = self.ray.wait(list(handles), num_returns=1)
        out = []
        for ref in ready:
            actor = self.busy.pop(ref)
            try:
                out.append((ref, self.ray.get(ref)))
                self.idle.append(actor)
            except self.ray.exceptions.RayActorError as err:
                logger.error("a Ray batch actor died: %s", err)
                out.append((ref, {"status": "error", "reason": DIED, "trials": [],
                                  "elapsed_s": None, "detail": str(err)}))
                self.idle.append(self.actor_cls.remote(self.model_path))
            except self.ray.exceptions.RayError as err:
                out.append((ref, {"status": "error", "reason": INTERNAL_ERROR, "trials": [],
                                  "elapsed_s": None, "detail": str(err)}))
                self.idle.append(actor)
        return out

    def close(self) -> None:
        for actor in self.idle + list(self.busy.values()):
            self.ray.kill(actor)
        if self.started:
            self.ray.shutdown()


def _cpu_count() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def _schedule(jobs: Sequence[dict[str, Any]], backend: Any, limit: int,
              record: Callable[[dict[str, Any], dict[str, Any]], None]) -> None:
    """Run ``jobs`` with at most ``limit`` in flight, calling ``record`` as each one ends.

    When a local worker dies, every job then in flight is a suspect: suspects run again one at a
    time, so the file that kills a worker alone is recorded as an internal error and the others
    complete."""
    queue = deque(jobs)
    suspects: deque[dict[str, Any]] = deque()
    inflight: dict[Any, dict[str, Any]] = {}
    while queue or suspects or inflight:
        while True:
            if suspects:
                if inflight:
                    break
                job = suspects.popleft()
                job["alone"] = True
            elif queue and len(inflight) < limit:
                job = queue.popleft()
            else:
                break
            inflight[backend.submit(job)] = job
        for handle, result in backend.wait(list(inflight)):
            job = inflight.pop(handle)
            if result is _SUSPECT:
                if job.get("alone"):
                    record(job, {"status": "error", "reason": DIED, "trials": [],
                                 "elapsed_s": None, "detail": "worker process died"})
                else:
                    suspects.append(job)
            else:
                record(job, result)


# ---- the batch ----------------------------------------------------------------------------------


def run_batch(items: str | Path | Sequence[BatchInput], *, executor: Executor = "local",
              workers: int | None = None, address: str | None = None,
              out_dir: str | Path = "batch-out", store_url: str | None = None,
              model_path: str | Path | None = None, retry_failed: bool = False,
              on_item: Callable[[ItemOutcome], None] | None = None) -> BatchSummary:
    """Analyse every video of ``items`` (a folder, a manifest CSV or a list) in parallel.

    Parameters
    ----------
    executor : ``"local"`` (worker processes on this machine) or ``"ray"``.
    workers : parallel landmarkers (default: the CPUs of this machine / of the Ray cluster).
    address : Ray cluster to join (``HOST:PORT`` of its head, or ``ray://HOST:10001``);
        default: start a local cluster for this batch.
    out_dir : one sub-folder per video, ``summary.csv`` and ``batch.log`` here.
    store_url : SQLAlchemy URL of the store keeping the progress (default: the history database).
    retry_failed : analyse again the files that failed with a reason in an earlier run.
    on_item : called in the parent as each input is settled (progress display).

    Raises
    ------
    LumbarRomError : the input, the model, the store or Ray cannot be used at all (a single
        file's problem is recorded, never raised).
    """
    from lumbar_rom.history.store import Store
    from lumbar_rom.pose.model import verify_model

    if executor not in ("local", "ray"):
        raise LumbarRomError(f"The executor must be local or ray, not {executor!r}.")
    if workers is not None and workers < 1:
        raise LumbarRomError("--workers must be at least 1.")
    t_start = time.perf_counter()
    out = Path(out_dir).resolve()
    out.mkdir(parents=True, exist_ok=True)
    inputs = (collect_inputs(items, exclude=out) if isinstance(items, str | Path)
              else list(items))
    model = verify_model(model_path)
    model_arg = str(model.path) if model_path is not None else None
    store = Store(store_url)
    log_path = out / "batch.log"

    with store.session() as s, s.begin():
        rows, jobs = _plan(s, inputs, out, model.sha256, retry_failed)
    for r in rows:
        if isinstance(r, ItemOutcome) and on_item is not None:
            on_item(r)
    record = _recorder(store, log_path, rows, on_item)

    n_workers = 0
    try:
        n_workers = _run_jobs(jobs, executor, workers, address, model_arg, record)
    finally:
        store.close()
    done = [r for r in rows if isinstance(r, ItemOutcome)]
    assert len(done) == len(rows)
    summary_csv = write_summary(done, out / "summary.csv")
    return BatchSummary(tuple(done), summary_csv,
                        analysed=sum(r.outcome == "done" and not r.earlier_run for r in done),
                        skipped=sum(r.earlier_run for r in done),
                        failed=sum(r.outcome == "failed" for r in done),
                        errors=sum(r.outcome == "error" for r in done),
                        elapsed_s=time.perf_counter() - t_start, workers=n_workers,
                        executor=executor)


def _plan(s: Any, inputs: Sequence[BatchInput], out: Path, model_sha256: str,
          retry_failed: bool) -> tuple[list[ItemOutcome | dict[str, Any]], list[dict[str, Any]]]:
    """Each input as a settled outcome (unreadable, duplicate, done in an earlier run) or a job
    to run (its store row created when new), in input order; and the jobs alone."""
    rows: list[ItemOutcome | dict[str, Any]] = []  # settled outcome or the job to run
    jobs: list[dict[str, Any]] = []
    first_path: dict[str, str] = {}  # key -> the first input with it
    for item in inputs:
        planned = _plan_item(s, item, out, model_sha256, retry_failed, first_path, len(rows))
        rows.append(planned)
        if isinstance(planned, dict):
            jobs.append(planned)
    return rows, jobs


def _plan_item(s: Any, item: BatchInput, out: Path, model_sha256: str, retry_failed: bool,
               first_path: dict[str, str], index: int) -> ItemOutcome | dict[str, Any]:
    """One input of :func:`_plan`: its settled outcome or its job (``first_path`` is updated)."""
    from sqlalchemy import select

    from lumbar_rom.history.batch_models import BatchItem

    path = Path(item.path).resolve()
    try:
        digest = sha256_of(path)
    except OSError as exc:
        return ItemOutcome(str(path), item.person, item.movement, "failed",
                           f"The file {path} cannot be read ({exc.strerror}); check the path.",
                           False)
    settings = item_settings(item, model_sha256)
    key = item_key(digest, settings)
    if key in first_path:
        return ItemOutcome(str(path), item.person, item.movement, "duplicate",
                           f"The same video with the same settings is listed before "
                           f"({first_path[key]}); it is analysed once.", False,
                           content_sha256=digest)
    first_path[key] = str(path)
    row = s.scalar(select(BatchItem).where(BatchItem.key == key))
    if row is None:
        row = BatchItem(key=key, content_sha256=digest, path=str(path), person=item.person,
                        movement=item.movement, status="pending", reason="",
                        out_dir=str(out / f"{_safe_stem(path)}-{key[:12]}"), trials=[],
                        settings=settings, software_version=__version__,
                        model_sha256=model_sha256, attempts=0, created_at=datetime.now())
        s.add(row)
    if row.status == "done" or (row.status == "failed" and not retry_failed):
        return ItemOutcome(str(path), item.person, item.movement, row.status, row.reason, True,
                           tuple(row.trials), row.out_dir, digest, row.elapsed_s)
    return {"key": key, "path": str(path), "person": item.person, "movement": item.movement,
            "height_cm": item.height_cm, "content_sha256": digest, "settings": settings,
            "out_dir": row.out_dir, "index": index}


def _recorder(store: Any, log_path: Path, rows: list[ItemOutcome | dict[str, Any]],
              on_item: Callable[[ItemOutcome], None] | None
              ) -> Callable[[dict[str, Any], dict[str, Any]], None]:
    """The callback that settles a job: logs its failure detail, updates its store row, puts its
    outcome in ``rows`` and reports it to ``on_item``."""
    from sqlalchemy import select

    from lumbar_rom.history.batch_models import BatchItem

    def record(job: dict[str, Any], result: dict[str, Any]) -> None:
        if result["detail"]:
            logger.error("%s: %s", job["path"], result["detail"])
            with log_path.open("a") as fh:
                fh.write(f"{datetime.now().isoformat(timespec='seconds')} {job['path']}\n"
                         f"{result['detail']}\n")
        with store.session() as s, s.begin():
            row = s.scalar(select(BatchItem).where(BatchItem.key == job["key"]))
            assert row is not None  # created by _plan_item
            row.status, row.reason, row.trials = (result["status"], result["reason"],
                                                  result["trials"])
            row.path, row.person = job["path"], job["person"]
            row.elapsed_s = result["elapsed_s"]
            row.attempts += 1
            row.finished_at = datetime.now()
        outcome = ItemOutcome(job["path"], job["person"], job["movement"], result["status"],
                              result["reason"], False, tuple(result["trials"]), job["out_dir"],
                              job["content_sha256"], result["elapsed_s"])
        rows[job["index"]] = outcome
        if on_item is not None:
            on_item(outcome)

    return record


def _run_jobs(jobs: list[dict[str, Any]], executor: str, workers: int | None,
              address: str | None, model_arg: str | None,
              record: Callable[[dict[str, Any], dict[str, Any]], None]) -> int:
    """Run the jobs on the executor; returns the number of workers used (0: nothing to do)."""
    if not jobs:
        return 0
    backend: Any = (_LocalBackend(min(workers or _cpu_count(), len(jobs)), model_arg)
                    if executor == "local"
                    else _RayBackend(workers, address, model_arg, len(jobs)))
    # local: a short queue per worker keeps the pool busy; ray: one job per actor at a time
    limit = 2 * backend.workers if executor == "local" else backend.workers
    try:
        _schedule(jobs, backend, limit, record)
    finally:
        backend.close()
    return int(backend.workers)


def _safe_stem(path: Path) -> str:
    stem = "".join(c if c.isalnum() or c in "-_." else "_" for c in path.stem)
    return stem[:60] or "video"


def trials_text(trials: Iterable[dict[str, Any]]) -> str:
    """``flexion 65.0 +/- 3.1; extension inconclusive`` for the summary CSV."""
    parts = []
    for t in trials:
        if t.get("status") == "ok" and t.get("value_deg") is not None:
            parts.append(f"{t['movement']} {t['value_deg']:.1f} +/- {t['uncertainty_deg']:.1f}")
        else:
            parts.append(f"{t['movement']} {t.get('status', '')}".strip())
    return "; ".join(parts)


def write_summary(items: Sequence[ItemOutcome], path: Path) -> Path:
    """The summary CSV: one row per input, in input order (columns ``SUMMARY_COLUMNS``)."""
    tmp = path.with_suffix(".csv.tmp")
    with tmp.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(SUMMARY_COLUMNS)
        for r in items:
            w.writerow([r.path, r.person or "", r.movement, r.outcome, r.reason,
                        "yes" if r.earlier_run else "no", trials_text(r.trials), r.out_dir,
                        r.content_sha256, "" if r.elapsed_s is None else f"{r.elapsed_s:.2f}"])
    tmp.replace(path)
    return path


__all__ = ["BatchInput", "BatchSummary", "ItemOutcome", "collect_inputs", "read_manifest",
           "run_batch", "write_summary"]
