"""The six lumbar motions (data/protocol.toml): view, measured signal, direction, cues.

:class:`Movement` is built from protocol.toml's ``[movements]`` keys (the one list of the
movements); text from the user is parsed once at the edge with :func:`parse_movement`, and the
:class:`MovementSpec` is passed down from there.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import TYPE_CHECKING, Any

from lumbar_rom.data import load_toml


def _table() -> dict[str, Any]:
    return load_toml("protocol.toml")["movements"]


if TYPE_CHECKING:
    class Movement(StrEnum):
        """A movement of the test; the members are protocol.toml's ``[movements]`` keys."""
else:  # built at run time from the data file (a type checker cannot read it)
    Movement = StrEnum("Movement", {k.upper().replace("-", "_"): k for k in _table()})
    Movement.__doc__ = "A movement of the test; the members are protocol.toml's [movements] keys."

MOVEMENTS: tuple[Movement, ...] = tuple(Movement)


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
def parse_movement(text: str) -> MovementSpec:
    """The protocol entry of the movement named ``text`` (a :class:`Movement` or its string);
    ``ValueError`` naming the valid ones otherwise."""
    try:
        movement = Movement(text)
    except ValueError:
        raise ValueError(f"Unknown movement {text!r}; choose one of "
                         f"{', '.join(MOVEMENTS)}.") from None
    e = _table()[movement]
    return MovementSpec(movement, e["label"], e["view"], e["signal"], int(e["direction"]),
                        e["camera"], e["start"], e["cue"], e["source"])


def movement_spec(movement: str | MovementSpec) -> MovementSpec:
    """``movement`` as its :class:`MovementSpec` (a spec passes through; a name is parsed with
    :func:`parse_movement`)."""
    return movement if isinstance(movement, MovementSpec) else parse_movement(movement)


def side_of(movement: str) -> str | None:
    """"left" or "right" for a side-specific movement id (``side-bend-left``), else None."""
    for side in ("left", "right"):
        if str(movement).endswith("-" + side):
            return side
    return None


def side_measured(movement: str, mirrored: bool = False, redo: str = "run again with --mirrored"
                  ) -> str:
    """For a side-specific movement, which side of the body the value is (issue 29: a mirrored
    clip not declared as such swaps the sides, and nothing in the picture proves which it is);
    ``""`` for flexion and extension. ``redo`` says how to declare a mirror image (the CLI's
    flag, the app's tick box)."""
    side = side_of(movement)
    if side is None:
        return ""
    if mirrored:
        return f" (the person's {side}; the video was turned back from a mirror image)"
    other = "right" if side == "left" else "left"
    return (f" (the person's {side} as the video shows it; if the video is a mirror image, as "
            f"front cameras often save, it was their {other}: {redo})")
