"""An agent's models as one provider: an alloy picks one of them for each call, and a
``fallback`` chain tries the next model when one fails, with cagent's rules: 5xx, 408 and 529
answers are retried on the same model with backoff (0.2 s doubling, at most 2 s, ±10 %),
429 and other 4xx move to the next model at once, and a fallback that answered after the
primary was refused is kept for ``cooldown`` seconds.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import httpx

from agentcore.config.model import FallbackConfig
from agentcore.errors import ProviderError
from agentcore.messages import Message, ToolDefinition
from agentcore.providers.base import ModelTurn, Provider, Sleep, TextDelta

__all__ = ["Cooldowns", "ModelChoice"]

_RETRYABLE = (0, 408, 500, 502, 503, 504, 529)

Cooldowns = dict[str, tuple[int, float]]
"""Per agent: the fallback kept (its index in the chain) and until when (monotonic time)."""


class ModelChoice(Provider):
    """``primaries`` (an alloy when more than one, chosen with ``rng``), then ``fallbacks``."""

    def __init__(
        self,
        agent: str,
        primaries: Sequence[Provider],
        fallbacks: Sequence[Provider],
        fallback: FallbackConfig | None,
        *,
        rng: random.Random,
        sleep: Sleep,
        cooldowns: Cooldowns,
        now: Callable[[], float] = time.monotonic,
    ):
        first = primaries[0]
        super().__init__(
            first.model,
            base_url=first.base_url,
            key="",
            missing_key=None,
            http=first.http,
            name=first.name,
        )
        self.agent, self.primaries, self.fallbacks = agent, list(primaries), list(fallbacks)
        self.config = fallback
        self.rng, self.sleep, self.cooldowns, self.now = rng, sleep, cooldowns, now

    def request(
        self, messages: list[Message], tools: list[ToolDefinition]
    ) -> tuple[str, dict[str, Any], dict[str, str]]:
        """The request of the first primary (the chain sends through each provider)."""
        return self.primaries[0].request(messages, tools)

    def read(self, response: httpx.Response) -> Iterator[TextDelta | ModelTurn]:
        """Read with the first primary's format."""
        return self.primaries[0].read(response)

    def _chain(self) -> tuple[list[Provider], int]:
        primary = self.primaries[0]
        if len(self.primaries) > 1:
            primary = self.primaries[self.rng.randrange(len(self.primaries))]
        chain = [primary, *self.fallbacks]
        kept = self.cooldowns.get(self.agent)
        if kept is not None and self.now() >= kept[1]:
            del self.cooldowns[self.agent]
            kept = None
        start = kept[0] if kept is not None and kept[0] < len(chain) else 0
        return chain, start

    def stream(
        self, messages: list[Message], tools: list[ToolDefinition], *, agent: str | None = None
    ) -> Iterator[TextDelta | ModelTurn]:
        """Call the chosen model, and the fallbacks by cagent's rules, until one answers."""
        chain, start = self._chain()
        if not self.fallbacks:
            self.model = chain[0].model
            yield from chain[0].stream(messages, tools, agent=agent)
            return
        retries = self.config.retries if self.config else 0
        attempts = 1 + (2 if retries == 0 else max(0, retries))
        refused = False
        last: ProviderError | None = None
        for index in range(start, len(chain)):
            for attempt in range(attempts):
                if attempt:
                    delay = min(2.0, 0.2 * 2.0 ** (attempt - 1))
                    self.sleep(delay * (1 + 0.1 * (2 * self.rng.random() - 1)))
                try:
                    items = list(chain[index].stream(messages, tools, agent=agent))
                except ProviderError as error:
                    last = error
                    if error.status in _RETRYABLE:
                        continue
                    refused = refused or index == 0
                    break
                self.model = chain[index].model
                self._after_success(index, refused)
                yield from items
                return
        assert last is not None
        raise last

    def _after_success(self, index: int, refused: bool) -> None:
        if index == 0:
            self.cooldowns.pop(self.agent, None)
        elif refused:
            cooldown = (self.config.cooldown if self.config else 0.0) or 60.0
            self.cooldowns[self.agent] = (index, self.now() + cooldown)
