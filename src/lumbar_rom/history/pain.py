"""Pain recorded with each measured motion: hurt, where (body map), what stopped it.

The body-map regions and the limiting factors are data (``clinical/data/pain.toml``, sourced);
this module checks an answer against them and gives the JSON stored with a trial
(``trials.pain``, revision 0006).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lumbar_rom.data import CLINICAL, load_toml
from lumbar_rom.errors import LumbarRomError


def pain_vocabulary() -> dict[str, dict[str, str]]:
    """``{"body_map": {id: label}, "limited_by": {id: label}}`` from ``pain.toml``."""
    t = load_toml("pain.toml", package=CLINICAL)
    return {k: {x["id"]: x["label"] for x in t[k]} for k in ("body_map", "limited_by")}


def pain_stall_item() -> str:
    """The stall-checklist item shown when the pain trend is behind its goal."""
    return str(load_toml("pain.toml", package=CLINICAL)["stall"]["text"])


@dataclass(frozen=True)
class TrialPain:
    """What one measured motion felt like. ``where``: body-map ids; ``limited_by``: a
    limiting-factor id or None (not asked); ``painful_arc``: pain mid-range that eased."""

    hurt: bool
    where: tuple[str, ...] = ()
    limited_by: str | None = None
    painful_arc: bool = False

    def __post_init__(self) -> None:
        vocab = pain_vocabulary()
        unknown = [w for w in self.where if w not in vocab["body_map"]]
        if unknown:
            raise LumbarRomError(f"Unknown pain region {unknown[0]!r}; expected one of "
                                 f"{', '.join(vocab['body_map'])}.")
        if self.limited_by is not None and self.limited_by not in vocab["limited_by"]:
            raise LumbarRomError(f"Unknown limiting factor {self.limited_by!r}; expected one of "
                                 f"{', '.join(vocab['limited_by'])}.")
        if self.where and not self.hurt:
            raise LumbarRomError("A pain region was given for a motion that did not hurt; "
                                 "mark it as hurting or leave the region out.")

    def to_dict(self) -> dict[str, Any]:
        return {"hurt": self.hurt, "where": list(self.where), "limited_by": self.limited_by,
                "painful_arc": self.painful_arc}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> TrialPain:
        return cls(bool(d.get("hurt", False)), tuple(d.get("where") or ()),
                   d.get("limited_by"), bool(d.get("painful_arc", False)))
