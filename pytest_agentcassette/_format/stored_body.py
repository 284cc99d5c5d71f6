"""A body as a cassette stores it: the most readable form that gives back its exact bytes.

Stored forms (the value of a cassette's ``body`` field):

- a plain string: UTF-8 text (cagent's and go-vcr's form), server-sent events included;
- ``{json: <text>}``: a JSON document, indented (a hand-written cassette may give YAML
  data instead of the text);
- ``{base: <id>, json_patch: <text>}``: a JSON document given as a JSON Patch (RFC 6902)
  to the request body of interaction ``<id>``, an earlier one (see
  :mod:`pytest_agentcassette._format.history`);
- ``{text: <string>}``: text that needs a modifier;
- ``{base64: <string>}``: bytes that are not UTF-8;
- ``{sse: [events]}``: server-sent events as YAML data, the form versions before 0.2
  wrote, still read.

Modifiers: ``chunks`` (byte sizes of the pieces the client received, left out when they are
the default: one per SSE event, else one), ``line_ending: crlf`` for text whose every line
ends with CRLF (YAML cannot hold a CR in a literal block), ``json_style`` where JSON was
not written compactly and ``json_ascii`` where it escaped non-ASCII characters.

Bodies are stored as text, never as YAML structures, because YAML's cost is per node: a long
agent session (every request re-sends the history) loads 40 times faster this way. A
stored body is decoded when its bytes are first needed.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Mapping
from typing import Any

from pytest_agentcassette._format.body_forms import JSON_STYLES, default_sizes, dumps, encode
from pytest_agentcassette._format.documents import Document
from pytest_agentcassette._format.patches import PatchError
from pytest_agentcassette._format.yaml import BlockText, FlowSequence, text_of
from pytest_agentcassette._located import LocatedError, json_problem
from pytest_agentcassette._model import Body

__all__ = ["StoredBody", "stored_form", "stored_source"]

_KINDS = ("json", "json_patch", "text", "base64")
_READ_KINDS = frozenset((*_KINDS, "sse"))  # sse: the form before 0.2
_TOO_DEEP = (
    "the JSON document nests too deeply to be rebuilt; store this body as text (text: ...) "
    "instead, or record it again"
)
_MODIFIERS = ("base", "chunks", "line_ending", "json_style", "json_ascii")
_DOCUMENTS = ("json", "json_patch")
LINE_ENDINGS = ("lf", "crlf")
_LEGACY_SSE_FIELDS = ("event", "data", "id", "retry", "comment")


def _load_json(value: str | BlockText) -> Any:
    """``json.loads`` of stored JSON text. A block is parsed as the file holds it,
    indentation and all: no line break can fall inside a JSON string, so the indentation
    is whitespace between tokens. Where that fails, the block's exact text is parsed, for
    the error's place.
    """
    if not isinstance(value, BlockText):
        return json.loads(value)
    try:
        return json.loads(value.as_in_file())
    except ValueError:
        return json.loads(value.utf8())


def _parse_stored_json(stored: Mapping[str, Any]) -> Any:
    value = stored["json"]
    if not isinstance(value, (str, BlockText)):
        # Written by hand as YAML data: a copy (the next request's patch changes it in
        # place), with keys as JSON has them (YAML may have read 50256: as a number).
        _refuse_alias_bomb(value, "json")
        try:
            return json.loads(json.dumps(value))
        except (TypeError, ValueError, RecursionError) as error:
            raise LocatedError(f"json holds what JSON cannot: {error}", ("json",)) from None
    try:
        return _load_json(value)
    except RecursionError:
        raise LocatedError(_TOO_DEEP) from None
    except ValueError as error:
        raise LocatedError(f"json is not valid JSON: {json_problem(error)}", ("json",)) from None


_MAX_VALUES = 1_000_000


def _refuse_alias_bomb(value: Any, kind: str) -> None:
    """Refuse YAML data whose aliases (``*name``) expand past :data:`_MAX_VALUES` values: the
    loader shares aliased values, but writing them out as JSON would not ("billion laughs").
    """
    sizes: dict[int, int] = {}

    def size(item: Any) -> int:
        if not isinstance(item, (dict, list)):
            return 1
        if id(item) not in sizes:
            sizes[id(item)] = 1  # a value that contains itself counts once
            children = item.values() if isinstance(item, dict) else item
            sizes[id(item)] = min(1 + sum(size(child) for child in children), _MAX_VALUES + 1)
        return sizes[id(item)]

    try:
        total = size(value)
    except RecursionError:
        return  # nested too deeply to count: writing it out reports that
    if total > _MAX_VALUES:
        raise LocatedError(
            f"{kind} repeats YAML aliases (*name) into more than {_MAX_VALUES:,} values; a "
            f"body needs no aliases: write it out as text ({kind}: |), or record it again",
            (kind,),
        )


class StoredBody:
    """A body's stored form, decoded on demand (a :class:`~pytest_agentcassette._model.BodySource`).

    A ``json_patch`` body is linked to the body it patches (:meth:`link`); decoding it
    takes the base's document over when the base kept it, so that an agent session's
    requests, each a patch of the one before, are each built once, in place.
    """

    __slots__ = ("_base", "_keep", "_position", "_value", "stored")

    def __init__(self, stored: Any):
        """``stored`` as read from a cassette; raises :class:`LocatedError` if malformed."""
        _check_stored(stored)
        self.stored = stored
        self._base: StoredBody | None = None  # the body a json_patch applies to
        self._keep = False  # another body patches this one: keep the document built
        self._value: Document | None = None  # that document, until the next body takes it
        self._position: int | None = None  # of a json_patch body's interaction, for errors

    @property
    def in_file(self) -> bool:
        """Whether the body is text cut out of the file's bytes (see :class:`BlockText`)."""
        stored = self.stored
        if isinstance(stored, Mapping):
            stored = stored.get("text")
        return isinstance(stored, BlockText)

    def mentions(self, word: bytes) -> bool:
        """Whether ``word`` (letters and digits) is in the decoded bytes."""
        stored = self.stored
        text = stored.get("text") if isinstance(stored, Mapping) else stored
        if isinstance(text, BlockText):
            return text.mentions(word)
        return word in self.decode()[0]

    @property
    def base_id(self) -> int | None:
        """For a ``json_patch`` body, the id of the interaction whose request it patches."""
        stored = self.stored
        return stored["base"] if isinstance(stored, Mapping) and "json_patch" in stored else None

    def is_document(self) -> bool:
        """Whether the body is stored as a JSON document (``json`` or ``json_patch``)."""
        return isinstance(self.stored, Mapping) and any(k in self.stored for k in _DOCUMENTS)

    def link(self, base: StoredBody, position: int) -> None:
        """Give a ``json_patch`` body (of the interaction at ``position``) the body it
        patches (a JSON document too).
        """
        self._base = base
        self._position = position
        base._keep = True

    def written(self) -> Any:
        """The form to write in a cassette (chunk sizes on one line)."""
        return _styled(self.stored)

    def stored_json(self) -> tuple[Any] | None:
        """``(document,)`` for a body stored as ``json``, else ``None``."""
        stored = self.stored
        if isinstance(stored, Mapping) and "json" in stored:
            return (_parse_stored_json(stored),)
        return None

    def decode(self) -> tuple[bytes, list[int]]:
        """The bytes and chunk sizes; raises :class:`LocatedError` where the form is wrong."""
        if self.is_document():
            try:
                content, default, sizes = self._decode_document()
            except RecursionError:
                raise LocatedError(_TOO_DEEP) from None
        else:
            content, default, sizes = _decode(self.stored)
        if sizes is not None and sum(sizes) != len(content):
            raise LocatedError(
                f"chunks add up to {sum(sizes)} bytes but the body has {len(content)}; make "
                f"them add up to {len(content)}, or remove chunks to replay it in one piece",
                ("chunks",),
            )
        return content, sizes if sizes is not None else default

    def _decode_document(self) -> tuple[bytes, list[int], list[int] | None]:
        stored = self.stored
        document = self._build()
        separators = JSON_STYLES[stored.get("json_style", "compact")]
        text = document.dumps(*separators, bool(stored.get("json_ascii", False)))
        if self._keep:
            self._value = document
        content = text.encode("utf-8")
        return content, [len(content)], stored.get("chunks")

    def _build(self) -> Document:
        """The body's document, for the caller to keep or change.

        A ``json_patch`` applies to its base's document, taken over from the base when the
        base kept it (an agent's next request patches the previous one: each is built once,
        in place), else built anew from the nearest full document up the line.
        """
        line: list[StoredBody] = []
        node = self
        while node._value is None and "json_patch" in node.stored:
            if node._base is None:
                raise LocatedError("json_patch has no base body to apply to", ("base",))
            line.append(node)
            node = node._base
        if node._value is not None:
            document, node._value = node._value, None
        else:
            document = Document(_parse_stored_json(node.stored))
        for body in reversed(line):
            try:
                _apply(body.stored, document)
            except LocatedError as error:
                if body is not self and body._position is not None:
                    # The patch at fault is that one, further up the chain.
                    where = ("interactions", body._position, "request", "body")
                    raise error.rooted_at(*where) from None
                raise
        return document


def stored_source(body: Body) -> StoredBody:
    """The stored form of ``body``: the one it was loaded from, else the most readable
    exact form of its bytes (kept with the body, so it is chosen once).
    """
    source = body._source
    if not isinstance(source, StoredBody):
        source = StoredBody(encode(body.content, [len(chunk) for chunk in body.chunks]))
        body._source = source
    return source


def stored_form(body: Body) -> Any:
    """What a cassette's ``body`` field holds for ``body``."""
    return stored_source(body).written()


def _styled(stored: Any) -> Any:
    """The stored form as YAML writes it: blocks as text, chunk sizes on one line."""
    if isinstance(stored, BlockText):
        return stored.text()
    if not isinstance(stored, Mapping):
        return stored
    written = {k: v.text() if isinstance(v, BlockText) else v for k, v in stored.items()}
    if "chunks" in written:
        written["chunks"] = FlowSequence(written["chunks"])
    return written


def _utf8(text: str | BlockText) -> bytes:
    """Text's UTF-8 bytes (a block's as the file holds them)."""
    return text.utf8() if isinstance(text, BlockText) else text.encode("utf-8")


def _apply(stored: Mapping[str, Any], document: Document) -> None:
    where = f"interaction {stored['base']}"
    try:
        operations = _load_json(stored["json_patch"])
    except RecursionError:
        raise LocatedError(_TOO_DEEP, ("json_patch",)) from None  # valid, but too deep
    except ValueError as error:
        problem = json_problem(error)
        raise LocatedError(f"json_patch is not valid JSON: {problem}", ("json_patch",)) from None
    if not isinstance(operations, list):
        raise LocatedError("json_patch must be a list of operations", ("json_patch",))
    try:
        document.patch(operations)
    except PatchError as error:
        raise LocatedError(
            f"json_patch does not apply to the request body of {where}: {error}",
            ("json_patch",),
        ) from None


def _check_stored(stored: Any) -> None:
    """Validate the shape of a stored body without decoding it."""
    if stored is None or isinstance(stored, (str, BlockText)):
        return
    if not isinstance(stored, Mapping):
        raise LocatedError(
            f"expected a string or a mapping with one of {', '.join(_KINDS)}, "
            f"got {type(stored).__name__}"
        )
    kinds = [key for key in stored if key in _READ_KINDS]
    unknown = [key for key in stored if key not in _READ_KINDS and key not in _MODIFIERS]
    if unknown:
        raise LocatedError(
            f"unknown key {unknown[0]!r}; a body has one of {', '.join(_KINDS)} "
            f"and optionally {', '.join(_MODIFIERS)}",
            (str(unknown[0]),),
        )
    if len(kinds) != 1:
        raise LocatedError(f"a body needs exactly one of {', '.join(_KINDS)}, found {kinds}")
    kind = kinds[0]
    value = stored[kind]
    if kind in ("text", "base64") and not isinstance(value, (str, BlockText)):
        raise LocatedError(f"{kind} must be a string, got {type(value).__name__}", (kind,))
    if kind == "json" and not isinstance(value, (str, BlockText, Mapping, list)):
        raise LocatedError(
            f"json must be JSON text (or YAML data), got {type(value).__name__}", ("json",)
        )
    if kind == "sse":
        _check_legacy_sse(value)
    if kind == "json_patch" and not isinstance(value, (str, BlockText)):
        raise LocatedError(f"json_patch must be JSON text, got {type(value).__name__}", (kind,))
    base = stored.get("base")
    if (kind == "json_patch") != (base is not None):
        raise LocatedError("base and json_patch go together", ("base",))
    if base is not None and (not isinstance(base, int) or isinstance(base, bool) or base < 0):
        raise LocatedError("base must be the id of an earlier interaction", ("base",))
    chunks = stored.get("chunks")
    if chunks is not None and (
        not isinstance(chunks, list)
        or not all(isinstance(n, int) and not isinstance(n, bool) and n > 0 for n in chunks)
    ):
        raise LocatedError("chunks must be a list of positive byte counts", ("chunks",))
    if stored.get("line_ending", "lf") not in LINE_ENDINGS:
        raise LocatedError(
            f"line_ending must be one of {', '.join(LINE_ENDINGS)}", ("line_ending",)
        )
    if not isinstance(stored.get("json_ascii", False), bool):
        raise LocatedError("json_ascii must be true or false", ("json_ascii",))
    style = stored.get("json_style", "compact")
    if not isinstance(style, str) or style not in JSON_STYLES:  # a dict: [x] is unhashable
        raise LocatedError(f"json_style must be one of {', '.join(JSON_STYLES)}", ("json_style",))


def _decode(stored: Any) -> tuple[bytes, list[int], list[int] | None]:
    """``(content, default chunk sizes, stored chunk sizes or None)``."""
    if stored is None:
        return b"", [], None
    if isinstance(stored, (str, BlockText)):
        content = _utf8(stored)
        return content, default_sizes(content), None
    sizes = stored.get("chunks")
    if "text" in stored:
        content = _utf8(stored["text"])
        if stored.get("line_ending") == "crlf":
            content = content.replace(b"\n", b"\r\n")
        return content, default_sizes(content), sizes
    if "sse" in stored:
        style = stored.get("json_style", "compact")
        ascii_only = bool(stored.get("json_ascii", False))
        _refuse_alias_bomb(stored["sse"], "sse")
        text = _legacy_sse_text(
            stored["sse"],
            stored.get("line_ending") == "crlf",
            lambda value: dumps(value, style, ascii_only),
        )
        content = text.encode("utf-8")
        return content, default_sizes(content), sizes
    if "base64" in stored:
        try:
            content = base64.b64decode(text_of(stored["base64"]))
        except (binascii.Error, ValueError):
            problem = _base64_problem(text_of(stored["base64"]))
            raise LocatedError(f"base64 is not valid base64: {problem}", ("base64",)) from None
        return content, [len(content)] if content else [], sizes
    raise LocatedError("a JSON document is decoded by its StoredBody")  # pragma: no cover


def _check_legacy_sse(events: Any) -> None:
    """Refuse a malformed ``sse: [events]`` list."""
    if not isinstance(events, list):
        raise LocatedError(f"sse must be a list of events, got {type(events).__name__}", ("sse",))
    for index, event in enumerate(events):
        if not isinstance(event, dict) or not event:
            raise LocatedError("an SSE event must be a non-empty mapping", ("sse", index))
        for name, value in event.items():
            if name not in _LEGACY_SSE_FIELDS:
                allowed = ", ".join(_LEGACY_SSE_FIELDS)
                raise LocatedError(
                    f"unknown SSE field {name!r}; expected one of {allowed}", ("sse", index)
                )
            if not isinstance(value, str) and not (
                name == "data" and isinstance(value, (dict, list))
            ):
                raise LocatedError(
                    f"SSE field {name!r} must be a string", ("sse", index, str(name))
                )


def _legacy_sse_text(events: list[dict[str, Any]], crlf: bool, dumps: Callable[[Any], str]) -> str:
    """The wire text of an ``sse: [events]`` list: one event per block, JSON ``data``
    written back with ``dumps``.
    """
    newline = "\r\n" if crlf else "\n"
    blocks = []
    for event in events:
        lines: list[str] = []
        for name, value in event.items():
            text = value if isinstance(value, str) else dumps(value)
            if name == "comment":
                lines.append(":" + text)
            elif name == "data":
                lines.extend("data: " + part for part in text.split("\n"))
            else:
                lines.append(f"{name}: {text}")
        blocks.append(newline.join(lines) + newline * 2)
    return "".join(blocks)


def _base64_problem(text: Any) -> str:
    """Why ``text`` is not base64, in this project's words."""
    if not isinstance(text, str):
        return f"it is {type(text).__name__}, not text"
    letters = "".join(text.split())
    if len(letters) % 4:
        return (
            f"its {len(letters)} characters (line breaks aside) are not a whole number of "
            f"groups of 4: was it cut short?"
        )
    return "base64 holds letters, digits, '+' and '/', with '=' only at the end"
