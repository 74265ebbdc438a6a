"""The clinical knowledge base: TOML files in ``clinical/data`` loaded with importlib.resources
and validated at load (every threshold, muscle, stretch, question and advice carries a source)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any

from lumbar_rom.assessment.protocol import MOVEMENTS

FILES = ("norms", "error", "muscles", "stretches", "safety", "factors", "goals")


class KnowledgeError(ValueError):
    """A knowledge file is malformed (a developer error, caught by the tests)."""


@dataclass(frozen=True)
class Knowledge:
    norms: dict[str, Any]
    error: dict[str, Any]
    muscles: dict[str, Any]
    stretches: dict[str, Any]
    safety: dict[str, Any]
    factors: dict[str, Any]
    goals: dict[str, Any]


def _read(name: str) -> dict[str, Any]:
    text = files("lumbar_rom.clinical").joinpath("data").joinpath(f"{name}.toml").read_text("utf-8")
    return tomllib.loads(text)


LABEL_KEYS = {"name", "label", "region", "id", "note", "category", "question", "text"}


def missing_sources(node: Any, path: str = "") -> list[str]:
    """Paths of tables that state facts without a source.

    A table with any value that is not a label (numbers, lists, advice, cues...) needs a non-empty
    ``source``; a ``<prefix>_deg`` value may instead have its own ``<prefix>_source``
    (``trunk_deg`` / ``trunk_source``).
    """
    out: list[str] = []
    if isinstance(node, dict):
        has_source = bool(str(node.get("source", "")).strip())
        facts = [k for k, v in node.items()
                 if not isinstance(v, dict) and k != "source" and not k.endswith("_source")
                 and k not in LABEL_KEYS and not (isinstance(v, list) and v
                                                  and isinstance(v[0], dict))]
        for k in facts:
            own = f"{k.split('_')[0]}_source"
            if not has_source and not str(node.get(own, "")).strip():
                out.append(f"{path}.{k}" if path else k)
        for k, v in node.items():
            out += missing_sources(v, f"{path}.{k}" if path else k)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            if isinstance(v, dict):
                out += missing_sources(v, f"{path}[{i}]")
    return out


def validate(k: Knowledge) -> None:
    """Raise :class:`KnowledgeError` listing every problem found."""
    problems: list[str] = []
    for name in FILES:
        problems += [f"{name}: {p} has no source" for p in missing_sources(getattr(k, name))]
    for m in MOVEMENTS:
        if m not in k.norms["motions"]:
            problems.append(f"norms: no norm for {m}")
        if m not in k.error["motions"]:
            problems.append(f"error: no MDC for {m}")
        for entry in k.muscles["limits"].get(m, []):
            if entry["muscle"] not in k.muscles["muscles"]:
                problems.append(f"muscles: {m} names unknown muscle {entry['muscle']}")
            if entry["side"] not in ("left", "right", "both"):
                problems.append(f"muscles: {m} {entry['muscle']} has side {entry['side']!r}")
    for sid, s in k.stretches["stretches"].items():
        for t in s["targets"]:
            if t not in k.muscles["muscles"]:
                problems.append(f"stretches: {sid} targets unknown muscle {t}")
    covered = {(m, t) for s in k.stretches["stretches"].values() for t in s["targets"]
               for m in s["movements"]}
    for m, entries in k.muscles["limits"].items():
        for e in entries:
            if (m, e["muscle"]) not in covered and not e.get("standing_only"):
                problems.append(f"stretches: no stretch for {e['muscle']} limiting {m}")
    if problems:
        raise KnowledgeError("; ".join(problems))


@cache
def knowledge() -> Knowledge:
    """The validated knowledge base (cached)."""
    k = Knowledge(**{name: _read(name) for name in FILES})
    validate(k)
    return k


@cache
def _sources() -> dict[str, str]:
    text = files("lumbar_rom.clinical").joinpath("data").joinpath("sources.toml").read_text(
        "utf-8")
    return tomllib.loads(text)["sources"]


def citations(source_text: str) -> list[tuple[str, str]]:
    """The citations of the source keys named in ``source_text`` ("S11, S49-S51; seed ...")."""
    import re

    table = _sources()
    keys: list[str] = []
    for a, b in re.findall(r"\bS(\d+)(?:-S(\d+))?[a-z]?\b", source_text):  # S28-S30 too
        if b:
            keys.append(f"S{a}-S{b}")
            keys += [f"S{i}" for i in range(int(a), int(b) + 1)]
        else:
            keys.append(f"S{a}")
    keys += [m for m in re.findall(r"\bS\d+[a-z]\b", source_text)]
    if "seed" in source_text:
        keys.append("seed")
    out, seen = [], set()
    for k in keys:
        if k in table and k not in seen:
            seen.add(k)
            out.append((k, table[k]))
    return out
