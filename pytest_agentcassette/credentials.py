"""Credentials in text: provider API keys, bearer tokens, private keys, and the values of
the key variables set in this process.

Used before a cassette is written (:mod:`.secrets_guard`) and by
``python -m pytest_agentcassette scan`` (:mod:`.scan`). The patterns are tight on purpose:
a key prefix, then a long run of token characters that mixes letters and digits as
generated keys do and words do not; ``sk-`` inside ``task-`` or ``risk-`` is not a key.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

__all__ = ["KEY_VARIABLES", "Match", "find_credentials", "key_values", "redact_credentials"]

PLACEHOLDER = b"REDACTED"

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
_MIN_VALUE_LENGTH = 8  # shorter values ("test", "K") would match ordinary text

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
    bounded: bool = True  # a key: not when the anchor ends a longer word (``task-``)


def _key(kind: str, shown: str, anchor: bytes, rest: bytes, mix: str) -> _Pattern:
    return _Pattern(kind, shown, anchor, re.compile(re.escape(anchor) + rest + _AFTER), mix)


_LONG = rb"[A-Za-z0-9_\-]{32,}"
_PATTERNS = (
    _key("Anthropic API key", "sk-ant-…", b"sk-ant-", _LONG, "aA1"),
    _key("OpenAI project key", "sk-proj-…", b"sk-proj-", _LONG, "aA1"),
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
    _Pattern(
        "private key",
        "-----BEGIN … PRIVATE KEY-----",
        b"-----BEGIN ",
        re.compile(
            rb"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----(?:\\[rn]|\s)*[A-Za-z0-9+/=]{16,}"
            rb"(?:(?:\\[rn]|[A-Za-z0-9+/=\s:,\-])*?-----END (?:[A-Z0-9]+ )*PRIVATE KEY-----"
            rb"|(?:\\[rn]|[A-Za-z0-9+/=\r\n])*)"
        ),
        bounded=False,
    ),
)
_CLASSES = {"a": re.compile(rb"[a-z]"), "A": re.compile(rb"[A-Z]"), "1": re.compile(rb"[0-9]")}


def _follows(data: bytes, start: int, pattern: _Pattern) -> bool:
    """Whether the anchor at ``start`` stands where the pattern may begin: after one of
    ``before``, or (for a key) not inside a longer word such as ``task-``.
    """
    previous = data[start - 1] if start else None
    if pattern.before:
        return previous is not None and previous in pattern.before
    return not pattern.bounded or previous is None or previous not in _TOKEN_BYTES


@dataclass(frozen=True)
class Match:
    """A credential at ``start:end`` of the bytes searched; ``shown`` is what a message may
    print of it (its fixed prefix or the variable's name, never the secret part).
    """

    kind: str
    shown: str
    start: int
    end: int


def key_values(environ: Mapping[str, str] | None = None) -> list[tuple[str, bytes]]:
    """``(variable, value)`` for each key variable set in ``environ`` (default:
    ``os.environ``) to a value long enough to look for.
    """
    environ = os.environ if environ is None else environ
    names = [*KEY_VARIABLES]
    names += sorted(n for n in environ if n.endswith(_KEY_SUFFIXES) and n not in names)
    values = []
    for name in names:
        value = environ.get(name, "").strip()
        if len(value) >= _MIN_VALUE_LENGTH and value != "REDACTED":
            values.append((name, value.encode("utf-8", "surrogateescape")))
    return values


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
    for name, value in key_values() if keys is None else keys:
        start = data.find(value)
        while start != -1:
            found.append(Match(f"value of ${name}", f"${name}", start, start + len(value)))
            start = data.find(value, start + len(value))
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
