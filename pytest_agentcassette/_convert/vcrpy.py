"""A vcrpy cassette (version 1, as pytest-recording writes it) read into interactions.

vcrpy stores ``request: {method, uri, headers, body}`` and ``response: {status: {code,
message}, headers, body: {string}}``; headers map each name to a list of values, bodies are
text, ``!!binary`` bytes or ``null``, and compressed responses keep their encoded bytes.
Custom serializers may hold a JSON body as data in ``parsed_body`` (pydantic-ai's), which
vcrpy serves as ``json.dumps`` of it. Each response's bytes are the ones vcrpy served the
client (decoded when they were compressed, as this plugin's recorder stores them); an
event stream replays one event per chunk.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pytest_agentcassette._convert.decoding import Undecodable, decode_body
from pytest_agentcassette._located import LocatedError, Where, where_text
from pytest_agentcassette._model import (
    Body,
    Headers,
    Interaction,
    RecordedRequest,
    RecordedResponse,
)
from pytest_agentcassette._sse import event_sizes

__all__ = ["Converted", "is_http_entry", "read_vcrpy"]


@dataclass
class Converted:
    """The interactions of a vcrpy cassette, and what the conversion could not do as usual
    (a body kept compressed), one note per place.
    """

    interactions: list[Interaction]
    notes: list[str] = field(default_factory=list)


def _kind(value: Any) -> str:
    return "nothing" if value is None else type(value).__name__


def is_http_entry(item: Any) -> bool:
    """Whether a vcrpy interaction is an HTTP exchange (a request and a response)."""
    return (
        isinstance(item, Mapping)
        and isinstance(item.get("request"), Mapping)
        and isinstance(item.get("response"), Mapping)
    )


def read_vcrpy(items: list[Any]) -> Converted:
    """The interactions of a vcrpy cassette's ``interactions`` list; :class:`LocatedError`
    naming the place of what cannot be read.
    """
    converted = Converted([])
    for index, item in enumerate(items):
        where: Where = ("interactions", index)
        if not is_http_entry(item):
            raise LocatedError(
                "not an HTTP exchange: expected 'request' and 'response' mappings, found "
                f"{', '.join(map(str, item)) if isinstance(item, Mapping) else _kind(item)}",
                where,
            )
        request = _request(item["request"], (*where, "request"))
        response, note = _response(item["response"], (*where, "response"))
        if note:
            converted.notes.append(f"{where_text((*where, 'response'))}: {note}")
        converted.interactions.append(Interaction(request, response, index))
    return converted


def _request(data: Mapping[str, Any], where: Where) -> RecordedRequest:
    method, url = data.get("method"), data.get("uri", data.get("url"))
    if not isinstance(method, str) or not method:
        raise LocatedError(f"'method' must be a string, got {_kind(method)}", (*where, "method"))
    if not isinstance(url, str) or not url:
        raise LocatedError(f"'uri' must be a URL, got {_kind(url)}", (*where, "uri"))
    headers = _headers(data.get("headers"), (*where, "headers"))
    body = data.get("parsed_body", data.get("body"))
    if isinstance(body, (Mapping, list)):  # JSON as data: a custom serializer's, or by hand
        content = json.dumps(body).encode()
    else:
        content = _bytes(body, (*where, "body"))
    return RecordedRequest(method.upper(), url, headers, Body.from_bytes(content))


def _response(data: Mapping[str, Any], where: Where) -> tuple[RecordedResponse, str]:
    code, reason = _status(data.get("status"), (*where, "status"))
    headers = _headers(data.get("headers"), (*where, "headers"))
    if data.get("parsed_body") is not None:
        content = json.dumps(data["parsed_body"]).encode()
    else:
        body = data.get("body")
        if isinstance(body, Mapping):
            content = _bytes(body.get("string"), (*where, "body", "string"))
        else:
            content = _bytes(body, (*where, "body"))
    note = ""
    try:
        headers, content = decode_body(headers, content)
    except Undecodable as problem:
        note = str(problem)
    sizes = None
    if any(k.lower() == "content-type" and "event-stream" in v.lower() for k, v in headers):
        sizes = event_sizes(content)
    response = RecordedResponse(code, reason, headers, Body.from_bytes(content, sizes))
    return response, note


def _status(value: Any, where: Where) -> tuple[int, str]:
    """Vcrpy's ``{code: 200, message: OK}``."""
    code = value.get("code") if isinstance(value, Mapping) else value
    if isinstance(code, str) and code.isdigit():
        code = int(code)
    if not isinstance(code, int) or isinstance(code, bool) or not 100 <= code <= 999:
        raise LocatedError(
            f"expected a status such as {{code: 200, message: OK}}, got {value!r}", where
        )
    message = value.get("message") if isinstance(value, Mapping) else None
    return code, message if isinstance(message, str) else ""


def _bytes(value: Any, where: Where) -> bytes:
    """A body as vcrpy stores it: text (served as UTF-8), ``!!binary`` bytes, or nothing."""
    if value is None:
        return b""
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        try:
            return value.encode("utf-8")
        except UnicodeEncodeError:
            raise LocatedError(
                "the text holds a lone surrogate, which no client sent", where
            ) from None
    raise LocatedError(f"a body must be text or !!binary bytes, got {_kind(value)}", where)


def _headers(value: Any, where: Where) -> Headers:
    """Vcrpy's ``{Name: [value, ...]}`` (a single value too), in the order stored."""
    if value is None:
        return []
    if not isinstance(value, Mapping):
        raise LocatedError(f"headers must be a mapping of names, got {_kind(value)}", where)
    headers: Headers = []
    for name, values in value.items():
        for item in values if isinstance(values, list) else [values]:
            headers.append((str(name), _header_value(item, (*where, str(name)))))
    return headers


def _header_value(value: Any, where: Where) -> str:
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return value.decode("latin-1")
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return str(value)
    raise LocatedError(f"a header value must be text, got {_kind(value)}", where)
