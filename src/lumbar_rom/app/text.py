"""User text (names, file names, notes) shown as text, never as markdown.

Streamlit renders the body of ``st.markdown`` / ``st.info`` / ``st.error`` ... and widget labels
as markdown (links, images, maths, emoji shortcodes, directives). Text a person typed goes
through :func:`md` first: every ASCII punctuation character is backslash-escaped (CommonMark
allows escaping any of them), so ``![x](http://host/x.png)`` shows those characters and fetches
nothing, ``**a**`` shows the asterisks and ``$x$`` is no formula.
"""

from __future__ import annotations

import re
import string

_SPECIAL = re.compile("([" + re.escape(string.punctuation) + "])")


def md(text: object) -> str:
    """``text`` escaped for Streamlit markdown: shown exactly as typed (one line)."""
    one_line = " ".join(str(text).split())  # a newline would start a new markdown block
    return _SPECIAL.sub(r"\\\1", one_line)


def file_stem(text: str, fallback: str = "person") -> str:
    """A download file name's stem from user text: letters, digits and ``-`` only."""
    stem = re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")[:40]
    return stem or fallback
