"""One way to send a request and keep exactly what the client received, for each client
kind: httpx and httpx2, sync and async."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import httpx
import httpx2

CLIENT_KINDS = ["httpx-sync", "httpx-async", "httpx2-sync", "httpx2-async"]


@dataclass
class Received:
    status: int
    reason: str
    headers: list[tuple[str, str]]
    chunks: list[bytes]

    @property
    def content(self) -> bytes:
        return b"".join(self.chunks)


def _received(response: Any, chunks: list[bytes]) -> Received:
    return Received(
        response.status_code,
        response.reason_phrase,
        [(k.lower(), v) for k, v in response.headers.multi_items()],
        chunks,
    )


def send(
    kind: str,
    method: str,
    url: str,
    *,
    json: Any = None,
    headers: dict[str, str] | None = None,
) -> Received:
    """Send with a fresh client of ``kind``; read the body chunk by chunk as it streams."""
    module: Any = httpx2 if kind.startswith("httpx2") else httpx
    if kind.endswith("sync") and not kind.endswith("async"):
        with (
            module.Client() as client,
            client.stream(method, url, json=json, headers=headers) as response,
        ):
            return _received(response, list(response.iter_bytes()))

    async def main() -> Received:
        async with (
            module.AsyncClient() as client,
            client.stream(method, url, json=json, headers=headers) as response,
        ):
            return _received(response, [chunk async for chunk in response.aiter_bytes()])

    return asyncio.run(main())
