"""Server-sent events: a lossless split of an SSE body into events, and back.

An event is a dict whose keys are the SSE fields in wire order (``event``, ``data``, ``id``,
``retry``, and ``comment`` for a ``:`` line). Several ``data:`` lines become one value
joined with newlines, as the SSE specification defines. :func:`parse_events` only accepts
bodies that :func:`render_events` rebuilds byte for byte; anything else returns ``None``
and the caller stores the body as text.
"""

from __future__ import annotations

__all__ = ["LINE_ENDINGS", "parse_events", "render_events", "split_event_texts"]

LINE_ENDINGS = {"lf": "\n", "crlf": "\r\n"}
_FIELDS = ("event", "data", "id", "retry")

SSEEvent = dict[str, str]


def _line_ending(text: str) -> str | None:
    if "\r\n" in text:
        # Every line break must be CRLF: no bare CR, no bare LF.
        if text.count("\r") != text.count("\r\n") or text.count("\n") != text.count("\r\n"):
            return None
        return "crlf"
    return None if "\r" in text else "lf"


def _parse_block(block: str, newline: str) -> SSEEvent | None:
    event: SSEEvent = {}
    data: list[str] = []
    last_field = ""
    for line in block.split(newline):
        if line.startswith(":"):
            name, value = "comment", line[1:]
        else:
            name, sep, value = line.partition(": ")
            if not sep or name not in _FIELDS:
                return None
        if name in event:
            # Only consecutive data lines fold into one value; anything else is not
            # representable as a mapping and falls back to text.
            if name != "data" or last_field != "data":
                return None
            data.append(value)
        else:
            event[name] = value
            if name == "data":
                data.append(value)
        last_field = name
    if len(data) > 1:
        event["data"] = "\n".join(data)
    return event


def parse_events(text: str) -> tuple[list[SSEEvent], str] | None:
    """Split an SSE body into events and its line ending (``"lf"`` or ``"crlf"``).

    Returns ``None`` unless :func:`render_events` gives back exactly ``text``.
    """
    ending = _line_ending(text)
    if ending is None or not text:
        return None
    newline = LINE_ENDINGS[ending]
    terminator = newline * 2
    if not text.endswith(terminator):
        return None
    events: list[SSEEvent] = []
    for block in text[: -len(terminator)].split(terminator):
        event = _parse_block(block, newline) if block else None
        if event is None:
            return None
        events.append(event)
    if render_events(events, ending) != text:
        return None
    return events, ending


def render_event(event: SSEEvent, newline: str) -> str:
    """Render one event, blank line included."""
    lines: list[str] = []
    for name, value in event.items():
        if name == "comment":
            lines.append(":" + value)
        elif name == "data":
            lines.extend("data: " + part for part in value.split("\n"))
        else:
            lines.append(f"{name}: {value}")
    return newline.join(lines) + newline * 2


def render_events(events: list[SSEEvent], ending: str = "lf") -> str:
    """Rebuild the SSE body text from events."""
    newline = LINE_ENDINGS[ending]
    return "".join(render_event(event, newline) for event in events)


def split_event_texts(events: list[SSEEvent], ending: str) -> list[str]:
    """The wire text of each event, in order (used to compare chunking with events)."""
    newline = LINE_ENDINGS[ending]
    return [render_event(event, newline) for event in events]
