"""A cassette's literal blocks read straight from the file's bytes.

Most of a cassette is bodies, written as literal blocks (``body: |+`` and indented lines).
Parsing them through YAML builds a string of every one, character by character in
libyaml's scanner, and a replay then encodes each back to bytes. Instead, :func:`cut_blocks`
finds each block, leaves a one-line placeholder in its place, and keeps where its lines
are: libyaml parses what is left (a small part of the file) and a body's bytes are cut
out of the file's when the body is first used, as :class:`BlockText`.

The cut is exact or it is not made: the file must be UTF-8 text that YAML's reader
accepts, without the line breaks YAML reads and the cut does not (CR, NEL, LS, PS), and
every line that could open a block scalar must be one of the forms written here (``key:
|``, ``- |``, chomping ``-`` or ``+``, no indentation indicator, tag or comment). Anything
else returns ``None`` and the whole file goes through the YAML parser, which also gives
the errors their lines.
"""

from __future__ import annotations

import codecs
import re
from typing import NamedTuple

__all__ = ["BLOCK_TAG", "BlockText", "CutFile", "cut_blocks", "text_of"]

BLOCK_TAG = "!agentcassette-block"
_TAG = BLOCK_TAG.encode("ascii")

# Every line that might open a block scalar, whatever its form: the indicator (| or >),
# chomping and indentation indicators, maybe a comment, then the end of the line.
_MAYBE_HEADER = re.compile(rb"[|>][-+0-9]*[ \t]*(?:#[^\n]*)?\n")
# The forms cut: "key: |" (a plain key, after any "- " of compact sequences) or "- |".
_HEADER = re.compile(rb"( *(?:- +)*)(?:([A-Za-z_][A-Za-z0-9_]*):|(-)) \|([-+]?)\n")
# Bytes YAML's reader refuses (C0 controls but tab and line feed; DEL), and CR, which the
# cut does not read as YAML does: a file with any of them goes to the parser.
_ALLOWED_BYTES = bytes([9, 10, *range(0x20, 0x7F), *range(0x80, 0x100)])
# In UTF-8: C1 controls (NEL among them), LS and PS (line breaks to YAML), U+FFFE, U+FFFF.
_UNREAD = re.compile(rb"\xc2[\x80-\x9f]|\xe2\x80[\xa8\xa9]|\xef\xbf[\xbe\xbf]")
_PIECE = 1 << 16
_SPACES = re.compile(rb" *")
_ENDS: dict[int, re.Pattern[bytes]] = {}
_SHORT: dict[int, re.Pattern[bytes]] = {}


def _pattern(cache: dict[int, re.Pattern[bytes]], form: bytes, indent: int) -> re.Pattern[bytes]:
    pattern = cache.get(indent)
    if pattern is None:
        pattern = cache[indent] = re.compile(form % (indent - 1))
    return pattern


def _end_of_block(raw: bytes, start: int, indent: int) -> int:
    """Where a block indented by ``indent`` ends: after its last line, the line before the
    first that has fewer spaces and then text (lines of spaces alone are its line breaks).
    """
    found = _pattern(_ENDS, rb"\n {0,%d}+[^ \n]", indent).search(raw, start)  # no backtracking
    return len(raw) if found is None else found.start() + 1


class BlockText:
    """A literal block's text, as its bytes in the file: ``raw[start:end]`` are its lines,
    each indented by ``indent`` spaces, and ``chomping`` is ``"-"``, ``"+"`` or ``""``.
    """

    __slots__ = ("_chomping", "_end", "_indent", "_raw", "_start")

    def __init__(self, raw: bytes, start: int, end: int, indent: int, chomping: str):
        self._raw, self._start, self._end = raw, start, end
        self._indent, self._chomping = indent, chomping

    def __repr__(self) -> str:
        return f"<BlockText {self.utf8()[:40]!r}...>"

    def utf8(self) -> bytes:
        """The block's text, encoded in UTF-8 (as the file holds it)."""
        raw, start, end, indent = self._raw, self._start, self._end, self._indent
        lines, pad = raw[start:end], b" " * indent
        short = indent > 1 and _pattern(_SHORT, rb"\n {1,%d}+\n", indent).search(raw, start, end)
        if not short:  # every line starts with the indentation, or is empty
            content = (b"\n" + lines).replace(b"\n" + pad, b"\n")[1:]
        else:
            content = b"\n".join(line[indent:] for line in lines.split(b"\n"))
        if self._chomping == "+":
            return content
        kept = content.rstrip(b"\n")
        return kept if self._chomping == "-" else kept + b"\n"

    def as_in_file(self) -> bytes:
        """The block's lines as the file holds them, indentation and all."""
        return self._raw[self._start : self._end]

    def mentions(self, word: bytes) -> bool:
        """Whether ``word`` (no space or line break in it, so never cut by the
        indentation) is in the block's text.
        """
        return self._raw.find(word, self._start, self._end) >= 0

    def text(self) -> str:
        """The block's text, as YAML reads it."""
        return self.utf8().decode("utf-8")


def text_of(value: str | BlockText) -> str:
    """``value`` as a string (a block's text is built)."""
    return value.text() if isinstance(value, BlockText) else value


class CutFile(NamedTuple):
    """A file with its literal blocks cut out: ``skeleton`` (YAML, each block replaced by
    ``!agentcassette-block <index>``) and the blocks, in order.
    """

    skeleton: bytes
    blocks: list[BlockText]


def _readable(raw: bytes) -> bool:
    """Whether ``raw`` is text that YAML's reader takes and the cut reads as it does."""
    if raw.startswith(b"\xef\xbb\xbf") or not raw.endswith(b"\n"):
        return False
    pieces = range(0, len(raw), _PIECE)  # in pieces: translate sizes its output as its input
    if any(raw[at : at + _PIECE].translate(None, _ALLOWED_BYTES) for at in pieces):
        return False
    if raw.isascii():
        return True
    decoder = codecs.getincrementaldecoder("utf-8")()  # in pieces: no copy of the file
    try:
        for at in pieces:
            decoder.decode(raw[at : at + _PIECE])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return _UNREAD.search(raw) is None


def _block_at(raw: bytes, header: re.Match[bytes]) -> BlockText | None:
    """The block a header opens, or ``None`` where the cut could differ from YAML."""
    lead, key, dash, chomping = header.groups()
    parent = len(lead) if key else len(lead) + len(dash) - 1  # the key's or the dash's column
    start = header.end()
    indent = _leading_spaces(raw, start)
    if indent <= parent or raw[start + indent : start + indent + 1] in (b"\n", b"\t", b""):
        return None  # no content line first: YAML's own indentation rules decide
    end = _end_of_block(raw, start, indent)
    after = end + _leading_spaces(raw, end)
    if raw[after : after + 1] == b"\t":
        return None  # a tab where YAML expects indentation: an error the parser words
    return BlockText(raw, start, end, indent, chomping.decode("ascii"))


def _leading_spaces(raw: bytes, position: int) -> int:
    return _SPACES.match(raw, position).end() - position  # type: ignore[union-attr]


def cut_blocks(raw: bytes) -> CutFile | None:
    """``raw`` with its literal blocks cut out, or ``None`` where the whole file must go
    through the YAML parser.
    """
    if not _readable(raw):
        return None
    pieces: list[bytes] = []
    blocks: list[BlockText] = []
    position = 0  # where the skeleton's next piece starts
    while (found := _MAYBE_HEADER.search(raw, position)) is not None:
        line_start = raw.rfind(b"\n", 0, found.start()) + 1
        header = _HEADER.fullmatch(raw, line_start, found.end())
        block = _block_at(raw, header) if header is not None else None
        if header is None or block is None:
            return None
        opening = raw[line_start : header.end() - len(header.group(4)) - 3]  # "key:" or "-"
        pieces += [raw[position:line_start], opening, b" %s %d\n" % (_TAG, len(blocks))]
        blocks.append(block)
        position = block._end
    pieces.append(raw[position:])
    skeleton = b"".join(pieces)
    if skeleton.count(_TAG) != len(blocks):
        return None  # the file itself spells a placeholder
    return CutFile(skeleton, blocks)
