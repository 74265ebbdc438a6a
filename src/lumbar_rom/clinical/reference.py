"""The normative model for what the camera measures (issue 26): a reference distribution per
motion and age, its lower and upper limits (stated centiles) and a value's centile.

The data and every number's source are in ``clinical/data/norms.toml``. Per motion, the reference
is a normal distribution, mean ``m`` and SD ``s`` between people without back pain, for adults of
the reference sample's ages (``age_min``-``age_max``). Beyond ``age_max`` (DERIVED): with Troke's
lumbar medians ``T(age)`` (linear between ``young_age`` and ``old_age``), the fall
``d = 1 - T(age) / T(age_max)``; the lumbar component ``L`` falls by ``L d``; the rest
``R = m - L`` (hips, upper back) falls by between nothing and ``R d`` -- its midpoint is taken and
its range enters the spread as a uniform distribution::

    mean(age) = m - L d - R d / 2
    sd(age)   = sqrt(s^2 + (R d)^2 / 12)

Lower limit = mean + z(lower_centile) sd (5th: mean - 1.645 sd); upper limit likewise. One
reference serves women and men (none of the sources gives a sex split for this construct); a
person's sex is therefore not needed for a decision.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

from lumbar_rom.clinical.knowledge import MotionNorm, knowledge

__all__ = ["Reference", "centile_words", "ordinal", "reference_for", "slr_reference"]


@dataclass(frozen=True)
class Reference:
    """The reference of one motion for one person: what it measured, its distribution and
    limits (degrees), whether it is DERIVED (and how), and where it comes from."""

    movement: str
    construct: str
    measured: str
    age: float
    mean_deg: float
    sd_deg: float
    lower_deg: float
    upper_deg: float
    lower_centile: float
    upper_centile: float
    derived: bool
    method: str
    source: str

    def centile(self, value_deg: float) -> float:
        """The centile (0-100) of ``value_deg`` in this reference."""
        return 100.0 * NormalDist(self.mean_deg, self.sd_deg).cdf(value_deg)

    @property
    def interval_text(self) -> str:
        """"most people (5th-95th centile) reach 86-136 deg"."""
        return (f"{ordinal(self.lower_centile)}-{ordinal(self.upper_centile)} centile "
                f"{self.lower_deg:.0f}-{self.upper_deg:.0f}\u00b0")

    @property
    def statistics_text(self) -> str:
        """The statistics behind the limits, for the details fold."""
        z = NormalDist().inv_cdf(self.lower_centile / 100.0)
        text = (f"Reference for {self.construct} at age {self.age:.0f}: normal distribution, "
                f"mean {self.mean_deg:.1f}\u00b0, SD {self.sd_deg:.1f}\u00b0; lower limit "
                f"(the {ordinal(self.lower_centile)} centile) = mean {z:+.3f} SD = "
                f"{self.lower_deg:.1f}\u00b0; upper limit ({ordinal(self.upper_centile)}) = "
                f"{self.upper_deg:.1f}\u00b0. What the source measured: {self.measured}.")
        if self.derived:
            text += f" {self.method}."
        return text


def _troke(m: MotionNorm, age: float) -> float:
    k = knowledge().norms
    a = min(max(age, k.young_age), k.old_age)
    f = (a - k.young_age) / (k.old_age - k.young_age)
    return m.troke_young_deg + f * (m.troke_old_deg - m.troke_young_deg)


def _fall(m: MotionNorm, age: float) -> float:
    """The proportional fall ``d`` of the lumbar component from ``age_max`` to ``age`` (0 within
    the reference sample's ages)."""
    if age <= m.age_max:
        return 0.0
    return 1.0 - _troke(m, age) / _troke(m, m.age_max)


def reference_for(movement: str, age: float) -> Reference:
    """The reference of ``movement`` for a person of ``age`` (years)."""
    k = knowledge().norms
    m = k.motions[movement]
    d = _fall(m, age)
    rest = m.mean_deg - m.lumbar_mean_deg
    mean = m.mean_deg - m.lumbar_mean_deg * d - rest * d / 2.0
    sd = math.sqrt(m.sd_deg ** 2 + (rest * d) ** 2 / 12.0)
    dist = NormalDist(mean, sd)
    lo, hi = dist.inv_cdf(k.lower_centile / 100.0), dist.inv_cdf(k.upper_centile / 100.0)
    aged = d > 0
    derived = m.derived or aged
    method = "; ".join(x for x in (m.method if m.derived else "",
                                   k.age_method if aged else "") if x)
    source = m.source + (f"; age model {k.age_source}" if aged else "")
    return Reference(movement, m.construct, m.measured, float(age), mean, sd, lo, hi,
                     k.lower_centile, k.upper_centile, derived, method, source)


def slr_reference() -> Reference:
    """The straight-leg raise's own reference (no age model: none was found)."""
    k = knowledge().norms
    s = k.straight_leg_raise
    dist = NormalDist(s.mean_deg, s.sd_deg)
    return Reference("straight-leg-raise", s.construct, s.measured, float("nan"), s.mean_deg,
                     s.sd_deg, dist.inv_cdf(k.lower_centile / 100.0),
                     dist.inv_cdf(k.upper_centile / 100.0), k.lower_centile, k.upper_centile,
                     s.derived, s.method, s.source)


def ordinal(n: float) -> str:
    """1 -> "1st", 2 -> "2nd", 8 -> "8th", 23 -> "23rd"."""
    i = int(round(n))
    suffix = "th" if 10 <= i % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(i % 10, "th")
    return f"{i}{suffix}"


def centile_words(centile: float, age: float, sex: str | None = None) -> str:
    """"about the 8th centile for a 45-year-old woman" (below the 1st / above the 99th at the
    ends). The reference is the same for women and men; the person's sex is named only to say
    whom the sentence is about."""
    who = {"female": "woman", "f": "woman", "woman": "woman", "male": "man", "m": "man",
           "man": "man"}.get((sex or "").strip().lower(), "person")
    n = f"{age:.0f}"
    article = "an" if n.startswith("8") or n in ("11", "18") else "a"
    person = f"{article} {n}-year-old {who}"
    if centile < 1:
        return f"below the 1st centile for {person}"
    if centile > 99:
        return f"above the 99th centile for {person}"
    return f"about the {ordinal(centile)} centile for {person}"
