"""Small widgets shared by the pages: sources, the safety gate, speech, a movement's picture.

A leaf of the app: it imports no page, so every page (and the webcam panel) can use it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np
import streamlit as st

from lumbar_rom.app import charts
from lumbar_rom.app.state import SAMPLES
from lumbar_rom.clinical.knowledge import Source, sources_for

# Material symbols (Streamlit's bundled font, no request); emoji show as empty boxes in Debian's
# Chromium
STATUS_ICON = {"normal": ":material/check_circle:", "restricted": ":material/warning:",
               "inconclusive": ":material/help:", "above normal": ":material/arrow_upward:",
               "pain-limited": ":material/front_hand:", "not tested": ":material/remove:"}


DETAILS = "Details and sources"
"""The label of the details folds: the sources, numbers and statistics behind a lay sentence
(the readability tests read lay-facing pages outside these folds only, issue 31)."""


def finite(x: float | None) -> bool:
    """A measured number (a stored one may be ``None`` where the live one is NaN)."""
    return x is not None and bool(np.isfinite(x))


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~$:])")


def md_escape(text: str) -> str:
    """``text`` shown literally in Streamlit markdown (every markdown, HTML and LaTeX character
    backslash-escaped; newlines become spaces)."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def source_markdown(s: Source) -> str:
    """One source as a markdown list item: the citation linked to its url (DOI, PubMed, the
    guideline's page), or plain text with its kind when it has none (the founding document,
    the product's own measurements)."""
    text = md_escape(s.text)
    if s.url:
        url = quote(s.url, safe=":/?&=%#~+,;@!$*'")
        url = url.replace("(", "%28").replace(")", "%29")
        return f"- **{md_escape(s.key)}**: [{text}]({url})"
    return f"- **{md_escape(s.key)}**: {text} ({md_escape(s.kind)})"


def sources(source_text: str) -> None:
    """The cited sources of ``source_text`` in a collapsed "Details and sources" expander, each
    a link (a details fold: source keys are shown only there, issue 31)."""
    found = sources_for(source_text)
    if found:
        with st.expander(DETAILS):
            st.markdown("\n".join(source_markdown(s) for s in found))


def show_gate(a: Any) -> None:
    """A stopped assessment (red flag, severe pain, acute injury): its headline ("No
    measurement: severe pain 9/10.", "Deferred: ... re-test after ..."), its safety texts and
    when to retest."""
    from lumbar_rom.clinical.summary import headline

    st.subheader(headline(a))
    for s in a.safety:
        (st.error if a.status == "stopped-red-flag" else st.warning)(s.text)
    if a.retest_after:
        st.info(f"You can do the test after {a.retest_after.replace('T', ' at ')}.")
    sources("; ".join(s.source for s in a.safety))


def show_informs(advice: Any) -> None:
    """The "worth telling your doctor" answers that do not stop the test (engine.informs)."""
    for s in advice:
        st.info(s.text)
    if advice:
        sources("; ".join(s.source for s in advice))


def speak(text: str) -> None:
    """Say ``text`` with the browser's speech synthesis (silently nothing where it is missing)."""
    safe = json.dumps(text)
    st.iframe(f"""<script>
      try {{ const s = window.parent.speechSynthesis || window.speechSynthesis;
             s.cancel(); s.speak(new SpeechSynthesisUtterance({safe})); }} catch (e) {{}}
    </script>""", height=1)


PICTURES = Path(__file__).resolve().parent / "pictures"
"""Pictures of the stretch positions and endurance holds, rendered once with the validation
studio (scripts/render_pictures.py) and committed: ``<stretch id>.png`` / ``<hold test>.png``."""


def position_picture(key: str) -> Path | None:
    """The picture of a stretch (its id, e.g. ``standing_side_bend``) or hold (its test id, e.g.
    ``side-plank-left``); ``None`` when none was rendered."""
    path = PICTURES / f"{key}.png"
    return path if path.is_file() else None


def picture(movement: str) -> bytes | None:
    """A still of the movement's sample clip (PNG bytes), or None without the clip."""
    path = SAMPLES / f"{movement}.mp4"
    if not path.exists():
        return None
    return charts.still_from_video(str(path), 0.5)
