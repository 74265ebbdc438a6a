"""Questionnaires (issue 30): disability (RMDQ), patient-specific function (PSFS), pain
interference (PEG), global rating of change (GRC) and risk stratification (Keele STarT Back),
with their published scoring, minimal important change (MIC) and licence
(``clinical/data/questionnaires.toml``, sources in ``sources_beyond.toml``).

Design note - how this will be wired (next session):

- **App Start** (first visit): the STarT Back tool once, then RMDQ, PSFS (the person names up
  to five activities; later visits rate the same ones) and, when a clinician enters it, the PEG
  (its wording is not bundled: ``Instrument.wording_bundled`` is False, so the app shows a
  number entry, not the items). Every later visit: RMDQ, PSFS, PEG and the GRC. The form
  builds a :class:`Response` per instrument and calls :func:`score`; a :class:`QuestionnaireError`
  is shown as the on-screen error (one sentence), nothing is stored.
- **Results**: the risk group (:func:`stratify`) with its lay ``advice``; **Progress**: each
  score over time against ``Instrument.important_change`` (:func:`change`), the GRC as labels.
- **CLI**: ``lumbar-rom assess --rmdq 1,0,1,... --psfs "walking=4,gardening=2"
  --start-back 1,0,...,3 --grc 2 --peg 5,6,4``; the parser builds the same :class:`Response`.
- **Store**: a ``questionnaire_responses`` table (session id, instrument id, answers as JSON
  keyed by item id, score, subscale, risk group, scoring version); never a column per item.
- **PDF one-page summary**: score, change since the first visit, MIC and whether it was reached,
  risk group with the ``clinician`` text; STarT Back's copyright ``notice`` printed beneath it.
- **FHIR**: one ``QuestionnaireResponse`` per :class:`Response` (``questionnaire`` = the
  instrument id as canonical URL fragment, ``item.linkId`` = item id, ``answer.valueInteger``),
  the :class:`Score` as an ``Observation`` ``derivedFrom`` it.

Licences (decision; README section "Questionnaires and their licences" to be written with the
wiring): RMDQ free (no permission needed, S320); PSFS free (no fixed wording); GRC lumbar-rom's
own wording; STarT Back free for non-commercial use with Keele's notice kept and the items
unmodified - not covered by the project's Apache-2.0 licence; PEG scoring only (BPI-derived
wording, no reproduction licence found). Left out: ODI, PROMIS Pain Interference, Örebro short
form, STarT MSK (``rejected`` in the TOML, with reasons).

Pure functions: answers in, frozen results out; nothing here reads the clock or the store.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal

from lumbar_rom.clinical.beyond_data import load
from lumbar_rom.data import DataError
from lumbar_rom.errors import LumbarRomError

__all__ = ["ANSWER_KINDS", "ROLES", "Change", "Instrument", "Item", "QuestionnaireError",
           "Rejected", "Response", "RiskAdvice", "Score", "change", "instrument", "instruments",
           "item_ids", "parse_answers", "rejected", "risk_advice", "score", "stratify"]

Role = Literal["disability", "patient-specific", "pain-interference", "global-change", "risk"]
Risk = Literal["low", "medium", "high"]
ANSWER_KINDS = {"tick": (0, 1), "agree": (0, 1), "nrs": (0, 10), "bother": (0, 4),
                "grc": (-3, 3), "activity": (0, 10)}
SCORINGS = ("sum", "mean", "single", "start_back")
ROLES = ("disability", "patient-specific", "pain-interference", "global-change", "risk")


class QuestionnaireError(LumbarRomError):
    """Answers that cannot be scored; the message is one sentence saying what to do next."""


@dataclass(frozen=True)
class Item:
    """One item: its stable ``id`` (stored with the answer), its wording (``text``, empty when the
    licence does not allow bundling it; then ``topic`` says what it asks), its answer kind and
    the response labels (bothersomeness, GRC)."""

    id: str
    text: str
    answer: str
    topic: str = ""
    labels: tuple[str, ...] = ()
    scored_from: int | None = None  # "bother": the answer index from which the item scores 1


@dataclass(frozen=True)
class Instrument:
    """One questionnaire as data. ``mic_points`` / ``mic_percent``: the minimal important change
    (NaN when the source gives none), ``mdc_points`` the minimal detectable change (NaN when not
    given); ``important_change`` is the larger of ``mic_points`` and ``mdc_points`` (a change
    smaller than the measurement's own noise is not shown as important)."""

    id: str
    name: str
    short: str
    role: Role
    answer: str
    scoring: str
    min: float
    max: float
    higher_is: Literal["better", "worse"]
    recall: str
    instructions: str
    scoring_text: str
    items: tuple[Item, ...]
    mic_points: float
    mic_percent: float
    mdc_points: float
    mic_measured: str
    source: str
    mic_source: str
    wording_bundled: bool
    licence_status: str
    licence_text: str
    licence_url: str
    notice: str = ""
    min_activities: int = 0
    max_activities: int = 0
    psychosocial: tuple[str, ...] = ()
    low_max_total: int = 0
    high_min_subscale: int = 0

    @property
    def important_change(self) -> float:
        vals = [v for v in (self.mic_points, self.mdc_points) if math.isfinite(v)]
        return max(vals) if vals else math.nan


@dataclass(frozen=True)
class Rejected:
    id: str
    name: str
    note: str
    url: str
    source: str


@dataclass(frozen=True)
class RiskAdvice:
    risk: Risk
    label: str
    advice: str
    clinician: str
    source: str


@dataclass(frozen=True)
class Response:
    """One person's answers to one instrument: ``answers`` item id -> integer (PSFS: activity
    name -> rating 0-10)."""

    instrument: str
    answers: Mapping[str, int]


@dataclass(frozen=True)
class Score:
    """The scored response: ``value`` in the instrument's units, the psychosocial ``subscale``
    (STarT Back only, else None) and the ``risk`` group (STarT Back only)."""

    instrument: str
    value: float
    subscale: int | None = None
    risk: Risk | None = None
    answers: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Change:
    """The change between two scores of one instrument, as improvement (positive = better,
    whatever the instrument's direction), and whether it reaches the important change in points
    or in percent of the first score (either suffices, as the consensus S302 states)."""

    instrument: str
    first: float
    last: float
    improvement: float
    improvement_percent: float
    important: bool
    threshold_text: str


def _f(d: Mapping[str, Any], k: str) -> float:
    v = d.get(k)
    return float(v) if v is not None else math.nan


def _item(d: Mapping[str, Any], answer: str) -> Item:
    return Item(str(d["id"]), str(d.get("text", "")), str(d.get("answer", answer)),
                str(d.get("topic", "")), tuple(d.get("labels", ())),
                int(d["scored_from"]) if "scored_from" in d else None)


def _instrument(key: str, d: Mapping[str, Any]) -> Instrument:
    lic = d["licence"]
    answer = str(d["answer"])
    items = tuple(_item(i, answer) for i in d.get("items", ()))
    inst = Instrument(
        key, d["name"], d["short"], d["role"], answer, d["scoring"], float(d["min"]),
        float(d["max"]), d["higher_is"], d["recall"], d["instructions"], d["scoring_text"], items,
        _f(d, "mic_points"), _f(d, "mic_percent"), _f(d, "mdc_points"), d["mic_measured"],
        d["source"], d["mic_source"], bool(d["wording_bundled"]), lic["status"], lic["text"],
        lic["url"], lic.get("notice", ""), int(d.get("min_activities", 0)),
        int(d.get("max_activities", 0)), tuple(d.get("psychosocial_items", ())),
        int(d.get("low_max_total", 0)), int(d.get("high_min_subscale", 0)))
    _validate(inst)
    return inst


def _item_problems(i: Instrument) -> list[str]:
    bad: list[str] = []
    ids = [it.id for it in i.items]
    if len(set(ids)) != len(ids):
        bad.append("repeated item ids")
    for it in i.items:
        if it.answer not in ANSWER_KINDS:
            bad.append(f"item {it.id} answer {it.answer!r}")
        if i.wording_bundled and not it.text:
            bad.append(f"item {it.id} has no wording though wording_bundled")
        if not i.wording_bundled and (it.text or not it.topic):
            bad.append(f"item {it.id}: wording not bundled, so a topic and no text")
    return bad


def _validate(i: Instrument) -> None:
    bad = [f"{name} {value!r}" for name, value, allowed in (
        ("role", i.role, ROLES), ("scoring", i.scoring, SCORINGS),
        ("answer", i.answer, tuple(ANSWER_KINDS)),
        ("licence status", i.licence_status, ("free", "non-commercial", "not-bundled")))
        if value not in allowed]
    if i.answer != "activity" and not i.items:
        bad.append("no items")
    bad += _item_problems(i)
    if i.scoring == "sum" and i.max != len(i.items) * ANSWER_KINDS.get(i.answer, (0, 0))[1]:
        bad.append("max is not the sum of the items' maxima")
    if i.scoring == "start_back" and not set(i.psychosocial) <= {it.id for it in i.items}:
        bad.append("psychosocial items not among the items")
    if i.licence_status == "not-bundled" and i.wording_bundled:
        bad.append("wording bundled although the licence does not allow it")
    if bad:
        raise DataError(f"questionnaires.toml: {i.id}: " + "; ".join(bad))


@cache
def instruments() -> dict[str, Instrument]:
    """Every chosen instrument by id, validated."""
    return {k: _instrument(k, d) for k, d in load("questionnaires")["instruments"].items()}


def instrument(instrument_id: str) -> Instrument:
    try:
        return instruments()[instrument_id]
    except KeyError:
        raise QuestionnaireError(f"Unknown questionnaire {instrument_id!r}; choose one of "
                                 f"{', '.join(instruments())}.") from None


@cache
def rejected() -> tuple[Rejected, ...]:
    """The instruments considered and left out, each with the reason (``note``)."""
    return tuple(Rejected(k, d["name"], d["note"], d.get("url", ""), d.get("source", ""))
                 for k, d in load("questionnaires")["rejected"].items())


@cache
def risk_advice(risk: Risk) -> RiskAdvice:
    d = load("questionnaires")["risk"][risk]
    return RiskAdvice(risk, d["label"], d["advice"], d["clinician"], d["source"])


def _check_range(inst: Instrument, key: str, value: Any, kind: str) -> int:
    lo, hi = ANSWER_KINDS[kind]
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise QuestionnaireError(f"The answer to {inst.short} {key!r} must be a whole number "
                                 f"from {lo} to {hi}; correct it and submit again.")
    return int(value)


def _validated(inst: Instrument, answers: Mapping[str, int]) -> dict[str, int]:
    """The answers checked: complete, no unknown item, each in its range (else one sentence)."""
    if inst.answer == "activity":
        names = [k.strip() for k in answers]
        if not inst.min_activities <= len(names) <= inst.max_activities or not all(names):
            raise QuestionnaireError(
                f"Name between {inst.min_activities} and {inst.max_activities} activities for "
                f"the {inst.short} and rate each from 0 to 10.")
        return {k.strip(): _check_range(inst, k, v, "activity") for k, v in answers.items()}
    ids = [it.id for it in inst.items]
    unknown = [k for k in answers if k not in ids]
    if unknown:
        raise QuestionnaireError(f"{inst.short} has no question {unknown[0]!r}; answer only "
                                 "its own questions.")
    missing = [k for k in ids if k not in answers or answers[k] is None]
    if missing:
        raise QuestionnaireError(f"{len(missing)} of the {len(ids)} {inst.short} questions "
                                 f"are unanswered (first: {missing[0]}); answer every question "
                                 "to get a score.")
    return {it.id: _check_range(inst, it.id, answers[it.id], it.answer) for it in inst.items}


def _item_point(it: Item, v: int) -> int:
    if it.answer == "bother":
        return int(v >= (it.scored_from if it.scored_from is not None else 3))
    return v


def stratify(total: int, subscale: int, inst: Instrument | None = None) -> Risk:
    """STarT Back groups (S307): total <= ``low_max_total`` (3) -> low; else psychosocial subscale
    >= ``high_min_subscale`` (4) -> high; else medium."""
    inst = inst or instrument("start_back")
    if total <= inst.low_max_total:
        return "low"
    return "high" if subscale >= inst.high_min_subscale else "medium"


def score(response: Response) -> Score:
    """Score one response by its instrument's published rule (raises
    :class:`QuestionnaireError` for incomplete or out-of-range answers)."""
    inst = instrument(response.instrument)
    a = _validated(inst, response.answers)
    if inst.scoring == "start_back":
        points = {it.id: _item_point(it, a[it.id]) for it in inst.items}
        total = sum(points.values())
        sub = sum(points[k] for k in inst.psychosocial)
        return Score(inst.id, float(total), sub, stratify(total, sub, inst), a)
    values = list(a.values())
    if inst.scoring == "sum":
        value = float(sum(values))
    elif inst.scoring == "mean":
        value = sum(values) / len(values)
    else:  # single
        value = float(values[0])
    return Score(inst.id, value, None, None, a)


def change(first: Score, last: Score) -> Change:
    """Improvement from ``first`` to ``last`` (positive = better) and whether it is important:
    at least :attr:`Instrument.important_change` points, or at least ``mic_percent`` % of the
    first score's distance from the best end (for instruments where higher is worse: of the first
    score; PSFS: of the first score's distance from 10)."""
    if first.instrument != last.instrument:
        raise QuestionnaireError("Compare scores of the same questionnaire.")
    inst = instrument(first.instrument)
    sign = 1.0 if inst.higher_is == "better" else -1.0
    imp = sign * (last.value - first.value)
    room = (inst.max - first.value) if inst.higher_is == "better" else (first.value - inst.min)
    pct = 100.0 * imp / room if room > 0 else math.nan
    pts, pc = inst.important_change, inst.mic_percent
    important = ((math.isfinite(pts) and imp >= pts)
                 or (math.isfinite(pc) and math.isfinite(pct) and pct >= pc))
    parts = ([f"{pts:g} points"] if math.isfinite(pts) else []) + \
        ([f"{pc:g} %"] if math.isfinite(pc) else [])
    text = (f"important change: {' or '.join(parts)} ({inst.mic_source})" if parts
            else "no minimal important change is defined for this measure")
    return Change(inst.id, first.value, last.value, imp, pct, bool(important), text)


def item_ids(instrument_id: str) -> Sequence[str]:
    return [it.id for it in instrument(instrument_id).items]


def parse_answers(instrument_id: str, text: str) -> Response:
    """A :class:`Response` from the command line's compact form (one sentence on error):

    - RMDQ: the numbers of the sentences ticked, ``"3,7,12"``, or ``"none"``;
    - PSFS: ``"walking=4; gardening=2"`` (activity=rating, separated by ``;``);
    - the others: every item's answer in order, ``"1,0,0,1,0,0,0,0,3"`` (STarT Back's item 9:
      0 not at all ... 4 extremely), ``"5,4,6"`` (PEG), ``"2"`` (GRC).
    """
    inst = instrument(instrument_id)
    text = text.strip()
    try:
        if inst.answer == "activity":
            pairs = [p.split("=") for p in text.split(";") if p.strip()]
            if any(len(p) != 2 for p in pairs):
                raise ValueError
            return Response(inst.id, {name.strip(): int(v) for name, v in pairs})
        ids = [it.id for it in inst.items]
        if inst.answer == "tick":
            ticked = set() if text.lower() == "none" else {int(x) for x in text.split(",")}
            if not ticked <= set(range(1, len(ids) + 1)):
                raise QuestionnaireError(f"{inst.short} sentences are numbered 1 to {len(ids)}; "
                                         "give the numbers of those that apply, or 'none'.")
            return Response(inst.id, {i: int(k in ticked) for k, i in enumerate(ids, 1)})
        values = [int(x) for x in text.split(",")]
    except ValueError:
        raise QuestionnaireError(f"Could not read the {inst.short} answers {text!r}; write "
                                 "them as the option's help describes.") from None
    if len(values) != len(ids):
        raise QuestionnaireError(f"{inst.short} needs {len(ids)} answers separated by commas; "
                                 f"{len(values)} were given.")
    return Response(inst.id, dict(zip(ids, values, strict=True)))
