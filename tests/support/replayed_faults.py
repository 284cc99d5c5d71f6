"""What a replayed transport error's message gains: the note that says it was replayed."""

from __future__ import annotations

import re

__all__ = ["without_note"]

_NOTE = re.compile(
    r" \[agentcassette: replayed from [^\]]*?, interaction \d+, as recorded; if the provider "
    r"answers now, record it again: [^\]]*\]"
)


def without_note(message: object) -> str:
    """``str(message)`` with the replay note taken out; fails if it carries none."""
    text = str(message)
    cleaned, found = _NOTE.subn("", text)
    if not found:
        raise AssertionError(f"no replay note in {text!r}")
    return cleaned
