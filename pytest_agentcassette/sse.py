"""Server-sent events: where one event ends and the next begins.

A stream replays one event per chunk unless its cassette says otherwise (``chunks``), so
what a client sees in replay is what it saw live: each event as it came. An event ends
with a blank line (LF LF, or CR LF CR LF in CRLF streams such as Gemini's).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["event_sizes", "legacy_problem", "legacy_text"]

_FIELDS = (b"data:", b"event:", b"id:", b"retry:", b":")


def event_sizes(content: bytes) -> list[int] | None:
    """The byte size of each event of an SSE body, or ``None`` when ``content`` is not a
    whole stream of events (no SSE field first, an empty event, or cut off mid-event).
    """
    if not content.startswith(_FIELDS):
        return None
    separator = b"\r\n\r\n" if b"\r\n" in content else b"\n\n"
    events = content.split(separator)
    if events[-1] or len(events) < 2:
        return None
    del events[-1]
    if not all(events):
        return None
    extra = len(separator)
    return [len(event) + extra for event in events]


_LEGACY_FIELDS = ("event", "data", "id", "retry", "comment")


def legacy_problem(events: Any) -> tuple[str, tuple[str | int, ...]] | None:
    """What is wrong with an ``sse: [events]`` list (the form versions before 0.2 wrote, still
    read), as ``(message, place)``; ``None`` when it is fine.
    """
    if not isinstance(events, list):
        return f"sse must be a list of events, got {type(events).__name__}", ("sse",)
    for index, event in enumerate(events):
        if not isinstance(event, dict) or not event:
            return "an SSE event must be a non-empty mapping", ("sse", index)
        for name, value in event.items():
            if name not in _LEGACY_FIELDS:
                allowed = ", ".join(_LEGACY_FIELDS)
                return f"unknown SSE field {name!r}; expected one of {allowed}", ("sse", index)
            if not isinstance(value, str) and not (
                name == "data" and isinstance(value, (dict, list))
            ):
                return f"SSE field {name!r} must be a string", ("sse", index, str(name))
    return None


def legacy_text(events: list[dict[str, Any]], crlf: bool, dumps: Callable[[Any], str]) -> str:
    """The wire text of an ``sse: [events]`` list: one event per block, JSON ``data``
    written back with ``dumps``.
    """
    newline = "\r\n" if crlf else "\n"
    blocks = []
    for event in events:
        lines: list[str] = []
        for name, value in event.items():
            text = value if isinstance(value, str) else dumps(value)
            if name == "comment":
                lines.append(":" + text)
            elif name == "data":
                lines.extend("data: " + part for part in text.split("\n"))
            else:
                lines.append(f"{name}: {text}")
        blocks.append(newline.join(lines) + newline * 2)
    return "".join(blocks)
