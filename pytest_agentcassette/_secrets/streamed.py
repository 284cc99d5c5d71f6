"""Credentials that a stream spells across its events: a model that repeats a key streams
it in pieces (``"sk"``, ``"-proj"``, ``"-Ab3d"``...), so no single event holds it and the
byte scan of the body misses it.

The string values of each JSON path (``choices/0/delta/content``, ``delta/text``...) are
joined in event order and searched; a credential that spans several pieces is replaced by
``REDACTED`` in the first piece and removed from the others, each event re-encoded in the
style it was written in. Where a piece cannot be found again in its event's text, the
credential is reported as not redactable.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from pytest_agentcassette._secrets.patterns import PLACEHOLDER, Match, find_credentials
from pytest_agentcassette._sse import events

__all__ = ["Edit", "split_credentials"]

_Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Edit:
    """Replace ``content[start:end]`` with ``data``: here one event's data, re-encoded; the
    guard also uses it for a credential found by the byte search.
    """

    start: int
    end: int
    data: bytes


@dataclass
class _Piece:
    line: int  # index into the data lines
    path: _Path
    value: str
    new: str | None = None


def _data_lines(content: bytes) -> Iterator[tuple[int, int, Any]]:
    """``(start, end, document)`` of each ``data:`` line that holds a JSON document."""
    for event in events(content):
        for begin, end in event.data_spans:
            try:
                document = json.loads(content[begin:end])
            except (ValueError, RecursionError):
                continue
            if isinstance(document, (dict, list)):
                yield begin, end, document


def _strings(value: Any, path: _Path = ()) -> Iterator[tuple[_Path, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, (*path, index))


def _cut(pieces: list[_Piece], match: Match) -> None:
    """Take ``match`` (byte offsets in the joined pieces) out of the pieces it spans."""
    offset, first = 0, True
    for piece in pieces:
        text = (piece.new if piece.new is not None else piece.value).encode("utf-8", "replace")
        size = len(piece.value.encode("utf-8", "replace"))
        low, high = max(match.start - offset, 0), min(match.end - offset, size)
        if low < high:
            kept = text[:low] + (PLACEHOLDER if first else b"") + text[high:]
            piece.new = kept.decode("utf-8", "replace")
            first = False
        offset += size


def _reencoded(data: bytes, changes: list[_Piece]) -> bytes | None:
    """``data`` with each changed string literal written again in the same style, or
    ``None`` when a literal is not found exactly once.
    """
    for piece in changes:
        for ascii_only in (False, True):
            old = json.dumps(piece.value, ensure_ascii=ascii_only).encode()
            if data.count(old) == 1:
                new = json.dumps(piece.new, ensure_ascii=ascii_only).encode()
                data = data.replace(old, new)
                break
        else:
            return None
    return data


def split_credentials(
    content: bytes, keys: Sequence[tuple[str, bytes]]
) -> tuple[list[Edit], list[Match], list[Match]]:
    """The edits that redact the credentials spelled across the events of ``content``, the
    credentials they redact, and those that could not be redacted.
    """
    lines = list(_data_lines(content))
    if len(lines) < 2:
        return [], [], []
    groups: dict[_Path, list[_Piece]] = {}
    for number, (_, _, document) in enumerate(lines):
        for path, value in _strings(document):
            groups.setdefault(path, []).append(_Piece(number, path, value))
    redacted: list[Match] = []
    for pieces in groups.values():
        if len(pieces) < 2:
            continue
        joined = "".join(piece.value for piece in pieces).encode("utf-8", "replace")
        for match in reversed(find_credentials(joined, keys)):  # later cuts keep offsets
            spanned = _spanned(pieces, match)
            if spanned > 1:  # one piece alone is the byte scan's
                _cut(pieces, match)
                redacted.append(match)
    changed: dict[int, list[_Piece]] = {}
    for pieces in groups.values():
        for piece in pieces:
            if piece.new is not None and piece.new != piece.value:
                changed.setdefault(piece.line, []).append(piece)
    edits: list[Edit] = []
    for number, pieces in sorted(changed.items()):
        start, end, _ = lines[number]
        data = _reencoded(content[start:end], pieces)
        if data is None:
            return [], [], redacted  # written as it is, and said
        edits.append(Edit(start, end, data))
    return edits, redacted, []


def _spanned(pieces: list[_Piece], match: Match) -> int:
    """How many pieces ``match`` touches."""
    count, offset = 0, 0
    for piece in pieces:
        size = len(piece.value.encode("utf-8", "replace"))
        if offset < match.end and match.start < offset + size:
            count += 1
        offset += size
    return count
