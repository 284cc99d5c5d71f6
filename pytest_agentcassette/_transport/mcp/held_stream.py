"""Event streams a replay releases in step with the code: the ``GET`` stream an MCP client
keeps open for its server, which a server only ends with the session (a replay that ended
it after the recorded events would have the client reconnect), and over which MCP's older
SSE transport sends the answers to the client's requests (each must wait until the request
it answers has been replayed, and carry the id the client chose); and any MCP stream in
which the server asks the code something (elicitation, sampling): what follows waits for
the code's answer, as the recorded server waited for it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any
from urllib.parse import urljoin

import anyio

from pytest_agentcassette._model import RecordedRequest, RecordedResponse, may_be_jsonrpc
from pytest_agentcassette._sse import event_sizes, events
from pytest_agentcassette._transport.mcp.jsonrpc import answer_id, parsed, question_id, reanswered
from pytest_agentcassette._transport.replay import ReplayStream

__all__ = ["Answered", "GatedStream", "gated", "held_open"]

Answered = Callable[[str, Any], tuple[Any] | None]
"""``answered(url, id)``: ``(live id,)`` once the request with recorded ``id`` to ``url``
has been replayed, else ``None``."""

_POLL_SECONDS = 0.002


def gated(request: RecordedRequest, response: RecordedResponse) -> bool:
    """Whether an event stream holds a request of the server's own (what follows it must
    wait for the code's answer in replay). Only MCP's streams can: the answer to a
    JSON-RPC message, or a ``GET`` stream.
    """
    if request.method != "GET" and not may_be_jsonrpc(request.body):
        return False
    content = response.body.content
    if b'"method"' not in content or not content.lstrip().startswith((b"event:", b"data:")):
        return False
    return any(question_id(parsed(event.data)) is not None for event in events(content))


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


class _Event:
    """One recorded event, and what it waits for before it may be released."""

    def __init__(self, block: bytes, url: str):
        found = list(events(block))
        event = found[0] if len(found) == 1 else None
        message = parsed(event.data) if event is not None else None
        self.block = block
        self.endpoint = (
            urljoin(url, event.data.strip()) if event and event.name == "endpoint" else None
        )
        self.answers = answer_id(message)
        self.asks = question_id(message)
        self.released = False


class GatedStream(ReplayStream):
    """The recorded events of ``url``'s stream, each released when what it waited for when
    recorded has happened in replay: an answer once the request it answers was replayed
    (``answered``), and whatever followed a request of the server's own once the code has
    answered it (``code_answered``); an event that must wait does not hold back the others.
    With ``hold_open``, the stream then stays open until the client closes it. A sync
    client reads the events and the end, as recorded.
    """

    def __init__(
        self,
        content: bytes,
        url: str,
        answered: Answered,
        code_answered: Answered,
        *,
        hold_open: bool,
    ):
        super().__init__(_blocks(content))
        self._url = url
        self._answered = answered
        self._code_answered = code_answered
        self._hold_open = hold_open

    def __iter__(self) -> Iterator[bytes]:
        yield from self._chunks

    async def __aiter__(self) -> AsyncIterator[bytes]:
        pending = [_Event(block, self._url) for block in self._chunks]
        endpoint = self._url  # where requests go: this URL, or what an endpoint event says
        asked: list[_Event] = []  # the server's questions released so far
        while pending:
            ready = self._ready(asked + pending, endpoint)
            if ready is None:
                await anyio.sleep(_POLL_SECONDS)
                continue
            event = pending.pop(ready - len(asked))
            endpoint = event.endpoint or endpoint
            if event.asks is not None:
                event.released = True
                asked.append(event)
            yield self._released(event, endpoint)
        if self._hold_open:
            await anyio.sleep_forever()  # the client's task is cancelled when it closes

    def _ready(self, events: list[_Event], endpoint: str) -> int | None:
        """The position in ``events`` (the questions released already, then the events
        still to release, in recorded order) of the first event that may go now, if any.
        """
        for position, event in enumerate(events):
            if event.released:
                if self._code_answered(endpoint, event.asks[0] if event.asks else None) is None:
                    return None  # what follows a question waits for its answer
                continue
            waiting = [
                e
                for e in events[:position]
                if e.asks is not None and self._code_answered(endpoint, e.asks[0]) is None
            ]
            if waiting:
                return None
            if event.answers is None or self._answered(endpoint, event.answers[0]) is not None:
                return position
        return None

    def _released(self, event: _Event, endpoint: str) -> bytes:
        if event.answers is None:
            return event.block
        live = self._answered(endpoint, event.answers[0])
        return event.block if live is None else reanswered(event.block, event.answers[0], live[0])
