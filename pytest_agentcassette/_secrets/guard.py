"""The last check before a cassette is written: credentials that escaped the header and
query scrubbing (:mod:`pytest_agentcassette._secrets.scrub`), in URLs, header names and
values, bodies, reason phrases and transport error messages, are replaced by ``REDACTED``
and reported, or the write is refused (``secrets="refuse"``). The warning comes after the
write, so that a warning made an error (``-W error``) does not stop the write it reports.

Redaction works on the exact bytes, before the stored forms (JSON documents, JSON patches,
text, base64) are chosen, so the file replays what it says; a live request is redacted the
same way before matching, so that a request that carries a credential still finds its
recording.
"""

from __future__ import annotations

import contextlib
import warnings
from dataclasses import replace
from pathlib import Path

from pytest_agentcassette._errors import CassetteSecretError, SecretRedactedWarning
from pytest_agentcassette._located import LocatedError, display_path
from pytest_agentcassette._model import (
    Body,
    Headers,
    Interaction,
    RecordedRequest,
    RecordedResponse,
    WebSocketTurn,
)
from pytest_agentcassette._secrets.findings import SecretFinding, finding_lines
from pytest_agentcassette._secrets.patterns import (
    PLACEHOLDER,
    Match,
    find_credentials,
    key_values,
    redact_credentials,
)
from pytest_agentcassette._secrets.streamed import Edit, split_credentials

__all__ = ["guard_secrets", "redacted_for_matching", "warn_found"]

UNREDACTABLE = "(could not be redacted: nothing was written)"


def _text(value: str, found: list[Match]) -> str:
    return redact_credentials(value.encode("utf-8", "surrogateescape"), found).decode(
        "utf-8", "surrogateescape"
    )


_Keys = list[tuple[str, bytes]]
_Notes = list[tuple[str, Match]]


def _field(value: str, place: str, notes: _Notes, keys: _Keys) -> str:
    """``value`` redacted, its credentials noted as found in ``place``."""
    found = find_credentials(value.encode("utf-8", "surrogateescape"), keys)
    notes += [(place, match) for match in found]
    return _text(value, found) if found else value


def _name(name: str, place: str, notes: _Notes, keys: _Keys) -> str:
    """A header name, redacted: searched whole, then after each of its first hyphens, since
    a key that ends a name (``x-sk-proj-...``) is not a word of its own.
    """
    starts = [0, *[n + 1 for n, char in enumerate(name) if char == "-"][:4]]
    for start in starts:
        rest = _field(name[start:], place, notes, keys)
        if rest != name[start:]:
            return name[:start] + rest
    return name


def _headers(headers: Headers, part: str, notes: _Notes, keys: _Keys) -> Headers:
    result = []
    for name, value in headers:
        name = _name(name, f"{part} header name", notes, keys)
        result.append((name, _field(value, f"{part} header {name}", notes, keys)))
    return result


def _edited(body: Body, edits: list[Edit]) -> Body:
    """``body`` with ``edits`` (sorted, apart) made, chunk by chunk: an edit's new bytes
    count in the chunk it starts in, and a chunk left with nothing is dropped.
    """
    content, pieces, position = body.content, [], 0
    for edit in edits:
        pieces += [content[position : edit.start], edit.data]
        position = edit.end
    pieces.append(content[position:])
    sizes, start = [], 0
    for chunk in body.chunks:
        end = start + len(chunk)
        size = len(chunk)
        for edit in edits:
            size -= max(0, min(end, edit.end) - max(start, edit.start))
            size += len(edit.data) if start <= edit.start < end else 0
        if size > 0:
            sizes.append(size)
        start = end
    return Body.from_bytes(b"".join(pieces), sizes)


def _body(body: Body, part: str, notes: _Notes, keys: _Keys) -> Body:
    try:
        content = body.content
    except LocatedError:  # a loaded body that does not decode is written back as it was
        return body
    found = find_credentials(content, keys)
    if found:
        notes += [(f"{part} body", match) for match in found]
        body = _edited(body, [Edit(match.start, match.end, PLACEHOLDER) for match in found])
    if b"data:" not in body.content:
        return body
    # A stream may spell a credential across its events, out of the byte search's sight.
    edits, redacted, kept = split_credentials(body.content, keys)
    place = f"{part} body, split across streamed events"
    notes += [(place, match) for match in redacted]
    notes += [(f"{place} {UNREDACTABLE}", match) for match in kept]
    return _edited(body, edits) if edits else body


def _received(turn: WebSocketTurn, notes: _Notes, keys: _Keys) -> WebSocketTurn:
    """The messages a WebSocket server sent, their credentials redacted."""
    frames = []
    for position, frame in enumerate(turn.received):
        if isinstance(frame.data, str):
            place = f"received WebSocket message {position}"
            frame = replace(frame, data=_field(frame.data, place, notes, keys))
        frames.append(frame)
    return replace(turn, received=frames)


def _redacted(interaction: Interaction, keys: _Keys) -> tuple[Interaction, _Notes]:
    notes: _Notes = []
    request, response = interaction.request, interaction.response
    request = replace(
        request,
        url=_field(request.url, "request URL", notes, keys),
        headers=_headers(request.headers, "request", notes, keys),
        body=_body(request.body, "request", notes, keys),
    )
    response = replace(
        response,
        reason=_field(response.reason, "response reason", notes, keys),
        headers=_headers(response.headers, "response", notes, keys),
        body=_body(response.body, "response", notes, keys),
    )
    if response.websocket is not None and response.websocket.received:
        response.websocket = _received(response.websocket, notes, keys)
    if response.error is not None:  # an error message may quote a header line or the URL
        message = _field(response.error.message, "response error message", notes, keys)
        response.error = replace(response.error, message=message)
    return Interaction(request, response, interaction.id), notes


def redacted_for_matching(request: RecordedRequest) -> RecordedRequest:
    """``request`` as it would be stored (credentials redacted), or itself if it holds none."""
    redacted, notes = _redacted(Interaction(request, RecordedResponse(200)), key_values())
    return redacted.request if notes else request


def guard_secrets(
    path: Path, interactions: list[Interaction], policy: str, *, warn: bool = True
) -> list[SecretFinding]:
    """Find the credentials the interactions would write to ``path``. With ``"redact"``,
    replace them in place and warn (unless ``warn`` is false: the caller writes the file,
    then calls :func:`warn_found`); with ``"refuse"``, raise :class:`CassetteSecretError`
    and change nothing. Returns the findings.
    """
    for interaction in interactions:  # patches decode in file order, each from the last
        with contextlib.suppress(LocatedError):
            interaction.request.body.content  # noqa: B018
    redacted, findings, keys = [], [], key_values()
    for position, interaction in enumerate(interactions):
        clean, notes = _redacted(interaction, keys)
        redacted.append(clean)
        findings += [SecretFinding(position, field, m.kind, m.shown) for field, m in notes]
    if not findings:
        return []
    shown = display_path(path)
    if policy == "refuse" or any(finding.field.endswith(UNREDACTABLE) for finding in findings):
        raise CassetteSecretError(refused_message(shown, path.exists(), findings), path=path,
                                  findings=findings)  # fmt: skip
    for interaction, clean in zip(interactions, redacted, strict=True):
        interaction.request, interaction.response = clean.request, clean.response
    if warn:
        warn_found(path, findings)
    return findings


def warn_found(path: Path, findings: list[SecretFinding]) -> None:
    """Warn that ``findings`` were written to ``path`` as ``REDACTED`` (if there are any)."""
    if findings:
        message = redacted_message(display_path(path), findings)
        warnings.warn(SecretRedactedWarning(message), stacklevel=1)


def redacted_message(shown_path: str, findings: list[SecretFinding]) -> str:
    """The warning for credentials replaced by ``REDACTED`` in a written cassette."""
    lines = "".join(f"\n  {line}" for line in finding_lines(findings))
    return (
        f"credentials found and written as REDACTED in {shown_path}:{lines}\n"
        f"Review the cassette; to fail instead of redacting, set secrets='refuse'."
    )


def refused_message(shown_path: str, existed: bool, findings: list[SecretFinding]) -> str:
    """The error for a cassette not written because it would hold credentials."""
    lines = "".join(f"\n  {line}" for line in finding_lines(findings))
    kept = f"{shown_path} is unchanged" if existed else "nothing was written"
    return (
        f"cassette {shown_path} not written: it would hold credentials ({kept}):{lines}\n"
        f"Keep credentials out of what the code sends, or set secrets='redact' to store "
        f"them as REDACTED."
    )
