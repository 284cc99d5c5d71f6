"""Choosing how a body is stored: the most readable form that gives back its exact bytes.

A JSON document is stored indented (``json``) when re-serializing it in one of the usual
spacings gives back the bytes; UTF-8 text as a string (server-sent events as they went
over the wire), with ``line_ending: crlf`` when every line ends so; anything else in
base64. ``chunks`` is written only when the pieces the client received differ from the
default (one per SSE event, else one).
"""

from __future__ import annotations

import base64
import json
from typing import Any

from pytest_agentcassette._sse import event_sizes

__all__ = ["JSON_STYLES", "default_sizes", "dumps", "encode", "indented_json"]

JSON_STYLES: dict[str, tuple[str, str]] = {
    "compact": (",", ":"),
    "spaced": (", ", ": "),
    "key_spaced": (",", ": "),
}


def dumps(value: Any, style: str, ascii_only: bool) -> str:
    """``value`` as JSON in one of :data:`JSON_STYLES`."""
    return json.dumps(value, separators=JSON_STYLES[style], ensure_ascii=ascii_only)


def indented_json(value: Any) -> str:
    """A JSON document as a cassette shows it: indented by two, non-ASCII kept."""
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"


def default_sizes(content: bytes) -> list[int]:
    """Server-sent events (cagent's raw bodies too) replay one event per chunk."""
    return event_sizes(content) or ([len(content)] if content else [])


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
            if dumps(value, style, ascii_only) == text:
                return value, style, ascii_only
    return None


def _utf8_safe(value: Any) -> bool:
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def encode(content: bytes, chunk_sizes: list[int] | None) -> Any:
    """The stored form of ``content``: JSON, text or base64, in that order."""
    sizes = chunk_sizes if chunk_sizes is not None else ([len(content)] if content else [])
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        return _with_chunks(
            {"base64": base64.encodebytes(content).decode("ascii")}, sizes, [len(content)]
        )
    if text[:1] in "{[":
        form = _json_form(text)
        if form is not None:
            value, style, ascii_only = form
            stored: dict[str, Any] = {"json": indented_json(value)}
            if style != "compact":
                stored["json_style"] = style
            if ascii_only:
                stored["json_ascii"] = True
            return _with_chunks(stored, sizes, [len(content)])
    default = default_sizes(content)
    if "\r" in text and _crlf_only(text):
        return _with_chunks(
            {"text": text.replace("\r\n", "\n"), "line_ending": "crlf"}, sizes, default
        )
    if sizes == default:
        return text
    return _with_chunks({"text": text}, sizes, default)


def _crlf_only(text: str) -> bool:
    """Every line break is CRLF (no lone CR, no lone LF)."""
    pairs = text.count("\r\n")
    return text.count("\r") == pairs and text.count("\n") == pairs


def _with_chunks(stored: dict[str, Any], sizes: list[int], default: list[int]) -> dict[str, Any]:
    if sizes != default:
        stored["chunks"] = sizes
    return stored
