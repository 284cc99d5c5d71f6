"""Request bodies stored as changes to an earlier one.

An agent re-sends its whole conversation with every request, so a session's request bodies
grow with each turn, and a cassette that stored each in full would grow with the square
of the session's length (2.5 MB for 50 turns, most of it repeated). Instead a request body
is stored as a JSON Patch (RFC 6902) against an earlier request to the same endpoint
whenever that is much smaller: the cassette stays linear in the session, and each turn
reads as what it added (``add /messages/12: {...}``). Loading links each patch to its base;
the documents are rebuilt on use, each from the one before, in place
(:class:`~pytest_agentcassette._format.stored_body.StoredBody`).
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple

from pytest_agentcassette._format.body_forms import JSON_STYLES, indented_json
from pytest_agentcassette._format.documents import Document
from pytest_agentcassette._format.patches import PatchError
from pytest_agentcassette._format.stored_body import StoredBody, stored_source
from pytest_agentcassette._located import LocatedError
from pytest_agentcassette._matching.urls import normalize_url
from pytest_agentcassette._model import STDIO_SCHEME, Interaction, json_value

__all__ = ["link_patches", "stored_request_bodies"]

_CANDIDATES = 3  # earlier requests to the same endpoint tried as the base
_SMALL_ENOUGH = 0.1  # a patch this share of the full text needs no further candidate
_WORTH_IT = 0.5  # stored as a patch only below this share of the full text


def link_patches(bodies: list[StoredBody], ids: list[int]) -> None:
    """Give every ``json_patch`` request body the body it patches: ``base`` names the
    ``id`` an earlier interaction has in the file (``ids``, in file order). Raise
    :class:`LocatedError`, placed at the ``base`` field, for a base that names no earlier
    interaction or one whose body is not a JSON document.
    """
    positions: dict[int, int] = {}
    for position, body in enumerate(bodies):
        base = body.base_id
        if base is not None:
            where = ("interactions", position, "request", "body", "base")
            if base not in positions:
                later = base in ids[position:]
                raise LocatedError(
                    f"base {base} names "
                    + (
                        "this or a later interaction; a body can only build on an earlier one"
                        if later
                        else "no interaction in this file (was it removed?), so this body "
                        "cannot be rebuilt. Put its request back, write this body in full "
                        "(json: ...), or record the cassette again"
                    ),
                    where,
                    rooted=True,
                )
            base_body = bodies[positions[base]]
            if not base_body.is_document():
                raise LocatedError(
                    f"base {base} names a request whose body is not a JSON document",
                    where,
                    rooted=True,
                )
            body.link(base_body, position)
        positions.setdefault(ids[position], position)


def stored_request_bodies(interactions: list[Interaction]) -> list[Any]:
    """The stored form of each request body: a patch where that is much smaller."""
    forms: list[Any] = []
    earlier: dict[tuple[str, str], list[tuple[int, Any]]] = {}
    for position, interaction in enumerate(interactions):
        request = interaction.request
        if request.url.startswith(STDIO_SCHEME) or interaction.response.websocket is not None:
            forms.append(None)  # a message (a line of JSON, a WebSocket's), written as it is
            continue
        source = stored_source(request.body)
        if not source.is_document():
            forms.append(source.written())
            continue
        value = json_value(request.body)
        full = _full_form(source, value)
        endpoint = (request.method.upper(), normalize_url(request.url))
        candidates = earlier.setdefault(endpoint, [])
        exact = _Exact(
            request.body.content, full.get("json_style", "compact"), full.get("json_ascii", False)
        )
        patch = _smallest_patch(candidates, value, len(full["json"]), exact)
        if patch is not None:
            base, text = patch
            modifiers = {k: v for k, v in full.items() if k != "json"}
            forms.append({"base": base, "json_patch": text, **modifiers})
        else:
            forms.append(full)
        candidates.append((position, value))
    return forms


def _full_form(source: StoredBody, value: Any) -> dict[str, Any]:
    stored = source.written()
    modifiers = {k: v for k, v in stored.items() if k not in ("json", "json_patch", "base")}
    return {"json": indented_json(value), **modifiers}


class _Exact(NamedTuple):
    content: bytes
    style: str
    ascii_only: bool


def _rebuilds(base_value: Any, operations: list[Any], exact: _Exact) -> bool:
    """Whether the patch, applied as a replay applies it, gives back the exact bytes (it may
    not: JSON Patch adds a new key last, where the client may have put it first).
    """
    document = Document(json.loads(json.dumps(base_value)))
    try:
        document.patch(json.loads(json.dumps(operations)))
    except PatchError:
        return False
    text = document.dumps(*JSON_STYLES[exact.style], exact.ascii_only)
    return text.encode("utf-8") == exact.content


def _smallest_patch(
    candidates: list[tuple[int, Any]], value: Any, full_size: int, exact: _Exact
) -> tuple[int, str] | None:
    import jsonpatch  # when writing a recording only

    best: tuple[int, str] | None = None
    for base, base_value in reversed(candidates[-_CANDIDATES:]):
        operations = jsonpatch.make_patch(base_value, value).patch
        text = indented_json(operations)
        if len(text) >= full_size * _WORTH_IT or not _rebuilds(base_value, operations, exact):
            continue
        if best is None or len(text) < len(best[1]):
            best = (base, text)
        if len(text) < full_size * _SMALL_ENOUGH:
            break
    if best is None or len(best[1]) >= full_size * _WORTH_IT:
        return None
    return best
