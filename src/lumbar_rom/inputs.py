"""Checks of what a person types, at the edge (CLI options, app forms): one sentence each.

Every check raises :class:`InputError` (a :class:`ValueError`) whose message says what is wrong
and what to enter instead; callers show it as it is (CLI: exit 1; app: ``st.error``).
"""

from __future__ import annotations

import math
import unicodedata
from pathlib import Path

from lumbar_rom.errors import LumbarRomError

MAX_NAME_CHARS = 60


class InputError(LumbarRomError, ValueError):
    """A value typed by the person is out of range or malformed."""


def clean_name(text: str | None) -> str:
    """A person's name or nickname, stripped and NFC-normalised; 1-60 printable characters."""
    name = unicodedata.normalize("NFC", (text or "").strip())
    if not name:
        raise InputError("The name is empty; type a name or nickname to keep your results apart.")
    if len(name) > MAX_NAME_CHARS:
        raise InputError(f"The name has {len(name)} characters; use at most {MAX_NAME_CHARS}.")
    if any(unicodedata.category(c).startswith("C") for c in name):
        raise InputError("The name contains control characters; use letters, digits and spaces.")
    return name


MAX_ID = 2**31 - 1
"""The largest record id the store can hold (PostgreSQL ``integer``); larger ones exist nowhere."""


def parse_id(value: object) -> int | None:
    """A record id (a session's) from text or a number: ASCII digits only, 1 to :data:`MAX_ID`;
    ``None`` for anything else ("²", "1e3", " ", 20 digits), never an exception."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    else:
        text = str(value).strip() if value is not None else ""
        if not text or len(text) > 10 or not all("0" <= c <= "9" for c in text):
            return None
        number = int(text)
    return number if 1 <= number <= MAX_ID else None


def check_id(value: object, what: str = "The session id") -> int:
    """:func:`parse_id` or an :class:`InputError` saying what to give."""
    number = parse_id(value)
    if number is None:
        raise InputError(f"{what} must be a whole number from 1 to {MAX_ID}; "
                         f"{str(value)[:30]!r} was given.")
    return number


def check_number(value: float | int | None, what: str, lo: float, hi: float, unit: str = ""
                 ) -> float:
    """``value`` as a finite float within ``[lo, hi]``; ``what`` names it in the message
    ("Age"), ``unit`` follows the bounds ("years")."""
    u = f" {unit}" if unit else ""
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InputError(f"{what} must be a number between {lo:g} and {hi:g}{u}.") from None
    if not math.isfinite(x) or not lo <= x <= hi:
        raise InputError(f"{what} must be between {lo:g} and {hi:g}{u}; {value!r} was given.")
    return x


# The ranges a person can have (also the bounds of the app's number inputs).
AGE_YEARS = (16.0, 100.0)
HEIGHT_CM = (120.0, 220.0)
STRAIGHT_LEG_RAISE_DEG = (0.0, 120.0)
PAIN_NRS = (0.0, 10.0)


def check_age(value: float | int | None) -> float:
    return check_number(value, "Age", *AGE_YEARS, "years")


def check_height(value: float | int | None) -> float:
    return check_number(value, "Height", *HEIGHT_CM, "cm")


def check_slr(value: float | int | None) -> float:
    return check_number(value, "The straight-leg raise", *STRAIGHT_LEG_RAISE_DEG, "deg")


def check_pain(value: float | int | None) -> int:
    x = check_number(value, "Pain", *PAIN_NRS, "(0-10 scale)")
    if x != int(x):
        raise InputError("Pain must be a whole number from 0 to 10.")
    return int(x)


def check_video_file(path: str | Path) -> Path:
    """``path`` if it names an existing regular file (the decoder says whether it is a video);
    checked with ``stat`` only, so a FIFO is refused at once instead of blocking in ``open``."""
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p} does not exist; check the path and try again.")
    if p.is_dir():
        raise InputError(f"{p} is a folder, not a video file; give the path of a video file.")
    if not p.is_file():  # a FIFO, device or socket: refused before anything opens it
        raise InputError(f"{p} is not a regular file (a pipe, device or socket); save the video "
                         "as a file and give its path.")
    return p
