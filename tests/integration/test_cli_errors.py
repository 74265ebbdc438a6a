"""Hostile inputs and broken outputs at the CLI edge: exit 1, one sentence, never a traceback
(issue 16): read-only / unreachable databases (password masked), output paths into missing folders
or onto folders (checked before the work), a full disk (no partial file), out-of-range numbers and
names, and ``assess VIDEO:MOVEMENT``."""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import lumbar_rom
import lumbar_rom.pipeline
from lumbar_rom.assessment.protocol import MovementSpec
from lumbar_rom.cli import app
from lumbar_rom.history.store import Store
from tests.fixtures import history as fx
from tests.fixtures.clinical import restricted_set
from tests.fixtures.videos import make_video

runner = CliRunner()
SRC = Path(lumbar_rom.__file__).resolve().parents[1]
SAMPLES = Path(__file__).resolve().parents[2] / "sample_videos"


def one_sentence(result, *needles: str) -> str:
    """The run failed with exit 1 and one line ``Error: ... .`` containing ``needles``."""
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    text = result.output.strip()
    assert "Traceback" not in text
    errors = [ln for ln in text.splitlines() if ln.startswith("Error: ")]
    assert len(errors) == 1 and errors[0] == text.splitlines()[-1], text
    assert errors[0].endswith("."), errors[0]
    for n in needles:
        assert n in errors[0], errors[0]
    return errors[0]


@dataclass
class Calls:
    specs: list


@pytest.fixture
def measured(monkeypatch, tmp_path):
    """``analyze_video`` replaced by a recorder returning the hand-made restricted set; a fresh
    database in ``tmp_path``; a (tiny, never decoded) clip."""
    calls = Calls([])

    class _Analysis:
        trials = tuple(restricted_set())

    def fake(path, spec="auto", **kw):
        calls.specs.append((Path(path).name, spec))
        return _Analysis()

    monkeypatch.setattr(lumbar_rom.pipeline, "analyze_video", fake)
    monkeypatch.setenv("LUMBAR_ROM_DB", fx.url(tmp_path))
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"\0")
    return calls, clip


# --- databases ---------------------------------------------------------------------------------

def test_a_database_that_refuses_writes_on_assess_person_is_one_sentence(measured, monkeypatch):
    import sqlite3

    from sqlalchemy.exc import OperationalError

    def read_only(*a, **k):
        raise OperationalError("INSERT INTO person ...", {},
                               sqlite3.OperationalError("attempt to write a readonly database"))

    monkeypatch.setattr(Store, "save_session", read_only)
    _, clip = measured
    result = runner.invoke(app, ["assess", str(clip), "--person", "ana"])
    one_sentence(result, "attempt to write a readonly database", "history database")


def _read_only_mount(src: Path, dst: Path) -> bool:
    dst.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return False
    ok = subprocess.run(["mount", "--bind", str(src), str(dst)], capture_output=True)
    if ok.returncode != 0:
        return False
    subprocess.run(["mount", "-o", "remount,ro,bind", str(dst)], check=True)
    return True


def test_a_read_only_database_fails_before_any_video_is_measured(measured, tmp_path,
                                                                  monkeypatch):
    calls, clip = measured
    db = tmp_path / "db"
    db.mkdir()
    fx.save(Store(f"sqlite:///{db / 'h.db'}"))
    ro = tmp_path / "ro"
    if not _read_only_mount(db, ro):
        pytest.skip("needs root to mount a read-only folder")
    try:
        monkeypatch.setenv("LUMBAR_ROM_DB", f"sqlite:///{ro / 'h.db'}")
        result = runner.invoke(app, ["assess", str(clip), "--person", "ana"])
        one_sentence(result, "history database")
        assert calls.specs == []  # refused before the work
    finally:
        subprocess.run(["umount", "-l", str(ro)], check=True)


def test_a_postgres_password_never_appears_in_an_error(monkeypatch):
    url = "postgresql+psycopg://clinic:s3cr%40t-Pw@127.0.0.1:1/lumbar"
    monkeypatch.setenv("LUMBAR_ROM_DB", url)
    for args in (["history"], ["history", "--person", "ana"], ["report", "--session", "1"]):
        result = runner.invoke(app, args)
        line = one_sentence(result)
        assert "s3cr" not in line and "Pw" not in line, line
        assert "clinic:***@127.0.0.1" in line, line


def test_masking_covers_the_raw_password_too(monkeypatch):
    from lumbar_rom.cli import _mask_credentials

    monkeypatch.setenv("LUMBAR_ROM_DB", "postgresql://u:p%40ss@h/db")
    assert _mask_credentials("at postgresql://u:p%40ss@h/db: bad p@ss") == \
        "at postgresql://u:***@h/db: bad ***"


# --- output paths, checked before the work -----------------------------------------------------

@pytest.fixture
def stored(tmp_path, monkeypatch):
    monkeypatch.setenv("LUMBAR_ROM_DB", fx.url(tmp_path))
    return fx.save(Store(fx.url(tmp_path)))


@pytest.mark.parametrize("where", ["missing", "folder"])
def test_report_out_into_a_missing_folder_or_onto_a_folder(tmp_path, stored, where):
    out = tmp_path / "nope" / "r.pdf" if where == "missing" else tmp_path
    result = runner.invoke(app, ["report", "--session", str(stored), "-o", str(out)])
    one_sentence(result, "does not exist" if where == "missing" else "is a folder")


@pytest.mark.parametrize("option", ["--csv", "--json"])
def test_history_export_into_a_missing_folder(tmp_path, stored, option):
    result = runner.invoke(app, ["history", "--person", "ana", option,
                                 str(tmp_path / "nope" / "x")])
    one_sentence(result, "does not exist", option)
    assert "session" not in result.output.split("Error:")[0]  # checked before printing


def test_assess_json_into_a_missing_folder_fails_before_measuring_or_saving(measured,
                                                                             tmp_path):
    calls, clip = measured
    result = runner.invoke(app, ["assess", str(clip), "--person", "ana",
                                 "--json", str(tmp_path / "nope" / "a.json")])
    one_sentence(result, "does not exist", "--json")
    assert calls.specs == []
    assert Store(fx.url(tmp_path)).people() == []


def test_a_full_disk_during_an_export_leaves_no_partial_file(tmp_path, stored, monkeypatch):
    def full(self, data):
        os.write(os.open(self, os.O_WRONLY | os.O_CREAT), data[:10])
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Path, "write_bytes", full)
    out = tmp_path / "export.csv"
    result = runner.invoke(app, ["history", "--person", "ana", "--csv", str(out)])
    one_sentence(result, "the disk is full")
    assert [p.name for p in tmp_path.iterdir() if not p.name.startswith("h.db")] == []


@pytest.fixture
def tiny_disk(tmp_path):
    """A 200 KiB tmpfs (root only)."""
    d = tmp_path / "tiny"
    d.mkdir()
    if os.geteuid() != 0 or subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=200k", "tmpfs", str(d)],
            capture_output=True).returncode != 0:
        pytest.skip("needs root to mount a small tmpfs")
    yield d
    subprocess.run(["umount", "-l", str(d)], check=True)


def test_the_video_writer_on_a_full_disk_raises_one_sentence_and_leaves_nothing(tiny_disk,
                                                                               monkeypatch):
    from lumbar_rom.errors import VideoError
    from lumbar_rom.video.writer import VideoWriter

    thread_errors = []
    monkeypatch.setattr("threading.excepthook", thread_errors.append)
    rng = np.random.default_rng(0)
    # the error comes from write() or from close() (the index is written last)
    with (pytest.raises(VideoError) as info,  # noqa: PT012
          VideoWriter(tiny_disk / "annotated.mp4", 320, 240, crf=0) as w):
        for i in range(200):
            w.write(rng.integers(0, 255, (240, 320, 3), np.uint8), i / 30)
    assert str(info.value).startswith("The disk is full, so annotated.mp4")
    assert thread_errors == []
    assert list(tiny_disk.iterdir()) == []  # no partial MP4


@pytest.mark.slow
def test_analyze_onto_a_full_disk_is_one_sentence_without_a_partial_video(tiny_disk):
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    run = subprocess.run([sys.executable, "-m", "lumbar_rom.cli", "analyze",
                          str(SAMPLES / "side-bend-left.mp4"), "-m", "side-bend-left", "-o",
                          str(tiny_disk / "out")], capture_output=True, text=True, env=env,
                         timeout=600)
    assert run.returncode == 1
    assert "Traceback" not in run.stderr, run.stderr[-3000:]
    assert "Error: The disk is full" in run.stderr
    assert not (tiny_disk / "out" / "annotated.mp4").exists()
    assert [p.name for p in (tiny_disk / "out").iterdir() if p.suffix == ".mp4"] == []


# --- numbers and names -------------------------------------------------------------------------

@pytest.mark.parametrize(("args", "needle"), [
    (["--age", "nan"], "Age must be between 16 and 100 years"),
    (["--age", "-5"], "Age must be between"),
    (["--height", "-170"], "Height must be between 120 and 220 cm"),
    (["--slr", "1000"], "straight-leg raise must be between 0 and 120 deg"),
    (["--pain", "11"], "Pain must be between 0 and 10"),
    (["--pain", "2.5"], "Pain must be a whole number"),
    (["--person", ""], "The name is empty"),
    (["--person", "   "], "The name is empty"),
    (["--person", "x" * 300], "The name has 300 characters; use at most 60"),
])
def test_assess_refuses_bad_numbers_and_names_before_measuring(measured, tmp_path, args, needle):
    calls, clip = measured
    result = runner.invoke(app, ["assess", str(clip), *args])
    one_sentence(result, needle)
    assert calls.specs == []
    assert Store(fx.url(tmp_path)).people() == []


def test_analyze_refuses_a_negative_height(tmp_path):
    make_video(tmp_path / "c.mp4")
    result = runner.invoke(app, ["analyze", str(tmp_path / "c.mp4"), "--height", "-1",
                                 "-o", str(tmp_path / "o")])
    one_sentence(result, "Height must be between")


def test_a_valid_name_is_stored_stripped(measured, tmp_path):
    _, clip = measured
    result = runner.invoke(app, ["assess", str(clip), "--age", "40", "--person", "  Ana  "])
    assert result.exit_code == 0, result.output
    assert [p.name for p in Store(fx.url(tmp_path)).people()] == ["Ana"]


# --- assess VIDEO:MOVEMENT ---------------------------------------------------------------------

def test_assess_takes_the_movement_per_clip(measured, tmp_path):
    calls, clip = measured
    other = tmp_path / "b.mp4"
    other.write_bytes(b"\0")
    result = runner.invoke(app, ["assess", f"{clip}:side-bend-left", str(other),
                                 f"{other}:auto"])
    assert result.exit_code == 0, result.output
    (n1, s1), (n2, s2), (n3, s3) = calls.specs
    assert (n1, n2, n3) == ("clip.mp4", "b.mp4", "b.mp4")
    assert isinstance(s1, MovementSpec) and s1.id == "side-bend-left"
    assert s2 == s3 == "auto"


def test_assess_names_an_unknown_movement_in_one_sentence(measured):
    calls, clip = measured
    result = runner.invoke(app, ["assess", f"{clip}:twist"])
    one_sentence(result, "'twist'", "is not a movement", "side-bend-left")
    assert calls.specs == []


def test_assess_refuses_a_missing_clip_before_measuring_any(measured, tmp_path):
    calls, clip = measured
    result = runner.invoke(app, ["assess", str(clip), f"{tmp_path / 'gone.mp4'}:flexion"])
    one_sentence(result, "gone.mp4 does not exist")
    assert calls.specs == []
