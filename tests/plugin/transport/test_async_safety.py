"""No blocking call on the event loop: async code checked by BlockBuster (as pydantic-ai
runs its suite) meets what the cassette answers, never a ``BlockingError`` from the plugin.
Each client replays, a recording goes through, a mismatch raises its diff and a replay
that leaves interactions unplayed says so, with BlockBuster watching the running loop.

Entering and leaving a cassette reads and writes its file, blocking by nature, so these
tests enter it outside the loop, as the ``agent_cassette`` fixture does; ``async with``
moves that work to a thread (tested last).
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import aiohttp
import httpcore2  # noqa: F401  (its own import reads its metadata: not on the loop)
import httpx
import httpx2
import pytest
from blockbuster import blockbuster_ctx
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosedError
from websockets.sync.server import ServerConnection, serve

from pytest_agentcassette import (
    CassetteError,
    CassetteMismatchError,
    NetworkBlockedError,
    UnusedInteractionsError,
    use_cassette,
)
from tests.support.provider_server import ProviderServer

CHAT = {"model": "gpt-4o", "stream": True, "messages": [{"role": "user", "content": "Hi"}]}
ROUTE = "/v1/chat/completions"


def _run(ask: Callable[[], Coroutine[Any, Any, Any]]) -> Any:
    """``ask()`` on a new event loop, BlockBuster watching every module (as pydantic-ai's
    suite runs it): a blocking call on the loop raises ``BlockingError``.
    """
    with blockbuster_ctx():
        return asyncio.run(ask())


async def _httpx(url: str, body: dict[str, Any] = CHAT) -> str:
    async with (
        httpx.AsyncClient(verify=False) as client,
        client.stream("POST", url + ROUTE, json=body) as response,
    ):
        return (await response.aread()).decode()


async def _httpx2(url: str, body: dict[str, Any] = CHAT) -> str:
    async with httpx2.AsyncClient(verify=False) as client:
        response = await client.post(url + ROUTE, json=body)
        return str(response.text)


async def _aiohttp(url: str, body: dict[str, Any] = CHAT) -> str:
    async with (
        aiohttp.ClientSession() as session,
        session.post(url + ROUTE, json=body) as response,
    ):
        return await response.text()


CLIENTS = {"httpx": _httpx, "httpx2": _httpx2, "aiohttp": _aiohttp}


@pytest.mark.parametrize("client", CLIENTS)
def test_a_recording_and_its_replay_make_no_blocking_call_on_the_loop(
    tmp_path: Path, provider_server: ProviderServer, client: str
) -> None:
    ask, path = CLIENTS[client], tmp_path / "chat.yaml"
    with use_cassette(path, record_mode="once"):
        recorded = _run(lambda: ask(provider_server.url))
    provider_server.stop()
    with use_cassette(path) as replay:
        assert _run(lambda: ask(provider_server.url)) == recorded
    assert len(replay.played) == 1
    assert "data: [DONE]" in recorded


@pytest.mark.parametrize("client", CLIENTS)
def test_a_mismatch_raises_its_diff_not_a_blocking_error(
    tmp_path: Path, provider_server: ProviderServer, client: str
) -> None:
    ask, path = CLIENTS[client], tmp_path / "chat.yaml"
    with use_cassette(path, record_mode="once"):
        _run(lambda: ask(provider_server.url))
    changed = {**CHAT, "messages": [{"role": "user", "content": "Bye"}]}
    with pytest.raises(CassetteMismatchError) as raised, use_cassette(path):
        _run(lambda: ask(provider_server.url, changed))
    assert "replace /messages/0/content" in str(raised.value)


def test_a_request_without_a_cassette_file_and_a_malformed_body_explain_themselves(
    tmp_path: Path, provider_server: ProviderServer
) -> None:
    with (
        pytest.raises(CassetteMismatchError, match="not found"),
        use_cassette(tmp_path / "missing.yaml", record_mode="none"),
    ):
        _run(lambda: _httpx(provider_server.url))
    path = tmp_path / "chat.yaml"
    with use_cassette(path, record_mode="once"):
        _run(lambda: _httpx(provider_server.url))
    path.write_text(path.read_text().replace('"stream": true', '"stream": tru', 1))
    with pytest.raises(CassetteError, match=r", line \d+ .*not valid JSON"), use_cassette(path):
        _run(lambda: _httpx(provider_server.url))


def test_unplayed_interactions_are_reported(
    tmp_path: Path, provider_server: ProviderServer
) -> None:
    path = tmp_path / "chat.yaml"

    async def twice() -> None:
        await _httpx(provider_server.url)
        await _httpx(provider_server.url)

    with use_cassette(path, record_mode="once"):
        _run(twice)
    with (
        pytest.raises(UnusedInteractionsError, match="1 recorded interaction was never"),
        use_cassette(path),
    ):
        _run(lambda: _httpx(provider_server.url))


def _echo(connection: ServerConnection) -> None:
    for message in connection:
        connection.send(json.dumps({"echo": json.loads(message)}))


def test_a_websocket_connection_records_replays_and_mismatches_without_blocking(
    tmp_path: Path,
) -> None:
    path = tmp_path / "ws.yaml"

    async def session(word: str) -> list[Any]:
        async with connect(url) as ws:
            await ws.send(json.dumps({"type": "say", "word": word}))
            return [json.loads(await ws.recv())]

    with serve(_echo, "127.0.0.1", 0) as server:
        url = f"ws://127.0.0.1:{server.socket.getsockname()[1]}/v1/realtime"
        threading.Thread(target=server.serve_forever, daemon=True).start()
        with use_cassette(path, record_mode="once"):
            recorded = _run(lambda: session("hi"))
        server.shutdown()
    with use_cassette(path):
        assert _run(lambda: session("hi")) == recorded
    with use_cassette(path) as replay, pytest.raises(ConnectionClosedError, match="No recorded"):
        _run(lambda: session("bye"))
    (mismatch,) = replay.mismatches
    assert 'replace /word: "hi" → "bye"' in str(mismatch)


def test_async_with_opens_and_saves_the_cassette_off_the_loop(
    tmp_path: Path, provider_server: ProviderServer
) -> None:
    path = tmp_path / "chat.yaml"

    async def ask() -> str:
        async with use_cassette(path, record_mode="once"):
            return await _httpx(provider_server.url)

    recorded = _run(ask)
    provider_server.stop()
    assert _run(ask) == recorded


def test_a_connection_the_network_guard_stops_on_the_loop_says_why(tmp_path: Path) -> None:
    # BlockBuster cannot see into the guard (it runs inside BlockBuster's own wrapper of
    # socket.connect, which lets a non-blocking socket through): the guard's message uses
    # the path computed when the cassette opened, as every message of the request path.
    async def raw() -> None:
        await asyncio.open_connection("203.0.113.7", 443)  # an address: no lookup

    with (
        use_cassette(tmp_path / "none.yaml", record_mode="none"),
        pytest.raises(NetworkBlockedError, match=r"none\.yaml is replaying"),
    ):
        _run(raw)
