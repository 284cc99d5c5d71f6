"""Serving a recorded response: status, headers and the body as a stream of the recorded
chunks, for sync and async clients alike.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx

from .model import RecordedResponse

__all__ = ["ReplayStream", "replayed_response"]


class ReplayStream(httpx.SyncByteStream, httpx.AsyncByteStream):
    """Yields the recorded chunks one by one, from memory."""

    def __init__(self, chunks: list[bytes]):
        self._chunks = chunks

    def __iter__(self) -> Iterator[bytes]:
        yield from self._chunks

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self._chunks:
            yield chunk


def _wire(text: str) -> bytes:
    """Header text as bytes: latin-1 as recorded, UTF-8 for what latin-1 cannot hold."""
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        return text.encode("utf-8")


def replayed_response(response: RecordedResponse) -> httpx.Response:
    """An ``httpx.Response`` that streams ``response`` as it was recorded."""
    return httpx.Response(
        response.status_code,
        headers=[(_wire(name), _wire(value)) for name, value in response.headers],
        stream=ReplayStream(response.body.chunks),
        extensions={
            "reason_phrase": _wire(response.reason),
            "http_version": response.http_version.encode("ascii", "replace"),
        },
    )
