"""Knowledge files (TOML) shipped inside the package, their one loader and their one validator.

Every fact carries a source: :func:`missing_sources` finds the ones that do not, and
:func:`validate_sources` runs it over every data file (this package's and ``clinical/data``'s).
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib.resources import files
from typing import Any

CLINICAL = "lumbar_rom.clinical"  # its files are under ``clinical/data/``

# every data file: (package, file name as given to load_toml)
DATA_FILES: tuple[tuple[str, str], ...] = (
    (__name__, "protocol.toml"),
    (__name__, "camera_error.toml"),
    (__name__, "anthropometry.toml"),
    (__name__, "lumbopelvic_rhythm.toml"),
    *((CLINICAL, f"{n}.toml") for n in ("norms", "error", "muscles", "stretches", "safety",
                                        "factors", "goals", "endurance", "pain", "units")),
)

# keys that name or describe a thing (no fact to cite)
LABEL_KEYS = {"name", "label", "region", "id", "note", "category", "question", "text"}

# tables of plain instructions shown on screen, not facts: (file, table)
TEXT_TABLES = {("protocol.toml", "views")}


class DataError(ValueError):
    """A data file is malformed (a developer error, caught by the tests)."""


@cache
def load_toml(name: str, package: str = __name__) -> dict[str, Any]:
    """Parse the data file ``name`` of ``package`` (cached; callers must not mutate the result).

    ``package`` is ``lumbar_rom.data`` (default: ``lumbar_rom/data/<name>``) or
    :data:`CLINICAL` (``lumbar_rom/clinical/data/<name>``). A file of :data:`DATA_FILES` is
    checked for sources on load (:class:`DataError` naming every unsourced fact).
    """
    root = files(package)
    if package != __name__:
        root = root.joinpath("data")
    try:
        table = tomllib.loads(root.joinpath(name).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise DataError(f"The data file {package}:{name} cannot be read ({exc}).") from exc
    if (package, name) in DATA_FILES:
        problems = file_problems(name, table)
        if problems:
            raise DataError("; ".join(problems))
    return table


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


def file_problems(name: str, table: dict[str, Any]) -> list[str]:
    """The facts of the parsed data file ``name`` that have no source, as sentences."""
    kept = {k: v for k, v in table.items() if (name, k) not in TEXT_TABLES}
    return [f"{name}: {p} has no source" for p in missing_sources(kept)]


def validate_sources() -> list[str]:
    """Every problem of every data file: unreadable, or facts without a source (empty when all
    are sourced). The same check runs when :func:`load_toml` first reads a file."""
    problems: list[str] = []
    for package, name in DATA_FILES:
        try:
            load_toml(name, package=package)
        except DataError as exc:
            problems.append(str(exc))
    return problems
