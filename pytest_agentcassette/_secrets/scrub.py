"""Credentials never reach a cassette: header values, query parameters and URL passwords
are replaced by a placeholder before anything is stored.

The same URL redaction runs on each live request before matching, so a cassette recorded
with ``?key=sk-live`` still matches a replayed ``?key=anything``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from urllib.parse import unquote_plus

from pytest_agentcassette._model import Headers

__all__ = [
    "DEFAULT_REDACTED_HEADERS",
    "DEFAULT_REDACTED_QUERY_PARAMETERS",
    "PLACEHOLDER",
    "lowercase_set",
    "redact_headers",
    "redact_url",
]

PLACEHOLDER = "REDACTED"

DEFAULT_REDACTED_HEADERS = (
    "authorization",
    "proxy-authorization",
    "x-api-key",
    "x-goog-api-key",
    "api-key",
    "cookie",
    "set-cookie",
)
"""Request and response headers whose values are replaced (names compared case-insensitively)."""

DEFAULT_REDACTED_QUERY_PARAMETERS = (
    "key",
    "api_key",
    "apikey",
    "api-key",
    "access_token",
    "token",
    "client_secret",
)
"""Query parameters whose values are replaced (Gemini's ``?key=``, OAuth tokens...)."""

_USERINFO = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*://[^/@?#:]*):[^/@?#]*@")


def redact_headers(headers: Headers, names: frozenset[str]) -> Headers:
    """A copy of ``headers`` with the value of every header in ``names`` replaced."""
    return [(key, PLACEHOLDER if key.lower() in names else value) for key, value in headers]


def redact_url(url: str, parameters: frozenset[str]) -> str:
    """``url`` with the listed query parameters' values and any password replaced.

    Everything else keeps its exact spelling (encoding, order, repeated parameters).
    """
    if "?" not in url and "@" not in url:
        return url
    url = _USERINFO.sub(rf"\1:{PLACEHOLDER}@", url)
    head, question, rest = url.partition("?")
    if not question:
        return url
    query, hash_sign, fragment = rest.partition("#")
    pieces = []
    for piece in query.split("&"):
        name = piece.partition("=")[0]
        if unquote_plus(name).lower() in parameters:
            piece = f"{name}={PLACEHOLDER}"
        pieces.append(piece)
    return f"{head}?{'&'.join(pieces)}{hash_sign}{fragment}"


def lowercase_set(*groups: Iterable[str]) -> frozenset[str]:
    """Merge name lists into one case-insensitive set (made once for the same tuples)."""
    if all(type(group) is tuple for group in groups):
        return _lowercase_set_of_tuples(*groups)  # type: ignore[arg-type]
    return _lowercase_set(groups)


@functools.lru_cache(maxsize=64)
def _lowercase_set_of_tuples(*groups: tuple[str, ...]) -> frozenset[str]:
    return _lowercase_set(groups)


def _lowercase_set(groups: Iterable[Iterable[str]]) -> frozenset[str]:
    return frozenset(name.strip().lower() for group in groups for name in group if name.strip())
