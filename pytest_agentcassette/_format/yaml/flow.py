"""A list that a cassette writes on one line."""

from __future__ import annotations

from typing import Any

__all__ = ["FlowSequence"]


class FlowSequence(list[Any]):
    """A sequence written in flow style: ``[12, 40, 7]`` (chunk sizes, a header's values)."""
