"""Server-sent events: where one event ends and the next begins.

A stream replays one event per chunk unless its cassette says otherwise (``chunks``), so
what a client sees in replay is what it saw live: each event as it came. An event ends
with a blank line (LF LF, or CR LF CR LF in CRLF streams such as Gemini's).
"""

from __future__ import annotations

__all__ = ["event_sizes"]

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
