"""The repeated-movement test's decision (issue 30): the person's answer after each set ->
a directional preference or none, a stop when symptoms spread down the leg, and which flexion or
extension exercises are offered or withheld (``clinical/data/repeated.toml``; the exercise ids are
those of ``stretches.toml``).

Rules (decision, from the cited data):

- **Stop**: an answer with ``stop = true`` (pain spreading further down the leg,
  "peripheralised") ends the test: no later set is accepted, every exercise of that direction is
  withheld, and the person is told to have it assessed before bending that way.
- **Worse** (more pain, same place): the end-range exercises of that direction are withheld.
- **Directional preference**: the direction whose answer ranks >= 1 (centralised or better) and
  above the other tested direction's answer. Its exercises are offered first; the *end-range*
  exercises of the opposite direction are withheld (S310: opposite-direction exercises did worse).
  No preference is claimed from one direction alone (the other not tested).
- Otherwise (no change, or both alike) nothing is withheld because of this test.

Design note - wiring (next session): the guided test's page (and ``lumbar-rom repeated``) builds
one :class:`SetAnswer` per set, after the camera's count (``assessment.repeated``); the engine's
plan passes its stretch ids through :func:`filter_plan` and shows the withheld ones with their
reason; the store keeps ``(movement, answer)`` per set and the :class:`RepeatedDecision`'s
``preference`` / ``stopped``; the PDF summary prints "directional preference: extension" (or
"none" / "stopped: pain spread down the leg with repeated flexion"); FHIR: an Observation with
the preference as a coded value.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from lumbar_rom.clinical.beyond_data import load
from lumbar_rom.data import CLINICAL, DataError, load_toml
from lumbar_rom.errors import LumbarRomError

__all__ = ["Answer", "RepeatedDecision", "RepeatedError", "SetAnswer", "answers", "decide",
           "exercise_directions", "filter_plan"]

DIRECTIONS = ("flexion", "extension")
WORDS = {"flexion": "forward", "extension": "backward"}


class RepeatedError(LumbarRomError):
    """Answers that do not make a valid test; the message says what to do next."""


@dataclass(frozen=True)
class Answer:
    id: str
    label: str
    rank: int
    stop: bool
    source: str


@dataclass(frozen=True)
class Exercise:
    id: str
    direction: str
    end_range: bool
    source: str


@dataclass(frozen=True)
class SetAnswer:
    """One set of repeated ``movement`` ("flexion" / "extension") and the person's answer id."""

    movement: str
    answer: str


@dataclass(frozen=True)
class RepeatedDecision:
    """``preference``: "flexion", "extension" or None; ``stopped``: the direction whose set made
    the symptoms spread (None if none); ``offered``: exercise ids, the preferred direction's
    first; ``withheld``: exercise id -> the reason (one sentence); ``advice``: sentences for the
    person; ``source``: the sources behind them."""

    preference: str | None
    stopped: str | None
    offered: tuple[str, ...]
    withheld: dict[str, str]
    advice: tuple[str, ...]
    source: str


@cache
def _data() -> dict[str, Any]:
    return load("repeated")


@cache
def answers() -> dict[str, Answer]:
    """The possible answers after a set, by id."""
    return {k: Answer(k, d["label"], int(d["rank"]), bool(d.get("stop", False)), d["source"])
            for k, d in _data()["answers"].items()}


@cache
def exercise_directions() -> dict[str, Exercise]:
    """The exercises of stretches.toml that load flexion or extension, by id (validated: every id
    is a stretch of stretches.toml and every flexion/extension stretch is classified)."""
    ex = {k: Exercise(k, d["direction"], bool(d["end_range"]), d["source"])
          for k, d in _data()["exercises"].items()}
    stretches = load_toml("stretches.toml", package=CLINICAL)["stretches"]
    unknown = sorted(set(ex) - set(stretches))
    sagittal = {k for k, d in stretches.items()
                if set(d.get("movements", ())) & set(DIRECTIONS)}
    missing = sorted(sagittal - set(ex))
    bad = [k for k, e in ex.items() if e.direction not in DIRECTIONS]
    if unknown or missing or bad:
        raise DataError(f"repeated.toml: exercises not in stretches.toml {unknown}, flexion/"
                        f"extension stretches not classified {missing}, bad directions {bad}")
    return ex


def _checked(sets: Sequence[SetAnswer]) -> list[tuple[str, Answer]]:
    known = answers()
    out: list[tuple[str, Answer]] = []
    seen: set[str] = set()
    for s in sets:
        if s.movement not in DIRECTIONS:
            raise RepeatedError(f"The repeated-movement test has flexion and extension sets, "
                                f"not {s.movement!r}; choose one of them.")
        if s.answer not in known:
            raise RepeatedError(f"Choose what happened to your pain after the {s.movement} set "
                                f"({', '.join(known)}).")
        if s.movement in seen:
            raise RepeatedError(f"The {s.movement} set was answered twice; keep one answer.")
        if out and out[-1][1].stop:
            raise RepeatedError(f"The test stopped when the pain spread after the "
                                f"{out[-1][0]} set; no further set can be recorded.")
        seen.add(s.movement)
        out.append((s.movement, known[s.answer]))
    if not out:
        raise RepeatedError("Answer what happened to your pain after at least one set.")
    return out


def _preference(done: dict[str, Answer]) -> str | None:
    if len(done) < 2:
        return None
    a, b = (done[d] for d in DIRECTIONS)
    if a.rank >= 1 and a.rank > b.rank:
        return DIRECTIONS[0]
    if b.rank >= 1 and b.rank > a.rank:
        return DIRECTIONS[1]
    return None


def decide(sets: Sequence[SetAnswer]) -> RepeatedDecision:
    """The decision of the test from its answered sets (see the module docstring)."""
    done = dict(_checked(sets))
    adv = _data()["advice"]
    ex = exercise_directions()
    stopped = next((m for m, a in done.items() if a.stop), None)
    pref = None if stopped else _preference(done)
    withheld: dict[str, str] = {}
    advice: list[str] = []
    if stopped:
        advice.append(adv["stop"].format(direction=WORDS[stopped]))
        withheld |= {k: f"Left out: pain spread down the leg with repeated {stopped}."
                     for k, e in ex.items() if e.direction == stopped}
    for m, a in done.items():
        if a.rank < 0 and not a.stop:
            advice.append(adv["worse"].format(direction=WORDS[m]))
            withheld |= {k: f"Left out for now: repeated {m} made your pain worse."
                         for k, e in ex.items() if e.direction == m and e.end_range}
    if pref:
        other = DIRECTIONS[1 - DIRECTIONS.index(pref)]
        advice.append(adv["preference"].format(direction=WORDS[pref]))
        withheld |= {k: f"Left out for now: your pain eased with repeated {pref}, the other way."
                     for k, e in ex.items() if e.direction == other and e.end_range}
    if not advice:
        advice.append(adv["no_preference"])
    order = sorted(ex, key=lambda k: (ex[k].direction != pref, list(ex).index(k)))
    offered = tuple(k for k in order if k not in withheld)
    sources = "; ".join(dict.fromkeys([adv["source"], *(a.source for a in done.values())]))
    return RepeatedDecision(pref, stopped, offered, withheld, tuple(advice), sources)


def filter_plan(decision: RepeatedDecision, stretch_ids: Iterable[str]
                ) -> tuple[list[str], dict[str, str]]:
    """The plan's ``stretch_ids`` kept (the preferred direction's first, the others in their
    order) and those withheld with their reason. Stretches the test does not concern (side
    bends, rotations) are kept in place."""
    ids = list(stretch_ids)
    kept = [i for i in ids if i not in decision.withheld]
    pref = decision.preference
    ex = exercise_directions()
    kept.sort(key=lambda i: (not (pref and i in ex and ex[i].direction == pref), ids.index(i)))
    return kept, {i: decision.withheld[i] for i in ids if i in decision.withheld}
