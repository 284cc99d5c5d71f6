"""Drift: whether a provider's live response still has the *shape* of the recorded one.

The ``verify`` record mode sends each request for real and compares what came back with
the recording, leaving out what differs on every call (the text a model writes, ids,
counts): the status, the JSON keys and the type of each value, and for an event stream
the order of its event types (repeats counted once: a longer answer has more deltas) and
the keys of each type of event. A renamed field, a removed one, a value that became a
list, a new event type, all show; a different answer does not.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from pytest_agentcassette._model import NOT_JSON, Interaction, RecordedResponse, json_value
from pytest_agentcassette._sse import events

__all__ = ["ResponseShape", "drift_lines", "drift_message", "shape_changes"]

_SSE = "text/event-stream"
_SHORT_TEXT = 24  # a data line that is not JSON is named by its text up to this length


@dataclass
class ResponseShape:
    """What ``verify`` compares of a response: status, body paths with the types found
    there (``/choices/*/message/content: {string}``), and event types in order.
    """

    status: int
    paths: dict[str, set[str]] = field(default_factory=dict)
    events: list[str] = field(default_factory=list)
    streamed: bool = False
    complete: bool = True

    @classmethod
    def of(cls, response: RecordedResponse) -> ResponseShape:
        """The shape of ``response``."""
        shape = cls(response.status_code, complete=response.complete)
        if _SSE in (response.header("content-type") or ""):
            shape.streamed = True
            for name, value in _named_events(response.body.content):
                if not shape.events or shape.events[-1] != name:
                    shape.events.append(name)
                _collect(value, f"{name} ", shape.paths)
            return shape
        value = json_value(response.body)
        if value is not NOT_JSON:
            _collect(value, "", shape.paths)
        return shape


def _named_events(content: bytes) -> Iterator[tuple[str, Any]]:
    """Each event's name (its ``event:`` field, else the data's ``type`` or ``object``)
    and its data as JSON (``None`` when the data is not JSON).
    """
    for event in events(content):
        try:
            value: Any = json.loads(event.data)
        except ValueError:
            text = event.data.strip()
            yield event.name or (text if len(text) <= _SHORT_TEXT else "(text)"), None
            continue
        name = event.name
        if not name and isinstance(value, dict):
            kind = value.get("type", value.get("object"))
            name = kind if isinstance(kind, str) else ""
        yield name or "(data)", value


def _type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _collect(value: Any, path: str, paths: dict[str, set[str]]) -> None:
    """Add ``value``'s type at ``path``, and those of everything inside it."""
    paths.setdefault(path or "/", set()).add(_type(value))
    if isinstance(value, dict):
        for key, item in value.items():
            _collect(item, f"{path}/{key}", paths)
    elif isinstance(value, list):
        for item in value:
            _collect(item, f"{path}/*", paths)


def _kinds(types: set[str]) -> str:
    return " or ".join(sorted(types))


def _path_changes(recorded: dict[str, set[str]], live: dict[str, set[str]]) -> list[str]:
    """Paths gone, new, or holding another type (``null`` is compatible with any type:
    an optional value may be absent in one answer and set in the next). Below a path gone
    or new, nothing more is listed.
    """
    changes = []
    for path in sorted(recorded.keys() | live.keys()):
        parent = path.rsplit("/", 1)[0]
        top = parent in ("", path)
        if path not in live:
            if top or parent in live:
                changes.append(f"{path.strip()}: gone (was {_kinds(recorded[path])})")
        elif path not in recorded:
            if top or parent in recorded:
                changes.append(f"{path.strip()}: new ({_kinds(live[path])})")
        else:
            before, after = recorded[path] - {"null"}, live[path] - {"null"}
            if before and after and not before & after:
                changes.append(f"{path.strip()}: {_kinds(before)} → {_kinds(after)}")
    return changes


def shape_changes(recorded: RecordedResponse, live: RecordedResponse) -> list[str]:
    """How ``live`` differs in shape from ``recorded``, a line each (none if alike)."""
    before, after = ResponseShape.of(recorded), ResponseShape.of(live)
    changes = []
    if before.status != after.status:
        changes.append(f"status: {before.status} → {after.status}")
    if before.streamed != after.streamed:
        kind = {True: "an event stream", False: "a whole body"}
        changes.append(f"body: {kind[before.streamed]} → {kind[after.streamed]}")
        return changes
    if before.streamed and before.complete and after.complete and before.events != after.events:
        changes.append(f"events: {', '.join(before.events)} → {', '.join(after.events)}")
    changes += [f"body {line}" for line in _path_changes(before.paths, after.paths)]
    return changes


class _Live(Protocol):
    """A request sent for real, and its interaction once its response is in."""

    @property
    def interaction(self) -> Interaction | None: ...


def drift_lines(verified: Sequence[tuple[Interaction | None, _Live]]) -> list[str]:
    """For each request ``verify`` sent: under the recorded interaction it matched, how
    the live response differs in shape; or that nothing recorded matched it.
    """
    lines = []
    for number, (recorded, pending) in enumerate(verified, start=1):
        live = pending.interaction
        if live is None:  # no response at all: the test meets that error itself
            continue
        request = live.request
        if recorded is None:
            lines.append(
                f"request {number} ({request.method} {request.url}): no recorded "
                f"interaction matches it (the request changed, or was never recorded)"
            )
            continue
        changes = shape_changes(recorded.response, live.response)
        if changes:
            lines.append(f"interaction {recorded.id} ({request.method} {request.url}):")
            lines += [f"  {change}" for change in changes]
    return lines


def drift_message(lines: list[str], shown_path: str, record_command: str | None) -> str:
    """The message of a :class:`~pytest_agentcassette.ResponseDriftError`."""
    head = (
        "The live API no longer answers as recorded (record mode verify: every request "
        "was sent for real, and the cassette was left as it was)"
    )
    body = "\n".join(f"  {line}" for line in [f"cassette:    {shown_path}", *lines])
    command = record_command.replace("{mode}", "rewrite") if record_command else None
    fix = (
        f"If the change is expected, record the cassette again:\n  {command}"
        if command
        else "If the change is expected, record the cassette again with record_mode='all'."
    )
    return f"{head}\n{body}\n{fix}"
