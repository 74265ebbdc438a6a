"""The edge checks (lumbar_rom.inputs) and the output-file helpers (lumbar_rom.outputs)."""

from __future__ import annotations

import errno
import math
from pathlib import Path

import pytest

from lumbar_rom.inputs import (
    InputError,
    check_age,
    check_height,
    check_pain,
    check_slr,
    check_video_file,
    clean_name,
)
from lumbar_rom.outputs import (
    OutputError,
    atomic_path,
    atomic_write,
    check_output_dir,
    check_output_file,
)


@pytest.mark.parametrize("bad", [math.nan, math.inf, -1, 15.9, 100.5, "forty", None])
def test_age_outside_16_to_100_or_not_a_number_is_refused(bad):
    with pytest.raises(InputError, match="Age must be"):
        check_age(bad)


def test_numbers_inside_their_ranges_pass_as_floats():
    assert check_age(40) == 40.0 and check_height("170.5") == 170.5 and check_slr(0) == 0.0
    assert check_pain(3.0) == 3 and isinstance(check_pain(3.0), int)


@pytest.mark.parametrize(("check", "bad", "needle"), [
    (check_height, -170, "Height must be between 120 and 220 cm"),
    (check_slr, 1000, "straight-leg raise must be between 0 and 120 deg"),
    (check_pain, 11, "Pain must be between 0 and 10"),
    (check_pain, 2.5, "Pain must be a whole number"),
])
def test_out_of_range_numbers_are_refused_in_one_sentence(check, bad, needle):
    with pytest.raises(InputError, match=needle) as info:
        check(bad)
    assert str(info.value).count(". ") == 0 and str(info.value).endswith(".")


@pytest.mark.parametrize(("bad", "needle"), [
    ("", "empty"), ("   ", "empty"), (None, "empty"), ("x" * 300, "300 characters"),
    ("a\x00b", "control characters"), ("a\nb", "control characters"),
])
def test_bad_names_are_refused(bad, needle):
    with pytest.raises(InputError, match=needle):
        clean_name(bad)


def test_a_name_is_stripped_and_nfc_normalised():
    assert clean_name("  Zoe\u0301 ") == "Zo\u00e9"


def test_video_file_must_exist_and_not_be_a_folder(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        check_video_file(tmp_path / "gone.mp4")
    with pytest.raises(InputError, match="is a folder"):
        check_video_file(tmp_path)
    (tmp_path / "a.mp4").write_bytes(b"\0")
    assert check_video_file(tmp_path / "a.mp4") == tmp_path / "a.mp4"


def test_output_file_checks(tmp_path):
    with pytest.raises(OutputError, match="does not exist"):
        check_output_file(tmp_path / "nope" / "a.json", "--json")
    with pytest.raises(OutputError, match="--out .* is a folder"):
        check_output_file(tmp_path, "--out")
    assert check_output_file(tmp_path / "a.json") == tmp_path / "a.json"


def test_output_dir_is_created_and_a_file_is_refused(tmp_path):
    assert check_output_dir(tmp_path / "a" / "b").is_dir()
    (tmp_path / "f").write_text("x")
    with pytest.raises(OutputError, match="is a file"):
        check_output_dir(tmp_path / "f")


def test_atomic_write_replaces_the_target_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "x.json"
    target.write_text("old")
    atomic_write(target, "new")
    assert target.read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["x.json"]


def test_a_failed_write_keeps_the_old_file_and_removes_the_temporary(tmp_path):
    target = tmp_path / "r.pdf"
    target.write_text("old")
    with pytest.raises(OutputError, match="the disk is full"), atomic_path(target) as tmp:
        assert tmp.parent == tmp_path and tmp.suffix == ".pdf"
        tmp.write_text("half")
        raise OSError(errno.ENOSPC, "No space left on device")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["r.pdf"]


def test_other_errors_pass_through_and_remove_the_temporary(tmp_path):
    with pytest.raises(KeyError), atomic_path(tmp_path / "a.csv") as tmp:
        Path(tmp).write_text("x")
        raise KeyError("boom")
    assert list(tmp_path.iterdir()) == []
