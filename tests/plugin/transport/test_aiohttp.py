"""aiohttp's ``ClientSession`` records and replays like httpx: each request recorded from
the scripted server, then replayed with the server stopped and every socket refused, as a
real ``aiohttp.ClientResponse`` whose every way of reading the body meets the recorded
chunks; faults come back as the exceptions aiohttp raised; a cassette is the same whichever
client recorded it.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator, Callable, Coroutine
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import pytest
from aiohttp import web

from pytest_agentcassette import CassetteMismatchError, use_cassette
from tests.support.inner_runs import line_of
from tests.support.network import NetworkCut
from tests.support.provider_server import ProviderServer
from tests.support.replayed_faults import without_note
from tests.support.wire_formats import Reply

CHAT = {"model": "gpt-4o", "stream": True, "messages": [{"role": "user", "content": "Hi"}]}
WHOLE = {**CHAT, "stream": False}
SECRET = "sk-proj-" + "Zq8x" * 10


def _run(ask: Callable[[], Coroutine[Any, Any, Any]]) -> Any:
    return asyncio.run(ask())


async def _upload() -> AsyncIterator[bytes]:
    yield b"line one\n"
    yield b"line two\n"


def test_requests_record_as_sent_and_replay_as_real_client_responses(
    tmp_path: Path, provider_server: ProviderServer, network_cut: NetworkCut
) -> None:
    url = provider_server.url

    async def ask() -> list[Any]:
        seen: list[Any] = []
        async with aiohttp.ClientSession() as session:
            async with session.post(url + "/v1/chat/completions", json=WHOLE) as response:
                assert isinstance(response, aiohttp.ClientResponse)
                seen.append((response.status, response.reason, dict(response.headers)))
                seen.append((await response.json(), await response.text(), await response.read()))
            async with session.get(url + "/v1/models", params={"limit": "5"}) as response:
                seen.append((str(response.url), await response.json()))
            async with session.post(url + "/v1/files", data={"purpose": "batch"}) as response:
                seen.append(await response.json())
            headers = {"Content-Length": "18"}  # the stand-in server reads a known length
            async with session.post(url + "/v1/files", data=_upload(), headers=headers) as r:
                seen.append(await r.json())
        return seen

    path = tmp_path / "aiohttp.yaml"
    with use_cassette(path, record_mode="once", request_headers="all") as recording:
        recorded = _run(ask)
    provider_server.stop()
    chat, models, form, upload = (i.request for i in recording.recorded)
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    assert chat.header("user-agent") == f"Python/{python} aiohttp/{aiohttp.__version__}"
    assert chat.header("content-type") == "application/json"
    assert json.loads(chat.body.content) == WHOLE
    assert models.url == url + "/v1/models?limit=5"
    assert (form.header("content-type"), form.body.content) == (
        "application/x-www-form-urlencoded",
        b"purpose=batch",
    )
    assert upload.body.content == b"line one\nline two\n" == provider_server.requests[-1].body
    assert upload.header("content-type") == "application/octet-stream"  # as aiohttp sent it
    assert recorded[4]["bytes"] == 18

    with network_cut, use_cassette(path) as replay:
        replayed = _run(ask)
    assert replayed == recorded
    assert len(replay.played) == 4
    assert network_cut.attempts == []


async def _read(url: str, how: str) -> list[Any]:
    """Stream a chat completion and read it the way ``how`` names."""
    async with (
        aiohttp.ClientSession() as session,
        session.post(url + "/v1/chat/completions", json=CHAT) as response,
    ):
        content = response.content
        if how == "iter_any":
            return [chunk async for chunk in content.iter_any()]
        if how == "iter_chunked":
            return [chunk async for chunk in content.iter_chunked(1 << 16)]
        if how == "iter_chunks":
            return [chunk async for chunk in content.iter_chunks()]
        if how == "async for":
            return [line async for line in content]
        if how == "readline":
            lines = []
            while line := await content.readline():
                lines.append(line)
            return lines
        return [await response.text()]


def test_an_event_stream_replays_chunk_by_chunk_whichever_way_it_is_read(
    tmp_path: Path, provider_server: ProviderServer, network_cut: NetworkCut
) -> None:
    provider_server.script = [Reply("Containers are boxes for processes.")]
    path = tmp_path / "stream.yaml"
    with use_cassette(path, record_mode="once") as recording:
        received = asyncio.run(_read(provider_server.url, "iter_any"))
    provider_server.stop()
    (interaction,) = recording.recorded
    chunks = interaction.response.body.chunks
    assert b"".join(chunks) == b"".join(received)
    assert len(chunks) > 5  # one chunk per event, as the server sent them
    assert all(chunk.startswith(b"data: ") and chunk.endswith(b"\n\n") for chunk in chunks)

    lines = b"".join(chunks).splitlines(keepends=True)
    expected = {
        "iter_any": chunks,
        "iter_chunked": chunks,
        "iter_chunks": [(chunk, True) for chunk in chunks],  # each an HTTP chunk
        "async for": lines,
        "readline": lines,
        "text": [b"".join(chunks).decode()],
    }
    with network_cut, use_cassette(path, allow_playback_repeats=True):
        for how, chunks_read in expected.items():
            assert asyncio.run(_read(provider_server.url, how)) == chunks_read, how
    assert network_cut.attempts == []


def test_an_error_status_replays_and_raise_for_status_behaves_the_same(
    tmp_path: Path, provider_server: ProviderServer, network_cut: NetworkCut
) -> None:
    limited = b'{"error":{"message":"Rate limit reached","type":"requests"}}'
    provider_server.failures = [(429, {"retry-after": "2"}, limited)] * 2
    url = provider_server.url + "/v1/chat/completions"

    async def ask() -> list[Any]:
        seen: list[Any] = []
        async with aiohttp.ClientSession() as session:
            async with session.post(url, json=WHOLE) as response:
                seen.append((response.status, response.ok, await response.json()))
                with pytest.raises(aiohttp.ClientResponseError) as refused:
                    response.raise_for_status()
                seen.append((refused.value.status, refused.value.message))
            with pytest.raises(aiohttp.ClientResponseError) as by_session:
                await session.post(url, json=WHOLE, raise_for_status=True)
            error = by_session.value
            seen.append(
                (error.status, error.message, error.headers and error.headers["retry-after"])
            )
        return seen

    path = tmp_path / "refused.yaml"
    with use_cassette(path, record_mode="once") as recording:
        recorded = _run(ask)
    provider_server.stop()
    assert recorded[1] == (429, "Too Many Requests")
    assert [i.response.status_code for i in recording.recorded] == [429, 429]
    with network_cut, use_cassette(path):
        assert _run(ask) == recorded
    assert network_cut.attempts == []


async def _attempt(url: str, path: str, timeout: aiohttp.ClientTimeout) -> tuple[list[bytes], Any]:
    """Stream ``path``; the chunks that arrived, and the error that ended them."""
    chunks: list[bytes] = []
    try:
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.post(url + path, json=CHAT) as response,
        ):
            async for chunk in response.content.iter_any():
                chunks.append(chunk)
    except aiohttp.ClientError as error:
        return chunks, error
    raise AssertionError("the request succeeded")


FAULTS: dict[str, tuple[str | int | None, str, type[aiohttp.ClientError], str, bool]] = {
    # fault: (server's fault, route, aiohttp's exception, kind stored, a response came)
    "closed-before-response": (
        "hang up",
        "/v1/chat/completions",
        aiohttp.ServerDisconnectedError,
        "RemoteProtocolError",
        False,
    ),
    "cut-mid-stream": (
        2,
        "/v1/chat/completions",
        aiohttp.ClientPayloadError,
        "RemoteProtocolError",
        True,
    ),
    "timeout": ("stall", "/v1/chat/completions", aiohttp.SocketTimeoutError, "ReadTimeout", False),
    "timeout-mid-stream": (None, "/v1/slow", aiohttp.SocketTimeoutError, "ReadTimeout", True),
    "refused": (
        "refused",
        "/v1/chat/completions",
        aiohttp.ClientConnectorError,
        "ConnectError",
        False,
    ),
}


@pytest.mark.parametrize("name", FAULTS)
def test_a_transport_error_is_met_again_as_aiohttps_own_after_the_same_chunks(
    name: str, tmp_path: Path, provider_server: ProviderServer, network_cut: NetworkCut
) -> None:
    fault, route, error_type, kind, responded = FAULTS[name]
    provider_server.script = [Reply("Containers are boxes for processes.")]
    provider_server.gate_timeout = 2.0
    if fault == "refused":
        provider_server.stop()
    elif fault is not None:
        provider_server.faults = [fault]
    timeout = aiohttp.ClientTimeout(sock_read=0.2)
    path = tmp_path / "fault.yaml"
    with use_cassette(path, record_mode="once", record_outages=True) as recording:
        chunks, error = asyncio.run(_attempt(provider_server.url, route, timeout))
    provider_server.gate.set()
    provider_server.stop()
    assert type(error) is error_type
    (interaction,) = recording.recorded
    assert interaction.response.error is not None
    assert (interaction.response.error.kind, interaction.response.error.message) == (
        kind,
        str(error),
    )
    assert (interaction.response.status_code == 200) is responded
    assert bool(chunks) is responded

    with network_cut, use_cassette(path) as replay:
        replayed_chunks, replayed_error = asyncio.run(
            _attempt(provider_server.url, route, aiohttp.ClientTimeout())
        )
    assert type(replayed_error) is type(error)
    assert without_note(replayed_error) == str(error)
    assert replayed_chunks == interaction.response.body.chunks
    assert b"".join(replayed_chunks) == b"".join(chunks)
    assert len(replay.played) == 1
    assert network_cut.attempts == []


@pytest.mark.parametrize("auto_decompress", [True, False], ids=["decoded", "raw"])
def test_a_gzip_body_is_stored_decoded_and_replays_the_same_through_aiohttp_and_httpx(
    auto_decompress: bool, tmp_path: Path, provider_server: ProviderServer, network_cut: NetworkCut
) -> None:
    url = provider_server.url + "/gzip"

    async def ask() -> Any:
        async with (
            aiohttp.ClientSession(auto_decompress=auto_decompress) as session,
            session.get(url) as response,
        ):
            return await response.read()

    path = tmp_path / "gzip.yaml"
    with use_cassette(path, record_mode="once") as recording:
        received = _run(ask)
    provider_server.stop()
    response = recording.recorded[0].response
    assert response.header("content-encoding") is None
    payload = json.loads(response.body.content)
    assert payload["items"] == list(range(50))
    assert response.header("content-length") == str(len(response.body.content))
    if auto_decompress:
        assert json.loads(received) == payload
    with network_cut, use_cassette(path, allow_playback_repeats=True):
        assert json.loads(_run(ask)) == payload
        assert httpx.get(url).json() == payload
    assert network_cut.attempts == []


def test_a_credential_header_is_redacted_in_the_cassette_and_still_replays(
    tmp_path: Path, provider_server: ProviderServer, network_cut: NetworkCut
) -> None:
    async def ask() -> Any:
        headers = {"Authorization": f"Bearer {SECRET}"}
        async with (
            aiohttp.ClientSession(headers=headers) as session,
            session.post(provider_server.url + "/v1/chat/completions", json=WHOLE) as response,
        ):
            return await response.json()

    path = tmp_path / "secret.yaml"
    with use_cassette(path, record_mode="once", request_headers="all"):
        recorded = _run(ask)
    assert provider_server.requests[0].headers["Authorization"] == f"Bearer {SECRET}"
    provider_server.stop()
    text = path.read_text()
    assert SECRET not in text
    assert "Authorization: REDACTED" in text
    with network_cut, use_cassette(path):
        assert _run(ask) == recorded


async def _aiohttp_stream(url: str) -> tuple[int, list[bytes]]:
    async with (
        aiohttp.ClientSession() as session,
        session.post(url + "/v1/chat/completions", json=CHAT) as response,
    ):
        return response.status, [chunk async for chunk in response.content.iter_any()]


async def _httpx_stream(url: str) -> tuple[int, list[bytes]]:
    async with (
        httpx.AsyncClient() as client,
        client.stream("POST", url + "/v1/chat/completions", json=CHAT) as response,
    ):
        return response.status_code, [chunk async for chunk in response.aiter_raw()]


CLIENTS = {"aiohttp": _aiohttp_stream, "httpx": _httpx_stream}


@pytest.mark.parametrize(("recorder", "player"), [("aiohttp", "httpx"), ("httpx", "aiohttp")])
def test_a_cassette_recorded_through_one_client_replays_through_the_other(
    recorder: str,
    player: str,
    tmp_path: Path,
    provider_server: ProviderServer,
    network_cut: NetworkCut,
) -> None:
    path = tmp_path / "shared.yaml"
    with use_cassette(path, record_mode="once") as recording:
        status, received = asyncio.run(CLIENTS[recorder](provider_server.url))
    provider_server.stop()
    chunks = recording.recorded[0].response.body.chunks
    assert b"".join(chunks) == b"".join(received)
    with network_cut, use_cassette(path) as replay:
        assert asyncio.run(CLIENTS[player](provider_server.url)) == (status, chunks)
    assert len(replay.played) == 1
    assert network_cut.attempts == []


async def _redirecting_server() -> tuple[web.AppRunner, str]:
    """A server on 127.0.0.1 whose ``/start`` sets a cookie and redirects to ``/end``."""

    async def start(request: web.Request) -> web.Response:
        response = web.HTTPFound("/end")
        response.set_cookie("session", "s-1")
        raise response

    async def end(request: web.Request) -> web.Response:
        return web.json_response({"session": request.cookies.get("session")})

    app = web.Application()
    app.router.add_get("/start", start)
    app.router.add_get("/end", end)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    return runner, f"http://127.0.0.1:{port}"


def test_the_session_follows_redirects_itself_and_each_hop_replays(
    tmp_path: Path, network_cut: NetworkCut
) -> None:
    async def follow(url: str) -> Any:
        jar = aiohttp.CookieJar(unsafe=True)  # cookies for an IP address, as for a host
        async with (
            aiohttp.ClientSession(cookie_jar=jar) as session,
            session.get(url + "/start") as response,
        ):
            return (
                [hop.status for hop in response.history],
                str(response.url),
                await response.json(),
            )

    async def record() -> tuple[str, Any]:
        runner, url = await _redirecting_server()
        try:
            return url, await follow(url)
        finally:
            await runner.cleanup()

    path = tmp_path / "redirect.yaml"
    with use_cassette(path, record_mode="once", request_headers="all") as recording:
        url, recorded = asyncio.run(record())
    assert recorded == ([302], url + "/end", {"session": "s-1"})
    start, end = recording.recorded
    assert (start.request.url, start.response.status_code) == (url + "/start", 302)
    assert (end.request.url, end.response.status_code) == (url + "/end", 200)
    assert end.request.header("cookie") == "REDACTED"  # the session's jar sent it on
    with network_cut, use_cassette(path) as replay:
        assert asyncio.run(follow(url)) == recorded
    assert len(replay.played) == 2
    assert network_cut.attempts == []


INNER_TEST = """
import asyncio
import os

import aiohttp
import pytest

URL = os.environ["PROVIDER_URL"] + "/v1/chat/completions"


async def _ask(text):
    body = {{"model": "gpt-4o", "messages": [{{"role": "user", "content": text}}]}}
    async with aiohttp.ClientSession() as session:
        async with session.post(URL, json=body) as response:
            return await response.json()


@pytest.mark.cassette
def test_answer():
    asyncio.run(_ask({text!r}))
"""


def test_a_changed_request_fails_the_test_with_the_drift_and_how_to_re_record(
    pytester: pytest.Pytester, provider_server: ProviderServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PROVIDER_URL", provider_server.url)
    pytester.makepyfile(test_chat=INNER_TEST.format(text="hello"))
    pytester.runpytest("--record-mode=once").assert_outcomes(passed=1)
    test_file = pytester.makepyfile(test_chat=INNER_TEST.format(text="hello again"))
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    url = f"{provider_server.url}/v1/chat/completions"
    result.stdout.fnmatch_lines(
        [
            "_* test_answer _*",
            f"No recorded interaction matches POST {url}",
            "  cassette:    cassettes/test_chat/test_answer.yaml (1 interaction, 0 played)",
            "  record mode: none (replay only; nothing was sent to the network)",
            f"  nearest:     interaction 0 (POST {url}): same method and URL, but the body differs",
            "  changes from the recording to this request:",
            '    replace /messages/0/content: "hello" → "hello again"',
            f"  sent from:   test_chat.py:{line_of(test_file, 'asyncio.run(_ask(')}",
            "If the change is intended, re-record the cassette:",
            "  pytest --record-mode=rewrite test_chat.py::test_answer",
        ],
        consecutive=True,
    )
    assert len(provider_server.requests) == 1

    # The code meets the plugin's error itself, not one of aiohttp's wrapping it.
    async def ask() -> None:
        body = {"model": "gpt-4o", "messages": [{"role": "user", "content": "hello again"}]}
        async with aiohttp.ClientSession() as session:
            await session.post(url, json=body)

    cassette = pytester.path / "cassettes" / "test_chat" / "test_answer.yaml"
    with use_cassette(cassette), pytest.raises(CassetteMismatchError) as refused:
        asyncio.run(ask())
    assert "same method and URL, but the body differs" in str(refused.value)
