"""The cassette file: version-2 YAML (go-vcr's field names, as cagent writes them).

Loading checks every field and reports the file, the line and the YAML path of the first
problem. Saving is atomic: the YAML goes to a temporary file in the same folder, is read back
to prove every body decodes to the recorded bytes, and is renamed over the old file.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from .atomic_file import write_atomically
from .bodies import Body, BodyFormatError
from .cassette_fields import FORMAT_VERSION, InvalidField, Where, read_interactions
from .errors import CassetteError
from .history import stored_request_bodies
from .model import Headers, Interaction
from .yamlio import FlowSequence, YAMLError, dump_yaml, line_of, load_yaml, yaml_problem

__all__ = ["FORMAT_VERSION", "display_path", "load_cassette", "located_error", "save_cassette"]


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


def load_cassette(path: Path, *, fix_hint: str) -> list[Interaction]:
    """Read and check a cassette file; raise :class:`CassetteError` naming what is wrong."""
    path = Path(path)
    shown = display_path(path)
    try:
        raw = path.read_bytes()
    except OSError as error:
        fix = "give the path of a cassette file" if path.is_dir() else "make it readable"
        raise CassetteError(
            f"cannot read cassette {shown}: {error.strerror}; {fix}.", path=path
        ) from None
    if not raw.strip():
        raise CassetteError(
            f"cassette {shown} is empty: expected 'version: {FORMAT_VERSION}' and "
            f"'interactions:'.\n{fix_hint}",
            path=path,
        )
    cut = "" if raw.endswith(b"\n") else "The file ends mid-line: was it cut short?\n"
    try:
        document = load_yaml(raw)
    except YAMLError as error:
        line, column, problem = yaml_problem(raw, error)
        cut = "" if problem.startswith(("byte", "control")) else cut  # not text at all
        place = (f", line {line}" if line else "") + (f", column {column}" if column else "")
        raise CassetteError(
            f"cassette {shown}{place} is not valid YAML: {problem}.\n{cut}{fix_hint}",
            path=path,
            line=line,
        ) from None
    try:
        return read_interactions(document)
    except InvalidField as invalid:
        line = line_of(raw, invalid.where)
        place = f", line {line}" if line else ""
        at = f" (at {_where(invalid.where)})" if invalid.where else ""
        raise CassetteError(
            f"cassette {shown}{place}{at}: {invalid}.\n{cut}{fix_hint}", path=path, line=line
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
    stored_response["headers"] = _headers_to_stored(response.headers)
    stored_response["body"] = response.body.to_stored()
    if stored_error is not None:
        stored_response["error"] = stored_error
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


def _same(before: Body, after: Body) -> bool:
    """Whether the body read back replays as recorded (one too deep to rebuild does not)."""
    try:
        return before.content == after.content and before.chunks == after.chunks
    except BodyFormatError:
        return False


def _verified(interactions: list[Interaction]) -> str:
    """Render, read back, and re-store any body that would not replay byte for byte, until
    a rendering reads back whole (a repair changes which requests others patch).
    """
    while True:
        text = _writable(interactions)
        again = read_interactions(load_yaml(text))
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
