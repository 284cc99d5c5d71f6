"""The SDKs that send through aiohttp record and replay unchanged: google-genai's async
client (whenever aiohttp is installed), openai's and anthropic's ``DefaultAioHttpClient()``,
and LiteLLM; a spy on ``ClientSession._request`` proves the traffic went through aiohttp.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import pytest

from pytest_agentcassette import use_cassette
from tests.support.network import NetworkCut
from tests.support.provider_server import ProviderServer
from tests.support.wire_formats import Reply


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
