"""Recording a WebSocket connection as it happens: the client's real connection is tapped
where the library hands over whole frames (the frames it sends before they are encoded,
the events it receives once decoded), so that nothing the code reads or writes changes.

Each message the code sends opens a turn; the messages the server sends are kept, with
their times, in the turn they arrived in (the opening handshake's, for those the server
sends at once); the end of the connection goes on the last turn. Each turn is an
interaction of the cassette, recorded in the order the messages were sent.
"""

from __future__ import annotations

import time
from typing import Any, Protocol

from websockets.frames import Frame, Opcode
from websockets.http11 import Response

from pytest_agentcassette._model import (
    Body,
    Interaction,
    RecordedRequest,
    RecordedResponse,
    WebSocketClose,
    WebSocketFrame,
    WebSocketTurn,
    websocket_message_kind,
)

__all__ = ["RecordingCassette", "WebSocketTape"]

# Minted per connection, meaningless in a replay.
_VOLATILE_HEADERS = frozenset({"sec-websocket-key", "sec-websocket-accept", "date"})


class RecordingCassette(Protocol):
    """What recording a connection needs of the cassette."""

    def _scrubbed(self, request: RecordedRequest) -> RecordedRequest:
        """``request`` with its credentials redacted, as a cassette stores it."""

    def _record_pending(self, pending: Any) -> None:
        """Keep ``pending`` (a turn) among what this use records."""


class _Turn:
    """One interaction being recorded: a request and what the server sent after it."""

    def __init__(self, request: RecordedRequest, response: RecordedResponse):
        self.request = request
        self._response = response

    @property
    def turn(self) -> WebSocketTurn:
        turn = self._response.websocket
        if turn is None:  # never: every turn is built with one
            raise RuntimeError("a WebSocket turn without its messages")
        return turn

    @property
    def interaction(self) -> Interaction:
        return Interaction(self.request, self._response)

    def close(self) -> None:
        """Nothing to do: the turn is complete whenever the cassette closes."""


def _headers(items: Any) -> list[tuple[str, str]]:
    return [(k, v) for k, v in items if k.lower() not in _VOLATILE_HEADERS]


class WebSocketTape:
    """Taps ``connection`` (a ``websockets`` client connection, before its handshake)."""

    def __init__(self, cassette: RecordingCassette, url: str, connection: Any):
        self._cassette = cassette
        self._url = url
        self._connection = connection
        self._started = time.monotonic()
        self._turn: _Turn | None = None
        self._incoming: tuple[Opcode, list[bytes]] | None = None
        self._outgoing: tuple[Opcode, list[bytes]] | None = None
        self._tap()

    def _tap(self) -> None:
        connection, protocol = self._connection, self._connection.protocol
        process_event, send_frame = connection.process_event, protocol.send_frame
        # The asyncio client is told its connection ended; the sync one closes its socket.
        end = "connection_lost" if hasattr(connection, "connection_lost") else "close_socket"
        ended = getattr(connection, end)

        def tapped_process_event(event: Any) -> None:
            self._received(event)
            process_event(event)

        def tapped_send_frame(frame: Frame) -> None:
            self._sent(frame)
            send_frame(frame)

        def tapped_end(*args: Any) -> None:
            try:
                ended(*args)
            finally:
                self._ended()

        connection.process_event = tapped_process_event
        protocol.send_frame = tapped_send_frame
        setattr(connection, end, tapped_end)

    def _now(self) -> float:
        return round(time.monotonic() - self._started, 3)

    def _received(self, event: Any) -> None:
        if isinstance(event, Response):
            self._opened(event)
        elif isinstance(event, Frame) and self._turn is not None:
            message = _assembled(self, "_incoming", event)
            if message is not None:
                self._turn.turn.received.append(WebSocketFrame(message, self._now()))

    def _opened(self, response: Response) -> None:
        sent = self._connection.request
        headers = _headers(sent.headers.raw_items()) if sent is not None else []
        request = self._cassette._scrubbed(RecordedRequest("GET", self._url, headers))
        answer = RecordedResponse(
            response.status_code,
            response.reason_phrase,
            _headers(response.headers.raw_items()),
            Body.from_bytes(bytes(response.body or b"")),
            websocket=WebSocketTurn(opening=True),
        )
        self._turn = _Turn(request, answer)
        self._cassette._record_pending(self._turn)

    def _sent(self, frame: Frame) -> None:
        message = _assembled(self, "_outgoing", frame)
        if message is None or self._turn is None:
            return
        if isinstance(message, str):
            content = message.encode("utf-8", "surrogateescape")
        else:
            content = message
        kind = websocket_message_kind(message)
        request = RecordedRequest(kind, self._url, [], Body.from_bytes(content))
        turn = WebSocketTurn(opening=False, sent_at=self._now())
        response = RecordedResponse(101, "Switching Protocols", websocket=turn)
        self._turn = _Turn(self._cassette._scrubbed(request), response)
        self._cassette._record_pending(self._turn)

    def _ended(self) -> None:
        """Note how the connection ended, on the last turn."""
        if self._turn is None:
            return
        protocol = self._connection.protocol
        received, sent = protocol.close_rcvd, protocol.close_sent
        if received is None and sent is None:
            self._turn.turn.close = WebSocketClose(None, "", "server")
            return
        by = "server" if protocol.close_rcvd_then_sent or sent is None else "client"
        close = received if by == "server" else sent
        self._turn.turn.close = WebSocketClose(int(close.code), close.reason, by)


def _assembled(tape: WebSocketTape, side: str, frame: Frame) -> str | bytes | None:
    """The message ``frame`` completes (text or bytes), or ``None``; control frames and
    parts of a fragmented message are kept in ``tape.<side>`` until the last part.
    """
    if frame.opcode in (Opcode.TEXT, Opcode.BINARY):
        setattr(tape, side, (frame.opcode, [bytes(frame.data)]))
    elif frame.opcode is Opcode.CONT and getattr(tape, side) is not None:
        getattr(tape, side)[1].append(bytes(frame.data))
    else:
        return None
    if not frame.fin:
        return None
    opcode, parts = getattr(tape, side)
    setattr(tape, side, None)
    content = b"".join(parts)
    return content.decode("utf-8", "surrogateescape") if opcode is Opcode.TEXT else content
