"""WebSocket connections of the ``websockets`` library's asyncio client (the OpenAI SDK's
Realtime client and google-genai's Live API use it), recorded and replayed.

Its ``connect`` opens the network connection in one method, ``open_tcp_connection``, and
then runs the opening handshake over it: that method is patched (on the class, so every
import of ``connect`` is covered). The cassette of the task answers the connection's URL:

- a recorded connection to replay: the client gets a real connection object over a
  :class:`~.websocket_peer.ReplayedServer` instead of a socket;
- one to record: the real connection is opened and tapped
  (:class:`~.websocket_tape.WebSocketTape`);
- no match in a replay: the cassette's mismatch error, raised where ``connect`` is awaited.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any, Protocol, cast

from websockets.asyncio import client
from websockets.datastructures import Headers

from pytest_agentcassette._model import Interaction, RecordedRequest
from pytest_agentcassette._transport.registry import cassette_for_this_request
from pytest_agentcassette._transport.websocket_peer import ReplayedServer
from pytest_agentcassette._transport.websocket_tape import RecordingCassette, WebSocketTape

__all__ = ["WebSocketCassette", "patch"]


class WebSocketCassette(RecordingCassette, Protocol):
    """What a WebSocket connection needs of the cassette in charge."""

    @property
    def websocket_pacing(self) -> float:
        """How much of the recorded time between messages a replay waits (0: none)."""

    def _answer_connection(self, live: RecordedRequest) -> Interaction | None:
        """The recorded opening that answers ``live``; ``None`` to record the connection."""

    def _answer_message(self, live: RecordedRequest) -> Interaction:
        """The recorded interaction that answers a message; raises if none does."""


def _headers(additional: Any) -> list[tuple[str, str]]:
    if additional is None:
        return []
    return list(Headers(additional).raw_items())


def _patched(original: Callable[[Any], Any]) -> Callable[[Any], Any]:
    async def open_tcp_connection(self: Any) -> Any:
        cassette = cast("WebSocketCassette | None", cassette_for_this_request())
        if cassette is None:
            return await original(self)
        live = RecordedRequest("GET", str(self.uri), _headers(self.additional_headers))
        opening = cassette._answer_connection(live)
        if opening is None:
            connection = await original(self)
            WebSocketTape(cassette, str(self.uri), connection)
            return connection
        connection = self.factory(self.ws_uri)
        server = ReplayedServer(
            connection, opening, cassette._answer_message, pacing=cassette.websocket_pacing
        )
        connection.connection_made(server)
        return connection

    return open_tcp_connection


def patch(module: ModuleType) -> Callable[[], None]:
    """Patch the asyncio client's ``connect`` (``module`` is ``websockets``); returns the
    undo.
    """
    connect: Any = client.connect
    original = connect.open_tcp_connection
    connect.open_tcp_connection = _patched(original)

    def undo() -> None:
        connect.open_tcp_connection = original

    return undo
