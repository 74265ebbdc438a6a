"""Batch scheduling without video: a worker that dies, manifest parsing, resume keys."""

from pathlib import Path

import pytest

from lumbar_rom.batch import (
    _SUSPECT,
    DIED,
    BatchInput,
    _schedule,
    item_key,
    item_settings,
    read_manifest,
    trials_text,
)
from lumbar_rom.errors import LumbarRomError


class FakePool:
    """Runs jobs "in parallel"; a job named ``crash`` kills the pool: every job then in flight
    comes back as a suspect, as concurrent.futures reports a BrokenProcessPool."""

    def __init__(self):
        self.inflight, self.n = {}, 0
        self.max_inflight = 0

    def submit(self, job):
        self.n += 1
        self.inflight[self.n] = job
        self.max_inflight = max(self.max_inflight, len(self.inflight))
        return self.n

    def wait(self, handles):
        if any(self.inflight[h]["name"] == "crash" for h in handles):
            out = [(h, _SUSPECT) for h in handles]
        else:
            h = min(handles)
            out = [(h, {"status": "done", "reason": "", "trials": [], "elapsed_s": 1.0,
                        "detail": ""})]
        for h, _ in out:
            del self.inflight[h]
        return out


def test_a_file_that_kills_its_worker_is_isolated_and_the_others_complete():
    jobs = [{"name": n} for n in ("a", "b", "crash", "c", "d")]
    recorded = {}
    pool = FakePool()
    _schedule(jobs, pool, 3, lambda job, res: recorded.__setitem__(job["name"], res))
    assert set(recorded) == {"a", "b", "crash", "c", "d"}
    assert recorded["crash"]["status"] == "error" and recorded["crash"]["reason"] == DIED
    assert all(recorded[n]["status"] == "done" for n in "abcd")
    assert pool.max_inflight == 3


def test_manifest_columns_defaults_and_errors(tmp_path):
    m = tmp_path / "m.csv"
    m.write_text("Path,Movement,person,height_cm\nclips/a.mp4,,p1,172\n/abs/b.mov,flexion,,\n,,,\n")
    a, b = read_manifest(m)
    assert a == BatchInput(tmp_path / "clips" / "a.mp4", "auto", "p1", 172.0)
    assert b == BatchInput(Path("/abs/b.mov"), "flexion", None, None)
    m.write_text("file,movement\na.mp4,auto\n")
    with pytest.raises(LumbarRomError, match="no 'path' column"):
        read_manifest(m)
    m.write_text("path,height_cm\na.mp4,tall\n")
    with pytest.raises(LumbarRomError, match="Line 2 .* not a number"):
        read_manifest(m)


def test_resume_key_follows_content_and_settings():
    s1 = item_settings(BatchInput(Path("x.mp4")), "m" * 64)
    s2 = item_settings(BatchInput(Path("y.mp4")), "m" * 64)  # another name, same settings
    s3 = item_settings(BatchInput(Path("x.mp4"), "flexion"), "m" * 64)
    assert item_key("c" * 64, s1) == item_key("c" * 64, s2)
    assert item_key("c" * 64, s1) != item_key("c" * 64, s3)
    assert item_key("c" * 64, s1) != item_key("d" * 64, s1)
    assert item_key("c" * 64, s1) != item_key("c" * 64, item_settings(BatchInput(
        Path("x.mp4")), "n" * 64))


def test_trials_text():
    assert trials_text([{"movement": "flexion", "status": "ok", "value_deg": 65.04,
                         "uncertainty_deg": 3.0},
                        {"movement": "extension", "status": "inconclusive", "value_deg": None,
                         "uncertainty_deg": None}]
                       ) == "flexion 65.0 +/- 3.0; extension inconclusive"


def test_cli_batch_bad_input_and_executor_get_one_sentence(tmp_path):
    from typer.testing import CliRunner

    from lumbar_rom.cli import app

    runner = CliRunner()
    res = runner.invoke(app, ["batch", str(tmp_path / "nothing"), "-o", str(tmp_path / "o"),
                              "--db", f"sqlite:///{tmp_path}/s.db"])
    assert res.exit_code == 1 and "neither a folder of videos nor a manifest" in res.output
    res = runner.invoke(app, ["batch", str(tmp_path), "--executor", "spark"])
    assert res.exit_code == 1 and "--executor must be local or ray" in res.output
    assert "Traceback" not in res.output
