"""The fields of a cassette document, read and checked: each problem is a
:class:`~pytest_agentcassette._located.LocatedError` naming its place (a YAML path), which
becomes a message with the file and the line.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pytest_agentcassette._errors import did_you_mean
from pytest_agentcassette._format.history import link_patches
from pytest_agentcassette._format.stored_body import StoredBody
from pytest_agentcassette._located import LocatedError, Where
from pytest_agentcassette._model import (
    SERVER_EXITED,
    Body,
    Headers,
    Interaction,
    RecordedRequest,
    RecordedResponse,
    TransportError,
    stdio_request,
)

__all__ = ["FORMAT_VERSION", "parse_duration", "read_interactions"]

FORMAT_VERSION = 2

# go-vcr writes these; they carry nothing a replay needs, so they are read and ignored.
_GO_VCR_REQUEST_FIELDS = (
    "proto", "proto_major", "proto_minor", "content_length", "transfer_encoding", "trailer",
    "host", "remote_addr", "request_uri", "form",
)  # fmt: skip
_GO_VCR_RESPONSE_FIELDS = (
    "proto", "proto_major", "proto_minor", "transfer_encoding", "trailer", "content_length",
    "uncompressed", "duration",
)  # fmt: skip
_REQUEST_FIELDS = ("method", "url", "headers", "body", *_GO_VCR_REQUEST_FIELDS)
_RESPONSE_FIELDS = (
    "status", "code", "headers", "body", "error", "complete", *_GO_VCR_RESPONSE_FIELDS,
)  # fmt: skip
_INTERACTION_FIELDS = ("id", "request", "response", "stdio")
_STDIO_FIELDS = ("server", "send", "receive", "server_exited", "duration")


def _invalid(message: str, where: Where) -> LocatedError:
    return LocatedError(message, where, rooted=True)


def _mapping(value: Any, where: Where, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _invalid(f"{what} must be a mapping, got {_type(value)}", where)
    return value


def _type(value: Any) -> str:
    return "nothing" if value is None else type(value).__name__


def _check_keys(data: Mapping[str, Any], allowed: tuple[str, ...], where: Where) -> None:
    for key in data:
        if key not in allowed:
            raise _invalid(
                f"unknown field {key!r}.{did_you_mean(str(key), allowed)} Expected one of "
                f"{', '.join(allowed)}",
                (*where, str(key)),
            )


def _required(data: Mapping[str, Any], key: str, kind: type, where: Where) -> Any:
    if key not in data:
        raise _invalid(f"missing required field {key!r}", where)
    value = data[key]
    if not isinstance(value, kind) or isinstance(value, bool):
        what = {str: "a string", int: "a whole number"}.get(kind, "a mapping")
        raise _invalid(f"{key!r} must be {what}, got {_type(value)}", (*where, key))
    return value


def read_interactions(document: Any) -> list[Interaction]:
    """The interactions of a parsed cassette document; :class:`LocatedError` if wrong."""
    top = _mapping(document, (), "the document")
    if "version" not in top:
        raise _invalid(
            f"missing 'version: {FORMAT_VERSION}' (is this a cassette? vcrpy writes "
            f"version 1, which this plugin does not read)",
            (),
        )
    version = top["version"]
    if version != FORMAT_VERSION or isinstance(version, bool):
        raise _invalid(
            f"unsupported cassette version {version!r}; this plugin reads version "
            f"{FORMAT_VERSION} (go-vcr/cagent format)",
            ("version",),
        )
    _check_keys(top, ("version", "interactions"), ())
    items = top.get("interactions")
    if items is None:
        items = []
    if not isinstance(items, list):
        raise _invalid(f"'interactions' must be a list, got {_type(items)}", ("interactions",))
    result, ids, request_bodies = [], [], []
    for index, item in enumerate(items):
        where: Where = ("interactions", index)
        data = _mapping(item, where, "an interaction")
        _check_keys(data, _INTERACTION_FIELDS, where)
        if "id" in data and (not isinstance(data["id"], int) or isinstance(data["id"], bool)):
            raise _invalid(f"'id' must be an int, got {_type(data['id'])}", (*where, "id"))
        interaction, request_body = _interaction(data, where)
        interaction.id = index
        request_bodies.append(request_body)
        result.append(interaction)
        ids.append(data.get("id", index))
    link_patches(request_bodies, ids)
    return result


def _interaction(data: Mapping[str, Any], where: Where) -> tuple[Interaction, StoredBody]:
    """An HTTP exchange (``request`` and ``response``) or an MCP server's over stdio
    (``stdio``), with the request's body as stored.
    """
    if "stdio" in data:
        for key in ("request", "response"):
            if key in data:
                raise _invalid(f"'stdio' and {key!r} do not go together", (*where, key))
        return _stdio(_required(data, "stdio", Mapping, where), (*where, "stdio"))
    request, request_body = _request(
        _required(data, "request", Mapping, where), (*where, "request")
    )
    response = _response(_required(data, "response", Mapping, where), (*where, "response"))
    return Interaction(request, response), request_body


def _stdio(data: Mapping[str, Any], where: Where) -> tuple[Interaction, StoredBody]:
    """A message the code sent to an MCP server over stdio and the server's answer, each a
    line of JSON (``receive`` holds one line per message).
    """
    _check_keys(data, _STDIO_FIELDS, where)
    server = _required(data, "server", str, where)
    if "send" not in data:
        raise _invalid("missing required field 'send' (the message the code sent)", where)
    sent, said = (_lines(data, key, where) for key in ("send", "receive"))
    exited = data.get("server_exited", False)
    if not isinstance(exited, bool):
        raise _invalid(
            f"'server_exited' must be true or false, got {exited!r}", (*where, "server_exited")
        )
    request = stdio_request(server, Body.decoded_from(sent))
    response = RecordedResponse(
        200,
        body=Body.decoded_from(said),
        duration=_duration(data, where),
        error=SERVER_EXITED if exited else None,
    )
    return Interaction(request, response), StoredBody(None)


def _lines(data: Mapping[str, Any], key: str, where: Where) -> StoredBody:
    """Lines of JSON as they crossed the pipe (a string; an exact form is read too)."""
    try:
        return StoredBody(data.get(key))
    except LocatedError as error:
        raise error.rooted_at(*where, key) from None


def _request(data: Mapping[str, Any], where: Where) -> tuple[RecordedRequest, StoredBody]:
    """The request, and its body as stored (a patch's base is linked to it later)."""
    _check_keys(data, _REQUEST_FIELDS, where)
    method = _required(data, "method", str, where)
    url = _required(data, "url", str, where)
    headers = _headers(data.get("headers"), where)
    body = _body(data, where)
    return RecordedRequest(method.upper(), url, headers, Body.decoded_from(body)), body


def _transport_error(data: Mapping[str, Any], where: Where) -> TransportError | None:
    if data.get("error") is None:
        return None
    where = (*where, "error")
    error = _mapping(data["error"], where, "a transport error ({kind, message})")
    _check_keys(error, ("kind", "message"), where)
    kind = _required(error, "kind", str, where)
    if not kind.isidentifier():
        raise _invalid(
            f"'kind' must name an httpcore exception (ConnectError, ReadTimeout, "
            f"RemoteProtocolError...), got {kind!r}",
            (*where, "kind"),
        )
    message = error.get("message") or ""
    if not isinstance(message, str):
        raise _invalid(f"'message' must be a string, got {_type(message)}", (*where, "message"))
    return TransportError(kind, message)


def _response(data: Mapping[str, Any], where: Where) -> RecordedResponse:
    _check_keys(data, _RESPONSE_FIELDS, where)
    error = _transport_error(data, where)
    if error is not None and "code" not in data:
        # No response came: the request met this error instead.
        _check_keys(data, ("error", "duration"), where)
        return RecordedResponse(0, duration=_duration(data, where), error=error)
    code = _required(data, "code", int, where)
    if not 100 <= code <= 599:
        raise _invalid(f"'code' must be an HTTP status (100-599), got {code}", (*where, "code"))
    status = data.get("status") or ""
    if not isinstance(status, str):
        raise _invalid(f"'status' must be a string, got {_type(status)}", (*where, "status"))
    reason = status.partition(" ")[2] if status.startswith(str(code)) else status
    proto = data.get("proto") or "HTTP/1.1"
    if not isinstance(proto, str):
        raise _invalid(f"'proto' must be a string, got {_type(proto)}", (*where, "proto"))
    complete = data.get("complete", True)
    if not isinstance(complete, bool):
        raise _invalid(f"'complete' must be true or false, got {complete!r}", (*where, "complete"))
    return RecordedResponse(
        code,
        reason,
        _headers(data.get("headers"), where),
        Body.decoded_from(_body(data, where)),
        http_version=proto.removesuffix(".0") if proto.startswith("HTTP/2") else proto,
        duration=_duration(data, where),
        error=error,
        complete=complete,
    )


def _duration(data: Mapping[str, Any], where: Where) -> float | None:
    if data.get("duration") is None:
        return None
    duration = parse_duration(data["duration"])
    if duration is None:
        raise _invalid(
            f"'duration' must look like 1.25s or 830ms, got {data['duration']!r}",
            (*where, "duration"),
        )
    return duration


_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ms|us|µs|μs|ns|h|m|s)")
_DURATION_UNITS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6}
_DURATION_UNITS.update({"μs": 1e-6, "ns": 1e-9})


def parse_duration(value: Any) -> float | None:
    """Seconds from a number or a Go duration as go-vcr writes it (``1.5s``, ``830.2ms``)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, str) or not value:
        return None
    if value == "0":
        return 0.0
    parts = _DURATION_PART.findall(value)
    if "".join(number + unit for number, unit in parts) != value:
        return None
    return sum(float(number) * _DURATION_UNITS[unit] for number, unit in parts)


def _headers(data: Any, where: Where) -> Headers:
    where = (*where, "headers")
    if data is None:
        return []
    headers: Headers = []
    for name, values in _mapping(data, where, "'headers'").items():
        for value in values if isinstance(values, list) else [values]:
            if not isinstance(value, (str, int, float)) or isinstance(value, bool):
                raise _invalid(
                    f"header {name!r} must hold strings, got {_type(value)} (quote the value)",
                    (*where, str(name)),
                )
            headers.append((str(name), str(value)))
    return headers


def _body(data: Mapping[str, Any], where: Where) -> StoredBody:
    try:
        return StoredBody(data.get("body"))
    except LocatedError as error:
        raise error.rooted_at(*where, "body") from None
