"""Contributing factors "from the feet upwards" (founding document step 2, issue 30), each with
the seed's suggestion shown beside what the guidance says and an evidence label
(``clinical/data/contributing.toml``).

Decision: the seed's suggestion is never shown alone. Where the guidance advises against it
(NICE NG59: no foot orthotics, belts, corsets or rocker soles for low back pain) the row says so
in the same card; the camera's pelvic tilt is offered only as a reason to have legs and feet
checked, with its caveat, never as a leg-length measurement.

Design note - wiring (next session): **Start** (or a "What else may be going on?" step) asks the
questions in :func:`factors` order; **Results** shows, for each answer of "yes" (walking: "no")
and for a measured pelvic tilt beyond ``threshold_deg``, a two-column card "The founding document
suggests | What the guidance says" with the evidence label; the store keeps the answers as JSON
keyed by factor id; the PDF summary lists the flagged factors with their labels; the CLI takes
``--factor foot_posture=yes``. It replaces factors.toml's questions when the lead merges.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

from lumbar_rom.clinical.beyond_data import load
from lumbar_rom.data import DataError

__all__ = ["EVIDENCE", "Factor", "factors", "flagged"]

EVIDENCE = ("guideline recommends", "guideline advises against", "some evidence",
            "weak or mixed evidence", "evidence against", "no evidence found")
# the answer that flags a factor: "yes" for the problems asked about, "no" for walking
FLAG_ON_NO = {"walking"}


@dataclass(frozen=True)
class Factor:
    id: str
    order: int
    region: str
    question: str
    seed_says: str
    guidance_says: str
    evidence: str
    source: str
    measured: str | None = None
    threshold_deg: float | None = None


@cache
def factors() -> tuple[Factor, ...]:
    """Every factor, from the feet upwards (validated: evidence label, unique order, the seed cited
    where the seed's suggestion is shown, a threshold for a measured factor)."""
    out = []
    for k, d in load("contributing")["factors"].items():
        f = Factor(k, int(d["order"]), d["region"], d["question"], d["seed_says"],
                   d["guidance_says"], d["evidence"], d["source"], d.get("measured"),
                   float(d["threshold_deg"]) if "threshold_deg" in d else None)
        bad = [w for w, ok in (("evidence label", f.evidence in EVIDENCE),
                               ("seed not cited", "seed" in f.source),
                               ("measured without threshold",
                                (f.measured is None) == (f.threshold_deg is None)),
                               ("empty text", all((f.question, f.seed_says, f.guidance_says))))
               if not ok]
        if bad:
            raise DataError(f"contributing.toml: {k}: {', '.join(bad)}")
        out.append(f)
    orders = [f.order for f in out]
    if len(set(orders)) != len(orders):
        raise DataError("contributing.toml: two factors share an order")
    return tuple(sorted(out, key=lambda f: f.order))


def flagged(answers: Mapping[str, bool], measured: Mapping[str, float] | None = None
            ) -> tuple[Factor, ...]:
    """The factors to show for ``answers`` (factor id -> yes/no; unanswered ones are skipped)
    and ``measured`` values (e.g. ``{"pelvic_obliquity": 6.2}`` deg, NaN = not measured), from
    the feet upwards. A measured factor is flagged when ``|value| > threshold_deg``."""
    measured = measured or {}
    out = []
    for f in factors():
        a = answers.get(f.id)
        by_answer = a is not None and (a is False if f.id in FLAG_ON_NO else a is True)
        v = measured.get(f.measured) if f.measured else None
        by_measure = (v is not None and f.threshold_deg is not None
                      and abs(v) > f.threshold_deg)  # NaN compares False: not flagged
        if by_answer or by_measure:
            out.append(f)
    return tuple(out)
