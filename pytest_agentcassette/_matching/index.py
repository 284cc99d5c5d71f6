"""Which recorded interaction answers a live request.

Recorded interactions are indexed by key (:class:`~pytest_agentcassette._matching.config.
RequestKey`), so a lookup costs the same for ten interactions or thousands; a live body that
is byte for byte a recorded one skips normalization altogether. Each interaction plays once
(unless ``allow_playback_repeats``; an MCP listing, such as ``tools/list``, may answer
again), equal candidates in recorded order.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from typing import TypeVar

from pytest_agentcassette._located import LocatedError
from pytest_agentcassette._matching.config import MatchConfig, RequestKey
from pytest_agentcassette._model import Interaction, RecordedRequest, json_value, may_be_jsonrpc

__all__ = ["MatchIndex"]

_T = TypeVar("_T")

_LISTINGS = frozenset(
    {"tools/list", "prompts/list", "resources/list", "resources/templates/list", "ping"}
)
"""JSON-RPC (MCP) requests that ask without changing anything: a client sends them as its
own timing makes it (the SDK lists the tools again when a call comes in before the list),
so the recorded answer may answer them again."""


def _listing(request: RecordedRequest) -> bool:
    if not may_be_jsonrpc(request.body):
        return False
    value = json_value(request.body)
    return isinstance(value, dict) and value.get("method") in _LISTINGS


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
        """``compute(request)``; a recorded request that cannot be compared (its body or URL
        does not decode) raises :class:`LocatedError` at its place in the file.
        """
        request_at = ("interactions", interaction.id, "request")
        try:
            return compute(interaction.request)
        except LocatedError as error:
            raise error.rooted_at(*request_at, "body") from None
        except (TypeError, ValueError, RecursionError) as error:
            part = "url" if isinstance(error, ValueError) and "URL" in str(error) else "body"
            raise LocatedError(str(error), (*request_at, part), rooted=True) from None

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
        if chosen is None and (self.config.allow_playback_repeats or _listing(request)):
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
