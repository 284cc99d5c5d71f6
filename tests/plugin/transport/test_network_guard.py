"""Nothing leaves the machine during a replay, whatever library tries; the SDKs' aiohttp
clients are recorded and replayed, not stopped.

No packet is ever sent: the real ``connect`` and ``getaddrinfo`` are replaced by recorders
*before* the cassette installs its guard, so the guard wraps the recorders, and even a
broken guard would only reach them. The outside addresses are documentation ones
(192.0.2.0/24, 2001:db8::/32) and ``.invalid`` names.
"""

from __future__ import annotations

import asyncio
import functools
import socket
import threading
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import pytest

from pytest_agentcassette import NetworkBlockedError, use_cassette
from tests.support.network import NetworkCut
from tests.support.provider_server import ProviderServer
from tests.support.stand_in import STAND_IN_CONFTEST
from tests.support.wire_formats import Reply

OUTSIDE = ("192.0.2.10", 443)
OUTSIDE_V6 = ("2001:db8::10", 443, 0, 0)
OUTSIDE_NAME = "llm.example.invalid"


class StandIn:
    """Takes the place of the real connect and getaddrinfo, noting what reached them."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch):
        self.reached: list[Any] = []

        def connect(sock: socket.socket, address: Any) -> None:
            self.reached.append(("connect", address))
            raise ConnectionRefusedError(111, "stand-in: refused")

        def connect_ex(sock: socket.socket, address: Any) -> int:
            self.reached.append(("connect_ex", address))
            return 111

        def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
            self.reached.append(("getaddrinfo", host))
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port or 0))]

        monkeypatch.setattr(socket.socket, "connect", connect)
        monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@pytest.fixture
def stand_in(monkeypatch: pytest.MonkeyPatch) -> StandIn:
    return StandIn(monkeypatch)


def _connect(address: tuple[Any, ...], family: int = socket.AF_INET) -> BaseException | None:
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        try:
            sock.connect(address)
        except BaseException as error:
            return error
    return None


def test_a_replay_stops_connections_off_the_machine_before_they_are_made(
    tmp_path: Path, stand_in: StandIn
) -> None:
    with use_cassette(tmp_path / "c.yaml") as cassette:
        error = _connect(OUTSIDE)
        v6 = _connect(OUTSIDE_V6, socket.AF_INET6)
        with pytest.raises(NetworkBlockedError) as named:
            socket.getaddrinfo(OUTSIDE_NAME, 443)
        with socket.socket() as sock, pytest.raises(NetworkBlockedError):
            sock.connect_ex(OUTSIDE)
    assert stand_in.reached == []
    assert isinstance(error, NetworkBlockedError)
    assert isinstance(error, ConnectionError)  # what libraries expect of a refused connect
    assert isinstance(v6, NetworkBlockedError)
    assert str(error).startswith(
        f"agentcassette stopped a connection to 192.0.2.10:443: the cassette {tmp_path}/c.yaml "
        f"is replaying (record mode none), and nothing may reach the network in a replay."
    )
    assert 'allowed_hosts=["192.0.2.10"]' in str(error)
    assert (named.value.host, named.value.port) == (OUTSIDE_NAME, 443)
    assert len(cassette.blocked) == 4


def test_this_machine_and_allowed_hosts_stay_reachable(tmp_path: Path, stand_in: StandIn) -> None:
    with use_cassette(tmp_path / "c.yaml", allowed_hosts=["*.example.invalid", "192.0.2.10"]):
        for address in (("127.0.0.1", 80), ("127.8.0.1", 80), ("localhost", 80), OUTSIDE):
            assert isinstance(_connect(address), ConnectionRefusedError)  # the stand-in's
        assert isinstance(_connect(("::1", 80, 0, 0), socket.AF_INET6), ConnectionRefusedError)
        socket.getaddrinfo(OUTSIDE_NAME, 443)
        socket.getaddrinfo("localhost", 80)
    assert [kind for kind, _ in stand_in.reached] == ["connect"] * 5 + ["getaddrinfo"] * 2


@pytest.mark.parametrize(
    ("record_mode", "file_exists", "guarded"),
    [
        ("none", False, True),
        ("none", True, True),
        ("once", True, True),
        ("once", False, False),
        ("new_episodes", True, False),
        ("all", True, False),
    ],
)
def test_only_a_replay_is_guarded(
    tmp_path: Path, stand_in: StandIn, record_mode: str, file_exists: bool, guarded: bool
) -> None:
    path = tmp_path / "c.yaml"
    if file_exists:
        path.write_text("version: 2\ninteractions: []\n")
    with use_cassette(path, record_mode=record_mode):
        error = _connect(OUTSIDE)
    assert isinstance(error, NetworkBlockedError) is guarded
    assert bool(stand_in.reached) is not guarded


def test_outside_any_cassette_nothing_is_guarded(stand_in: StandIn) -> None:
    assert isinstance(_connect(OUTSIDE), ConnectionRefusedError)
    assert stand_in.reached == [("connect", OUTSIDE)]


def test_threads_and_event_loops_are_guarded_too(tmp_path: Path, stand_in: StandIn) -> None:
    outcomes: list[BaseException | None] = []

    async def open_connection() -> None:
        await asyncio.open_connection(OUTSIDE_NAME, 443)

    with use_cassette(tmp_path / "c.yaml"):
        worker = threading.Thread(target=lambda: outcomes.append(_connect(OUTSIDE)))
        worker.start()
        worker.join()
        with pytest.raises(NetworkBlockedError):
            asyncio.run(open_connection())  # getaddrinfo runs in the loop's executor thread
    assert isinstance(outcomes[0], NetworkBlockedError)
    assert stand_in.reached == []


def test_a_blocked_request_fails_the_test_even_if_the_code_swallows_it(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeconftest(STAND_IN_CONFTEST)
    pytester.makepyfile(
        test_guard="""
        import urllib.request

        import pytest

        @pytest.mark.cassette
        def test_fetch():
            try:
                urllib.request.urlopen("http://llm.example.invalid/v1/models", timeout=1)
            except OSError:
                pass  # swallowed, as client libraries do before they retry
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*agentcassette stopped a connection to llm.example.invalid:80: the cassette "
            "cassettes/test_guard/test_fetch.yaml is replaying (record mode none)*",
            "*To record its traffic, send it through one of those clients and run:",
            "*pytest --record-mode=rewrite test_guard.py::test_fetch",
            '*allowed_hosts=?"llm.example.invalid"? on the cassette marker*',
        ]
    )


@pytest.fixture
def aiohttp_requests(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every request sent through an aiohttp ``ClientSession``, as ``METHOD URL``: the
    proof that an SDK's traffic went through aiohttp, not httpx."""
    import aiohttp

    sent: list[str] = []
    real = aiohttp.ClientSession._request

    @functools.wraps(real)
    async def spy(self: aiohttp.ClientSession, method: str, url: Any, **kwargs: Any) -> Any:
        sent.append(f"{method.upper()} {url}")
        return await real(self, method, url, **kwargs)

    monkeypatch.setattr(aiohttp.ClientSession, "_request", spy)
    return sent


def _record_then_replay(
    ask: Callable[[], Coroutine[Any, Any, Any]],
    path: Path,
    provider_server: ProviderServer,
    network_cut: NetworkCut,
) -> Any:
    """What ``ask`` got while recording, after checking that a replay with the server
    stopped and every socket refused gets the same."""
    with use_cassette(path, record_mode="once") as recording:
        recorded = asyncio.run(ask())
    assert recording.recorded
    provider_server.stop()
    with network_cut, use_cassette(path) as replay:
        assert asyncio.run(ask()) == recorded
    assert len(replay.played) == len(recording.recorded)
    assert network_cut.attempts == []
    return recorded


def test_google_genai_on_aiohttp_records_and_replays(
    tmp_path: Path,
    provider_server: ProviderServer,
    network_cut: NetworkCut,
    aiohttp_requests: list[str],
) -> None:
    from google import genai
    from google.genai import types

    provider_server.script = [Reply("Containers are boxes."), Reply("They hold processes.")]

    async def ask() -> tuple[str | None, list[str | None]]:
        options = types.HttpOptions(base_url=provider_server.url)
        async with genai.Client(api_key="test-key", http_options=options).aio as client:
            whole = await client.models.generate_content(model="gemini-2.5-flash", contents="Hi")
            stream = await client.models.generate_content_stream(
                model="gemini-2.5-flash", contents="And then?"
            )
            return whole.text, [chunk.text async for chunk in stream]

    whole, streamed = _record_then_replay(
        ask, tmp_path / "genai.yaml", provider_server, network_cut
    )
    assert whole == "Containers are boxes."
    assert "".join(text or "" for text in streamed) == "They hold processes."
    base = f"{provider_server.url}/v1/models/gemini-2.5-flash"
    assert (
        aiohttp_requests
        == [
            f"POST {base}:generateContent",
            f"POST {base}:streamGenerateContent?alt=sse",
        ]
        * 2
    )


@pytest.mark.parametrize("sdk", ["openai", "anthropic"])
def test_the_sdks_aiohttp_clients_record_and_replay(
    sdk: str,
    tmp_path: Path,
    provider_server: ProviderServer,
    network_cut: NetworkCut,
    aiohttp_requests: list[str],
) -> None:
    import anthropic
    import openai

    provider_server.script = [Reply("Containers are boxes for processes.")]

    async def ask() -> Any:
        if sdk == "openai":
            async with openai.AsyncOpenAI(
                base_url=provider_server.url + "/v1",
                api_key="sk-test",
                max_retries=0,
                http_client=openai.DefaultAioHttpClient(),
            ) as client:
                stream = await client.chat.completions.create(
                    model="gpt-4o", messages=[{"role": "user", "content": "Hi"}], stream=True
                )
                return [chunk.choices[0].delta.content async for chunk in stream if chunk.choices]
        async with anthropic.AsyncAnthropic(
            base_url=provider_server.url,
            api_key="sk-ant-test",
            max_retries=0,
            http_client=anthropic.DefaultAioHttpClient(),
        ) as claude:
            message = await claude.messages.create(
                model="claude-sonnet-4-0",
                max_tokens=100,
                messages=[{"role": "user", "content": "Hi"}],
            )
            return [block.text for block in message.content if block.type == "text"]

    answer = _record_then_replay(ask, tmp_path / "sdk.yaml", provider_server, network_cut)
    assert "".join(part or "" for part in answer) == "Containers are boxes for processes."
    assert len(aiohttp_requests) == 2  # recorded, then replayed, through aiohttp


# What pydantic says of LiteLLM's models as they load.
@pytest.mark.filterwarnings("ignore:Item.* using the `ReadOnly` qualifier:UserWarning")
def test_litellm_on_aiohttp_records_and_replays(
    tmp_path: Path,
    provider_server: ProviderServer,
    network_cut: NetworkCut,
    aiohttp_requests: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Its table of model prices stays the one it ships, not fetched from the internet.
    monkeypatch.setenv("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    litellm = pytest.importorskip("litellm", reason="litellm is not installed")
    provider_server.script = [Reply("Containers are boxes for processes.")]

    async def ask() -> Any:
        answer = await litellm.acompletion(
            model="openai/gpt-4o",
            api_base=provider_server.url + "/v1",
            api_key="sk-test",
            messages=[{"role": "user", "content": "Hi"}],
        )
        return answer.choices[0].message.content

    answer = _record_then_replay(ask, tmp_path / "litellm.yaml", provider_server, network_cut)
    assert answer == "Containers are boxes for processes."
    assert len(aiohttp_requests) == 2  # its default transport is aiohttp
