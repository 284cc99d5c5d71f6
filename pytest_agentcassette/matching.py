"""Which recorded interaction answers a live request.

A request's key is its method, its normalized URL and its body, with JSON bodies compared as
data (key order and whitespace ignored). Recorded interactions are indexed by key, so a
lookup costs the same whether the cassette holds ten interactions or thousands. Each
interaction plays at most once; equal candidates play in recorded order.
"""

from __future__ import annotations

import json
import re
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from .bodies import NOT_JSON, Body, BodyFormatError
from .model import Interaction

__all__ = [
    "MatchIndex",
    "Nearest",
    "RequestKey",
    "UnusableInteraction",
    "canonical_body",
    "normalize_url",
    "request_key",
]

_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class RequestKey:
    """What two requests must share to match."""

    method: str
    url: str
    body: str | bytes


def normalize_url(url: str) -> str:
    """Lower-case scheme and host, drop a default port and any ``#fragment``."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = host if port in (None, _DEFAULT_PORTS.get(scheme)) else f"{host}:{port}"
    if parts.username is not None:
        userinfo = parts.username + (f":{parts.password}" if parts.password is not None else "")
        netloc = f"{userinfo}@{netloc}"
    return urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))


_MULTIPART = re.compile(rb"--([!-~]{1,70})\r\n")


def _without_boundary(content: bytes) -> bytes:
    """A multipart body with its random boundary replaced, so equal uploads compare equal."""
    found = _MULTIPART.match(content)
    if found is None or not content.endswith(b"--" + found.group(1) + b"--\r\n"):
        return content
    return content.replace(found.group(1), b"BOUNDARY")


def canonical_body(value: Any, content: bytes) -> str | bytes:
    """JSON as sorted, compact text; a multipart body without its boundary; else bytes."""
    if value is NOT_JSON:
        return _without_boundary(content) if content.startswith(b"--") else content
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def request_key(method: str, url: str, body: Body) -> RequestKey:
    """The key of a request whose URL has already been redacted."""
    value = body.json()
    content = body.content if value is NOT_JSON else b""
    return RequestKey(method.upper(), normalize_url(url), canonical_body(value, content))


class UnusableInteraction(ValueError):
    """A recorded request that cannot be matched (its body or URL does not decode)."""

    def __init__(self, message: str, index: int, where: tuple[str | int, ...]):
        super().__init__(message)
        self.index = index
        self.where = where


def _key_of(interaction: Interaction) -> RequestKey:
    request = interaction.request
    try:
        return request_key(request.method, request.url, request.body)
    except BodyFormatError as error:
        raise UnusableInteraction(str(error), interaction.id, ("body", *error.where)) from None
    except (TypeError, ValueError, RecursionError) as error:
        where = ("url",) if isinstance(error, ValueError) and "URL" in str(error) else ("body",)
        raise UnusableInteraction(str(error), interaction.id, where) from None


@dataclass(frozen=True)
class Nearest:
    """The recorded interaction closest to a request that matched nothing, and why."""

    interaction: Interaction
    reason: str


class MatchIndex:
    """Recorded interactions by key, each handed out once, in recorded order."""

    def __init__(self, interactions: Iterable[Interaction]):
        self._interactions = list(interactions)
        self._keys: list[RequestKey] = []
        self._unplayed: dict[RequestKey, deque[Interaction]] = {}
        for interaction in self._interactions:
            key = _key_of(interaction)
            self._keys.append(key)
            self._unplayed.setdefault(key, deque()).append(interaction)
        self._played: set[int] = set()

    def take(self, key: RequestKey) -> Interaction | None:
        """The first unplayed interaction with this key, now marked as played."""
        queue = self._unplayed.get(key)
        if not queue:
            return None
        interaction = queue.popleft()
        self._played.add(interaction.id)
        return interaction

    def nearest(self, key: RequestKey) -> Nearest | None:
        """The closest recorded interaction to explain a miss, or ``None`` if empty."""
        candidates = list(zip(self._keys, self._interactions, strict=True))
        for recorded, interaction in candidates:
            if recorded == key:
                return Nearest(
                    interaction,
                    "it matches, but was already played (each recorded interaction "
                    "replays once; the code now sends this request more often than "
                    "when it was recorded)",
                )
        same_target = [
            (recorded, interaction)
            for recorded, interaction in candidates
            if recorded.method == key.method and recorded.url == key.url
        ]
        unplayed = [pair for pair in same_target if pair[1].id not in self._played]
        if unplayed or same_target:
            interaction = (unplayed or same_target)[0][1]
            return Nearest(interaction, "same method and URL, but the body differs")
        for recorded, interaction in candidates:
            if recorded.url == key.url:
                return Nearest(interaction, f"same URL, but the method is {recorded.method}")
        for recorded, interaction in candidates:
            if (
                recorded.method == key.method
                and urlsplit(recorded.url).path == urlsplit(key.url).path
            ):
                return Nearest(interaction, "same path, but the host or query differs")
        return None
