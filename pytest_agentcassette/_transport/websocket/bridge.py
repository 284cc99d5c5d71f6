"""A replayed WebSocket server behind a socket, for the ``websockets`` sync client.

The sync client reads and writes a socket from its own threads, so a replay hands it one
end of a socket pair; on the other end, an event loop in a thread of its own runs the same
:class:`~.peer.ReplayedServer` the asyncio client gets as its transport. The
thread ends with the connection.
"""

from __future__ import annotations

import asyncio
import socket
import threading

from pytest_agentcassette._model import Interaction
from pytest_agentcassette._transport.websocket.peer import Answer, ReplayedServer

__all__ = ["serve_replay"]


class _ToClient(asyncio.Protocol):
    """What the replayed server sees as its client: the server end of the socket pair."""

    def __init__(self, transport: asyncio.Transport):
        self._transport = transport

    def data_received(self, data: bytes) -> None:
        self._transport.write(data)

    def eof_received(self) -> bool | None:
        if self._transport.can_write_eof():
            self._transport.write_eof()
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport.close()


class _Bridge(asyncio.Protocol):
    """The server end of the socket pair: bytes in for the replayed server, bytes out."""

    def __init__(self, opening: Interaction, answer: Answer, pacing: float, done: asyncio.Event):
        self._opening, self._answer, self._pacing, self._done = opening, answer, pacing, done
        self._server: ReplayedServer | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        if not isinstance(transport, asyncio.Transport):  # never: a stream socket's transport
            raise TypeError("a WebSocket replay needs a stream transport")
        client = _ToClient(transport)
        self._server = ReplayedServer(client, self._opening, self._answer, pacing=self._pacing)

    def data_received(self, data: bytes) -> None:
        if self._server is not None:
            self._server.write(data)

    def eof_received(self) -> bool | None:
        if self._server is not None:
            self._server.write_eof()
        return True  # keep the socket open for the close frame on its way back

    def connection_lost(self, exc: Exception | None) -> None:
        if self._server is not None:
            self._server.close()
        self._done.set()


def _run(sock: socket.socket, opening: Interaction, answer: Answer, pacing: float) -> None:
    async def serve() -> None:
        done = asyncio.Event()
        loop = asyncio.get_running_loop()
        await loop.connect_accepted_socket(lambda: _Bridge(opening, answer, pacing, done), sock)
        await done.wait()

    asyncio.run(serve())


def serve_replay(opening: Interaction, answer: Answer, *, pacing: float) -> socket.socket:
    """The client's end of a socket pair whose other end replays ``opening``'s connection."""
    client, server = socket.socketpair()
    thread = threading.Thread(
        target=_run,
        args=(server, opening, answer, pacing),
        name="agentcassette-websocket-replay",
        daemon=True,
    )
    thread.start()
    return client
