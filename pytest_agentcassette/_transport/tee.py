"""Recording a response while it streams: a tee that hands each chunk on as it arrives and
keeps a copy; the interaction is stored when the body is closed, decoded
(:mod:`pytest_agentcassette._transport.content_encoding`) and with its credential headers
redacted.
"""

from __future__ import annotations

import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Any

from pytest_agentcassette._model import (
    Body,
    Headers,
    Interaction,
    RecordedRequest,
    RecordedResponse,
    TransportError,
)
from pytest_agentcassette._secrets.scrub import redact_headers
from pytest_agentcassette._transport.content_encoding import decode_content
from pytest_agentcassette._transport.faults import as_transport_error

__all__ = ["AsyncTee", "Recording", "ResponseHead", "SyncTee", "Tape"]


class Tape:
    """The chunks of one response as they pass; calls ``on_close(chunks, error)`` once.

    ``error`` is what reading the real body raised, if it did (a dropped connection, a
    timeout): a transport error is stored after the chunks, to be met again in replay;
    anything else leaves the response unstored. A body the client merely stopped reading
    is stored as far as it was read; ``complete`` says whether the server ended it.
    """

    def __init__(self, on_close: Callable[[list[bytes], BaseException | None], None]):
        self.chunks: list[bytes] = []
        self.error: BaseException | None = None
        self.complete = False
        self._on_close = on_close
        self._lock = threading.Lock()
        self._closed = False

    def close(self) -> None:
        """Store what was received; later calls do nothing."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self._on_close(self.chunks, self.error)


class SyncTee:
    """Wraps a sync response stream of httpcore or httpcore2."""

    def __init__(self, inner: Any, tape: Tape):
        self._inner = inner
        self._tape = tape

    def __iter__(self) -> Iterator[bytes]:
        try:
            for chunk in self._inner:
                self._tape.chunks.append(chunk)
                yield chunk
            self._tape.complete = True
        except Exception as error:
            self._tape.error = error
            raise

    def close(self) -> None:
        """Close the real stream, then store what passed."""
        try:
            if hasattr(self._inner, "close"):
                self._inner.close()
        finally:
            self._tape.close()


class AsyncTee:
    """Wraps an async response stream of httpcore or httpcore2."""

    def __init__(self, inner: Any, tape: Tape):
        self._inner = inner
        self._tape = tape

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._inner:
                self._tape.chunks.append(chunk)
                yield chunk
            self._tape.complete = True
        except Exception as error:
            self._tape.error = error
            raise

    async def aclose(self) -> None:
        """Close the real stream, then store what passed."""
        try:
            if hasattr(self._inner, "aclose"):
                await self._inner.aclose()
        finally:
            self._tape.close()


@dataclass(frozen=True)
class ResponseHead:
    """Status line and headers of a response being recorded."""

    status: int
    reason: str
    headers: list[tuple[str, str]]
    http_version: str


class Recording:
    """A request sent for real; becomes an interaction when its response body closes."""

    def __init__(self, request: RecordedRequest, redacted_headers: frozenset[str]):
        self._redacted = redacted_headers
        self.request = request
        self.interaction: Interaction | None = None
        self.failed = False
        self._tape: Tape | None = None
        self._head = ResponseHead(0, "", [], "HTTP/1.1")
        self._started = time.perf_counter()

    def start(self, head: ResponseHead) -> Tape:
        """The response began: keep its head, and tape its body as it streams."""
        self._head = head
        self._tape = Tape(self._finish)
        return self._tape

    def fail(self, error: BaseException) -> None:
        """The request failed before a response came: a transport error is stored (the
        client meets it again in replay); anything else is not.
        """
        fault = as_transport_error(error)
        if fault is None:
            self.failed = True
            return
        self.interaction = Interaction(self.request, self._response([], [], fault))

    def close(self) -> None:
        """Store whatever arrived, if the client never closed the body."""
        if self._tape is not None:
            self._tape.close()

    def _finish(self, chunks: list[bytes], error: BaseException | None) -> None:
        fault = None if error is None else as_transport_error(error)
        if error is not None and fault is None:
            # Not the connection's doing (a bug, a cancellation): nothing to replay.
            self.failed = True
            return
        headers, chunks = decode_content(self._head.headers, chunks)
        response = self._response(headers, chunks, fault)
        if self._tape is not None and not self._tape.complete and fault is None:
            # An event stream the client closed while it was open (MCP's GET stream):
            # a replay holds it open too, rather than end it and have the client reconnect.
            events = "text/event-stream" in (response.header("content-type") or "")
            response.complete = not (events and self.request.method == "GET")
        self.interaction = Interaction(self.request, response)

    def _response(
        self, headers: Headers, chunks: list[bytes], fault: TransportError | None
    ) -> RecordedResponse:
        head = self._head
        body = Body.from_bytes(b"".join(chunks), [len(chunk) for chunk in chunks])
        return RecordedResponse(
            head.status,
            head.reason,
            redact_headers(headers, self._redacted),
            body,
            head.http_version,
            duration=round(time.perf_counter() - self._started, 3),
            error=fault,
        )
