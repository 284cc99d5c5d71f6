"""The fields of a cassette document, read and checked: each problem is a
:class:`~pytest_agentcassette._located.LocatedError` naming its place (a YAML path), which
becomes a message with the file and the line.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pytest_agentcassette._format.entry_parts import (
    GO_VCR_REQUEST_FIELDS,
    check_keys,
    invalid,
    mapping,
    read_body,
    read_duration,
    read_headers,
    read_response,
    required,
    type_name,
)
from pytest_agentcassette._format.history import link_patches
from pytest_agentcassette._format.stored_body import StoredBody
from pytest_agentcassette._format.websocket_entries import read_websocket
from pytest_agentcassette._located import LocatedError, Where
from pytest_agentcassette._model import (
    SERVER_EXITED,
    Body,
    Interaction,
    RecordedRequest,
    RecordedResponse,
    stdio_request,
)

__all__ = [
    "FORMAT_VERSION",
    "READ_VERSIONS",
    "SHARED_FORMAT_VERSION",
    "WEBSOCKET_FORMAT_VERSION",
    "read_interactions",
    "written_version",
]

FORMAT_VERSION = 2
"""The version this plugin writes for HTTP and MCP traffic, which every earlier release
reads."""
WEBSOCKET_FORMAT_VERSION = 3
"""The version of a cassette that holds WebSocket entries (releases before it stop at them
with a message about the version, rather than at an unknown field)."""
SHARED_FORMAT_VERSION = 4
"""The version of a cassette whose interactions name the test that recorded them (a
cassette several tests share)."""
READ_VERSIONS = (FORMAT_VERSION, WEBSOCKET_FORMAT_VERSION, SHARED_FORMAT_VERSION)
CONVERT_COMMAND = "python -m pytest_agentcassette convert --in-place PATH (this file or its folder)"
"""What turns vcrpy's cassettes into this format (:mod:`pytest_agentcassette._convert`)."""

_REQUEST_FIELDS = ("method", "url", "headers", "body", *GO_VCR_REQUEST_FIELDS)
_INTERACTION_FIELDS = ("id", "test", "request", "response", "stdio", "websocket")
_STDIO_FIELDS = ("server", "send", "receive", "server_exited", "duration")


def read_interactions(document: Any) -> list[Interaction]:
    """The interactions of a parsed cassette document; :class:`LocatedError` if wrong."""
    top = mapping(document, (), "the document")
    if "version" not in top:
        raise invalid(
            f"missing 'version: {FORMAT_VERSION}' (is this a cassette? a vcrpy cassette is "
            f"converted by: {CONVERT_COMMAND})",
            (),
        )
    _check_version(top["version"])
    check_keys(top, ("version", "interactions"), ())
    items = top.get("interactions")
    if items is None:
        items = []
    if not isinstance(items, list):
        raise invalid(f"'interactions' must be a list, got {type_name(items)}", ("interactions",))
    result, ids, request_bodies = [], [], []
    for index, item in enumerate(items):
        where: Where = ("interactions", index)
        data = mapping(item, where, "an interaction")
        check_keys(data, _INTERACTION_FIELDS, where)
        if "id" in data and (not isinstance(data["id"], int) or isinstance(data["id"], bool)):
            raise invalid(f"'id' must be an int, got {type_name(data['id'])}", (*where, "id"))
        interaction, request_body = _interaction(data, where)
        interaction.id = index
        interaction.test = _test(data, where)
        request_bodies.append(request_body)
        result.append(interaction)
        ids.append(data.get("id", index))
    link_patches(request_bodies, ids)
    return result


def written_version(interactions: list[Interaction]) -> int:
    """The lowest version that holds ``interactions``: earlier releases keep reading what
    uses none of the later fields.
    """
    if any(interaction.test is not None for interaction in interactions):
        return SHARED_FORMAT_VERSION
    if any(interaction.response.websocket is not None for interaction in interactions):
        return WEBSOCKET_FORMAT_VERSION
    return FORMAT_VERSION


def _test(data: Mapping[str, Any], where: Where) -> str | None:
    """The test that recorded an interaction of a shared cassette."""
    test = data.get("test")
    if test is not None and (not isinstance(test, str) or not test):
        raise invalid(
            f"'test' must be a test id such as tests/test_agent.py::test_review, got {test!r}",
            (*where, "test"),
        )
    return test


def _check_version(version: Any) -> None:
    if version in READ_VERSIONS and not isinstance(version, bool):
        return
    if isinstance(version, int) and not isinstance(version, bool) and version > max(READ_VERSIONS):
        raise invalid(
            f"this cassette needs a newer pytest-agentcassette: it is format version "
            f"{version}, and this release reads versions {_versions()}. "
            f"Upgrade: pip install -U pytest-agentcassette",
            ("version",),
        )
    if version == 1 and not isinstance(version, bool):
        raise invalid(
            f"version 1 is vcrpy's format (pytest-recording), which this plugin does not "
            f"read; convert it: {CONVERT_COMMAND}",
            ("version",),
        )
    raise invalid(
        f"unsupported cassette version {version!r}; this plugin reads versions "
        f"{_versions()} (go-vcr/cagent format)",
        ("version",),
    )


def _versions() -> str:
    *earlier, last = (str(version) for version in READ_VERSIONS)
    return f"{', '.join(earlier)} and {last}"


def _interaction(data: Mapping[str, Any], where: Where) -> tuple[Interaction, StoredBody]:
    """An HTTP exchange (``request`` and ``response``), an MCP server's over stdio
    (``stdio``) or a WebSocket's (``websocket``), with the request's body as stored.
    """
    for kind in ("stdio", "websocket"):
        if kind not in data:
            continue
        for key in ("request", "response", "stdio", "websocket"):
            if key in data and key != kind:
                raise invalid(f"{kind!r} and {key!r} do not go together", (*where, key))
        entry = required(data, kind, Mapping, where)
        if kind == "websocket":
            return read_websocket(entry, (*where, kind)), StoredBody(None)
        return _stdio(entry, (*where, kind))
    request, request_body = _request(required(data, "request", Mapping, where), (*where, "request"))
    response = read_response(required(data, "response", Mapping, where), (*where, "response"))
    return Interaction(request, response), request_body


def _stdio(data: Mapping[str, Any], where: Where) -> tuple[Interaction, StoredBody]:
    """A message the code sent to an MCP server over stdio and the server's answer, each a
    line of JSON (``receive`` holds one line per message).
    """
    check_keys(data, _STDIO_FIELDS, where)
    server = required(data, "server", str, where)
    if "send" not in data:
        raise invalid("missing required field 'send' (the message the code sent)", where)
    sent, said = (_lines(data, key, where) for key in ("send", "receive"))
    exited = data.get("server_exited", False)
    if not isinstance(exited, bool):
        raise invalid(
            f"'server_exited' must be true or false, got {exited!r}", (*where, "server_exited")
        )
    request = stdio_request(server, Body.decoded_from(sent))
    response = RecordedResponse(
        200,
        body=Body.decoded_from(said),
        duration=read_duration(data, where),
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
    check_keys(data, _REQUEST_FIELDS, where)
    method = required(data, "method", str, where)
    url = required(data, "url", str, where)
    headers = read_headers(data.get("headers"), where)
    body = read_body(data, where)
    return RecordedRequest(method.upper(), url, headers, Body.decoded_from(body)), body
