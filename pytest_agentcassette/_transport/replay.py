"""Serving a recorded response: status, headers and the body as a stream of the recorded
chunks, for sync and async clients alike.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx

from pytest_agentcassette._model import Headers, RecordedRequest, RecordedResponse, TransportError
from pytest_agentcassette._transport.faults import ReplayedTransportError, core_exception

__all__ = ["ReplayStream", "held_open", "replayed_response"]


class ReplayStream(httpx.SyncByteStream, httpx.AsyncByteStream):
    """Yields the recorded chunks one by one, from memory; then raises the transport error
    that broke the recorded body off, if one did, as an exception of ``core`` (the HTTP
    core of the client reading it, which the mocker sets). An async stream the client
    closed while it was open when recorded (``held_open``) stays open after its chunks,
    until the client closes it, as the server held it.
    """

    def __init__(
        self, chunks: list[bytes], fault: TransportError | None = None, *, held_open: bool = False
    ):
        self._chunks = chunks
        self._fault = fault
        self._held_open = held_open
        self.core = "httpcore"

    def __iter__(self) -> Iterator[bytes]:
        yield from self._chunks
        if self._fault is not None:
            raise core_exception(self.core, self._fault, mid_stream=True)

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self._chunks:
            yield chunk
        if self._fault is not None:
            raise core_exception(self.core, self._fault, mid_stream=True)
        if self._held_open:
            import anyio  # httpx's own dependency; the client's task is cancelled to close

            await anyio.sleep_forever()


def _wire(text: str) -> bytes:
    """Header text as bytes: latin-1 as recorded, UTF-8 for what latin-1 cannot hold."""
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        return text.encode("utf-8")


def _retry_headers(headers: Headers, seconds: float) -> Headers:
    """``headers`` with ``retry-after`` (whole seconds, rounded up) and ``retry-after-ms``
    saying ``seconds``: what an SDK waits before it retries.
    """
    kept = [(k, v) for k, v in headers if k.lower() not in ("retry-after", "retry-after-ms")]
    whole = str(int(-(-seconds // 1)))
    return [*kept, ("retry-after", whole), ("retry-after-ms", f"{seconds * 1000:g}")]


def held_open(request: RecordedRequest, response: RecordedResponse) -> bool:
    """Whether a replay holds the response's stream open after its chunks, until the client
    closes it: an event stream the client closed while the server held it open, and the
    ``GET`` event stream of an MCP session, which its server only ends with the session (a
    replay that ended it would have the client reconnect).
    """
    if request.method != "GET" or response.status_code != 200:
        return False
    if "text/event-stream" not in (response.header("content-type") or ""):
        return False
    return not response.complete or request.header("mcp-session-id") is not None


def replayed_response(
    response: RecordedResponse, *, retry_after: float | None = None, hold_open: bool = False
) -> httpx.Response:
    """An ``httpx.Response`` that streams ``response`` as it was recorded (with
    ``retry_after`` seconds in the retry headers of a 429 or 5xx, when given; held open
    after its chunks with ``hold_open``, for an async client).
    Raises :class:`ReplayedTransportError` for a request that got no response.
    """
    if response.status_code == 0 and response.error is not None:
        raise ReplayedTransportError(response.error)
    headers = response.headers
    if retry_after is not None and (response.status_code == 429 or response.status_code >= 500):
        headers = _retry_headers(headers, retry_after)
    return httpx.Response(
        response.status_code,
        headers=[(_wire(name), _wire(value)) for name, value in headers],
        stream=ReplayStream(response.body.chunks, response.error, held_open=not response.complete),
        extensions={
            "reason_phrase": _wire(response.reason),
            "http_version": response.http_version.encode("ascii", "replace"),
        },
    )
