"""Serving a recorded response: status, headers and the body as a stream of the recorded
chunks, for sync and async clients alike.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx

from pytest_agentcassette._model import Headers, RecordedResponse, TransportError
from pytest_agentcassette._transport.faults import ReplayedTransportError, core_exception

__all__ = ["ReplayStream", "replayed_response"]


class ReplayStream(httpx.SyncByteStream, httpx.AsyncByteStream):
    """Yields the recorded chunks one by one, from memory; then raises the transport error
    that broke the recorded body off, if one did, as an exception of ``core`` (the HTTP
    core of the client reading it, which the mocker sets).
    """

    def __init__(self, chunks: list[bytes], fault: TransportError | None = None):
        self._chunks = chunks
        self._fault = fault
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


def replayed_response(
    response: RecordedResponse,
    *,
    retry_after: float | None = None,
    stream: ReplayStream | None = None,
) -> httpx.Response:
    """An ``httpx.Response`` that streams ``response`` as it was recorded (with
    ``retry_after`` seconds in the retry headers of a 429 or 5xx, when given), through
    ``stream`` when given (see :mod:`pytest_agentcassette._transport.mcp.held_stream`).
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
        stream=stream or ReplayStream(response.body.chunks, response.error),
        extensions={
            "reason_phrase": _wire(response.reason),
            "http_version": response.http_version.encode("ascii", "replace"),
        },
    )
