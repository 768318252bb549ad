"""Plain data for definitions: YAML nodes made plain, and values made canonical.

Example:
    >>> canonical({"b": 7.0, "a": [1.5, 2.0]})
    {'a': [1.5, 2], 'b': 7}
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any


def canonical(value: Any) -> Any:
    """Plain data with whole floats as ints (`7.0` and `7` are one value) and sorted keys."""
    if isinstance(value, Mapping):
        return {str(k): canonical(value[k]) for k in sorted(value, key=str)}
    if isinstance(value, list | tuple):
        return [canonical(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def plain(value: Any) -> Any:
    """ruamel's round-trip nodes -> plain Python (dates as ISO text, as a definition stores)."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    return str(value)


def as_text(value: object) -> str:
    """A value as the text SQL compares and stores (`true`, `5` for 5.0)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
