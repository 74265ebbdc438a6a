"""`lumbar-rom batch`: parallel archive re-analysis on the rendered sample clips.

Local executor (worker processes, one landmarker each) on a manifest with a broken file; resume
(a second run skips what is done); ``kill -9`` of the parent mid-batch, then a re-run completes;
the Ray executor on a local cluster (``ray.init(num_cpus=2)``) analyses every sample clip, is
killed, resumes and writes the summary.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

import lumbar_rom
from lumbar_rom.batch import read_manifest, run_batch
from lumbar_rom.history.batch_models import BatchItem
from lumbar_rom.pose.model import FULL_MODEL_SHA256

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "sample_videos"
CLIPS = ("extension", "flexion", "side-bend-left")  # the local tests' three clips


def summary_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as fh:
        return list(csv.DictReader(fh))


def count_done(db_file: Path) -> int:
    if not db_file.exists():
        return 0
    engine = create_engine(f"sqlite:///{db_file}")
    try:
        with engine.connect() as conn:
            return int(conn.scalar(select(func.count()).select_from(BatchItem)
                                   .where(BatchItem.status == "done")) or 0)
    except Exception:  # table not created yet
        return 0
    finally:
        engine.dispose()


def children(pid: int) -> list[int]:
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


def descendants(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        kids = children(todo.pop())
        out += kids
        todo += kids
    return out


LOOPBACK_HEX = {"0100007F", "0000000000000000FFFF00000100007F",
                "00000000000000000000000001000000"}  # 127.0.0.1, ::ffff:127.0.0.1, ::1


def listening(pids: list[int]) -> list[tuple[int, str]]:
    """(pid, local address in /proc/net hex) of every TCP socket those processes listen on."""
    inodes: dict[str, int] = {}
    for pid in pids:
        for fd in Path(f"/proc/{pid}/fd").glob("*"):
            try:
                link = os.readlink(fd)
            except OSError:
                continue
            if link.startswith("socket:["):
                inodes[link[8:-1]] = pid
    out = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            f = line.split()
            if f[3] == "0A" and f[9] in inodes:  # LISTEN
                out.append((inodes[f[9]], f[1].split(":")[0]))
    return out


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def cli_env() -> dict[str, str]:
    src = str(Path(lumbar_rom.__file__).resolve().parents[1])
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([src, env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env["RAY_USAGE_STATS_ENABLED"] = "0"
    return env


def kill_when_one_is_done(cmd: list[str], db_file: Path, log: Path, timeout_s: float = 400
                          ) -> tuple[int, list[int], list[int], list[tuple[int, str]]]:
    """Start ``cmd``; ``kill -9`` it as soon as the store records one finished file. Returns
    (files done at the kill, the killed process's children then, all its descendants then, the
    TCP addresses they and it listened on)."""
    with log.open("w") as fh:
        proc = subprocess.Popen(cmd, env=cli_env(), stdout=fh, stderr=subprocess.STDOUT)
    kids: list[int] = []
    try:
        t0 = time.monotonic()
        while count_done(db_file) < 1:
            assert proc.poll() is None, f"the batch ended before it was killed: {log.read_text()}"
            assert time.monotonic() - t0 < timeout_s, "no file finished in time"
            kids = descendants(proc.pid) or kids
            time.sleep(0.2)
        kids = descendants(proc.pid) or kids
        direct = children(proc.pid)
        ports = listening([proc.pid, *kids])
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    return count_done(db_file), direct, kids, ports


def wait_gone(pids: list[int], timeout_s: float = 30) -> list[int]:
    """The pids still running after ``timeout_s`` (killed here so no test leaves them)."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout_s and [p for p in pids if alive(p)]:
        time.sleep(0.25)
    left = [p for p in pids if alive(p)]
    for p in left:
        os.kill(p, signal.SIGKILL)
    return left


@pytest.fixture(scope="module")
def first_run(tmp_path_factory):
    d = tmp_path_factory.mktemp("batch")
    (d / "broken.mp4").write_text("this is not a video\n")
    lines = ["path,movement,person"]
    lines += [f"{SAMPLES / f'{c}.mp4'},{'extension' if c == 'extension' else ''},id-{c}"
              for c in CLIPS]
    lines.insert(2, "broken.mp4,,id-broken")  # relative to the manifest; 2nd of 4 rows
    (d / "manifest.csv").write_text("\n".join(lines) + "\n")
    db = f"sqlite:///{d / 'store.db'}"
    summary = run_batch(d / "manifest.csv", executor="local", workers=2, out_dir=d / "out",
                        store_url=db)
    return d, db, summary


def test_manifest_columns_and_relative_paths(first_run):
    d, _, _ = first_run
    items = read_manifest(d / "manifest.csv")
    assert [i.person for i in items] == ["id-extension", "id-broken", "id-flexion",
                                         "id-side-bend-left"]
    assert items[1].path == d / "broken.mp4"
    assert [i.movement for i in items] == ["extension", "auto", "auto", "auto"]


def test_local_batch_analyses_every_video_and_lists_the_broken_one(first_run):
    d, db, summary = first_run
    assert (summary.total, summary.analysed, summary.failed, summary.errors) == (4, 3, 1, 0)
    assert summary.workers == 2
    rows = summary_rows(d / "out" / "summary.csv")
    assert [Path(r["path"]).stem for r in rows] == ["extension", "broken", "flexion",
                                                    "side-bend-left"]
    broken = rows[1]
    assert broken["outcome"] == "failed" and broken["earlier_run"] == "no"
    assert "broken.mp4 is not a video file that can be read" in broken["reason"]
    for row in rows[:1] + rows[2:]:
        name = Path(row["path"]).stem
        assert row["outcome"] == "done" and row["reason"] == ""
        out = Path(row["out_dir"])
        for f in ("result.json", "angles.csv", "annotated.mp4", "provenance.json"):
            assert (out / f).stat().st_size > 0, f
        truth = json.loads((SAMPLES / f"{name}.json").read_text())
        result = json.loads((out / "result.json").read_text())
        trial = result["trials"][0]
        assert trial["movement"] == truth["movement"]
        assert abs(trial["value_deg"] - truth["truth"]["rom_deg"]) <= 3.0
        assert f"{truth['movement']} {trial['value_deg']:.1f} +/-" in row["trials"]
        prov = json.loads((out / "provenance.json").read_text())
        assert prov["model_sha256"] == FULL_MODEL_SHA256
        assert prov["software_version"] == lumbar_rom.__version__
        assert prov["person"] == f"id-{name}"
        assert prov["settings"]["analysis"]["min_peak_deg"] == 8.0


def test_progress_and_provenance_are_in_the_store(first_run):
    _, db, _ = first_run
    engine = create_engine(db)
    with engine.connect() as conn:
        items = {Path(r.path).stem: r for r in conn.execute(select(BatchItem))}
    engine.dispose()
    assert {k: v.status for k, v in items.items()} == {
        "extension": "done", "broken": "failed", "flexion": "done", "side-bend-left": "done"}
    for r in items.values():
        assert r.model_sha256 == FULL_MODEL_SHA256 and r.attempts == 1
        assert r.settings["model_sha256"] == FULL_MODEL_SHA256
        assert len(r.content_sha256) == 64 and len(r.key) == 64
    assert items["extension"].settings["movement"] == "extension"
    assert items["flexion"].trials[0]["movement"] == "flexion"
    assert items["flexion"].trials[0]["value_deg"] > 40


def test_rerun_skips_what_is_done_and_can_retry_failures(first_run):
    d, db, _ = first_run
    again = run_batch(d / "manifest.csv", workers=2, out_dir=d / "out", store_url=db)
    assert (again.total, again.analysed, again.skipped, again.failed) == (4, 0, 4, 1)
    assert again.workers == 0  # nothing to do: no worker started
    assert all(r["earlier_run"] == "yes" for r in summary_rows(again.summary_csv))
    retry = run_batch(d / "manifest.csv", workers=2, out_dir=d / "out", store_url=db,
                      retry_failed=True)
    assert (retry.analysed, retry.skipped, retry.failed) == (0, 3, 1)
    broken = [r for r in retry.items if Path(r.path).stem == "broken"][0]
    assert not broken.earlier_run and "not a video" in broken.reason


def test_kill_9_mid_batch_then_rerun_completes(tmp_path):
    db_file = tmp_path / "store.db"
    manifest = tmp_path / "m.csv"
    manifest.write_text("path\n" + "".join(f"{SAMPLES / f'{c}.mp4'}\n" for c in CLIPS[:2]))
    cmd = [sys.executable, "-m", "lumbar_rom.cli", "batch", str(manifest), "--workers", "1",
           "-o", str(tmp_path / "out"), "--db", f"sqlite:///{db_file}"]
    done_at_kill, kids, _, _ = kill_when_one_is_done(cmd, db_file, tmp_path / "log.txt")
    assert kids, "the batch had started worker processes"
    assert wait_gone(kids) == [], "workers outlived the killed batch"
    assert done_at_kill == 1
    assert not (tmp_path / "out" / "summary.csv").exists()
    rerun = run_batch(manifest, workers=1, out_dir=tmp_path / "out",
                      store_url=f"sqlite:///{db_file}")
    assert (rerun.total, rerun.skipped, rerun.analysed, rerun.failed) == (2, 1, 1, 0)
    assert [r["outcome"] for r in summary_rows(rerun.summary_csv)] == ["done", "done"]


def test_ray_batch_on_a_local_cluster_resumes_after_kill_9(tmp_path):
    pytest.importorskip("ray")
    db_file = tmp_path / "store.db"
    clips = tmp_path / "clips"  # the seven movement samples (not the holds in sample_videos/holds)
    clips.mkdir()
    for p in SAMPLES.glob("*.mp4"):
        (clips / p.name).symlink_to(p)
    n = len(list(clips.glob("*.mp4")))
    cmd = [sys.executable, "-m", "lumbar_rom.cli", "batch", str(clips), "--executor", "ray",
           "--workers", "2", "-o", str(tmp_path / "out"), "--db", f"sqlite:///{db_file}"]
    done_at_kill, direct, tree, ports = kill_when_one_is_done(cmd, db_file,
                                                               tmp_path / "log1.txt")
    try:
        assert 1 <= done_at_kill < n
        assert len(ports) >= 3, "the local cluster's GCS, raylet and workers listen"
        assert [p for p in ports if p[1] not in LOOPBACK_HEX] == [], "listening beyond loopback"
        # the head processes share the driver's fate at once
        assert wait_gone(direct) == [], "Ray head processes outlived the killed driver"
        log = tmp_path / "log2.txt"
        with log.open("w") as fh:
            subprocess.run(cmd, env=cli_env(), stdout=fh, stderr=subprocess.STDOUT, timeout=600,
                           check=True)
        # Ray's agents notice their raylet is gone within seconds but then wait on the dead
        # GCS to flush logs before exiting (~1 min, measured)
        assert wait_gone(tree, timeout_s=150) == [], "Ray processes outlived the killed driver"
    finally:
        wait_gone(tree, timeout_s=0)
    rows = summary_rows(tmp_path / "out" / "summary.csv")
    assert len(rows) == n
    assert [r["outcome"] for r in rows] == ["done"] * n, log.read_text()
    earlier = sum(r["earlier_run"] == "yes" for r in rows)
    assert earlier == done_at_kill
    assert f"{n} file(s): {n - earlier} analysed, {earlier} from earlier runs, 0 failed" \
        in log.read_text()
    for r in rows:
        truth = json.loads((SAMPLES / f"{Path(r['path']).stem}.json").read_text())
        assert r["trials"].startswith(truth["movement"] + " ")
