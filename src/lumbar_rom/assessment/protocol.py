"""The six lumbar motions (data/protocol.toml): view, measured signal, direction, cues."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Literal, get_args

from lumbar_rom.data import load_toml

Movement = Literal["flexion", "extension", "side-bend-left", "side-bend-right",
                   "rotation-left", "rotation-right"]
MOVEMENTS: tuple[Movement, ...] = get_args(Movement)


@dataclass(frozen=True)
class MovementSpec:
    id: Movement
    label: str
    view: str  # "side" | "front"
    signal: str  # "sagittal" | "frontal" | "rotation"
    direction: int  # +1 / -1 onto "more of this motion"
    camera: str
    start: str
    cue: str
    source: str


@cache
def movement_spec(movement: str) -> MovementSpec:
    """The protocol entry of ``movement``; ``ValueError`` naming the valid ones otherwise."""
    table = load_toml("protocol.toml")["movements"]
    if movement not in table:
        raise ValueError(f"unknown movement {movement!r}; choose one of {', '.join(MOVEMENTS)}")
    e = table[movement]
    return MovementSpec(movement, e["label"], e["view"], e["signal"], int(e["direction"]),  # type: ignore[arg-type]
                        e["camera"], e["start"], e["cue"], e["source"])
