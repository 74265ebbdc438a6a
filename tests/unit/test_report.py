"""The clinician PDF: generated, rendered to images with pdftoppm and checked for its sections;
CLI history / report / exports against a real SQLite file."""

import json
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lumbar_rom.cli import app
from lumbar_rom.history.store import Store
from lumbar_rom.report.pdf import measured_rows, write_report
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


# ---- issue 16 / 17: what the report shows, and how --------------------------------------------


def pdf_text(path, *pages):
    """pdftotext of ``path`` (only ``pages`` = (first, last) when given), whitespace-collapsed
    lines dropped of blanks."""
    need("pdftotext")
    rng = ["-f", str(pages[0]), "-l", str(pages[1])] if pages else []
    out = subprocess.run(["pdftotext", "-layout", *rng, str(path), "-"], capture_output=True,
                         text=True, check=True).stdout
    return [" ".join(line.split()) for line in out.splitlines() if line.strip()]


def flat(path):
    """The whole text of the PDF on one line (line wraps undone)."""
    return " ".join(pdf_text(path))


def page_count(path):
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True,
                          check=True).stdout
    return int(next(x for x in info.splitlines() if x.startswith("Pages:")).split()[1])


def three_sessions(tmp_path):
    s = Store(f"sqlite:///{tmp_path / 'three.db'}")
    for k, flex in enumerate((40, 50, 62)):
        trials = restricted_set()
        trials[0] = trial("flexion", flex, 3)
        save(s, "ana", when=NOW + timedelta(days=14 * k), trials=trials)
    return s.sessions("ana")


def test_report_charts_only_sessions_up_to_the_reported_one(tmp_path):
    sessions = three_sessions(tmp_path)  # 25 Nov, 09 Dec, 23 Dec 2026
    first = flat(write_report(sessions[0], sessions, tmp_path / "1.pdf"))
    assert "Progress: flexion" not in first and "Only one session so far" in first
    assert "Dec 2026" not in first
    second = flat(write_report(sessions[1], sessions, tmp_path / "2.pdf"))
    assert "Progress: flexion" in second
    assert "25 Nov 2026" in second and "09 Dec 2026" in second  # the date axis
    assert "23 Dec 2026" not in second  # the third session is after the report


def test_inconclusive_rows_say_why_and_never_dash_plus_minus(tmp_path):
    from lumbar_rom.assessment.trial import Flag

    s = Store(f"sqlite:///{tmp_path / 'i.db'}")
    trials = restricted_set()
    trials[0] = trial("flexion", 62, 3)  # 59-65 straddles the threshold (65): inconclusive
    trials[1] = trial("extension", float("nan"), 9, status="inconclusive",
                      flags=[Flag("hips", "The hips left the frame.", True)])
    save(s, "ana", trials=trials)
    row = s.sessions("ana")[0]
    text = flat(write_report(row, [row], tmp_path / "i.pdf"))
    assert "- +/- 9" not in text and "+/- -" not in text
    rows = {r[0]: r[1] for r in measured_rows(row, row.read_assessment())}
    assert rows["Backward bending (extension)"] == "not measured: The hips left the frame."
    assert rows["Forward bending (flexion)"] == ("62 +/- 3, not valid for a decision: its 95 % "
                                                 "band (59-65 deg) straddles the threshold "
                                                 "(65 deg)")
    assert "not measured: The hips left the frame." in text  # printed in its cell


def test_the_measured_table_has_real_rows_and_columns(tmp_path):
    """Issue 31: a table, not pipe-separated text. In pdftotext's layout, each motion is one
    row whose cells start at the column of their header; the rendered page is looked at in
    test-artifacts/report-table.png."""
    import re

    need("pdftoppm")
    s = Store(f"sqlite:///{tmp_path / 't.db'}")
    save(s, "ana", trials=restricted_set())
    row = s.sessions("ana")[0]
    out = write_report(row, [row], tmp_path / "t.pdf")
    text = subprocess.run(["pdftotext", "-layout", str(out), "-"], capture_output=True,
                          text=True, check=True).stdout
    lines = text.splitlines()
    assert not [line for line in lines if " | " in line]
    header = next(line for line in lines if line.lstrip().startswith("Motion "))
    cols = [header.index(h) for h in ("Measured", "Norm", "Restricted below", "Decision")]
    a = row.read_assessment()
    for d, cells in zip(a.decisions, measured_rows(row, a), strict=True):
        line = next(line for line in lines  # a long label wraps inside its cell
                    if line.lstrip().startswith(cells[0].split(" (")[0] + " "))
        words = [m.start() for m in re.finditer(r"(?<=\s\s)\S", line)]
        assert len(words) >= 4, line  # the cells, apart, on the motion's line
        assert line.rstrip().endswith(d.status.upper())
        # each cell begins near its header's column (pdftotext places words by position)
        starts = [min(words, key=lambda w, c=c: abs(w - c)) for c in cols]
        assert all(abs(w - c) <= 6 for w, c in zip(starts, cols, strict=True)), (line, cols)
    side = next(line for line in lines if line.lstrip().startswith("Side bending to the left"))
    assert re.search(r"12 \+/- 2\s{2,}25\s{2,}16\s{2,}RESTRICTED$", side.rstrip())
    art = Path(__file__).resolve().parents[2] / "test-artifacts"
    art.mkdir(exist_ok=True)
    subprocess.run(["pdftoppm", "-r", "70", "-png", "-f", "1", "-l", "1", "-singlefile",
                    str(out), str(art / "report-table")], check=True)
    from PIL import Image

    img = Image.open(art / "report-table.png").convert("L")
    # the rules under the header and between rows: long light or dark horizontal lines
    w, h = img.size
    ruled = [y for y in range(h)
             if sum(1 for x in range(w // 10, w * 8 // 10) if img.getpixel((x, y)) < 235)
             > w * 0.6]
    assert len(ruled) >= len(a.decisions)


def test_sources_are_numbered_and_listed_with_their_links(store, tmp_path, monkeypatch):
    import re

    from lumbar_rom.clinical.knowledge import Source, sources_for
    from lumbar_rom.report import pdf

    def linked(text):
        return [Source(s.key, s.text, f"https://doi.org/10.9999/{s.key}", "guideline")
                for s in sources_for(text)]

    monkeypatch.setattr(pdf, "sources_for", linked)
    sessions = store.sessions("ana")
    lines = pdf_text(write_report(sessions[-1], sessions, tmp_path / "r.pdf"))
    at = lines.index("References")
    body, refs = " ".join(lines[:at]), lines[at + 1:]
    assert not re.search(r"(?<![\w-])S\d+[a-z]?\b", body)  # no bare key left in the text
    assert "[S" not in body
    numbers = [int(n) for c in re.findall(r"\[([\d, ]+)\]", body) for n in c.split(",")]
    listed = [int(m.group(1)) for x in refs if (m := re.match(r"\[(\d+)\] ", x))]
    assert listed == list(range(1, len(listed) + 1)) and len(listed) >= 10
    assert set(numbers) == set(listed)  # every number cited is listed, every listed one cited
    at = next(i for i, x in enumerate(refs) if "(key S11)" in x)
    start = max(i for i in range(at + 1) if re.match(r"\[\d+\] ", refs[i]))
    entry = " ".join(refs[start:at + 1])  # a long citation wraps over several lines
    assert sources_for("S11")[0].text.rstrip(".") in entry and "(guideline)" in entry
    assert refs[at + 1] == "https://doi.org/10.9999/S11"  # its link, on the next line
    raw = (tmp_path / "r.pdf").read_bytes()
    assert b"/URI (https://doi.org/10.9999/S11)" in raw  # and clickable


def test_a_heading_never_ends_a_page(tmp_path):
    from matplotlib.backends.backend_pdf import PdfPages

    from lumbar_rom.report.pdf import _Writer

    out = tmp_path / "h.pdf"
    with PdfPages(out) as pdf:
        w = _Writer(pdf)
        while w.y >= 0.09:  # room for the heading, not for the line after it
            w.line("filler")
        w.heading("Kept heading")
        w.line("the text it heads")
        w.close()
    assert pdf_text(out, 1, 1)[-1] == "filler"
    assert pdf_text(out, 2, 2)[:2] == ["Kept heading", "the text it heads"]


@pytest.mark.parametrize("note_lines", [0, 8, 16, 24])
def test_report_pages_never_end_on_a_heading(tmp_path, note_lines):
    from lumbar_rom.report.pdf import SECTIONS

    s = Store(f"sqlite:///{tmp_path / 'n.db'}")
    save(s, "ana", when=NOW)
    later = restricted_set()
    later[0] = trial("flexion", 62, 3)
    sid = save(s, "ana", when=NOW + timedelta(days=14), trials=later)
    if note_lines:  # a longer note moves every heading down the page
        with s.session() as db, db.begin():
            from lumbar_rom.history.models import SessionRow

            db.get(SessionRow, sid).notes = " ".join(["note"] * 21 * note_lines)
    sessions = s.sessions("ana")
    out = write_report(sessions[-1], sessions, tmp_path / "n.pdf")
    for page in range(1, page_count(out) + 1):
        assert pdf_text(out, page, page)[-1] not in SECTIONS, page


def test_chart_axes_cover_the_norm_and_goal_lines():
    import matplotlib.pyplot as plt

    from lumbar_rom.history.progress import Point, motion_progress
    from lumbar_rom.report.pdf import _chart

    pts = [Point(NOW, 40.0, 3.0, "restricted", 77.0, "side"),
           Point(NOW + timedelta(days=14), 46.0, 3.0, "restricted", 77.0, "side")]
    prog = motion_progress("flexion", pts)
    fig, ax = plt.subplots()
    _chart(ax, prog)
    lo, hi = ax.get_ylim()
    assert lo < 37.0 - 1 and hi > 77.0 + 1  # the lowest bar and the norm line, with a margin
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["goal line", "norm (77 deg)", "measured (+/- 95 %)"]
    plt.close(fig)


def test_chart_page_draws_the_norm_line(store, tmp_path):
    need("pdftoppm")
    import numpy as np
    from PIL import Image

    sessions = store.sessions("ana")
    out = write_report(sessions[-1], sessions, tmp_path / "r.pdf")
    subprocess.run(["pdftoppm", "-r", "100", "-png", str(out), str(tmp_path / "p")], check=True)
    norm = np.array([0x15, 0x80, 0x3D])  # COLORS["norm"]
    hits = 0
    for page in sorted(tmp_path.glob("p-*.png")):
        rgb = np.asarray(Image.open(page).convert("RGB")).astype(int)
        hits += int((np.abs(rgb - norm).sum(axis=2) < 40).sum())
    assert hits > 500  # a norm line across a chart's width (about 660 px at 100 dpi)


@pytest.mark.parametrize("name", ["a$\\frac{1}{$b", "$x^2$ Smith"])
def test_names_notes_and_file_names_are_plain_text(tmp_path, name):
    import dataclasses

    s = Store(f"sqlite:///{tmp_path / 'm.db'}")
    trials = restricted_set()
    trials[0] = dataclasses.replace(trials[0], source=f"/videos/{name}.mp4")
    save_fn = s.save_session
    from lumbar_rom.clinical.engine import Profile, Screening, assess

    prof, scr = Profile(age=40, sex="female", height_cm=165), Screening(pain_before=2)
    save_fn(name, prof, scr, trials, assess(prof, scr, trials, now=NOW), started_at=NOW,
            notes=f"note: {name}")
    row = s.sessions(name)[0]
    lines = pdf_text(write_report(row, [row], tmp_path / "m.pdf"))
    assert f"Person: {name} age 40 sex female height 165 cm" in lines
    assert f"Notes: note: {name}" in lines
    assert f"Video files: {name}.mp4" in lines


def test_a_failed_report_leaves_no_partial_pdf(store, tmp_path, monkeypatch):
    from lumbar_rom.report import pdf

    def boom(*_):
        raise RuntimeError("disk full")

    monkeypatch.setattr(pdf, "_progress", boom)
    sessions = store.sessions("ana")
    with pytest.raises(RuntimeError):
        write_report(sessions[-1], sessions, tmp_path / "r.pdf")
    assert list(tmp_path.glob("*.pdf*")) == []


def test_inform_answers_of_a_complete_assessment_are_in_the_report(tmp_path):
    """Answers that inform without stopping the test (constant night pain, per the cited
    red-flag guidance; a past cancer now stops, issue 27) belong in the clinician's report
    too."""
    from lumbar_rom.clinical.engine import Profile, Screening, assess

    need("pdftotext")
    s = Store(f"sqlite:///{tmp_path / 'f.db'}")
    prof = Profile(age=40, sex="female", height_cm=165)
    scr = Screening(red_flags={"night_pain": True}, pain_before=3)
    a = assess(prof, scr, restricted_set(), now=NOW)
    assert a.status == "complete" and a.safety
    s.save_session("ana", prof, scr, restricted_set(), a, started_at=NOW)
    row = s.sessions("ana")[0]
    text = flat(write_report(row, [row], tmp_path / "f.pdf"))
    assert "Worth telling your doctor:" in text


def test_a_long_link_wraps_instead_of_running_off_the_page(tmp_path):
    """Issue 27: a long source link is split over lines, each piece linking the whole
    address."""
    from matplotlib.backends.backend_pdf import PdfPages

    from lumbar_rom.report.pdf import _Writer

    url = "https://pubmed.ncbi.nlm.nih.gov/?term=" + "a+long+title+" * 25
    with PdfPages(tmp_path / "l.pdf") as pdf:
        w = _Writer(pdf)
        assert w.fig is not None
        w.link(url)
        parts = [t for t in w.fig.texts if t.get_url() == url]
        w.close()
    assert len(parts) >= 3
    assert "".join(t.get_text() for t in parts) == url
    assert max(len(t.get_text()) for t in parts) <= 120
