"""The PDF's Goals section: range of motion, strength (endurance holds) and pain, with status."""

import shutil
import subprocess
from datetime import timedelta

import numpy as np
import pytest
from typer.testing import CliRunner

from lumbar_rom.assessment.hold import HoldResult
from lumbar_rom.cli import app
from lumbar_rom.history.store import Store
from lumbar_rom.report.pdf import write_report
from tests.fixtures.history import NOW, save


def hold(test, held):
    t = np.arange(3.0)
    return HoldResult(test, held, 0.5, 1.0, 1.0 + held, "posture_dropped", 0.0, 0.0, 10.0, 0.5,
                      t, t)


@pytest.fixture
def store(tmp_path, monkeypatch):
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    url = f"sqlite:///{tmp_path / 'h.db'}"
    monkeypatch.setenv("LUMBAR_ROM_DB", url)
    s = Store(url)
    save(s, "ana", when=NOW, pain=8)  # female; flexion etc. restricted
    s.save_hold("ana", hold("extensor-hold", 65.0), when=NOW + timedelta(minutes=5))
    s.save_hold("ana", hold("flexor-hold", 90.0), when=NOW + timedelta(minutes=6))
    s.add_pain("ana", 8, when=NOW + timedelta(days=10))
    s.save_hold("ana", hold("extensor-hold", 150.0), when=NOW + timedelta(days=30))
    s.add_pain("ana", 8, when=NOW + timedelta(days=44))
    save(s, "ana", when=NOW + timedelta(days=45), pain=None)
    s.save_hold("ana", hold("extensor-hold", 170.0), when=NOW + timedelta(days=60))  # after
    return s


def text_of(pdf):
    out = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                         text=True, check=True).stdout
    return " ".join(out.split())


def goals_part(text):
    return text[text.index("Goals Range of motion"):text.index("Contributing factors")]


def test_the_goals_section_holds_rom_strength_and_pain_with_status(store, tmp_path):
    sessions = store.sessions("ana")
    g = goals_part(text_of(write_report(sessions[-1], sessions, tmp_path / "r.pdf")))
    assert "Range of motion - flexion: from" in g and "Status: on track." in g
    # strength, the latest session: every hold so far; the line at day 60 is the norm (185 s)
    assert "Strength (endurance holds)" in g
    assert ("Extensor hold (Biering-Sorensen): from 65 s: 155 s by 2026-12-25, 185 s by "
            "2027-01-06; latest 170 s. Status: behind.") in g
    assert "Trunk flexor hold at 60 deg: from 90 s: " in g and "latest 90 s. Status: on track" in g
    assert "founding document's range-of-motion schedule" in g and "not evidence" in g
    # pain: 8 at the first session, 8 in the diary at day 44: behind the chronic milestones
    # (35 % less by day 42: 5.2; 49 % by day 182: 4.1), stated in whole NRS points as a person
    # scores them (issue 27 item 8; half up: 5 and 4)
    assert "Pain - pain (NRS 0-10): from 8 on 2026-11-25: 5 by 2027-01-06, 4 by 2027-05-26." \
        in g
    assert ("Pain trend (2 diary entries and the sessions' pain; long-standing): 8 on "
            "2026-11-25, 8 on 2026-12-05, 8 on 2027-01-08. Status: behind.") in g


def test_an_earlier_session_shows_the_holds_and_diary_until_the_next_one(store, tmp_path):
    sessions = store.sessions("ana")
    g = goals_part(text_of(write_report(sessions[0], sessions, tmp_path / "1.pdf")))
    # 65 -> 150 s at day 30 (line 65 + 0.75 * 120 = 155; 150 + 0.5 is below): behind; the hold
    # of day 60 (after the next session) is not shown
    assert "from 65 s: 155 s by 2026-12-25, 185 s by 2027-01-06; latest 150 s. Status: behind." \
        in g
    assert "170 s" not in g
    assert "Pain trend (2 diary entries" in g and "Status: behind." in g


def test_a_person_without_holds_or_pain(tmp_path, monkeypatch):
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    s = Store(f"sqlite:///{tmp_path / 'n.db'}")
    save(s, "ben", pain=0)
    rows = s.sessions("ben")
    g = goals_part(text_of(write_report(rows[0], rows, tmp_path / "n.pdf")))
    assert "no endurance hold timed yet" in g
    assert "Pain trend (0 diary entries and the sessions' pain; long-standing): 0 on 2026-11-25. " \
           "Status: no goal." in g


def test_cli_report_shows_the_three(store, tmp_path):
    sid = store.sessions("ana")[-1].id
    res = CliRunner().invoke(app, ["report", "--session", str(sid), "-o", str(tmp_path / "c.pdf")])
    assert res.exit_code == 0, res.output
    g = goals_part(text_of(tmp_path / "c.pdf"))
    assert "Status: behind." in g and "Strength (endurance holds)" in g and "Pain trend" in g
