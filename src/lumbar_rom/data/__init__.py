"""Knowledge files (TOML) shipped inside the package; every entry carries a ``source`` key."""

from __future__ import annotations

import tomllib
from functools import cache
from importlib.resources import files
from typing import Any


@cache
def load_toml(name: str) -> dict[str, Any]:
    """Parse ``lumbar_rom/data/<name>`` (cached; callers must not mutate the result)."""
    return tomllib.loads(files(__name__).joinpath(name).read_text(encoding="utf-8"))
