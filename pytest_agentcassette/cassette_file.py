"""The cassette file: version-2 YAML (go-vcr's field names, as cagent writes them).

Loading checks every field and reports the file, the line and the YAML path of the first
problem. Saving is atomic: the YAML goes to a temporary file in the same folder, is read back
to prove every body decodes to the recorded bytes, and is renamed over the old file.
"""

from __future__ import annotations

import base64
import contextlib
import os
import re
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .bodies import Body, BodyFormatError
from .errors import CassetteError, did_you_mean
from .history import BaseError, link_patches, stored_request_bodies
from .model import Headers, Interaction, RecordedRequest, RecordedResponse
from .yamlio import FlowSequence, YAMLError, dump_yaml, line_of, load_yaml

__all__ = ["FORMAT_VERSION", "display_path", "load_cassette", "located_error", "save_cassette"]

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
_RESPONSE_FIELDS = ("status", "code", "headers", "body", *_GO_VCR_RESPONSE_FIELDS)
_INTERACTION_FIELDS = ("id", "request", "response")

Where = tuple[str | int, ...]

# What dumping a readable body form can raise (lone surrogates, unexpected types).
_UNWRITABLE = (YAMLError, UnicodeError, TypeError, ValueError, RecursionError)


def display_path(path: Path) -> str:
    """``path`` relative to the working directory when it lies below it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _where(path: Where) -> str:
    text = ""
    for step in path:
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else step)
    return text


class _Invalid(Exception):
    def __init__(self, message: str, where: Where):
        super().__init__(message)
        self.where = where


def load_cassette(path: Path, *, fix_hint: str) -> list[Interaction]:
    """Read and check a cassette file; raise :class:`CassetteError` naming what is wrong."""
    path = Path(path)
    shown = display_path(path)
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise CassetteError(f"cannot read cassette {shown}: {error.strerror}.", path=path) from None
    if not raw.strip():
        raise CassetteError(
            f"cassette {shown} is empty: expected 'version: {FORMAT_VERSION}' and "
            f"'interactions:'.\n{fix_hint}",
            path=path,
        )
    try:
        document = load_yaml(raw)
    except YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        problem = getattr(error, "problem", None) or str(error)
        line = mark.line + 1 if mark is not None else None
        place = f", line {line}" if line else ""
        raise CassetteError(
            f"cassette {shown}{place} is not valid YAML: {problem}.\n{fix_hint}",
            path=path,
            line=line,
        ) from None
    try:
        return _interactions(document)
    except _Invalid as invalid:
        line = line_of(raw, invalid.where)
        place = f", line {line}" if line else ""
        at = f" (at {_where(invalid.where)})" if invalid.where else ""
        raise CassetteError(
            f"cassette {shown}{place}{at}: {invalid}.\n{fix_hint}", path=path, line=line
        ) from None


def located_error(path: Path, where: Where, problem: str, fix_hint: str) -> CassetteError:
    """A :class:`CassetteError` for ``problem`` at ``where`` in the file, with its line."""
    try:
        line = line_of(path.read_bytes(), where)
    except OSError:
        line = None
    place = f", line {line}" if line else ""
    return CassetteError(
        f"cassette {display_path(path)}{place} (at {_where(where)}): {problem}.\n{fix_hint}",
        path=path,
        line=line,
    )


def _mapping(value: Any, where: Where, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _Invalid(f"{what} must be a mapping, got {_type(value)}", where)
    return value


def _type(value: Any) -> str:
    return "nothing" if value is None else type(value).__name__


def _check_keys(data: Mapping[str, Any], allowed: tuple[str, ...], where: Where) -> None:
    for key in data:
        if key not in allowed:
            raise _Invalid(
                f"unknown field {key!r}; expected one of {', '.join(allowed)}."
                f"{did_you_mean(str(key), allowed)}",
                (*where, str(key)),
            )


def _required(data: Mapping[str, Any], key: str, kind: type, where: Where) -> Any:
    if key not in data:
        raise _Invalid(f"missing required field {key!r}", where)
    value = data[key]
    if not isinstance(value, kind) or isinstance(value, bool):
        raise _Invalid(f"{key!r} must be a {kind.__name__}, got {_type(value)}", (*where, key))
    return value


def _interactions(document: Any) -> list[Interaction]:
    top = _mapping(document, (), "the document")
    if "version" not in top:
        raise _Invalid(
            f"missing 'version: {FORMAT_VERSION}' (is this a cassette? vcrpy writes "
            f"version 1, which this plugin does not read)",
            (),
        )
    version = top["version"]
    if version != FORMAT_VERSION or isinstance(version, bool):
        raise _Invalid(
            f"unsupported cassette version {version!r}; this plugin reads version "
            f"{FORMAT_VERSION} (go-vcr/cagent format)",
            ("version",),
        )
    _check_keys(top, ("version", "interactions"), ())
    items = top.get("interactions")
    if items is None:
        items = []
    if not isinstance(items, list):
        raise _Invalid(f"'interactions' must be a list, got {_type(items)}", ("interactions",))
    result, ids = [], []
    for index, item in enumerate(items):
        where: Where = ("interactions", index)
        data = _mapping(item, where, "an interaction")
        _check_keys(data, _INTERACTION_FIELDS, where)
        if "id" in data and (not isinstance(data["id"], int) or isinstance(data["id"], bool)):
            raise _Invalid(f"'id' must be an int, got {_type(data['id'])}", (*where, "id"))
        request = _request(_required(data, "request", Mapping, where), (*where, "request"))
        response = _response(_required(data, "response", Mapping, where), (*where, "response"))
        result.append(Interaction(request, response, id=index))
        ids.append(data.get("id", index))
    try:
        link_patches(result, ids)
    except BaseError as error:
        where = ("interactions", error.args[1], "request", "body", "base")
        raise _Invalid(str(error.args[0]), where) from None
    return result


def _request(data: Mapping[str, Any], where: Where) -> RecordedRequest:
    _check_keys(data, _REQUEST_FIELDS, where)
    method = _required(data, "method", str, where)
    url = _required(data, "url", str, where)
    return RecordedRequest(
        method.upper(), url, _headers(data.get("headers"), where), _body(data, where)
    )


def _response(data: Mapping[str, Any], where: Where) -> RecordedResponse:
    _check_keys(data, _RESPONSE_FIELDS, where)
    code = _required(data, "code", int, where)
    if not 100 <= code <= 599:
        raise _Invalid(f"'code' must be an HTTP status (100-599), got {code}", (*where, "code"))
    status = data.get("status") or ""
    if not isinstance(status, str):
        raise _Invalid(f"'status' must be a string, got {_type(status)}", (*where, "status"))
    reason = status.partition(" ")[2] if status.startswith(str(code)) else status
    proto = data.get("proto") or "HTTP/1.1"
    if not isinstance(proto, str):
        raise _Invalid(f"'proto' must be a string, got {_type(proto)}", (*where, "proto"))
    duration = None
    if data.get("duration") is not None:
        duration = parse_duration(data["duration"])
        if duration is None:
            raise _Invalid(
                f"'duration' must look like 1.25s or 830ms, got {data['duration']!r}",
                (*where, "duration"),
            )
    return RecordedResponse(
        code,
        reason,
        _headers(data.get("headers"), where),
        _body(data, where),
        http_version=proto.removesuffix(".0") if proto.startswith("HTTP/2") else proto,
        duration=duration,
    )


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
                raise _Invalid(
                    f"header {name!r} must hold strings, got {_type(value)} (quote the value)",
                    (*where, str(name)),
                )
            headers.append((str(name), str(value)))
    return headers


def _body(data: Mapping[str, Any], where: Where) -> Body:
    try:
        return Body.from_stored(data.get("body"))
    except BodyFormatError as error:
        raise _Invalid(str(error), (*where, "body", *error.where)) from None


def _headers_to_stored(headers: Headers) -> dict[str, str | FlowSequence]:
    """One value as a string, several as a one-line list (go-vcr always writes lists)."""
    grouped: dict[str, list[str]] = {}
    for name, value in headers:
        grouped.setdefault(name, []).append(value)
    return {
        name: values[0] if len(values) == 1 else FlowSequence(values)
        for name, values in grouped.items()
    }


def _interaction_to_stored(
    index: int, interaction: Interaction, request_body: Any
) -> dict[str, Any]:
    request, response = interaction.request, interaction.response
    stored_request: dict[str, Any] = {"method": request.method, "url": request.url}
    if request.headers:
        stored_request["headers"] = _headers_to_stored(request.headers)
    if request.body.content:
        stored_request["body"] = request_body
    stored_response: dict[str, Any] = {
        "status": f"{response.status_code} {response.reason}".strip(),
        "code": response.status_code,
    }
    if response.http_version != "HTTP/1.1":
        # go-vcr's field and spelling: "HTTP/2.0".
        version = response.http_version
        stored_response["proto"] = f"{version}.0" if version == "HTTP/2" else version
    stored_response["headers"] = _headers_to_stored(response.headers)
    stored_response["body"] = response.body.to_stored()
    if response.duration is not None:
        stored_response["duration"] = f"{response.duration:.3f}s"
    return {"id": index, "request": stored_request, "response": stored_response}


def _exact_copy(body: Body) -> Body:
    """A body stored in a form that cannot lose bytes (text, else base64), chunks kept."""
    sizes = [len(chunk) for chunk in body.chunks]
    content = body.content
    try:
        stored: dict[str, Any] = {"text": content.decode("utf-8"), "chunks": sizes}
        probe = Body.from_stored(load_yaml(dump_yaml({"b": stored}))["b"])
        if probe.content == content:
            return Body.from_stored(stored)
    except UnicodeDecodeError:
        pass
    return Body.from_stored({"base64": base64.encodebytes(content).decode(), "chunks": sizes})


def _render(interactions: list[Interaction]) -> str:
    request_bodies = stored_request_bodies(interactions)
    document = {
        "version": FORMAT_VERSION,
        "interactions": [
            _interaction_to_stored(i, x, request_bodies[i]) for i, x in enumerate(interactions)
        ],
    }
    return dump_yaml(document)


def _writable(interactions: list[Interaction]) -> str:
    """Render; a body whose readable form YAML cannot hold is stored in an exact form."""
    try:
        return _render(interactions)
    except _UNWRITABLE:
        pass
    for interaction in interactions:
        for part in (interaction.request, interaction.response):
            try:
                dump_yaml(part.body.to_stored())
            except _UNWRITABLE:
                part.body = _exact_copy(part.body)
    return _render(interactions)


def _verified(interactions: list[Interaction]) -> str:
    """Render, read back, and re-store any body that would not replay byte for byte, until
    a rendering reads back whole (a repair changes which requests others patch).
    """
    while True:
        text = _writable(interactions)
        again = _interactions(load_yaml(text))
        repaired = False
        for original, loaded in zip(interactions, again, strict=True):
            for part in ("request", "response"):
                before: Body = getattr(original, part).body
                after: Body = getattr(loaded, part).body
                if before.content != after.content or before.chunks != after.chunks:
                    getattr(original, part).body = _exact_copy(before)
                    repaired = True
        if not repaired:
            return text


def save_cassette(path: Path, interactions: list[Interaction]) -> None:
    """Write the cassette atomically: a temporary file in the same folder, then a rename."""
    text = _verified(interactions)
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
