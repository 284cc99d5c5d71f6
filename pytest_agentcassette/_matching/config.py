"""What two requests must share to match: the key of a request, built from what
``match_on`` names.

A request's key holds the method, the URL (scheme and host in lower case, no default port,
no ``#fragment``, query parameters in sorted order), the body (JSON compared as data after
normalization; a multipart body without its random boundary) and, when asked, the headers
minus the volatile ones. User callables ``(live, recorded) -> bool`` choose among the
candidates of a key. ``sequential`` mode checks only method and URL, in recorded order.
"""

from __future__ import annotations

import fnmatch
import functools
import json
import re
from typing import Any, NamedTuple

from pytest_agentcassette._matching.normalize import BodyNormalizer, parse_pointer
from pytest_agentcassette._matching.urls import normalize_url
from pytest_agentcassette._model import NOT_JSON, Body, Matcher, RecordedRequest, json_value

__all__ = [
    "DEFAULT_IGNORED_HEADERS",
    "MATCHERS",
    "MatchConfig",
    "Matcher",
    "RequestKey",
]

MATCHERS = ("method", "url", "body", "headers")

DEFAULT_IGNORED_HEADERS = (
    "user-agent",
    "x-stainless-*",
    "x-request-id",
    "request-id",
    "idempotency-key",
    "x-goog-api-client",
    "traceparent",
    "tracestate",
    "content-length",
    "accept-encoding",
    "connection",
    "host",
    "date",
    "authorization",
    "proxy-authorization",
    "x-api-key",
    "x-goog-api-key",
    "api-key",
    "cookie",
)
"""Headers never compared, even with ``match_on=[..., "headers"]``: they change with the SDK
version, the machine, the attempt or the key (a replay in CI may send none), not with what
is asked."""

_MULTIPART = re.compile(rb"--([!-~]{1,70})\r\n")
_BOUNDARY_PARAMETER = re.compile(r"boundary=[^;\s]+")


class RequestKey(NamedTuple):
    """What two requests must share to match (empty where ``match_on`` leaves a part out)."""

    method: str
    url: str
    body: str | bytes
    headers: tuple[tuple[str, str], ...]


def _without_boundary(content: bytes) -> bytes:
    """A multipart body with its random boundary replaced, so equal uploads compare equal."""
    found = _MULTIPART.match(content)
    if found is None or not content.endswith(b"--" + found.group(1) + b"--\r\n"):
        return content
    return content.replace(found.group(1), b"BOUNDARY")


class MatchConfig(NamedTuple):
    """How requests are compared; see the module documentation."""

    match_on: tuple[str | Matcher, ...] = ("method", "url", "body")
    sequential: bool = False
    ignore_headers: tuple[str, ...] = ()
    normalizer: BodyNormalizer = BodyNormalizer()
    allow_playback_repeats: bool = False

    @classmethod
    def build(
        cls,
        *,
        match_on: tuple[str | Matcher, ...],
        allow_playback_repeats: bool,
        ignore_headers: tuple[str, ...],
        ignore_json_pointers: tuple[str, ...],
        normalize_text: tuple[tuple[str, str], ...],
        null_is_absent: bool = False,
    ) -> MatchConfig:
        """The configuration that the matching options (checked already) describe (the
        same options, the same configuration: it is immutable, and made once).
        """
        options = (
            match_on, allow_playback_repeats, ignore_headers, ignore_json_pointers,
            normalize_text, null_is_absent,
        )  # fmt: skip
        try:
            hash(options)
        except TypeError:  # a matcher of the user's that cannot be hashed
            return cls._made(options)
        return _made_once(options)

    @classmethod
    def _made(cls, options: tuple[Any, ...]) -> MatchConfig:
        """The configuration of ``options``, in :meth:`build`'s order."""
        (
            match_on,
            allow_playback_repeats,
            ignore_headers,
            pointers,
            normalize_text,
            null_is_absent,
        ) = options
        sequential = match_on == ("sequential",)
        normalizer = BodyNormalizer(
            tuple(parse_pointer(pointer) for pointer in pointers),
            tuple((re.compile(pattern), replacement) for pattern, replacement in normalize_text),
            null_is_absent,
        )
        return cls(
            match_on=() if sequential else match_on,
            sequential=sequential,
            ignore_headers=ignore_headers,
            normalizer=normalizer,
            allow_playback_repeats=allow_playback_repeats,
        )

    @property
    def callables(self) -> tuple[Matcher, ...]:
        """The user's ``(live, recorded) -> bool`` matchers."""
        return tuple(m for m in self.match_on if callable(m))

    def compares_header(self, name: str) -> bool:
        """Whether header ``name`` can take part in matching: ``headers`` is compared and
        does not leave it out, or a matcher of the user's may read any header.
        """
        if self.callables:
            return True
        return "headers" in self.match_on and not self.sequential and not self._ignored(name)

    def _ignored(self, name: str) -> bool:
        name = name.lower()
        return any(
            fnmatch.fnmatchcase(name, p.lower())
            for p in (*DEFAULT_IGNORED_HEADERS, *self.ignore_headers)
        )

    def compared_body(self, body: Body) -> str | bytes:
        """The body as it is compared: normalized JSON text, else (normalized) bytes."""
        value = json_value(body)
        if value is not NOT_JSON:
            normalized = self.normalizer.json(value)
            return json.dumps(normalized, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        content = body.content
        if content.startswith(b"--"):
            content = _without_boundary(content)
        if self.normalizer.normalize_text:
            try:
                return self.normalizer.text(content.decode("utf-8")).encode("utf-8")
            except UnicodeDecodeError:
                return content
        return content

    @property
    def compares_body(self) -> bool:
        """Whether bodies take part in matching."""
        return "body" in self.match_on and not self.sequential

    def key(self, request: RecordedRequest, *, body: bool = True) -> RequestKey:
        """The request's key (``body=False``: without the body, for grouping)."""
        on = self.match_on
        compared: str | bytes = b""
        if body and self.compares_body:
            compared = self.compared_body(request.body)
        headers: tuple[tuple[str, str], ...] = ()
        if "headers" in on and not self.sequential:
            headers = tuple(
                sorted(
                    (k.lower(), _BOUNDARY_PARAMETER.sub("boundary=BOUNDARY", v))
                    for k, v in request.headers
                    if not self._ignored(k)
                )
            )
        return RequestKey(
            request.method.upper() if "method" in on or self.sequential else "",
            normalize_url(request.url) if "url" in on or self.sequential else "",
            compared,
            headers,
        )


@functools.lru_cache(maxsize=64)
def _made_once(options: tuple[Any, ...]) -> MatchConfig:
    return MatchConfig._made(options)
