"""The official SDKs record and replay unchanged: a two-turn, tool-using exchange through
each, sync and async, streamed and whole, recorded from the scripted server and replayed
with the server stopped and every socket refused; the SDK objects are the same."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import pytest

from pytest_agentcassette import use_cassette
from tests.support.network import NetworkCut
from tests.support.provider_server import ProviderServer
from tests.support.sdk_exchanges import EXCHANGES, TOOL_RESULT
from tests.support.wire_formats import Reply

SCRIPT = [
    Reply("Let me check.", tool=("get_weather", {"city": "Paris"})),
    Reply("It is sunny in Paris."),
]


@pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])
@pytest.mark.parametrize("stream", [False, True], ids=["whole", "streamed"])
@pytest.mark.parametrize("sdk", EXCHANGES)
def test_the_sdk_records_and_replays_a_tool_exchange_unchanged(
    sdk: str,
    stream: bool,
    is_async: bool,
    tmp_path: Path,
    provider_server: ProviderServer,
    network_cut: NetworkCut,
) -> None:
    exchange = EXCHANGES[sdk]
    provider_server.script = list(SCRIPT)
    cassette = tmp_path / "exchange.yaml"
    with use_cassette(cassette, record_mode="once") as recording:
        recorded = exchange(provider_server.url, stream=stream, is_async=is_async)
    assert len(recording.recorded) == 2
    provider_server.stop()

    with network_cut, use_cassette(cassette) as replay:
        replayed = exchange(provider_server.url, stream=stream, is_async=is_async)

    assert replayed == recorded
    assert network_cut.attempts == []
    assert [i.id for i in replay.played] == [0, 1]
    # The second request carried the tool's result.
    assert TOOL_RESULT in json.dumps(replay.played[1].request.json(), ensure_ascii=False)
    assert [(call.name, call.arguments) for call in replay.tool_calls] == [
        ("get_weather", {"city": "Paris"})
    ]
    assert replay.conversation.exchanges[-1].text == "It is sunny in Paris."


def _ask(sdk: str, base_url: str) -> str:
    if sdk == "openai":
        import openai

        with openai.OpenAI(base_url=base_url + "/v1", api_key="sk-test") as client:
            answer = client.chat.completions.create(
                model="gpt-4o", messages=[{"role": "user", "content": "Hi"}]
            )
            return answer.choices[0].message.content or ""
    import anthropic

    with anthropic.Anthropic(base_url=base_url, api_key="sk-ant-test") as claude:
        message = claude.messages.create(
            model="claude-sonnet-4-0", max_tokens=64, messages=[{"role": "user", "content": "Hi"}]
        )
        return "".join(block.text for block in message.content if block.type == "text")


FAILURES = {
    "openai": (429, b'{"error":{"message":"Rate limit reached","type":"requests"}}'),
    "anthropic": (529, b'{"type":"error","error":{"type":"overloaded_error","message":"Busy"}}'),
}


@pytest.mark.parametrize("sdk", FAILURES)
def test_a_refusal_and_the_sdks_retry_replay_in_order_and_need_not_wait(
    sdk: str, tmp_path: Path, provider_server: ProviderServer, network_cut: NetworkCut
) -> None:
    status, body = FAILURES[sdk]
    provider_server.failures = [(status, {"retry-after-ms": "10"}, body)]
    provider_server.script = [Reply("Hello.")]
    path = tmp_path / "retry.yaml"
    with use_cassette(path, record_mode="once") as recording:
        assert _ask(sdk, provider_server.url) == "Hello."
    assert [i.response.status_code for i in recording.recorded] == [status, 200]
    provider_server.stop()

    # What a busy provider may really ask for: a replay would wait for it, every time.
    path.write_text(path.read_text().replace("retry-after-ms: '10'", "retry-after-ms: '30000'"))
    started = time.perf_counter()
    with network_cut, use_cassette(path, replay_retry_after=0.001) as replay:
        assert _ask(sdk, provider_server.url) == "Hello."
    assert time.perf_counter() - started < 5
    assert [i.response.status_code for i in replay.played] == [status, 200]
    assert network_cut.attempts == []


def _weather_agent(client: Any) -> Any:
    from pydantic_ai import Agent
    from pydantic_ai.models.openai import OpenAIChatModel
    from pydantic_ai.providers.openai import OpenAIProvider

    provider = OpenAIProvider(openai_client=client)
    agent = Agent(OpenAIChatModel("gpt-4o", provider=provider), instructions="Be brief.")

    @agent.tool_plain
    def get_weather(city: str) -> str:
        """The weather in a city."""
        return f"{TOOL_RESULT} in {city}"

    return agent


def _parts(result: Any) -> list[tuple[str, Any, Any, Any]]:
    """The conversation pydantic-ai kept, without its timestamps."""
    return [
        (
            type(part).__name__,
            getattr(part, "content", None),
            getattr(part, "args", None),
            getattr(part, "tool_name", None),
        )
        for message in result.all_messages()
        for part in message.parts
    ]


@pytest.mark.parametrize("is_async", [False, True], ids=["run_sync", "run"])
def test_a_pydantic_ai_agent_with_a_tool_records_and_replays_unchanged(
    is_async: bool, tmp_path: Path, provider_server: ProviderServer, network_cut: NetworkCut
) -> None:
    def run(base_url: str) -> Any:
        from openai import AsyncOpenAI

        client = AsyncOpenAI(base_url=base_url + "/v1", api_key="sk-test")
        agent = _weather_agent(client)
        if is_async:

            async def run_and_close() -> Any:
                async with client:
                    return await agent.run("What's the weather in Paris?")

            return asyncio.run(run_and_close())
        # run_sync adopts the thread's event loop (or makes one it never closes): hand it one.
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            return agent.run_sync("What's the weather in Paris?")
        finally:
            loop.run_until_complete(client.close())
            asyncio.set_event_loop(None)
            loop.close()

    provider_server.script = list(SCRIPT)
    path = tmp_path / "agent.yaml"
    with use_cassette(path, record_mode="once"):
        recorded = run(provider_server.url)
    provider_server.stop()
    with network_cut, use_cassette(path) as replay:
        replayed = run(provider_server.url)
    assert replayed.output == recorded.output == "It is sunny in Paris."
    assert _parts(replayed) == _parts(recorded)
    assert ("ToolReturnPart", f"{TOOL_RESULT} in Paris", None, "get_weather") in _parts(replayed)
    assert replayed.usage == recorded.usage
    assert len(replay.played) == 2
    assert network_cut.attempts == []
