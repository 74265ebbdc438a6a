"""Small widgets shared by the pages: sources, the safety gate, speech, a movement's picture.

A leaf of the app: it imports no page, so every page (and the webcam panel) can use it.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import streamlit as st

from lumbar_rom.app import charts
from lumbar_rom.app.state import SAMPLES
from lumbar_rom.clinical.knowledge import citations

STATUS_ICON = {"normal": "✅", "restricted": "🟠", "inconclusive": "❔", "above normal": "🔵",
               "pain-limited": "✋", "not tested": "—"}


def finite(x: float | None) -> bool:
    """A measured number (a stored one may be ``None`` where the live one is NaN)."""
    return x is not None and bool(np.isfinite(x))


def sources(source_text: str) -> None:
    """The cited sources of ``source_text`` in a collapsed "Sources" expander."""
    cites = citations(source_text)
    if cites:
        with st.expander("Sources"):
            for k, c in cites:
                st.markdown(f"- **{k}**: {c}")


def show_gate(a: Any) -> None:
    """A stopped assessment (red flag / acute injury): its safety texts and when to retest."""
    for s in a.safety:
        (st.error if a.status == "stopped-red-flag" else st.warning)(s.text)
    if a.retest_after:
        st.info(f"You can do the test after {a.retest_after.replace('T', ' at ')}.")
    sources("; ".join(s.source for s in a.safety))


def speak(text: str) -> None:
    """Say ``text`` with the browser's speech synthesis (silently nothing where it is missing)."""
    safe = json.dumps(text)
    st.iframe(f"""<script>
      try {{ const s = window.parent.speechSynthesis || window.speechSynthesis;
             s.cancel(); s.speak(new SpeechSynthesisUtterance({safe})); }} catch (e) {{}}
    </script>""", height=1)


def picture(movement: str) -> bytes | None:
    """A still of the movement's sample clip (PNG bytes), or None without the clip."""
    path = SAMPLES / f"{movement}.mp4"
    if not path.exists():
        return None
    return charts.still_from_video(str(path), 0.5)
