"""Writing a cassette: each interaction in go-vcr's fields, each body in its most readable
exact form, then read back to prove that every body replays the recorded bytes, and written
atomically (a temporary file in the same folder, then a rename).
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pytest_agentcassette._format import yaml as yaml_format  # the parser: loaded on a write
from pytest_agentcassette._format.atomic import write_atomically
from pytest_agentcassette._format.entry_parts import stored_headers
from pytest_agentcassette._format.fields import (
    read_interactions,
    written_version,
)
from pytest_agentcassette._format.history import stored_request_bodies
from pytest_agentcassette._format.stored_body import StoredBody, stored_form
from pytest_agentcassette._format.websocket_entries import websocket_to_stored
from pytest_agentcassette._located import LocatedError
from pytest_agentcassette._model import SERVER_EXITED, STDIO_SCHEME, Body, Interaction

__all__ = ["save_cassette"]


def _unwritable() -> tuple[type[BaseException], ...]:
    """What dumping a readable body form can raise (lone surrogates, unexpected types)."""
    return (yaml_format.YAMLError, UnicodeError, TypeError, ValueError, RecursionError)


def _line_form(body: Body) -> Any:
    """Lines of JSON as they crossed the pipe; an exact form only if a save had to repair
    them (see :func:`_verified`).
    """
    source = body._source
    if isinstance(source, StoredBody) and isinstance(source.stored, Mapping):
        return stored_form(body)
    return body.content.decode("utf-8")


def _stdio_to_stored(index: int, interaction: Interaction) -> dict[str, Any]:
    """A message to an MCP server over stdio, and what the server said after it."""
    request, response = interaction.request, interaction.response
    stored: dict[str, Any] = {
        "server": request.url.removeprefix(STDIO_SCHEME),
        "send": _line_form(request.body),
    }
    if response.body.content:
        stored["receive"] = _line_form(response.body)
    if response.error == SERVER_EXITED:
        stored["server_exited"] = True
    if response.duration is not None:
        stored["duration"] = f"{response.duration:.3f}s"
    return {"id": index, "stdio": stored}


def _interaction_to_stored(
    index: int, interaction: Interaction, request_body: Any
) -> dict[str, Any]:
    request, response = interaction.request, interaction.response
    if request.url.startswith(STDIO_SCHEME):
        return _stdio_to_stored(index, interaction)
    if interaction.response.websocket is not None:
        return websocket_to_stored(index, interaction)
    stored_request: dict[str, Any] = {"method": request.method, "url": request.url}
    if request.headers:
        stored_request["headers"] = stored_headers(request.headers)
    if request.body.content:
        stored_request["body"] = request_body
    error = response.error
    stored_error = None if error is None else {"kind": error.kind, "message": error.message}
    if response.status_code == 0 and stored_error is not None:
        stored: dict[str, Any] = {"error": stored_error}
        if response.duration is not None:
            stored["duration"] = f"{response.duration:.3f}s"
        return {"id": index, "request": stored_request, "response": stored}
    stored_response: dict[str, Any] = {
        # The reason as received, spaces included ("200 OK", or "200" without one).
        "status": (
            f"{response.status_code} {response.reason}"
            if response.reason
            else str(response.status_code)
        ),
        "code": response.status_code,
    }
    if response.http_version != "HTTP/1.1":
        # go-vcr's field and spelling: "HTTP/2.0".
        version = response.http_version
        stored_response["proto"] = f"{version}.0" if version == "HTTP/2" else version
    stored_response["headers"] = stored_headers(response.headers)
    stored_response["body"] = stored_form(response.body)
    if stored_error is not None:
        stored_response["error"] = stored_error
    if not response.complete:
        stored_response["complete"] = False
    if response.duration is not None:
        stored_response["duration"] = f"{response.duration:.3f}s"
    return {"id": index, "request": stored_request, "response": stored_response}


def _exact_copy(body: Body) -> Body:
    """A body stored in a form that cannot lose bytes (text, else base64), chunks kept."""
    sizes = [len(chunk) for chunk in body.chunks]
    content = body.content
    try:
        stored: dict[str, Any] = {"text": content.decode("utf-8"), "chunks": sizes}
        probe = StoredBody(yaml_format.load_yaml(yaml_format.dump_yaml({"b": stored}))["b"])
        if probe.decode()[0] == content:
            return Body.decoded_from(StoredBody(stored))
    except UnicodeDecodeError:
        pass
    stored = {"base64": base64.encodebytes(content).decode(), "chunks": sizes}
    return Body.decoded_from(StoredBody(stored))


def _tagged(stored: dict[str, Any], test: str | None) -> dict[str, Any]:
    """A shared cassette's entry names its test, right after its id."""
    if test is None:
        return stored
    index, rest = stored.pop("id"), stored
    return {"id": index, "test": test, **rest}


def _render(interactions: list[Interaction]) -> str:
    request_bodies = stored_request_bodies(interactions)
    document = {
        "version": written_version(interactions),
        "interactions": [
            _tagged(_interaction_to_stored(i, x, request_bodies[i]), x.test)
            for i, x in enumerate(interactions)
        ],
    }
    return yaml_format.dump_yaml(document)


def _writable(interactions: list[Interaction]) -> str:
    """Render; a body whose readable form YAML cannot hold is stored in an exact form."""
    try:
        return _render(interactions)
    except _unwritable():
        pass
    for interaction in interactions:
        for part in (interaction.request, interaction.response):
            try:
                yaml_format.dump_yaml(stored_form(part.body))
            except _unwritable():
                part.body = _exact_copy(part.body)
    return _render(interactions)


def _same(before: Body, after: Body) -> bool:
    """Whether the body read back replays as recorded (one too deep to rebuild does not)."""
    try:
        return before.content == after.content and before.chunks == after.chunks
    except LocatedError:
        return False


def _verified(interactions: list[Interaction]) -> str:
    """Render, read back, and re-store any body that would not replay byte for byte, until
    a rendering reads back whole (a repair changes which requests others patch).
    """
    while True:
        text = _writable(interactions)
        again = read_interactions(yaml_format.load_yaml(text))
        repaired = False
        for original, loaded in zip(interactions, again, strict=True):
            for part in ("request", "response"):
                before: Body = getattr(original, part).body
                after: Body = getattr(loaded, part).body
                if not _same(before, after):
                    getattr(original, part).body = _exact_copy(before)
                    repaired = True
        if not repaired:
            return text


def save_cassette(path: Path, interactions: list[Interaction]) -> None:
    """Write the cassette atomically: a temporary file in the same folder, then a rename."""
    write_atomically(path, _verified(interactions))
