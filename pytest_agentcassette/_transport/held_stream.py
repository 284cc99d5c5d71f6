"""Event streams that a replay holds open: the ``GET`` stream an MCP client keeps open for
its server. A server only ends it with the session, so a replay that ended it after the
recorded events would have the client reconnect; and over MCP's older SSE transport the
answers to the client's requests come on that stream, so each must wait until the
request it answers has been replayed, and carry the id the client chose.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any
from urllib.parse import urljoin

import anyio

from pytest_agentcassette._model import RecordedRequest, RecordedResponse
from pytest_agentcassette._sse import event_sizes, events
from pytest_agentcassette._transport.jsonrpc import reanswered
from pytest_agentcassette._transport.replay import ReplayStream

__all__ = ["Answered", "HeldStream", "held_open"]

Answered = Callable[[str, Any], tuple[Any] | None]
"""``answered(url, id)``: ``(live id,)`` once the request with recorded ``id`` to ``url``
has been replayed, else ``None``."""

_POLL_SECONDS = 0.002


def held_open(request: RecordedRequest, response: RecordedResponse) -> bool:
    """Whether a replay holds the response's stream open after its events: an event stream
    the client closed while the server held it open, and the ``GET`` stream of an MCP
    session (which the server ends with the session only).
    """
    if request.method != "GET" or response.status_code != 200:
        return False
    if "text/event-stream" not in (response.header("content-type") or ""):
        return False
    return not response.complete or request.header("mcp-session-id") is not None


def _blocks(content: bytes) -> list[bytes]:
    sizes = event_sizes(content)
    if sizes is None:
        return [content] if content else []
    blocks, offset = [], 0
    for size in sizes:
        blocks.append(content[offset : offset + size])
        offset += size
    return blocks


def _answer_id(data: str) -> tuple[Any] | None:
    try:
        message = json.loads(data)
    except ValueError:
        return None
    if not isinstance(message, dict) or "method" in message or "id" not in message:
        return None
    return (message["id"],) if "result" in message or "error" in message else None


class HeldStream(ReplayStream):
    """The recorded events of ``url``'s stream, each answer released once the request it
    answers was replayed (``answered``), then held open until the client closes it. A
    sync client reads the events and the end, as recorded.
    """

    def __init__(self, content: bytes, url: str, answered: Answered):
        super().__init__(_blocks(content))
        self._url = url
        self._answered = answered

    def __iter__(self) -> Iterator[bytes]:
        yield from self._chunks

    async def __aiter__(self) -> AsyncIterator[bytes]:
        endpoint = self._url  # where requests go: this URL, or what an endpoint event says
        for block in self._chunks:
            found = list(events(block))
            event = found[0] if len(found) == 1 else None
            if event is not None and event.name == "endpoint":
                endpoint = urljoin(self._url, event.data.strip())
            elif event is not None and (recorded := _answer_id(event.data)) is not None:
                while (live := self._answered(endpoint, recorded[0])) is None:
                    await anyio.sleep(_POLL_SECONDS)
                block = reanswered(block, recorded[0], live[0])
            yield block
        await anyio.sleep_forever()  # the client's task is cancelled when it closes
