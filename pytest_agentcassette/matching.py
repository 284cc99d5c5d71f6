"""Which recorded interaction answers a live request.

A request's key holds what ``match_on`` names: the method, the URL (scheme and host in lower
case, no default port, no ``#fragment``, query parameters in sorted order), the body (JSON
compared as data after :mod:`.normalize`; a multipart body without its random boundary) and,
when asked, the headers minus the volatile ones. Recorded interactions are indexed by key,
so a lookup costs the same for ten interactions or thousands; a live body that is byte for
byte a recorded one skips normalization altogether. Each interaction plays once (unless
``allow_playback_repeats``), equal candidates in recorded order, and user callables
``(live, recorded) -> bool`` choose among the candidates of a key.

``sequential`` mode replays in recorded order, checking only method and URL: for cassettes
recorded by another runtime (cagent), whose request bodies differ from this one's.
"""

from __future__ import annotations

import fnmatch
import functools
import json
import re
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import NamedTuple, TypeVar
from urllib.parse import urlsplit, urlunsplit

from .bodies import NOT_JSON, Body, BodyFormatError
from .model import Interaction, RecordedRequest
from .normalize import BodyNormalizer

__all__ = [
    "DEFAULT_IGNORED_HEADERS",
    "MATCHERS",
    "MatchConfig",
    "MatchIndex",
    "Matcher",
    "RequestKey",
    "UnusableInteraction",
    "normalize_url",
]

Matcher = Callable[[RecordedRequest, RecordedRequest], bool]
_T = TypeVar("_T")
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

_DEFAULT_PORTS = {"http": 80, "https": 443}
_MULTIPART = re.compile(rb"--([!-~]{1,70})\r\n")
_BOUNDARY_PARAMETER = re.compile(r"boundary=[^;\s]+")


class RequestKey(NamedTuple):
    """What two requests must share to match (empty where ``match_on`` leaves a part out)."""

    method: str
    url: str
    body: str | bytes
    headers: tuple[tuple[str, str], ...]


@functools.lru_cache(maxsize=1024)  # a session sends the same few URLs again and again
def normalize_url(url: str) -> str:
    """Lower-case scheme and host, no default port, no ``#fragment``, sorted query."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    port = parts.port
    netloc = host if port in (None, _DEFAULT_PORTS.get(scheme)) else f"{host}:{port}"
    if parts.username is not None:
        userinfo = parts.username + (f":{parts.password}" if parts.password is not None else "")
        netloc = f"{userinfo}@{netloc}"
    query = "&".join(sorted(parts.query.split("&"))) if parts.query else ""
    return urlunsplit((scheme, netloc, parts.path or "/", query, ""))


def _without_boundary(content: bytes) -> bytes:
    """A multipart body with its random boundary replaced, so equal uploads compare equal."""
    found = _MULTIPART.match(content)
    if found is None or not content.endswith(b"--" + found.group(1) + b"--\r\n"):
        return content
    return content.replace(found.group(1), b"BOUNDARY")


@dataclass(frozen=True)
class MatchConfig:
    """How requests are compared; see the module documentation."""

    match_on: tuple[str | Matcher, ...] = ("method", "url", "body")
    sequential: bool = False
    ignore_headers: tuple[str, ...] = ()
    normalizer: BodyNormalizer = field(default_factory=BodyNormalizer)
    allow_playback_repeats: bool = False

    @property
    def callables(self) -> tuple[Matcher, ...]:
        """The user's ``(live, recorded) -> bool`` matchers."""
        return tuple(m for m in self.match_on if callable(m))

    def _ignored(self, name: str) -> bool:
        name = name.lower()
        return any(
            fnmatch.fnmatchcase(name, p.lower())
            for p in (*DEFAULT_IGNORED_HEADERS, *self.ignore_headers)
        )

    def compared_body(self, body: Body) -> str | bytes:
        """The body as it is compared: normalized JSON text, else (normalized) bytes."""
        value = body.json()
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


class UnusableInteraction(ValueError):
    """A recorded request that cannot be matched (its body or URL does not decode)."""

    def __init__(self, message: str, index: int, where: tuple[str | int, ...]):
        super().__init__(message)
        self.index = index
        self.where = where


class MatchIndex:
    """Recorded interactions by key, each handed out once, in recorded order.

    Building the index reads only methods, URLs (and headers, when compared): bodies are
    decoded when a request needs them. A live request is first compared byte for byte with
    the first unplayed interaction of its method and URL, which is the one a replay in
    recorded order wants; only when that fails are the bodies normalized (all of them,
    once), so that requests in another order, with other IDs or with ignored fields still
    find their match.
    """

    def __init__(self, interactions: Iterable[Interaction], config: MatchConfig):
        self.config = config
        self.interactions = list(interactions)
        self.played: list[bool] = [False] * len(self.interactions)
        self._next = 0  # sequential mode
        self._groups: dict[RequestKey, list[int]] = {}
        self._keys: list[RequestKey] | None = None
        self._unplayed: dict[RequestKey, deque[int]] | None = None
        self._by_key: dict[RequestKey, list[int]] = {}
        for position, interaction in enumerate(self.interactions):
            group = self._guarded(interaction, lambda r: self.config.key(r, body=False))
            self._groups.setdefault(group, []).append(position)
        self._first: dict[RequestKey, int] = dict.fromkeys(self._groups, 0)

    def _guarded(self, interaction: Interaction, compute: Callable[[RecordedRequest], _T]) -> _T:
        try:
            return compute(interaction.request)
        except BodyFormatError as error:
            at_fault = error.interaction if error.interaction is not None else interaction.id
            raise UnusableInteraction(str(error), at_fault, ("body", *error.where)) from None
        except (TypeError, ValueError, RecursionError) as error:
            where = ("url",) if isinstance(error, ValueError) and "URL" in str(error) else ("body",)
            raise UnusableInteraction(str(error), interaction.id, where) from None

    @property
    def keys(self) -> list[RequestKey]:
        """Every recorded request's key, in recorded order (normalizes every body once)."""
        if self._keys is None:
            self._keys = [self._guarded(i, self.config.key) for i in self.interactions]
            self._unplayed = {}
            for position, key in enumerate(self._keys):
                self._by_key.setdefault(key, []).append(position)
                if not self.played[position]:
                    self._unplayed.setdefault(key, deque()).append(position)
        return self._keys

    def live_key(self, request: RecordedRequest) -> RequestKey:
        """The key of a live request, as recorded keys are computed."""
        return self.config.key(request)

    def take(self, request: RecordedRequest) -> Interaction | None:
        """The interaction that answers ``request`` (now marked played), or ``None``."""
        if self.config.sequential:
            return self._take_next(request)
        chosen = self._first_unplayed_if_same(request)
        if chosen is None:
            chosen = self._take_by_key(request)
        if chosen is None:
            return None
        self._play(chosen)
        return self.interactions[chosen]

    def _first_unplayed_if_same(self, request: RecordedRequest) -> int | None:
        """The group's first unplayed interaction, if its body is byte for byte the live one
        (and the ``match_on`` callables accept it).
        """
        group_key = self.config.key(request, body=False)
        group = self._groups.get(group_key)
        if not group:
            return None
        first = self._first[group_key]
        while first < len(group) and self.played[group[first]]:
            first += 1
        self._first[group_key] = first
        if first == len(group):
            return None
        position = group[first]
        if self.config.compares_body:
            recorded = self._guarded(self.interactions[position], lambda r: r.body.content)
            if recorded != request.body.content:
                return None
        return self._choose(request, [position])

    def _take_by_key(self, request: RecordedRequest) -> int | None:
        if self._keys is None:
            self.keys  # noqa: B018 - builds the normalized index on first need
        key = self.config.key(request)
        queue = (self._unplayed or {}).get(key)
        chosen = self._choose(request, queue) if queue else None
        if chosen is None and self.config.allow_playback_repeats:
            chosen = self._choose(request, reversed(self._by_key.get(key, ())))
        return chosen

    def _play(self, position: int) -> None:
        self.played[position] = True
        if self._unplayed is not None and self._keys is not None:
            queue = self._unplayed.get(self._keys[position])
            if queue and position in queue:
                if queue[0] == position:
                    queue.popleft()
                else:
                    queue.remove(position)

    def _choose(self, request: RecordedRequest, positions: Iterable[int]) -> int | None:
        """The first position whose recorded request the ``match_on`` callables accept."""
        checks = self.config.callables
        for position in positions:
            if not checks:
                return position
            recorded = self.interactions[position].request
            if all(check(request, recorded) for check in checks):
                return position
        return None

    def _take_next(self, request: RecordedRequest) -> Interaction | None:
        if self._next >= len(self.interactions):
            return None
        expected = self.interactions[self._next].request
        if self.config.key(expected, body=False) != self.config.key(request, body=False):
            return None
        self.played[self._next] = True
        self._next += 1
        return self.interactions[self._next - 1]

    @property
    def next_position(self) -> int:
        """In sequential mode, the position of the interaction expected next."""
        return self._next

    def unplayed(self) -> list[Interaction]:
        """Recorded interactions that no request has taken."""
        return [i for i, played in zip(self.interactions, self.played, strict=True) if not played]
