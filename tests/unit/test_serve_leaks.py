"""Nothing leaks or runs (issue 29): URLs masked however written, CSV cells never formulas, one
name check on every path, uploaded file names shown as text."""

from __future__ import annotations

import csv
import io

import pytest

from lumbar_rom.app.page_upload import file_label
from lumbar_rom.batch import read_manifest
from lumbar_rom.errors import LumbarRomError
from lumbar_rom.history.store import Store, _scrub, masked_url
from lumbar_rom.inputs import InputError
from lumbar_rom.outputs import csv_safe
from tests.fixtures.history import save


@pytest.mark.parametrize(("url", "masked"), [
    ("postgresql+psycopg://lumbar:P@ss:word@127.0.0.1:5432/db",
     "postgresql+psycopg://lumbar:***@127.0.0.1:5432/db"),
    ("postgresql://u:a/b@c@h/d", "postgresql://u:***@h/d"),
    ("postgresql://u:pw@h:5/d", "postgresql://u:***@h:5/d"),
    ("postgresql://u@h/d", "postgresql://u@h/d"),
    ("sqlite:////tmp/a.db", "sqlite:////tmp/a.db"),
])
def test_urls_are_masked_however_written(url, masked):
    assert masked_url(url) == masked


def test_a_driver_message_loses_the_password_with_an_at_sign():
    url = "postgresql+psycopg://lumbar:P@ss:word@127.0.0.1:1/db"
    text = _scrub(f"connection to {url} failed: password P@ss:word rejected", url)
    assert "P@ss" not in text and "ss:word" not in text


@pytest.mark.parametrize("cell", ["=HYPERLINK(\"http://x\",\"y\")", "+1", "-2+3", "@SUM(A1)",
                                  "\t=1"])
def test_formula_cells_become_text(cell):
    assert csv_safe(cell) == "'" + cell


def test_numbers_and_plain_text_pass():
    assert csv_safe(-12.5) == -12.5 and csv_safe("Ana") == "Ana" and csv_safe(None) is None


def test_the_csv_export_neutralises_a_formula_name(tmp_path):
    s = Store(f"sqlite:///{tmp_path / 'h.db'}")
    name = '=HYPERLINK("http://evil.example","x")'
    save(s, name)
    rows = list(csv.DictReader(io.StringIO(s.export_csv(name))))
    assert rows and {r["person"] for r in rows} == {"'" + name}
    s.close()


@pytest.mark.parametrize("bad", ["a\x00b", "x" * 10_000, "  ", "tab\there"])
def test_the_store_refuses_a_name_the_inputs_refuse(db_url, bad):
    s = Store(db_url)
    with pytest.raises(InputError):
        s.person(bad)
    assert s.people() == []
    s.close()


@pytest.mark.parametrize("bad", ["a\x00b", "x" * 10_000])
def test_a_manifest_person_gets_the_same_name_check(tmp_path, bad):
    manifest = tmp_path / "m.csv"
    manifest.write_text(f"path,person\nclip.mp4,{bad}\n", encoding="utf-8")
    with pytest.raises(LumbarRomError, match=r"^Line 2 of m\.csv: The name "):
        read_manifest(manifest)


def test_a_manifest_person_is_kept_when_fine(tmp_path):
    manifest = tmp_path / "m.csv"
    manifest.write_text("path,person\nclip.mp4, Ana Lopez \n", encoding="utf-8")
    assert [i.person for i in read_manifest(manifest)] == ["Ana Lopez"]


@pytest.mark.parametrize(("name", "label"), [
    ("www.evil.example.mp4", r"www\.evil\.example\.mp4"),
    ("http://evil.example/a.mp4", r"http\:\/\/evil\.example\/a\.mp4"),
    ("me@evil.example.mp4", r"me\@evil\.example\.mp4"),
    ("[x](http://e.example).mp4", r"\[x\]\(http\:\/\/e\.example\)\.mp4"),
])
def test_uploaded_file_names_cannot_form_a_link(name, label):
    assert file_label(name) == label  # no "www.", "://" or "@" left for the autolinker


def test_the_pdf_names_a_character_its_font_cannot_draw():
    from lumbar_rom.report.pdf import drawable

    assert drawable("Ana Ærø Ωμέγα Жанна") == "Ana Ærø Ωμέγα Жанна"
    assert drawable("Leg 🦵 李") == "Leg [U+1F9B5] [U+674E]"


def test_an_emoji_name_reaches_the_pdf_as_text(tmp_path):
    from lumbar_rom.report.pdf import write_report
    from tests.unit.test_report import flat

    s = Store(f"sqlite:///{tmp_path / 'h.db'}")
    sid = save(s, "Zoë 🦵")
    row = s.get_session(sid)
    out = write_report(row, s.sessions("Zoë 🦵"), tmp_path / "r.pdf")
    assert "Person: Zoë [U+1F9B5]" in flat(out)
    s.close()
