"""What every kind of entry in a cassette shares, read and checked: headers, a response's
status line and body, a duration, a transport error; and the checks that name the place of
a problem (a :class:`~pytest_agentcassette._located.LocatedError` with its YAML path).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pytest_agentcassette._errors import did_you_mean
from pytest_agentcassette._format.stored_body import StoredBody
from pytest_agentcassette._format.yaml import FlowSequence
from pytest_agentcassette._located import LocatedError, Where
from pytest_agentcassette._model import Body, Headers, RecordedResponse, TransportError

__all__ = [
    "GO_VCR_REQUEST_FIELDS",
    "check_keys",
    "invalid",
    "mapping",
    "parse_duration",
    "read_body",
    "read_duration",
    "read_headers",
    "read_response",
    "required",
    "stored_headers",
    "type_name",
]

# go-vcr writes these; they carry nothing a replay needs, so they are read and ignored.
GO_VCR_REQUEST_FIELDS = (
    "proto", "proto_major", "proto_minor", "content_length", "transfer_encoding", "trailer",
    "host", "remote_addr", "request_uri", "form",
)  # fmt: skip
_GO_VCR_RESPONSE_FIELDS = (
    "proto", "proto_major", "proto_minor", "transfer_encoding", "trailer", "content_length",
    "uncompressed", "duration",
)  # fmt: skip
_RESPONSE_FIELDS = (
    "status", "code", "headers", "body", "error", "complete", *_GO_VCR_RESPONSE_FIELDS,
)  # fmt: skip


def invalid(message: str, where: Where) -> LocatedError:
    return LocatedError(message, where, rooted=True)


def mapping(value: Any, where: Where, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise invalid(f"{what} must be a mapping, got {type_name(value)}", where)
    return value


def type_name(value: Any) -> str:
    return "nothing" if value is None else type(value).__name__


def check_keys(data: Mapping[str, Any], allowed: tuple[str, ...], where: Where) -> None:
    for key in data:
        if key not in allowed:
            raise invalid(
                f"unknown field {key!r}.{did_you_mean(str(key), allowed)} Expected one of "
                f"{', '.join(allowed)}",
                (*where, str(key)),
            )


def required(data: Mapping[str, Any], key: str, kind: type, where: Where) -> Any:
    if key not in data:
        raise invalid(f"missing required field {key!r}", where)
    value = data[key]
    if not isinstance(value, kind) or isinstance(value, bool):
        what = {str: "a string", int: "a whole number"}.get(kind, "a mapping")
        raise invalid(f"{key!r} must be {what}, got {type_name(value)}", (*where, key))
    return value


def transport_error(data: Mapping[str, Any], where: Where) -> TransportError | None:
    if data.get("error") is None:
        return None
    where = (*where, "error")
    error = mapping(data["error"], where, "a transport error ({kind, message})")
    check_keys(error, ("kind", "message"), where)
    kind = required(error, "kind", str, where)
    if not kind.isidentifier():
        raise invalid(
            f"'kind' must name an httpcore exception (ConnectError, ReadTimeout, "
            f"RemoteProtocolError...), got {kind!r}",
            (*where, "kind"),
        )
    message = error.get("message") or ""
    if not isinstance(message, str):
        raise invalid(f"'message' must be a string, got {type_name(message)}", (*where, "message"))
    return TransportError(kind, message)


def read_response(data: Mapping[str, Any], where: Where) -> RecordedResponse:
    check_keys(data, _RESPONSE_FIELDS, where)
    error = transport_error(data, where)
    if error is not None and "code" not in data:
        # No response came: the request met this error instead.
        check_keys(data, ("error", "duration"), where)
        return RecordedResponse(0, duration=read_duration(data, where), error=error)
    code = required(data, "code", int, where)
    if not 100 <= code <= 599:
        raise invalid(f"'code' must be an HTTP status (100-599), got {code}", (*where, "code"))
    status = data.get("status") or ""
    if not isinstance(status, str):
        raise invalid(f"'status' must be a string, got {type_name(status)}", (*where, "status"))
    reason = status.partition(" ")[2] if status.startswith(str(code)) else status
    proto = data.get("proto") or "HTTP/1.1"
    if not isinstance(proto, str):
        raise invalid(f"'proto' must be a string, got {type_name(proto)}", (*where, "proto"))
    complete = data.get("complete", True)
    if not isinstance(complete, bool):
        raise invalid(f"'complete' must be true or false, got {complete!r}", (*where, "complete"))
    return RecordedResponse(
        code,
        reason,
        read_headers(data.get("headers"), where),
        Body.decoded_from(read_body(data, where)),
        http_version=proto.removesuffix(".0") if proto.startswith("HTTP/2") else proto,
        duration=read_duration(data, where),
        error=error,
        complete=complete,
    )


def read_duration(data: Mapping[str, Any], where: Where) -> float | None:
    if data.get("duration") is None:
        return None
    duration = parse_duration(data["duration"])
    if duration is None:
        raise invalid(
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


def read_headers(data: Any, where: Where) -> Headers:
    where = (*where, "headers")
    if data is None:
        return []
    headers: Headers = []
    for name, values in mapping(data, where, "'headers'").items():
        for value in values if isinstance(values, list) else [values]:
            if not isinstance(value, (str, int, float)) or isinstance(value, bool):
                raise invalid(
                    f"header {name!r} must hold strings, got {type_name(value)} (quote the value)",
                    (*where, str(name)),
                )
            headers.append((str(name), str(value)))
    return headers


def read_body(data: Mapping[str, Any], where: Where) -> StoredBody:
    try:
        return StoredBody(data.get("body"))
    except LocatedError as error:
        raise error.rooted_at(*where, "body") from None


def stored_headers(headers: Headers) -> dict[str, str | FlowSequence]:
    """One value as a string, several as a one-line list (go-vcr always writes lists)."""
    grouped: dict[str, list[str]] = {}
    for name, value in headers:
        grouped.setdefault(name, []).append(value)
    return {
        name: values[0] if len(values) == 1 else FlowSequence(values)
        for name, values in grouped.items()
    }
