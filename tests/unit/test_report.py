"""The clinician PDF: generated, rendered to images with pdftoppm and checked for its sections;
CLI history / report / exports against a real SQLite file."""

import json
import shutil
import subprocess
from datetime import timedelta

import pytest
from typer.testing import CliRunner

from lumbar_rom.cli import app
from lumbar_rom.history.store import Store
from lumbar_rom.report.pdf import write_report
from tests.fixtures.clinical import restricted_set, trial
from tests.fixtures.history import NOW, save

# The report's section headings, in the order a clinician reads them.
HEADINGS = ["Screening", "Measured range of motion", "Muscles", "Stretch plan", "Goals",
            "Contributing factors", "Progress"]


@pytest.fixture
def store(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'h.db'}"
    monkeypatch.setenv("LUMBAR_ROM_DB", url)
    s = Store(url)
    save(s, "ana", when=NOW)
    later = restricted_set()
    later[0] = trial("flexion", 62, 3, extras={"lumbar_estimate_deg": 33.0})
    save(s, "ana", when=NOW + timedelta(days=14), trials=later, pain=3)
    return s


def need(tool):
    if shutil.which(tool) is None:
        pytest.skip(f"{tool} (poppler-utils) is not installed")


def test_pdf_has_its_sections_and_renders(store, tmp_path):
    need("pdftoppm")
    sessions = store.sessions("ana")
    out = write_report(sessions[-1], sessions, tmp_path / "r.pdf")
    text = subprocess.run(["pdftotext", "-layout", str(out), "-"], capture_output=True,
                          text=True, check=True).stdout
    lines = [line.strip() for line in text.splitlines()]
    assert [h for h in lines if h in HEADINGS] == HEADINGS  # each heading once, in this order
    assert "Forward bending (flexion)" in text and "RESTRICTED" in text
    assert "S11" in text and "+/-" in text  # norm source and uncertainty
    assert "Standing side bend" in text and "bend to the left to stretch the right side" in text
    assert "Progress: flexion" in text  # a chart page for a motion measured twice
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(out), str(tmp_path / "page")],
                   check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) >= 3
    from PIL import Image

    img = Image.open(pages[0]).convert("L")
    assert img.getextrema()[0] < 100  # there is dark text on the first page


def test_cli_history_exports_and_report(store, tmp_path):
    r = CliRunner()
    res = r.invoke(app, ["history"])
    assert res.exit_code == 0 and "ana: 2 session(s)" in res.output
    csv_path, json_path = tmp_path / "a.csv", tmp_path / "a.json"
    res = r.invoke(app, ["history", "--person", "ana", "--csv", str(csv_path), "--json",
                         str(json_path)])
    assert res.exit_code == 0, res.output
    assert "flexion: on track" in res.output or "flexion: behind" in res.output
    assert csv_path.read_text().count("\n") == 1 + 12
    assert len(json.loads(json_path.read_text())["sessions"]) == 2
    sid = store.sessions("ana")[-1].id
    res = r.invoke(app, ["report", "--session", str(sid), "-o", str(tmp_path / "x.pdf")])
    assert res.exit_code == 0 and (tmp_path / "x.pdf").read_bytes()[:4] == b"%PDF"
    res = r.invoke(app, ["report", "--session", "999"])
    assert res.exit_code == 1 and "no session 999" in res.output
    res = r.invoke(app, ["history", "--person", "nobody"])
    assert res.exit_code == 1 and "No sessions stored" in res.output
