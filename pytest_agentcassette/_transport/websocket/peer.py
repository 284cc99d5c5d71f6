"""The server end of a replayed WebSocket connection, as the client's transport.

A replay gives the ``websockets`` client a real connection object over this transport
instead of a socket: the client's own code runs its opening handshake, frames, pings and
closing handshake as it would over a network, and this end answers as the recorded server
did, through the library's own server protocol (sans-I/O): the recorded handshake response
(the accept key computed for this client's key), the messages the server sent at once,
then, for each message the code sends, the recorded messages that followed it, and the end
of the connection where it came. Which recorded message answers one the code sends is the
cassette's call (``answer``): a message that matches nothing closes the connection with
code 1011, and the test fails with the drift diff.

With ``pacing`` (a factor of the recorded times, 1.0 for the recorded speed), each message
waits until its recorded offset from the connection's opening; by default none waits.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from websockets.datastructures import Headers
from websockets.frames import Frame, Opcode
from websockets.http11 import Request, Response
from websockets.protocol import State
from websockets.server import ServerProtocol

from pytest_agentcassette._errors import CassetteError, CassetteMismatchError
from pytest_agentcassette._model import (
    Body,
    Interaction,
    RecordedRequest,
    WebSocketClose,
    WebSocketFrame,
    websocket_message_kind,
)

__all__ = ["ReplayedServer"]

Answer = Callable[[RecordedRequest], Interaction]
"""The cassette's recorded interaction for a message the code sent (raises if none)."""

# Set by the server protocol (or meaningless in a replay): never copied from the recording.
_HANDSHAKE_HEADERS = frozenset(
    {"upgrade", "connection", "sec-websocket-accept", "sec-websocket-extensions", "date"}
)
_REFUSED = 1011


class ReplayedServer(asyncio.Transport):
    """What a client connection writes to, answered from ``opening`` and what follows it."""

    def __init__(
        self,
        connection: asyncio.Protocol,
        opening: Interaction,
        answer: Answer,
        *,
        pacing: float = 0.0,
    ):
        super().__init__()
        self._client = connection
        self._opening = opening
        self._answer = answer
        self._url = opening.request.url
        self._server = ServerProtocol()
        self._pacing = pacing
        self._started = time.monotonic()
        self._loop = asyncio.get_running_loop()
        self._actions: deque[tuple[float | None, Callable[[], None]]] = deque()
        self._pumping = False
        self._fragments: list[bytes] = []
        self._fragment_kind: Opcode | None = None
        self._closed = False
        self.error: CassetteError | None = None

    # -- what the client calls ----------------------------------------------------------

    def write(self, data: bytes | bytearray | memoryview) -> None:
        """Bytes the client sent: its handshake request, then frames."""
        if self._closed:
            return
        self._server.receive_data(bytes(data))
        self._serve(self._server.events_received())

    def write_eof(self) -> None:
        self._server.receive_eof()
        self._serve(self._server.events_received())

    def can_write_eof(self) -> bool:
        return True

    def close(self) -> None:
        self._lose(None)

    def abort(self) -> None:
        self._lose(None)

    def is_closing(self) -> bool:
        return self._closed

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return default

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        pass

    def get_write_buffer_size(self) -> int:
        return 0

    # -- answering -----------------------------------------------------------------------

    def _serve(self, events: list[Any]) -> None:
        for event in events:
            if isinstance(event, Request):
                self._handshake(event)
            elif isinstance(event, Frame):
                self._frame(event)
        self._send_pending()

    def _handshake(self, request: Request) -> None:
        recorded = self._opening.response
        if recorded.status_code == 101:
            response = self._server.accept(request)
        else:
            response = self._server.reject(recorded.status_code, "")
            response.body = recorded.body.content
        kept = [(k, v) for k, v in response.headers.raw_items() if k.lower() in _HANDSHAKE_HEADERS]
        headers = Headers(kept)
        for name, value in recorded.headers:
            if name.lower() not in _HANDSHAKE_HEADERS:
                headers[name] = value
        response = Response(response.status_code, recorded.reason or response.reason_phrase,
                            headers, response.body)  # fmt: skip
        self._server.send_response(response)
        if recorded.status_code == 101:
            self._follow(self._opening)

    def _frame(self, frame: Frame) -> None:
        if self._server.state is not State.OPEN:
            return  # refused, or closing: what the code sends now meets no recorded answer
        if frame.opcode in (Opcode.TEXT, Opcode.BINARY):
            self._fragment_kind, self._fragments = frame.opcode, []
        elif frame.opcode is not Opcode.CONT:
            return  # a ping, a pong, a close: the server protocol answers those itself
        self._fragments.append(bytes(frame.data))
        if not frame.fin:
            return
        content = b"".join(self._fragments)
        message: str | bytes = content
        if self._fragment_kind is Opcode.TEXT:
            message = content.decode("utf-8", errors="surrogateescape")
        live = RecordedRequest(websocket_message_kind(message), self._url, [],
                               Body.from_bytes(content))  # fmt: skip
        try:
            found = self._answer(live)
        except CassetteError as error:
            self._refuse(error)
            return
        self._follow(found)

    def _refuse(self, error: CassetteError) -> None:
        """Close as a server that did not expect the message; the test fails with ``error``."""
        self.error = error
        first = str(error.details if isinstance(error, CassetteMismatchError) else error)
        reason = f"agentcassette: {first.splitlines()[0]}"
        while len(reason.encode("utf-8")) > 123:  # what a close frame's reason may hold
            reason = reason[:-1]
        self._server.send_close(_REFUSED, reason)

    def _follow(self, interaction: Interaction) -> None:
        """Queue what the server sent after ``interaction``'s request, and the close."""
        turn = interaction.response.websocket
        if turn is None:
            return
        for frame in turn.received:
            self._queue(frame.at, functools.partial(self._send_message, frame))
        if turn.close is not None:
            end = turn.received[-1].at if turn.received else turn.sent_at
            self._queue(end, functools.partial(self._end, turn.close))

    def _send_message(self, frame: WebSocketFrame) -> None:
        if self._server.state is not State.OPEN:
            return  # the connection is closing: the recorded server sent no more either
        if isinstance(frame.data, str):
            self._server.send_text(frame.data.encode("utf-8", errors="surrogateescape"))
        else:
            self._server.send_binary(frame.data)

    def _end(self, close: WebSocketClose) -> None:
        """End as recorded: the server's closing handshake, or a dropped connection (the
        client's own close needs nothing: the server protocol answers it).
        """
        if close.by != "server" or self._server.state is not State.OPEN:
            return
        if close.code is None:
            self._lose(ConnectionResetError("the connection dropped (as recorded)"))
        else:
            self._server.send_close(close.code, close.reason)

    # -- delivering ----------------------------------------------------------------------

    def _queue(self, at: float | None, action: Callable[[], None]) -> None:
        self._actions.append((at, action))
        if not self._pumping:
            self._pumping = True
            self._loop.call_soon(self._pump)

    def _pump(self) -> None:
        """Run the queued actions in order, each at its recorded time when paced."""
        while self._actions and not self._closed:
            at, action = self._actions[0]
            if self._pacing and at is not None:
                wait = self._started + at * self._pacing - time.monotonic()
                if wait > 0:
                    self._loop.call_later(wait, self._pump)
                    return
            self._actions.popleft()
            action()
            self._send_pending()
        self._pumping = False

    def _send_pending(self) -> None:
        for data in self._server.data_to_send():
            if self._closed:
                return
            if data:
                self._loop.call_soon(self._deliver, data)
            else:  # the server ends the TCP connection
                self._loop.call_soon(self._end_of_stream)

    def _deliver(self, data: bytes) -> None:
        if not self._closed:
            self._client.data_received(data)

    def _end_of_stream(self) -> None:
        if not self._closed:
            self._client.eof_received()
            self._lose(None)

    def _lose(self, error: Exception | None) -> None:
        if self._closed:
            return
        self._closed = True
        self._loop.call_soon(self._client.connection_lost, error)
