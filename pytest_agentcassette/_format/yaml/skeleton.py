"""What is left of a cassette once its literal blocks are cut out, read without a YAML
parser's node tree.

That skeleton is what this plugin writes: block mappings and sequences (a sequence at its
key's column, a mapping in a sequence item on the item's line), keys that are plain words
or single-quoted, plain and single-quoted scalars, one-line flow sequences (chunk sizes,
a header's values), ``{}``, and the blocks' placeholders. For these, YAML's rules are
few; each is checked as it is met, and anything else (a comment, a tab, an anchor, a
double-quoted scalar with escapes, a line where YAML would continue a scalar...) raises
:class:`Unreadable`, and the caller hands the whole file to the YAML parser instead.

A placeholder's block stays a :class:`~.blocks.BlockText` where a body is (the value of
``body`` and the values of a ``body`` mapping); elsewhere it becomes a string.
"""

from __future__ import annotations

import re
from typing import Any

from pytest_agentcassette._format.yaml.blocks import BLOCK_TAG, BlockText
from pytest_agentcassette._format.yaml.plain import UNDECIDED, plain_scalar

__all__ = ["Unreadable", "read_skeleton"]


class Unreadable(Exception):
    """A line this reader does not read exactly as YAML does."""


_LINE = re.compile(r"( *)([^\n]*)\n")
# A key: single-quoted, or a plain word that cannot be read as anything else (no ':', '#',
# quote or flow character in it, no indicator first, no space last), then ':' and the
# end of the line or spaces.
_KEY = re.compile(r"('(?:[^']|'')*'|[^\s'\"#:\[\]{},&*!|>%@`?-][^\t:#'\"]*(?<! )):(?: +|$)")
_PLACEHOLDER = re.compile(re.escape(BLOCK_TAG) + r" (\d+)")
_FLOW_ITEM = r"(?:'(?:[^']|'')*'|[^\s'\"#:\[\]{},&*!|>%@`?-][^,\[\]{}#:'\"]*(?<! ))"
_FLOW_SEQUENCE = re.compile(rf"\[(?:{_FLOW_ITEM}(?:, {_FLOW_ITEM})*)?\]")
_FLOW_ITEMS = re.compile(_FLOW_ITEM)
_INDICATORS = frozenset("-?:,[]{}#&*!|>'\"%@`")
_BODY_KEYS = frozenset({"body"})
_UNKNOWN: Any = object()
# What lines and words read as, kept across files (most repeat from one cassette to the
# next: "method: POST", "code: 200"); each reading depends on the text alone.
_KNOWN: dict[str, Any] = {}  # a plain scalar -> its value
_KEYED: dict[str, tuple[Any, str] | None] = {}  # a line -> its key and the rest, or None
_KEPT = 8192


def read_skeleton(text: str, blocks: list[BlockText]) -> dict[str, Any]:
    """The document ``text`` holds (a mapping), its placeholders replaced by ``blocks``.
    Raises :class:`Unreadable`.
    """
    if "\t" in text:
        raise Unreadable("a tab")
    reader = _Reader(text, blocks)
    if not reader.columns or reader.columns[0] != 0:
        raise Unreadable("not a mapping at the top")
    document = reader.mapping(0, 0)
    if reader.at != len(reader.columns) or reader.used != len(blocks):
        raise Unreadable("lines or blocks left over")
    return document


class _Reader:
    """The lines (blank ones dropped) as columns and texts, read from ``at`` on."""

    def __init__(self, text: str, blocks: list[BlockText]):
        lines = [(len(spaces), rest) for spaces, rest in _LINE.findall(text) if rest]
        self.columns = [column for column, _ in lines]
        self.texts = [rest for _, rest in lines]
        self.blocks = blocks
        if len(_KNOWN) + len(_KEYED) > _KEPT:
            _KNOWN.clear()
            _KEYED.clear()
        self.known, self.keyed = _KNOWN, _KEYED
        self.at = 0
        self.used = 0  # blocks taken, in order

    def mapping(self, column: int, lazy: int) -> dict[Any, Any]:
        """The mapping whose keys start at ``column`` on the lines from here."""
        data: dict[Any, Any] = {}
        columns, texts, count = self.columns, self.texts, len(self.columns)
        while self.at < count and columns[self.at] == column:
            text = texts[self.at]
            keyed = self._keyed(text)
            if keyed is None:
                if text[:2] == "- ":
                    break  # the next item of the sequence this mapping is in
                raise Unreadable(text)
            key, rest = keyed
            if key in data:
                raise Unreadable("a key given twice")  # the parser words it, with lines
            self.at += 1
            inner = 2 if key in _BODY_KEYS else lazy - 1
            data[key] = self.scalar(rest, inner) if rest else self._nested(column, inner)
        if self.at < count and columns[self.at] > column:
            raise Unreadable("a line indented where YAML would continue a value")
        return data

    def _nested(self, column: int, lazy: int) -> Any:
        """The value of a key with nothing after its colon: what the next lines hold."""
        if self.at == len(self.columns):
            return None
        inner, text = self.columns[self.at], self.texts[self.at]
        if inner == column and text[:2] == "- ":
            return self.sequence(column, lazy)
        if inner <= column:
            return None
        return self.sequence(inner, lazy) if text[:2] == "- " else self.mapping(inner, lazy)

    def sequence(self, column: int, lazy: int) -> list[Any]:
        """The sequence whose items' dashes stand at ``column``."""
        items: list[Any] = []
        columns, texts, count = self.columns, self.texts, len(self.columns)
        while self.at < count and columns[self.at] == column and texts[self.at][:2] == "- ":
            text = texts[self.at][2:]
            if text[:1] == " " or text[:2] == "- ":
                raise Unreadable("an item indented further, or a sequence in a sequence")
            if self._keyed(text) is not None:  # a mapping that starts on the item's line
                columns[self.at], texts[self.at] = column + 2, text
                items.append(self.mapping(column + 2, lazy - 1))
            else:
                self.at += 1
                items.append(self.scalar(text, lazy - 1))
        if self.at < count and columns[self.at] > column:
            raise Unreadable("a line indented where YAML would continue a value")
        return items

    def _keyed(self, text: str) -> tuple[Any, str] | None:
        """A line's key and what follows it, or ``None`` for a line that is no ``key:``
        (most lines repeat: each is matched once).
        """
        keyed = self.keyed.get(text, _UNKNOWN)
        if keyed is _UNKNOWN:
            found = _KEY.match(text)
            keyed = None if found is None else (self._key(found.group(1)), text[found.end() :])
            self.keyed[text] = keyed
        return keyed  # type: ignore[no-any-return]

    def _key(self, text: str) -> Any:
        key = self.known.get(text, _UNKNOWN)
        if key is not _UNKNOWN:
            return key
        key = _single_quoted(text) if text[0] == "'" else _resolved(text)
        self.known[text] = key
        if key == "<<" or not isinstance(key, (str, int, bool, float)):
            raise Unreadable("a merge key, or a key that is not a scalar")
        return key

    def scalar(self, text: str, lazy: int) -> Any:
        """A value written on its key's or its dash's line."""
        first = text[0]
        if first == "!":
            return self._block(text, lazy)
        if first == "'":
            return _single_quoted(text)
        if first == '"':
            if "\\" in text or text.count('"') != 2 or text[-1] != '"':
                raise Unreadable("a double-quoted scalar with escapes")
            return text[1:-1]
        if first == "[":
            return self._flow_sequence(text)
        if text == "{}":
            return {}
        return self._plain(text)

    def _plain(self, text: str) -> Any:
        value = self.known.get(text, _UNKNOWN)
        if value is not _UNKNOWN:
            return value
        first = text[0]
        if first in _INDICATORS and not (first == "-" and text[1:2] not in ("", " ")):
            raise Unreadable(f"a value that starts with {first!r}")
        if ": " in text or " #" in text or text[-1] in " :":
            raise Unreadable("a value YAML reads as more than a word")
        value = self.known[text] = _resolved(text)
        return value

    def _flow_sequence(self, text: str) -> list[Any]:
        if _FLOW_SEQUENCE.fullmatch(text) is None:
            raise Unreadable("a flow sequence of more than words")
        items = _FLOW_ITEMS.findall(text)
        return [_single_quoted(i) if i[0] == "'" else self._plain(i) for i in items]

    def _block(self, text: str, lazy: int) -> BlockText | str:
        found = _PLACEHOLDER.fullmatch(text)
        if found is None or int(found.group(1)) != self.used:
            raise Unreadable("a tag")
        block = self.blocks[self.used]
        self.used += 1
        return block if lazy > 0 else block.text()


def _resolved(word: str) -> Any:
    """A plain scalar's value (:mod:`.plain`); one only the parser reads raises."""
    value = plain_scalar(word)
    if value is UNDECIDED:
        raise Unreadable(f"a word only the YAML parser reads: {word!r}")
    return value


def _single_quoted(text: str) -> str:
    inner = text[1:-1]
    if len(text) < 2 or text[-1] != "'" or "'" in inner.replace("''", ""):
        raise Unreadable("a single-quoted scalar with more after it")
    return inner.replace("''", "'")
