"""Credentials in text: provider API keys, bearer tokens, private keys, and the values of
the key variables set in this process.

Used before a cassette is written (:mod:`.guard`, :mod:`.streamed`) and by
``python -m pytest_agentcassette scan`` (:mod:`.scan`). The patterns are tight on purpose:
a key prefix, then a long run of token characters that mixes letters and digits as
generated keys do and words do not; ``sk-`` inside ``task-`` or ``risk-`` is not a key.
A key variable's value counts only if it looks generated too, and only as a whole token.
Every search is linear in the text, whatever the text.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from pytest_agentcassette._secrets.scrub import PLACEHOLDER as REDACTED

__all__ = [
    "KEY_VARIABLES",
    "PLACEHOLDER",
    "Match",
    "find_credentials",
    "key_values",
    "redact_credentials",
]

PLACEHOLDER = REDACTED.encode("ascii")
"""What :func:`redact_credentials` writes in place of a credential."""

KEY_VARIABLES = (
    "OPENAI_API_KEY",
    "ANTHROPIC_API_KEY",
    "GOOGLE_API_KEY",
    "GEMINI_API_KEY",
    "MISTRAL_API_KEY",
    "XAI_API_KEY",
    "NEBIUS_API_KEY",
    "REQUESTY_API_KEY",
    "MINIMAX_API_KEY",
)
"""The variables agentcore reads its provider keys from; any other ``*_API_KEY``,
``*_API_TOKEN``, ``*_ACCESS_TOKEN`` or ``*_AUTH_TOKEN`` variable counts too."""

_KEY_SUFFIXES = ("_API_KEY", "_API_TOKEN", "_ACCESS_TOKEN", "_AUTH_TOKEN")
_MIN_VALUE_LENGTH = 20  # shorter values ("test", "placeholder") would match ordinary text

_AFTER = rb"(?![A-Za-z0-9_\-])"
_TOKEN_BYTES = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")


@dataclass(frozen=True)
class _Pattern:
    kind: str
    shown: str  # what a message may print of it
    anchor: bytes  # a literal every match starts with: patterns run only where it occurs
    regex: re.Pattern[bytes]  # starts with the anchor, so the search for it is fast
    mix: str = ""  # the characters a real key mixes: a (lower), A (upper), 1 (digit)
    before: bytes = b""  # the byte the anchor must follow (default: none of a key's)
    group: int = 0  # the part of the match that is the secret


def _key(kind: str, shown: str, anchor: bytes, rest: bytes, mix: str) -> _Pattern:
    return _Pattern(kind, shown, anchor, re.compile(re.escape(anchor) + rest + _AFTER), mix)


_LONG = rb"[A-Za-z0-9_\-]{32,}"
_PATTERNS = (
    _key("Anthropic API key", "sk-ant-…", b"sk-ant-", _LONG, "aA1"),
    _key("OpenAI project key", "sk-proj-…", b"sk-proj-", _LONG, "aA1"),
    _key("OpenAI user key", "sk-None-…", b"sk-None-", _LONG, "aA1"),
    _key("OpenAI API key", "sk-…", b"sk-svcacct-", _LONG, "aA1"),
    _key("OpenAI API key", "sk-…", b"sk-admin-", _LONG, "aA1"),
    # Legacy OpenAI keys and OpenAI-compatible providers: letters and digits only.
    _key("OpenAI API key", "sk-…", b"sk-", rb"[A-Za-z0-9]{32,}", "a1"),
    _key("Google API key", "AIza…", b"AIza", rb"[A-Za-z0-9_\-]{35}", ""),
    _key("xAI API key", "xai-…", b"xai-", rb"[A-Za-z0-9]{32,}", "a1"),
    _Pattern(
        "bearer token",
        "Bearer …",
        b"earer ",
        re.compile(rb"earer ([A-Za-z0-9\-._~+/]{20,}=*)(?![A-Za-z0-9\-._~+/=])"),
        "a1",
        before=b"Bb",
        group=1,
    ),
)

# A PEM private key: its header and the start of its body; then, up to the first footer, the
# text a key may hold (escaped or real line breaks, base64, "Proc-Type: ..." lines), else the
# base64 and line breaks that follow. Searched in code, not by one regex with a lazy run to
# the footer: that rescans the rest of the text from every header that has no footer.
_PRIVATE_KIND, _PRIVATE_SHOWN = "private key", "-----BEGIN … PRIVATE KEY-----"
_PRIVATE_HEAD = re.compile(
    rb"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----(?:\\[rn]|\s)*[A-Za-z0-9+/=]{16}"
)
_PRIVATE_FOOT = re.compile(rb"-----END (?:[A-Z0-9]+ )*PRIVATE KEY-----")
_PEM_TEXT = re.compile(rb"(?:[A-Za-z0-9+/=\s:,\-]+|\\[rn])*")
_PEM_BASE64 = re.compile(rb"(?:[A-Za-z0-9+/=\r\n]+|\\[rn])*")

_CLASSES = {"a": re.compile(rb"[a-z]"), "A": re.compile(rb"[A-Z]"), "1": re.compile(rb"[0-9]")}


def _token_starts(data: bytes, start: int) -> bool:
    r"""Whether a token may start at ``start``: not inside a longer word (``task-``), but
    after a JSON escape such as ``\n`` (a key on a line of its own in a JSON string).
    """
    if not start or data[start - 1] not in _TOKEN_BYTES:
        return True
    return start >= 2 and data[start - 1] in b"nrt" and data[start - 2] == ord("\\")


def _follows(data: bytes, start: int, pattern: _Pattern) -> bool:
    """Whether the anchor at ``start`` stands where the pattern may begin: after one of
    ``before``, or (for a key) where a token starts.
    """
    if pattern.before:
        return start > 0 and data[start - 1] in pattern.before
    return _token_starts(data, start)


def _run_end(run: re.Pattern[bytes], data: bytes, start: int) -> int:
    match = run.match(data, start)
    return match.end() if match else start


def _private_keys(data: bytes) -> Iterator[tuple[int, int]]:
    """The spans of the PEM private keys in ``data``. Linear: a run of key text and the
    next footer are searched for once, however many headers share them.
    """
    text_from = text_end = -1  # the run of key text that starts at text_from
    foot_from, foot = -1, None  # the first footer at or after foot_from (None: there is none)
    position = 0
    while head := _PRIVATE_HEAD.search(data, position):
        body = head.end()
        if not text_from <= body < text_end:
            text_from, text_end = body, _run_end(_PEM_TEXT, data, body)
        if foot_from == -1 or (foot is not None and foot.start() < body):
            foot_from, foot = body, _PRIVATE_FOOT.search(data, body)
        if foot is not None and foot.start() <= text_end:
            end = foot.end()
        else:
            end = _run_end(_PEM_BASE64, data, body)
        yield head.start(), end
        position = end


@dataclass(frozen=True)
class Match:
    """A credential at ``start:end`` of the bytes searched; ``shown`` is what a message may
    print of it (its fixed prefix or the variable's name, never the secret part).
    """

    kind: str
    shown: str
    start: int
    end: int


def _generated(value: str) -> bool:
    """Whether a variable's value looks like a generated key, not a word or a placeholder
    (``placeholder``, ``changeme``, ``REDACTED``): long, no spaces, letters and digits.
    """
    return (
        len(value) >= _MIN_VALUE_LENGTH
        and not any(c.isspace() for c in value)
        and any(c.isalpha() for c in value)
        and any(c.isdigit() for c in value)
    )


def key_values(environ: Mapping[str, str] | None = None) -> list[tuple[str, bytes]]:
    """``(variable, value)`` for each key variable set in ``environ`` (default:
    ``os.environ``) to a value that looks like a generated key.
    """
    environ = os.environ if environ is None else environ
    names = [*KEY_VARIABLES]
    names += sorted(n for n in environ if n.endswith(_KEY_SUFFIXES) and n not in names)
    values = []
    for name in names:
        value = environ.get(name, "").strip()
        if _generated(value):
            values.append((name, value.encode("utf-8", "surrogateescape")))
    return values


def _whole_token(data: bytes, start: int, end: int) -> bool:
    """Whether ``data[start:end]`` is not part of a longer token at either end."""
    first, last = data[start], data[end - 1]
    return (first not in _TOKEN_BYTES or _token_starts(data, start)) and (
        last not in _TOKEN_BYTES or end == len(data) or data[end] not in _TOKEN_BYTES
    )


def _random_looking(token: bytes, classes: str) -> bool:
    return all(_CLASSES[name].search(token) for name in classes)


def find_credentials(data: bytes, keys: Sequence[tuple[str, bytes]] | None = None) -> list[Match]:
    """The credentials in ``data``, in order, none overlapping.

    ``keys`` are the variables whose values count (default: :func:`key_values`).
    """
    found: list[Match] = []
    openai = b"sk-" in data  # one search for the five patterns that start with it
    for pattern in _PATTERNS:
        if (not openai and pattern.anchor.startswith(b"sk-")) or pattern.anchor not in data:
            continue
        for hit in pattern.regex.finditer(data):
            secret = hit.group(pattern.group)
            if _follows(data, hit.start(), pattern) and _random_looking(secret, pattern.mix):
                found.append(Match(pattern.kind, pattern.shown, *hit.span(pattern.group)))
    if b"-----BEGIN " in data:
        found += [Match(_PRIVATE_KIND, _PRIVATE_SHOWN, *span) for span in _private_keys(data)]
    for name, value in key_values() if keys is None else keys:
        start = data.find(value)
        while start != -1:
            end = start + len(value)
            whole = _whole_token(data, start, end)
            if whole:
                found.append(Match(f"value of ${name}", f"${name}", start, end))
            start = data.find(value, end if whole else start + 1)
    found.sort(key=lambda match: (match.start, -match.end))
    kept: list[Match] = []
    for match in found:
        if not kept or match.start >= kept[-1].end:
            kept.append(match)
    return kept


def redact_credentials(data: bytes, matches: list[Match]) -> bytes:
    """``data`` with each of ``matches`` (from :func:`find_credentials`) replaced by
    ``REDACTED``; quotes and escapes around them stay, so JSON stays JSON.
    """
    pieces, position = [], 0
    for match in matches:
        pieces += [data[position : match.start], PLACEHOLDER]
        position = match.end
    pieces.append(data[position:])
    return b"".join(pieces)
