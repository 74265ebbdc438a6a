"""JSON-ready conversion shared by every stage's ``to_dict`` (one place for NaN -> null), and
back: :func:`from_mapping` rebuilds a frozen dataclass from what ``to_dict`` wrote."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import MISSING, fields, is_dataclass
from datetime import date, datetime
from typing import Any, TypeVar, get_args, get_origin, get_type_hints

import numpy as np


def json_safe(x: Any, ndigits: int = 4) -> Any:
    """Nested dicts / lists / tuples with NaN and inf -> ``None``, numpy scalars -> Python,
    floats rounded to ``ndigits``, dates -> ISO strings."""
    if isinstance(x, dict):
        return {k: json_safe(v, ndigits) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [json_safe(v, ndigits) for v in x]
    if isinstance(x, float | np.floating):
        return None if not np.isfinite(x) else round(float(x), ndigits)
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, datetime | date):
        return x.isoformat()
    return x


T = TypeVar("T")


def _typed(hint: Any, v: Any) -> Any:
    """A JSON value back to the type ``hint`` says: None -> NaN for floats, lists -> tuples,
    dicts -> dataclasses."""
    if hint is float:
        return float("nan") if v is None else float(v)
    if is_dataclass(hint) and isinstance(v, Mapping):
        return from_mapping(hint, v)  # type: ignore[arg-type]
    if get_origin(hint) is tuple and isinstance(v, list | tuple):
        args = get_args(hint)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_typed(args[0], x) for x in v)
        return tuple(_typed(a, x) for a, x in zip(args, v, strict=True))
    if get_origin(hint) is dict and isinstance(v, Mapping):
        return dict(v)
    return v


def from_mapping(cls: type[T], d: Mapping[str, Any]) -> T:
    """The dataclass ``cls`` from a dict of its fields (as ``asdict`` + ``json_safe`` wrote it);
    unknown keys are ignored, a missing field without a default is a ``ValueError``."""
    hints = get_type_hints(cls)
    kw: dict[str, Any] = {}
    for f in fields(cls):  # type: ignore[arg-type]
        if f.name in d:
            kw[f.name] = _typed(hints[f.name], d[f.name])
        elif f.default is MISSING and f.default_factory is MISSING:
            raise ValueError(f"The stored {cls.__name__} has no {f.name!r}; it cannot be read.")
    return cls(**kw)
