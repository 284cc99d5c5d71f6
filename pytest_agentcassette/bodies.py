"""Message bodies: exact bytes plus chunk boundaries, stored in the most readable exact form.

Stored forms (the value of a cassette's ``body`` field):

- a plain string: UTF-8 text (cagent's and go-vcr's form);
- ``{json: <data>}``: a JSON document stored as YAML data;
- ``{sse: [<event>, ...]}``: server-sent events; an event's ``data`` is a mapping or list
  when it is JSON, a string when it is anything else (``[DONE]``);
- ``{text: <string>}``: text that needs ``chunks``;
- ``{base64: <string>}``: bytes that are not UTF-8.

Modifiers: ``chunks`` (byte sizes of the pieces the client received, left out when they are
the default: one per SSE event, else one), ``line_ending: crlf`` for SSE, and ``json_style``
/ ``json_ascii`` where JSON was not written compactly. A form is only chosen when decoding it
gives back the recorded bytes exactly.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from .sse import LINE_ENDINGS, SSEEvent, parse_events, split_event_texts
from .yamlio import FlowMapping, FlowSequence

__all__ = ["NOT_JSON", "Body", "BodyFormatError"]

_KINDS = ("json", "sse", "text", "base64")
_MODIFIERS = ("chunks", "line_ending", "json_style", "json_ascii")
JSON_STYLES: dict[str, tuple[str, str]] = {
    "compact": (",", ":"),
    "spaced": (", ", ": "),
    "key_spaced": (",", ": "),
}
_SSE_PREFIXES = ("data:", "event:", "id:", "retry:", ":")
_JSON_START = re.compile(rb"[ \t\r\n]*[\[{]")

NOT_JSON: Any = object()
"""Returned by :meth:`Body.json` for a body that is not a JSON document."""


class BodyFormatError(ValueError):
    """A stored body is malformed; ``where`` is the path below the ``body`` field."""

    def __init__(self, message: str, where: tuple[str | int, ...] = ()):
        super().__init__(message)
        self.where = where


def _dumps(value: Any, style: str, ascii_only: bool) -> str:
    return json.dumps(value, separators=JSON_STYLES[style], ensure_ascii=ascii_only)


def _json_form(text: str) -> tuple[Any, str, bool] | None:
    """``(value, style, ascii)`` if ``text`` is a JSON object/array that re-serializes exactly."""
    if not text or text[0] not in "{[":
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    if "\\u" in text and not _utf8_safe(value):
        return None  # a lone surrogate (half an emoji): YAML cannot hold it as a string
    for style in JSON_STYLES:
        for ascii_only in (False, True):
            if _dumps(value, style, ascii_only) == text:
                return value, style, ascii_only
    return None


def _utf8_safe(value: Any) -> bool:
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _split(content: bytes, sizes: Sequence[int]) -> list[bytes]:
    chunks, offset = [], 0
    for size in sizes:
        chunks.append(content[offset : offset + size])
        offset += size
    return chunks


class Body:
    """The exact bytes of a request or response body and the chunks they arrived in.

    Built from recorded bytes (:meth:`from_bytes`) or from a cassette's stored form
    (:meth:`from_stored`, decoded lazily on first use, so loading a cassette stays close to
    the cost of parsing its YAML).
    """

    __slots__ = ("_chunk_sizes", "_content", "_stored")

    def __init__(self) -> None:
        self._content: bytes | None = None
        self._chunk_sizes: list[int] | None = None
        self._stored: Any = None

    @classmethod
    def from_bytes(cls, content: bytes, chunk_sizes: Sequence[int] | None = None) -> Body:
        """A body received as ``content``, in pieces of ``chunk_sizes`` bytes (default: one)."""
        body = cls()
        body._content = content
        body._chunk_sizes = list(chunk_sizes) if chunk_sizes is not None else None
        return body

    @classmethod
    def from_stored(cls, stored: Any) -> Body:
        """A body from its cassette form; raises :class:`BodyFormatError` if malformed."""
        _check_stored(stored)
        body = cls()
        body._stored = stored
        return body

    @property
    def content(self) -> bytes:
        """All bytes of the body."""
        if self._content is None:
            self._decode()
        return self._content  # type: ignore[return-value]

    @property
    def chunks(self) -> list[bytes]:
        """The body as the pieces the client received, in order."""
        content = self.content
        if self._chunk_sizes is None:
            return [content] if content else []
        return _split(content, self._chunk_sizes)

    def json(self) -> Any:
        """The body's JSON document, or :data:`NOT_JSON`."""
        stored = self._stored
        if isinstance(stored, Mapping) and "json" in stored:
            return stored["json"]
        content = self.content
        if not _JSON_START.match(content):
            return NOT_JSON
        try:
            return json.loads(content)
        except ValueError:
            return NOT_JSON

    def to_stored(self) -> Any:
        """The readable, exact form to write in a cassette."""
        if self._stored is None:
            self._stored = _encode(self.content, self._chunk_sizes)
        return _styled(self._stored)

    def _decode(self) -> None:
        content, default_sizes, sizes = _decode(self._stored)
        if sizes is not None and sum(sizes) != len(content):
            raise BodyFormatError(
                f"chunks add up to {sum(sizes)} bytes but the body has {len(content)}",
                ("chunks",),
            )
        self._content = content
        self._chunk_sizes = sizes if sizes is not None else default_sizes


def _encode(content: bytes, chunk_sizes: list[int] | None) -> Any:
    """Choose the stored form of ``content``: SSE, JSON, text or base64, in that order."""
    sizes = chunk_sizes if chunk_sizes is not None else ([len(content)] if content else [])
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        return _with_chunks(
            {"base64": base64.encodebytes(content).decode("ascii")}, sizes, [len(content)]
        )
    if text.startswith(_SSE_PREFIXES):
        parsed = parse_events(text)
        if parsed is not None:
            return _encode_sse(*parsed, sizes)
    if text[:1] in "{[":
        form = _json_form(text)
        if form is not None:
            value, style, ascii_only = form
            stored: dict[str, Any] = {"json": value}
            if style != "compact":
                stored["json_style"] = style
            if ascii_only:
                stored["json_ascii"] = True
            return _with_chunks(stored, sizes, [len(content)])
    default = _default_text_sizes(text, content)
    if sizes == default:
        return text
    return _with_chunks({"text": text}, sizes, default)


def _encode_sse(events: list[SSEEvent], ending: str, sizes: list[int]) -> dict[str, Any]:
    style, ascii_only = "compact", False
    for event in events:
        form = _json_form(event.get("data", ""))
        if form is not None:
            _, style, ascii_only = form
            break
    stored_events: list[dict[str, Any]] = []
    for event in events:
        stored_event: dict[str, Any] = dict(event)
        data = event.get("data")
        if data is not None and data[:1] in ("{", "["):
            try:
                value = json.loads(data)
            except ValueError:
                value = None
            if (
                value is not None
                and _dumps(value, style, ascii_only) == data
                and ("\\u" not in data or _utf8_safe(value))
            ):
                stored_event["data"] = value
        stored_events.append(stored_event)
    stored: dict[str, Any] = {"sse": stored_events}
    if ending != "lf":
        stored["line_ending"] = ending
    if style != "compact":
        stored["json_style"] = style
    if ascii_only:
        stored["json_ascii"] = True
    default = [len(t.encode("utf-8")) for t in split_event_texts(events, ending)]
    return _with_chunks(stored, sizes, default)


def _with_chunks(stored: dict[str, Any], sizes: list[int], default: list[int]) -> dict[str, Any]:
    if sizes != default:
        stored["chunks"] = sizes
    return stored


def _default_text_sizes(text: str, content: bytes) -> list[int]:
    """Text that parses as SSE (cagent's raw bodies) replays one event per chunk."""
    if text.startswith(_SSE_PREFIXES):
        parsed = parse_events(text)
        if parsed is not None:
            return [len(t.encode("utf-8")) for t in split_event_texts(*parsed)]
    return [len(content)] if content else []


def _styled(stored: Any) -> Any:
    """Mark the parts of a stored body that read best on one line (SSE data, chunk sizes)."""
    if not isinstance(stored, Mapping):
        return stored
    styled = dict(stored)
    if "sse" in styled:
        events = []
        for event in styled["sse"]:
            data = event.get("data")
            if isinstance(data, Mapping):
                event = {**event, "data": FlowMapping(data)}
            elif isinstance(data, list):
                event = {**event, "data": FlowSequence(data)}
            events.append(event)
        styled["sse"] = events
    if "chunks" in styled:
        styled["chunks"] = FlowSequence(styled["chunks"])
    return styled


def _check_stored(stored: Any) -> None:
    """Validate the shape of a stored body without decoding it."""
    if stored is None or isinstance(stored, str):
        return
    if not isinstance(stored, Mapping):
        raise BodyFormatError(
            f"expected a string or a mapping with one of {', '.join(_KINDS)}, "
            f"got {type(stored).__name__}"
        )
    kinds = [key for key in stored if key in _KINDS]
    unknown = [key for key in stored if key not in _KINDS and key not in _MODIFIERS]
    if unknown:
        raise BodyFormatError(
            f"unknown key {unknown[0]!r}; a body has one of {', '.join(_KINDS)} "
            f"and optionally {', '.join(_MODIFIERS)}",
            (str(unknown[0]),),
        )
    if len(kinds) != 1:
        raise BodyFormatError(f"a body needs exactly one of {', '.join(_KINDS)}, found {kinds}")
    kind = kinds[0]
    value = stored[kind]
    if kind in ("text", "base64") and not isinstance(value, str):
        raise BodyFormatError(f"{kind} must be a string, got {type(value).__name__}", (kind,))
    if kind == "json" and not isinstance(value, (Mapping, list)):
        raise BodyFormatError(f"json must be a mapping or a list, got {type(value).__name__}")
    if kind == "sse":
        _check_events(value)
    chunks = stored.get("chunks")
    if chunks is not None and (
        not isinstance(chunks, list)
        or not all(isinstance(n, int) and not isinstance(n, bool) and n > 0 for n in chunks)
    ):
        raise BodyFormatError("chunks must be a list of positive byte counts", ("chunks",))
    if stored.get("line_ending", "lf") not in LINE_ENDINGS:
        raise BodyFormatError(
            f"line_ending must be one of {', '.join(LINE_ENDINGS)}", ("line_ending",)
        )
    if not isinstance(stored.get("json_ascii", False), bool):
        raise BodyFormatError("json_ascii must be true or false", ("json_ascii",))
    if stored.get("json_style", "compact") not in JSON_STYLES:
        raise BodyFormatError(
            f"json_style must be one of {', '.join(JSON_STYLES)}", ("json_style",)
        )


def _check_events(events: Any) -> None:
    if not isinstance(events, list):
        raise BodyFormatError(f"sse must be a list of events, got {type(events).__name__}")
    allowed = ("event", "data", "id", "retry", "comment")
    for index, event in enumerate(events):
        if not isinstance(event, Mapping) or not event:
            raise BodyFormatError("an SSE event must be a non-empty mapping", ("sse", index))
        for name, value in event.items():
            if name not in allowed:
                raise BodyFormatError(
                    f"unknown SSE field {name!r}; expected one of {', '.join(allowed)}",
                    ("sse", index, str(name)),
                )
            if not isinstance(value, str) and not (
                name == "data" and isinstance(value, (Mapping, list))
            ):
                raise BodyFormatError(
                    f"SSE field {name!r} must be a string"
                    + (" (or JSON data)" if name == "data" else "")
                    + f", got {type(value).__name__}",
                    ("sse", index, str(name)),
                )


def _decode(stored: Any) -> tuple[bytes, list[int], list[int] | None]:
    """``(content, default chunk sizes, stored chunk sizes or None)``."""
    if stored is None:
        return b"", [], None
    if isinstance(stored, str):
        content = stored.encode("utf-8")
        return content, _default_text_sizes(stored, content), None
    sizes = stored.get("chunks")
    if "text" in stored:
        text = stored["text"]
        content = text.encode("utf-8")
        return content, _default_text_sizes(text, content), sizes
    if "base64" in stored:
        try:
            content = base64.b64decode(stored["base64"])
        except (binascii.Error, ValueError) as error:
            raise BodyFormatError(f"base64 is not valid base64: {error}", ("base64",)) from None
        return content, [len(content)] if content else [], sizes
    style = stored.get("json_style", "compact")
    ascii_only = bool(stored.get("json_ascii", False))
    if "json" in stored:
        content = _dumps(stored["json"], style, ascii_only).encode("utf-8")
        return content, [len(content)], sizes
    events: list[SSEEvent] = []
    for event in stored["sse"]:
        data = event.get("data")
        if isinstance(data, (Mapping, list)):
            event = {**event, "data": _dumps(data, style, ascii_only)}
        events.append(event)
    ending = stored.get("line_ending", "lf")
    texts = split_event_texts(events, ending)
    encoded = [t.encode("utf-8") for t in texts]
    return b"".join(encoded), [len(e) for e in encoded], sizes
