"""Message bodies: exact bytes plus chunk boundaries, stored in a readable exact form.

Stored forms (the value of a cassette's ``body`` field):

- a plain string: UTF-8 text (cagent's and go-vcr's form), server-sent events included;
- ``{json: <text>}``: a JSON document, indented (a hand-written cassette may give YAML
  data instead of the text);
- ``{base: <id>, json_patch: <text>}``: a JSON document given as a JSON Patch (RFC 6902)
  to the request body of interaction ``<id>``, an earlier one (see :mod:`.history`);
- ``{text: <string>}``: text that needs a modifier;
- ``{base64: <string>}``: bytes that are not UTF-8.

Modifiers: ``chunks`` (byte sizes of the pieces the client received, left out when they are
the default: one per SSE event, else one), ``line_ending: crlf`` for text whose every line
ends with CRLF (YAML cannot hold a CR in a literal block), and ``json_style`` /
``json_ascii`` where JSON was not written compactly. A form is only chosen when decoding it
gives back the recorded bytes exactly.

Bodies are stored as text, never as YAML structures, because YAML's cost is per node: a long
agent session (every request re-sends the history) loads 40 times faster this way.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from .documents import Document
from .forms import JSON_STYLES, default_sizes, encode, indented_json
from .patches import PatchError
from .sse import legacy_problem, legacy_text
from .yamlio import FlowSequence

__all__ = ["NOT_JSON", "Body", "BodyFormatError", "indented_json"]

_KINDS = ("json", "json_patch", "text", "base64")
_MODIFIERS = ("base", "chunks", "line_ending", "json_style", "json_ascii")
_DOCUMENTS = ("json", "json_patch")
LINE_ENDINGS = ("lf", "crlf")
_JSON_START = re.compile(rb"[ \t\r\n]*[\[{]")

NOT_JSON: Any = object()
"""Returned by :meth:`Body.json` for a body that is not a JSON document."""


class BodyFormatError(ValueError):
    """A stored body is malformed; ``where`` is the path below the ``body`` field, and
    ``interaction`` the position of the interaction at fault when it is not the one in
    use (a patch further up a chain of patches).
    """

    def __init__(self, message: str, where: tuple[str | int, ...] = ()):
        super().__init__(message)
        self.where = where
        self.interaction: int | None = None


def _parse_stored_json(stored: Mapping[str, Any]) -> Any:
    value = stored["json"]
    if not isinstance(value, str):
        # Written by hand as YAML data: a copy (the next request's patch changes it in
        # place), with keys as JSON has them (YAML may have read 50256: as a number).
        _refuse_alias_bomb(value, "json")
        try:
            return json.loads(json.dumps(value))
        except (TypeError, ValueError, RecursionError) as error:
            raise BodyFormatError(f"json holds what JSON cannot: {error}", ("json",)) from None
    try:
        return json.loads(value)
    except (ValueError, RecursionError) as error:
        raise BodyFormatError(f"json is not valid JSON: {error}", ("json",)) from None


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
        raise BodyFormatError(
            f"{kind} repeats YAML aliases (*name) into more than {_MAX_VALUES:,} values; a "
            f"body needs no aliases: write it out as text ({kind}: |), or record it again",
            (kind,),
        )


def _split(content: bytes, sizes: Sequence[int]) -> list[bytes]:
    chunks, offset = [], 0
    for size in sizes:
        chunks.append(content[offset : offset + size])
        offset += size
    return chunks


class Body:
    """The exact bytes of a request or response body and the chunks they arrived in.

    Built from recorded bytes (:meth:`from_bytes`) or from a cassette's stored form
    (:meth:`from_stored`, decoded lazily on first use, so loading a cassette stays close to
    the cost of parsing its YAML).
    """

    __slots__ = ("_base", "_chunk_sizes", "_content", "_keep", "_position", "_stored", "_value")

    def __init__(self) -> None:
        self._content: bytes | None = None
        self._chunk_sizes: list[int] | None = None
        self._stored: Any = None
        self._base: Body | None = None  # the body a json_patch applies to
        self._keep = False  # another body patches this one: keep the document built
        self._value: Document | None = None  # that document, until the next body takes it
        self._position: int | None = None  # of a json_patch body's interaction, for errors

    @classmethod
    def from_bytes(cls, content: bytes, chunk_sizes: Sequence[int] | None = None) -> Body:
        """A body received as ``content``, in pieces of ``chunk_sizes`` bytes (default: one)."""
        body = cls()
        body._content = content
        body._chunk_sizes = list(chunk_sizes) if chunk_sizes is not None else None
        return body

    @classmethod
    def from_stored(cls, stored: Any) -> Body:
        """A body from its cassette form; raises :class:`BodyFormatError` if malformed."""
        _check_stored(stored)
        body = cls()
        body._stored = stored
        return body

    @property
    def base_id(self) -> int | None:
        """For a ``json_patch`` body, the id of the interaction whose request it patches."""
        stored = self._stored
        return stored["base"] if isinstance(stored, Mapping) and "json_patch" in stored else None

    def is_document(self) -> bool:
        """Whether the body is stored as a JSON document (``json`` or ``json_patch``)."""
        return isinstance(self._stored, Mapping) and any(k in self._stored for k in _DOCUMENTS)

    def link(self, base: Body, position: int) -> None:
        """Give a ``json_patch`` body (of the interaction at ``position``) the body it
        patches (a JSON document too).
        """
        self._base = base
        self._position = position
        base._keep = True

    @property
    def content(self) -> bytes:
        """All bytes of the body."""
        if self._content is None:
            self._decode()
        return self._content  # type: ignore[return-value]

    @property
    def chunks(self) -> list[bytes]:
        """The body as the pieces the client received, in order."""
        content = self.content
        if self._chunk_sizes is None:
            return [content] if content else []
        return _split(content, self._chunk_sizes)

    def json(self) -> Any:
        """The body's JSON document, or :data:`NOT_JSON`."""
        stored = self._stored
        if isinstance(stored, Mapping) and "json" in stored:
            return _parse_stored_json(stored)
        content = self.content  # a json_patch body: its document is rebuilt from the bytes
        if not _JSON_START.match(content):
            return NOT_JSON
        try:
            return json.loads(content)
        except ValueError:
            return NOT_JSON

    def to_stored(self) -> Any:
        """The readable, exact form to write in a cassette."""
        if self._stored is None:
            self._stored = encode(self.content, self._chunk_sizes)
        return _styled(self._stored)

    def _decode(self) -> None:
        if self.is_document():
            try:
                content, default_sizes, sizes = self._decode_document()
            except RecursionError:
                raise BodyFormatError(
                    "the JSON document nests too deeply to be rebuilt; store this body as "
                    "text (text: ...) instead, or record it again"
                ) from None
        else:
            content, default_sizes, sizes = _decode(self._stored)
        if sizes is not None and sum(sizes) != len(content):
            raise BodyFormatError(
                f"chunks add up to {sum(sizes)} bytes but the body has {len(content)}; make "
                f"them add up to {len(content)}, or remove chunks to replay it in one piece",
                ("chunks",),
            )
        self._content = content
        self._chunk_sizes = sizes if sizes is not None else default_sizes

    def _decode_document(self) -> tuple[bytes, list[int], list[int] | None]:
        stored = self._stored
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
        line: list[Body] = []
        node = self
        while node._value is None and "json_patch" in node._stored:
            if node._base is None:
                raise BodyFormatError("json_patch has no base body to apply to", ("base",))
            line.append(node)
            node = node._base
        if node._value is not None:
            document, node._value = node._value, None
        else:
            document = Document(_parse_stored_json(node._stored))
        for body in reversed(line):
            try:
                _apply(body._stored, document)
            except BodyFormatError as error:
                if body is not self:
                    error.interaction = body._position  # the patch at fault is that one
                raise
        return document


def _styled(stored: Any) -> Any:
    """Chunk sizes read best on one line."""
    if not isinstance(stored, Mapping) or "chunks" not in stored:
        return stored
    return {**stored, "chunks": FlowSequence(stored["chunks"])}


def _apply(stored: Mapping[str, Any], document: Document) -> None:
    where = f"interaction {stored['base']}"
    try:
        operations = json.loads(stored["json_patch"])
    except (ValueError, RecursionError) as error:
        raise BodyFormatError(f"json_patch is not valid JSON: {error}", ("json_patch",)) from None
    if not isinstance(operations, list):
        raise BodyFormatError("json_patch must be a list of operations", ("json_patch",))
    try:
        document.patch(operations)
    except PatchError as error:
        raise BodyFormatError(
            f"json_patch does not apply to the request body of {where}: {error}",
            ("json_patch",),
        ) from None


def _check_stored(stored: Any) -> None:
    """Validate the shape of a stored body without decoding it."""
    if stored is None or isinstance(stored, str):
        return
    if not isinstance(stored, Mapping):
        raise BodyFormatError(
            f"expected a string or a mapping with one of {', '.join(_KINDS)}, "
            f"got {type(stored).__name__}"
        )
    kinds = [key for key in stored if key in (*_KINDS, "sse")]  # sse: the form before 0.2
    unknown = [key for key in stored if key not in (*_KINDS, "sse") and key not in _MODIFIERS]
    if unknown:
        raise BodyFormatError(
            f"unknown key {unknown[0]!r}; a body has one of {', '.join(_KINDS)} "
            f"and optionally {', '.join(_MODIFIERS)}",
            (str(unknown[0]),),
        )
    if len(kinds) != 1:
        raise BodyFormatError(f"a body needs exactly one of {', '.join(_KINDS)}, found {kinds}")
    kind = kinds[0]
    value = stored[kind]
    if kind in ("text", "base64") and not isinstance(value, str):
        raise BodyFormatError(f"{kind} must be a string, got {type(value).__name__}", (kind,))
    if kind == "json" and not isinstance(value, (str, Mapping, list)):
        raise BodyFormatError(
            f"json must be JSON text (or YAML data), got {type(value).__name__}", ("json",)
        )
    if kind == "sse":
        problem = legacy_problem(value)
        if problem is not None:
            raise BodyFormatError(*problem)
    if kind == "json_patch" and not isinstance(value, str):
        raise BodyFormatError(f"json_patch must be JSON text, got {type(value).__name__}", (kind,))
    base = stored.get("base")
    if (kind == "json_patch") != (base is not None):
        raise BodyFormatError("base and json_patch go together", ("base",))
    if base is not None and (not isinstance(base, int) or isinstance(base, bool) or base < 0):
        raise BodyFormatError("base must be the id of an earlier interaction", ("base",))
    chunks = stored.get("chunks")
    if chunks is not None and (
        not isinstance(chunks, list)
        or not all(isinstance(n, int) and not isinstance(n, bool) and n > 0 for n in chunks)
    ):
        raise BodyFormatError("chunks must be a list of positive byte counts", ("chunks",))
    if stored.get("line_ending", "lf") not in LINE_ENDINGS:
        raise BodyFormatError(
            f"line_ending must be one of {', '.join(LINE_ENDINGS)}", ("line_ending",)
        )
    if not isinstance(stored.get("json_ascii", False), bool):
        raise BodyFormatError("json_ascii must be true or false", ("json_ascii",))
    style = stored.get("json_style", "compact")
    if not isinstance(style, str) or style not in JSON_STYLES:  # a dict: [x] is unhashable
        raise BodyFormatError(
            f"json_style must be one of {', '.join(JSON_STYLES)}", ("json_style",)
        )


def _decode(stored: Any) -> tuple[bytes, list[int], list[int] | None]:
    """``(content, default chunk sizes, stored chunk sizes or None)``."""
    if stored is None:
        return b"", [], None
    if isinstance(stored, str):
        content = stored.encode("utf-8")
        return content, default_sizes(content), None
    sizes = stored.get("chunks")
    if "text" in stored:
        text = stored["text"]
        if stored.get("line_ending") == "crlf":
            text = text.replace("\n", "\r\n")
        content = text.encode("utf-8")
        return content, default_sizes(content), sizes
    if "sse" in stored:
        style = JSON_STYLES[stored.get("json_style", "compact")]
        ascii_only = bool(stored.get("json_ascii", False))
        _refuse_alias_bomb(stored["sse"], "sse")
        text = legacy_text(
            stored["sse"],
            stored.get("line_ending") == "crlf",
            lambda value: json.dumps(value, separators=style, ensure_ascii=ascii_only),
        )
        content = text.encode("utf-8")
        return content, default_sizes(content), sizes
    if "base64" in stored:
        try:
            content = base64.b64decode(stored["base64"])
        except (binascii.Error, ValueError) as error:
            raise BodyFormatError(f"base64 is not valid base64: {error}", ("base64",)) from None
        return content, [len(content)] if content else [], sizes
    raise BodyFormatError("a JSON document is decoded by its Body")  # pragma: no cover
