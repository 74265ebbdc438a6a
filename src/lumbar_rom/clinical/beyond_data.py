"""Loading and checking the issue-30 knowledge files (questionnaires, duration, repeated movements,
contributing factors, keep going) and their new sources (``clinical/data/sources_beyond.toml``).

Wiring (next session): when the lead folds ``sources_beyond.toml`` into ``sources.toml`` and adds
the new files to :data:`lumbar_rom.data.DATA_FILES`, :func:`sources` becomes
``knowledge``'s source table and this module shrinks to :func:`load`.

Each loader of the issue-30 modules calls :func:`load`, which refuses (``DataError``) a file with
a fact without a source (the shared rule of :func:`lumbar_rom.data.file_problems`) or a citation
of a key that is in neither source file.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from lumbar_rom.clinical.knowledge import source_problems
from lumbar_rom.data import CLINICAL, DataError, file_problems, load_toml

__all__ = ["FILES", "load", "problems", "sources"]

FILES = ("questionnaires", "duration", "repeated", "contributing", "maintenance")


@cache
def sources() -> dict[str, Any]:
    """sources.toml's table merged with sources_beyond.toml's (a key in both is an error)."""
    old = load_toml("sources.toml", package=CLINICAL)["sources"]
    new = load_toml("sources_beyond.toml", package=CLINICAL)["sources"]
    clash = sorted(set(old) & set(new))
    if clash:
        raise DataError(f"sources_beyond.toml repeats keys of sources.toml: {', '.join(clash)}")
    return {**old, **new}


def problems(name: str) -> list[str]:
    """Every problem of the issue-30 data file ``name`` (without ``.toml``): facts without a
    source, citations of unknown keys, and problems of the new source entries themselves."""
    table = load_toml(f"{name}.toml", package=CLINICAL)
    new = load_toml("sources_beyond.toml", package=CLINICAL)["sources"]
    return [*file_problems(f"{name}.toml", table),
            *source_problems(new, {}),
            *source_problems(sources(), {f"{name}.toml": table})]


@cache
def load(name: str) -> dict[str, Any]:
    """The parsed issue-30 data file ``name`` (cached; do not mutate), checked by
    :func:`problems` (``DataError`` listing them all)."""
    found = problems(name)
    if found:
        raise DataError("; ".join(found))
    return load_toml(f"{name}.toml", package=CLINICAL)
