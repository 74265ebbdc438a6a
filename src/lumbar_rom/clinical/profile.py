"""The person tested, validated once (issue 27): the CLI, the app, the batch and the store all
build a :class:`Profile` with its constructor, and the constructor checks every value.

- ``age``: 16-100 years (:data:`lumbar_rom.inputs.AGE_YEARS`), or None (not given).
- ``sex``: one of :data:`SEXES`, or None; "other" is accepted and kept as the full choice the
  app shows ("other / prefer not to say").
- ``height_cm``: 120-220 cm (:data:`lumbar_rom.inputs.HEIGHT_CM`), or None.
- ``injury``: when a recent injury happened, never in the future (None: no recent injury).

A wrong value raises :class:`lumbar_rom.inputs.InputError`, one sentence saying what to enter;
the CLI prints it and exits 1 before anything is measured or stored, the app shows it with
``st.error``. Pain (0-10) belongs to the screening answers and is checked by
:func:`lumbar_rom.inputs.check_pain` the same way in the CLI and the app.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from lumbar_rom.inputs import InputError, check_age, check_height

SEXES = ("female", "male", "other / prefer not to say")
_ALIASES = {"other": SEXES[2], "prefer not to say": SEXES[2]}


def check_sex(value: str | None) -> str | None:
    """``value`` as one of :data:`SEXES` (None stays None); anything else: one sentence."""
    if value is None:
        return None
    v = " ".join(str(value).strip().lower().split())
    v = _ALIASES.get(v, v)
    if v not in SEXES:
        raise InputError(f"Sex must be female, male or other, not {value!r}.")
    return v


def check_injury(value: datetime | date | None, now: datetime | None = None) -> datetime | None:
    """When the injury happened (a date alone is that day at 00:00); refused when it is in the
    future (later than ``now``)."""
    if value is None:
        return None
    when = value if isinstance(value, datetime) else datetime.combine(value, datetime.min.time())
    current = now or (datetime.now(when.tzinfo) if when.tzinfo else datetime.now())
    if when > current:
        raise InputError(f"The injury date {when:%Y-%m-%d %H:%M} is in the future; give the "
                         "date and time the injury happened.")
    return when


@dataclass(frozen=True)
class Profile:
    """The person. ``injury`` is when a recent injury happened (None: no recent injury).

    Every value is checked when the profile is made (see the module docstring)."""

    age: float | None = None
    sex: str | None = None
    height_cm: float | None = None
    injury: datetime | None = None

    def __post_init__(self) -> None:
        if self.age is not None:
            object.__setattr__(self, "age", check_age(self.age))
        object.__setattr__(self, "sex", check_sex(self.sex))
        if self.height_cm is not None:
            object.__setattr__(self, "height_cm", check_height(self.height_cm))
        object.__setattr__(self, "injury", check_injury(self.injury))


__all__ = ["SEXES", "InputError", "Profile", "check_injury", "check_sex"]
