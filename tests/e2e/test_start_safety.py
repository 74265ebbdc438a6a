"""Issue 27 in a real browser: the Start page offers no pre-selected safety answer and refuses to
continue until every safety question is answered. Screenshot: test-artifacts/."""

from __future__ import annotations

import pytest

from tests.fixtures.browser import NAME_LABEL, SAFETY_RADIOS, _choose, answer_safety, shot

pytestmark = pytest.mark.slow


def test_no_safety_answer_is_pre_selected_and_continue_waits_for_all(server, browser_factory):
    page = browser_factory().new_page()
    page.goto(server)
    box = page.get_by_label(NAME_LABEL, exact=True)
    box.wait_for(timeout=60_000)
    radios = page.locator(SAFETY_RADIOS)
    radios.first.wait_for(timeout=60_000)
    n = radios.count()
    assert n > 30  # the red flags, the NG65 questions and the injury question
    # nothing is checked: no radio input of a safety question is selected
    assert page.locator(f":is({SAFETY_RADIOS}) input[type=radio]:checked").count() == 0
    box.fill("eve")
    box.press("Enter")
    for label, value in (("Age (years)", 40),
                         ("Pain right now (0 = none, 10 = worst imaginable)", 2)):
        field = page.get_by_label(label, exact=True)
        field.fill(str(value))
        field.press("Enter")
    _choose(page, "Sex", "female")
    page.get_by_role("button", name="Continue").click(timeout=60_000)
    page.get_by_text(f"{n} safety questions").first.wait_for(timeout=60_000)
    assert page.get_by_text("Choose how to measure").count() == 0
    shot(page, "start-safety-unanswered")
    answer_safety(page)
    assert page.locator(f":is({SAFETY_RADIOS}) input[type=radio]:checked").count() == n
    page.get_by_role("button", name="Continue").click(timeout=60_000)
    page.get_by_text("Choose how to measure").wait_for(timeout=60_000)
