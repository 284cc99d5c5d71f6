"""WebSocket connections of the ``websockets`` library's clients, asyncio and sync (the
OpenAI SDK's Realtime clients and google-genai's Live API use them), recorded and replayed.

Each client's ``connect`` opens the network connection in one method of its own
(``open_tcp_connection``; ``open_connection`` for the sync client), then runs the opening
handshake over it: those methods are patched, on their classes, so that every import of
``connect`` is covered. The cassette of the task answers the connection's URL:

- a recorded connection to replay: the client gets a real connection object over a
  :class:`~.peer.ReplayedServer` instead of a socket (the sync client, over one
  end of a socket pair, :mod:`.bridge`);
- one to record: the real connection is opened and tapped
  (:class:`~.tape.WebSocketTape`);
- no match in a replay: the cassette's mismatch error, raised where ``connect`` is called.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from types import ModuleType
from typing import Any, Protocol, cast

from websockets.asyncio import client
from websockets.datastructures import Headers
from websockets.sync import client as sync_client

from pytest_agentcassette._model import Interaction, RecordedRequest
from pytest_agentcassette._transport.registry import cassette_for_this_request
from pytest_agentcassette._transport.websocket.bridge import serve_replay
from pytest_agentcassette._transport.websocket.peer import ReplayedServer
from pytest_agentcassette._transport.websocket.tape import RecordingCassette, WebSocketTape

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
        cassette, opening = _opening(self)
        if cassette is None:
            return await original(self)
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


def _opening(connecter: Any) -> tuple[WebSocketCassette | None, Interaction | None]:
    """The cassette in charge of a connection about to open, and the recorded opening that
    answers it (``None`` to record it).
    """
    cassette = cast("WebSocketCassette | None", cassette_for_this_request())
    if cassette is None:
        return None, None
    live = RecordedRequest("GET", str(connecter.uri), _headers(connecter.additional_headers))
    return cassette, cassette._answer_connection(live)


def _patched_sync(original: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    def open_connection(self: Any, deadline: Any) -> Any:
        cassette, opening = _opening(self)
        if cassette is None:
            return original(self, deadline)
        saved = self.create_connection, self.sock, self.ws_uri
        if opening is None:

            def tapped(sock: Any, protocol: Any, **options: Any) -> Any:
                connection = saved[0](sock, protocol, **options)
                WebSocketTape(cassette, str(self.uri), connection)
                return connection

            self.create_connection = tapped
        else:
            answer, pacing = cassette._answer_message, cassette.websocket_pacing
            self.sock = serve_replay(opening, answer, pacing=pacing)
            self.ws_uri = dataclasses.replace(self.ws_uri, secure=False)  # no TLS to a pair
        try:
            return original(self, deadline)
        finally:
            self.create_connection, self.sock, self.ws_uri = saved

    return open_connection


def patch(module: ModuleType) -> Callable[[], None]:
    """Patch both clients' ``connect`` (``module`` is ``websockets``); returns the undo."""
    connect: Any = client.connect
    reconnect: Any = sync_client.reconnect
    originals = connect.open_tcp_connection, reconnect.open_connection
    connect.open_tcp_connection = _patched(originals[0])
    reconnect.open_connection = _patched_sync(originals[1])

    def undo() -> None:
        connect.open_tcp_connection, reconnect.open_connection = originals

    return undo
