"""JSON-ready conversion shared by every stage's ``to_dict`` (one place for NaN -> null)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

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
