"""Issue 27 item 8: one plain sentence per motion, the same words in the app, the CLI summary
and the PDF's table; "borderline" (or the decision's own word), never "not valid for a
decision". The values are placed from norms.toml's mean and SD (5th centile = mean - 1.645 SD)
for a 40-year-old, inside the reference sample's ages, so no age model enters."""

import re

import pytest

from lumbar_rom.clinical.engine import decide
from lumbar_rom.clinical.knowledge import knowledge
from lumbar_rom.clinical.profile import Profile
from lumbar_rom.clinical.summary import plain_sentence, summary_text
from lumbar_rom.history.models import TrialRow
from lumbar_rom.report.pdf import measured_cell
from tests.fixtures.clinical import trial

PERSON = Profile(age=40, sex="female")
STATS = re.compile(r"\bS\d+\b|\bMDC\b|\bSEM\b|DERIVED|z =|95 %|\bSD\b")


def lower(movement: str) -> float:
    m = knowledge().norms.motions[movement]
    assert m.age_min <= 40 <= m.age_max
    return m.mean_deg - 1.645 * m.sd_deg


@pytest.mark.parametrize(("value", "pain", "status", "words"), [
    (lower("flexion") - 20, False, "restricted",
     r"Your forward bend is (below the 1st|about the \d+\w\w) centile for a 40-year-old woman: "
     "restricted"),
    (lower("flexion"), False, "borderline",
     r"Your forward bend is about the 5th centile for a 40-year-old woman: borderline"),
    (111.0, False, "normal",
     r"Your forward bend is about the 50th centile for a 40-year-old woman: normal"),
    (111.0, True, "pain-limited", r"Pain stopped your forward bend: pain-limited"),
])
def test_one_plain_sentence_per_decision(value, pain, status, words):
    d = decide(trial("flexion", value, 3), "flexion", PERSON, pain_limited=pain)
    assert d.status == status
    sentence = plain_sentence(d)
    assert re.match(words, sentence), sentence
    assert not STATS.search(sentence)


def test_no_age_says_what_to_add():
    d = decide(trial("flexion", 60.0, 3), "flexion", Profile())
    assert d.status == "no decision" and "add your age" in plain_sentence(d)


def _row(movement: str, value: float) -> TrialRow:
    return TrialRow(movement=movement, protocol="side", value_deg=value, uncertainty_deg=3.0,
                    status="ok", decision="", flags=[], result={})


@pytest.mark.parametrize(("value", "pain", "cell"), [
    (lower("flexion"), False, "85 +/- 3, borderline: its 95 % band (82-88 deg) straddles"),
    (111.0, True, "111 +/- 3, pain-limited: stopped because of pain"),
    (111.0, False, "111 +/- 3"),
])
def test_pdf_measured_cell_uses_the_decision_word(value, pain, cell):
    d = decide(trial("flexion", value, 3), "flexion", PERSON, pain_limited=pain)
    text = measured_cell(d, _row("flexion", value))
    assert text.startswith(cell) and "not valid for a decision" not in text


def test_cli_summary_leads_each_motion_with_the_same_sentence_and_keeps_the_numbers():
    from lumbar_rom.clinical.engine import Screening, assess

    a = assess(PERSON, Screening(), [trial("flexion", lower("flexion") - 20, 3),
                                     trial("side-bend-left", 32.0, 3)])
    text = summary_text(a)
    for d in a.decisions:
        if d.status != "not tested":
            assert f"* {plain_sentence(d)} " in text
    assert "Your forward bend is" in text and ": restricted" in text
    assert "[S301" in text and "+/- 3" in text  # the clinician's numbers and sources stay
    assert "not valid for a decision" not in text


def test_results_page_asymmetry_line_keeps_the_finding_and_folds_the_mdc():
    from lumbar_rom.app.render import _without_brackets
    from lumbar_rom.clinical.engine import Screening, assess

    a = assess(PERSON, Screening(), [trial("side-bend-left", 20.0, 2),
                                     trial("side-bend-right", 35.0, 2)])
    (x,) = a.asymmetries  # 15 deg apart: more than the side bends' MDC for change
    shown = _without_brackets(x.text)
    assert shown.startswith("Side bending to the left is 15 deg less than to the other side")
    assert "Confirm it in a second session" in shown and not STATS.search(shown)


def test_no_pain_limited_motion_reads_as_fine_in_the_summary():
    """A motion that pain stopped (far below the usual range) is never summed up as "no
    stretching is needed": the summary says why there is no plan (fresh-eyes review)."""
    from lumbar_rom.clinical.engine import Screening, assess

    a = assess(PERSON, Screening(pain_before=3, pain_limited=("flexion",)),
               [trial("flexion", lower("flexion") - 30, 3)])
    assert [d.status for d in a.decisions if d.movement == "flexion"] == ["pain-limited"]
    text = summary_text(a)
    assert "No stretching is needed" not in text
    assert "a motion that pain stopped is never stretched" in text
