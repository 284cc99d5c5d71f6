"""Server-sent events: the plugin's one reader of the SSE wire format.

A stream is a series of events, each ended by a blank line (LF LF, or CR LF CR LF in CRLF
streams such as Gemini's); an event's lines are fields (``event:``, ``data:``, ``id:``,
``retry:``) or comments (``:``). Three things need it: a replay hands a stream over one
event per chunk (:func:`event_sizes`), reading what a model said parses each event's data
(:func:`events`), and the secrets guard finds what a stream spells across its events (each
data line's place, :attr:`Event.data_spans`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

__all__ = ["Event", "event_sizes", "events"]

_FIELDS = (b"data:", b"event:", b"id:", b"retry:", b":")


def _separator(content: bytes) -> bytes:
    """What ends an event in ``content``: CR LF CR LF in a CRLF stream, else LF LF."""
    crlf = b"\r" in content and b"\r\n" in content  # one byte first: found much faster
    return b"\r\n\r\n" if crlf else b"\n\n"


def event_sizes(content: bytes) -> list[int] | None:
    """The byte size of each event of an SSE body, or ``None`` when ``content`` is not a
    whole stream of events (no SSE field first, an empty event, or cut off mid-event).
    """
    if not content.startswith(_FIELDS):
        return None
    separator = _separator(content)
    blocks = content.split(separator)
    if blocks[-1] or len(blocks) < 2:
        return None
    del blocks[-1]
    if not all(blocks):
        return None
    extra = len(separator)
    return [len(block) + extra for block in blocks]


class Event(NamedTuple):
    """An event that carries data: its ``event:`` name (empty when it has none), its data
    lines joined by LF, and where each data line's value lies in the bytes read.
    """

    name: str
    data: str
    data_spans: tuple[tuple[int, int], ...]


def events(content: bytes, *, mentioning: bytes = b"") -> Iterator[Event]:
    """The events of ``content`` that carry data, in order (only those whose text contains
    ``mentioning``, when given: cheaper than parsing them all). Reading is lenient: a line
    that is no field is skipped, and an unfinished last event still counts.
    """
    separator = _separator(content)
    position = 0
    for block in content.split(separator):
        start, position = position, position + len(block) + len(separator)
        if mentioning and mentioning not in block:
            continue
        event = _event(block, start)
        if event is not None:
            yield event


def _event(block: bytes, start: int) -> Event | None:
    name, data, spans = b"", [], []
    offset = start
    for line in block.split(b"\n"):
        line_start, offset = offset, offset + len(line) + 1
        text = line[:-1] if line.endswith(b"\r") else line
        field, _, value = text.partition(b":")
        skip = 1 if value.startswith(b" ") else 0
        if field == b"event":
            name = value[skip:]
        elif field == b"data":
            spans.append((line_start + len(field) + 1 + skip, line_start + len(text)))
            data.append(value[skip:])
    if not spans:
        return None
    joined = b"\n".join(data).decode("utf-8", errors="replace")
    return Event(name.decode("utf-8", errors="replace"), joined, tuple(spans))
