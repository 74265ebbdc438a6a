"""Issue 27 item 8 / issue 26 in the app (AppTest): each motion on the Results page leads with
one plain sentence ("Your forward bend is about the 8th centile for a 40-year-old woman:
restricted."); source keys (S23), statistics words (MDC, SEM, DERIVED, "z =", "95 %") and the
sources are only in "Details" expanders. The values are chosen from the cited reference data
(norms.toml, read here) for a 40-year-old: restricted, borderline, normal and pain-limited."""

import re

import pytest
from streamlit.testing.v1.element_tree import (
    AlertBase,
    Block,
    Expander,
    HeadingBase,
    Markdown,
    Text,
)

from lumbar_rom.clinical.knowledge import knowledge
from tests.fixtures.app import PAGE, screened
from tests.fixtures.clinical import START_ANSWERS, trial

pytestmark = pytest.mark.slow

Z95 = 1.645  # the 5th centile of a normal distribution lies 1.645 SD below its mean
FORBIDDEN = [re.compile(r"\bS\d+[a-z]?\b"), re.compile(r"\bMDC\b"), re.compile(r"\bSEM\b"),
             re.compile(r"DERIVED"), re.compile(r"z ="), re.compile(r"95 %")]


def main_text(node, inside_expander=False) -> tuple[list[str], list[str]]:
    """(texts outside any expander, texts inside expanders) of an AppTest tree."""
    outside: list[str] = []
    inside: list[str] = []
    if isinstance(node, Block):
        folded = inside_expander or isinstance(node, Expander)
        for child in node.children.values():
            o, i = main_text(child, folded)
            outside += o
            inside += i
        return outside, inside
    if isinstance(node, Markdown | HeadingBase | AlertBase | Text):
        (inside if inside_expander else outside).append(str(node.value))
    return outside, inside


def lower_limit(movement: str) -> float:
    """The 5th centile at 40 from norms.toml's mean and SD (40 lies within the reference
    sample's ages of the motions used here, so no age model enters)."""
    m = knowledge().norms.motions[movement]
    assert m.age_min <= START_ANSWERS["age"] <= m.age_max
    return m.mean_deg - Z95 * m.sd_deg


def test_results_lead_with_plain_sentences_and_fold_the_statistics(app):
    screened(app)  # a 40-year-old woman
    v = app.session_state["visit"]
    flex, side = lower_limit("flexion"), lower_limit("side-bend-left")
    v.trials["flexion"] = trial("flexion", flex - 20, 3)  # whole band below: restricted
    v.trials["side-bend-left"] = trial("side-bend-left", side, 3)  # band straddles: borderline
    normal = knowledge().norms.motions["side-bend-right"].mean_deg
    v.trials["side-bend-right"] = trial("side-bend-right", normal, 3)  # at the mean: normal
    v.trials["extension"] = trial("extension", 40, 3)  # answered "pain stopped it" below
    app.switch_page(PAGE.format("results")).run()
    app.radio(key="tp_extension_hurt").set_value("yes").run()
    app.selectbox(key="tp_extension_limit").set_value("pain").run()
    assert not app.exception
    outside, inside = main_text(app.main)
    body = " ".join(outside)
    who = "a 40-year-old woman"
    assert re.search(rf"Your forward bend is (about the \d+(st|nd|rd|th)|below the 1st) "
                     rf"centile for {who}: restricted", body)
    assert re.search(rf"Your side bend to the left is about the \d+(st|nd|rd|th) centile for "
                     rf"{who}: borderline", body)
    assert re.search(rf"Your side bend to the right is about the 50th centile for {who}: "
                     "normal", body)
    assert "Pain stopped your backward bend: pain-limited" in body
    assert body.count("is how far the true value may lie from the measurement") == 1
    for pattern in FORBIDDEN:
        assert not pattern.search(body), (pattern.pattern, pattern.search(body))
    assert "not valid for a decision" not in body + " ".join(inside)
    # the statistics and the sources are one click away, in the motions' Details
    folded = " ".join(inside)
    assert "MDC" in folded and re.search(r"\bS\d+\b", folded)
    assert len([e for e in app.expander if e.label == "Details"]) >= 4
