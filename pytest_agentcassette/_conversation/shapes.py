"""Values read out of JSON a provider or a client wrote, whatever type they turn out to
have: a wrong type reads as empty, never as an error (recorded traffic is outside input).
"""

from __future__ import annotations

import json
import math
from typing import Any

__all__ = ["as_dict", "as_int", "as_list", "as_str", "parse_arguments"]


def as_dict(value: Any) -> dict[str, Any]:
    """``value`` if it is an object, else ``{}``."""
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    """``value`` if it is an array, else ``[]``."""
    return value if isinstance(value, list) else []


def as_str(value: Any) -> str:
    """``value`` if it is a string, else ``""``."""
    return value if isinstance(value, str) else ""


def as_int(value: Any) -> int:
    """``value`` as a count: an int, a finite float cut down, else 0."""
    if isinstance(value, float):
        return int(value) if math.isfinite(value) else 0  # JSON may say 1e999
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def parse_arguments(value: Any) -> Any:
    """A tool call's arguments as data: JSON text parsed (blank text is ``{}``), text that
    is not JSON kept as it is, anything else as it is.
    """
    if isinstance(value, str):
        if not value.strip():
            return {}
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value
