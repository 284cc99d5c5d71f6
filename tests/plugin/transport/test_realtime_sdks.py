"""The realtime SDKs record and replay unchanged over a WebSocket: OpenAI's Realtime client
and google-genai's Live API, each through a tool round trip, recorded from a loopback
emulator and replayed with the emulator stopped and every socket refused; the SDKs' typed
events come back the same, and a changed message fails the test with the drift."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest
from google import genai
from google.genai import types
from openai.resources.realtime.realtime import AsyncRealtimeConnection
from openai.types.realtime import (
    RealtimeConversationItemFunctionCall,
    RealtimeFunctionToolParam,
    RealtimeServerEvent,
    ResponseDoneEvent,
)

from pytest_agentcassette import use_cassette
from tests.support.inner_runs import line_of
from tests.support.network import NetworkCut
from tests.support.realtime_server import LiveServer, RealtimeServer
from tests.support.wire_formats import Reply

OPENAI_KEY = "sk-test-realtime-0123456789abcdefghijklmnop"
GEMINI_KEY = "AIzaSyTest-live-0123456789abcdefghijklmno"
WEATHER = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
TOOL_OUTPUT = '{"sky": "sunny"}'
SCRIPT = [Reply("Let me check.", tool=("get_weather", {"city": "Paris"}))]


@pytest.fixture
def realtime_server() -> Iterator[RealtimeServer]:
    server = RealtimeServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def live_server() -> Iterator[LiveServer]:
    server = LiveServer().start()
    try:
        yield server
    finally:
        server.stop()


async def _until_done(connection: AsyncRealtimeConnection) -> list[RealtimeServerEvent]:
    events: list[RealtimeServerEvent] = []
    async for event in connection:
        events.append(event)
        if event.type == "response.done":
            return events
    raise AssertionError(f"the connection closed before response.done: {events}")


async def _ask_openai(url: str) -> list[RealtimeServerEvent]:
    """A text session with a tool: ask, run the tool the model calls, read the answer."""
    client = openai.AsyncOpenAI(api_key=OPENAI_KEY, base_url=url + "/v1")
    tool: RealtimeFunctionToolParam = {
        "type": "function",
        "name": "get_weather",
        "parameters": WEATHER,
    }
    async with client.realtime.connect(model="gpt-realtime") as connection:
        await connection.session.update(
            session={
                "type": "realtime",
                "instructions": "Answer in one sentence.",
                "output_modalities": ["text"],
                "tools": [tool],
            }
        )
        await connection.conversation.item.create(
            item={
                "type": "message",
                "role": "user",
                "content": [{"type": "input_text", "text": "What is the weather in Paris?"}],
            }
        )
        await connection.response.create()
        events = await _until_done(connection)
        output = {
            "type": "function_call_output",
            "call_id": _call_id(events),
            "output": TOOL_OUTPUT,
        }
        await connection.conversation.item.create(item=output)  # type: ignore[arg-type]
        await connection.response.create()
        return events + await _until_done(connection)


def _call_id(events: list[RealtimeServerEvent]) -> str:
    """The id of the function call that ends the first response in ``events``."""
    done = next(event for event in events if isinstance(event, ResponseDoneEvent))
    call = (done.response.output or [])[-1]
    assert isinstance(call, RealtimeConversationItemFunctionCall)
    assert call.call_id is not None
    return call.call_id


def _text(events: list[RealtimeServerEvent]) -> str:
    return "".join(event.delta for event in events if event.type == "response.output_text.delta")


def test_the_openai_realtime_client_records_and_replays_a_tool_round_trip_unchanged(
    tmp_path: Path, realtime_server: RealtimeServer, network_cut: NetworkCut
) -> None:
    realtime_server.script = list(SCRIPT)
    path = tmp_path / "realtime.yaml"
    with use_cassette(path, record_mode="once") as recording:
        recorded = asyncio.run(_ask_openai(realtime_server.url))
    realtime_server.stop()

    with network_cut, use_cassette(path, record_mode="none") as replay:
        replayed = asyncio.run(_ask_openai(realtime_server.url))

    turn = ["response.created", *["response.output_text.delta"] * 3, "response.output_text.done"]
    arguments = ["response.function_call_arguments.delta"] * 2
    assert [event.type for event in recorded] == [
        "session.created",
        "session.updated",
        "conversation.item.created",
        *turn,
        *arguments,
        "response.function_call_arguments.done",
        "response.done",
        "conversation.item.created",
        *turn[:1],
        *["response.output_text.delta"] * 4,
        *turn[-1:],
        "response.done",
    ]
    # The same typed events, down to the random ids the emulator minted while recording.
    assert replayed == recorded
    assert _text(replayed) == f"Let me check.You said: {TOOL_OUTPUT}"
    last = replayed[-1]
    assert isinstance(last, ResponseDoneEvent)
    assert last.response.usage is not None
    assert last.response.usage.output_tokens == 4
    assert replay.mismatches == []
    assert network_cut.attempts == []
    # The call id the replay gave back is the recorded one, and the SDK's answer carrying
    # it matched the recorded message.
    assert [event["type"] for event in realtime_server.received] == [
        "session.update",
        *["conversation.item.create", "response.create"] * 2,
    ]
    assert realtime_server.received[3]["item"]["call_id"] == _call_id(replayed)
    assert len(realtime_server.connections) == 1
    assert len(recording.recorded) == len(replay.played)

    saved = path.read_text()
    opening = realtime_server.connections[0]
    assert opening.path == "/v1/realtime?model=gpt-realtime"
    assert opening.headers["Authorization"] == f"Bearer {OPENAI_KEY}"
    assert "Authorization: REDACTED" in saved
    assert "sk-test" not in saved


INNER_TEST = """
import asyncio
import os

import openai
import pytest


async def talk():
    client = openai.AsyncOpenAI(
        api_key="sk-test-inner-0123456789abcdefghij", base_url=os.environ["REALTIME_URL"] + "/v1"
    )
    async with client.realtime.connect(model="gpt-realtime") as connection:
        await connection.session.update(
            session={{"type": "realtime", "instructions": "{instructions}", "output_modalities": ["text"]}}
        )
        await connection.conversation.item.create(
            item={{"type": "message", "role": "user", "content": [{{"type": "input_text", "text": "hello"}}]}}
        )
        await connection.response.create()
        text = ""
        async for event in connection:
            if event.type == "response.output_text.delta":
                text += event.delta
            if event.type == "response.done":
                return text


@pytest.mark.cassette
def test_talk():
    assert asyncio.run(talk()) == "You said: hello"
"""


def test_changed_session_instructions_fail_the_replay_with_the_drift(
    pytester: pytest.Pytester,
    realtime_server: RealtimeServer,
    monkeypatch: pytest.MonkeyPatch,
    network_cut: NetworkCut,
) -> None:
    monkeypatch.setenv("REALTIME_URL", realtime_server.url)
    pytester.makepyfile(test_voice=INNER_TEST.format(instructions="Be brief."))
    pytester.runpytest("--record-mode=once", "-p", "no:recording").assert_outcomes(passed=1)
    realtime_server.stop()
    test_file = pytester.makepyfile(test_voice=INNER_TEST.format(instructions="Be verbose."))

    with network_cut:
        result = pytester.runpytest("-p", "no:recording")

    result.assert_outcomes(failed=1)
    url = f"ws://127.0.0.1:{realtime_server.port}/v1/realtime?model=gpt-realtime"
    result.stdout.fnmatch_lines(
        [
            "_* test_talk _*",
            f"No recorded interaction matches session.update {url}",
            "  cassette:    cassettes/test_voice/test_talk.yaml (4 interactions, * played)",
            "  record mode: none (replay only; nothing was sent to the network)",
            f"  nearest:     interaction 1 (session.update {url}): same method and URL, but "
            "the body differs",
            "  changes from the recording to this request:",
            '    replace /session/instructions: "Be brief." → "Be verbose."',
            f"  sent from:   test_voice.py:{line_of(test_file, 'asyncio.run(talk())')}",
            "If the change is intended, re-record the cassette:",
            "  pytest --record-mode=rewrite test_voice.py::test_talk",
        ],
        consecutive=True,
    )
    assert network_cut.attempts == []
    assert len(realtime_server.connections) == 1  # the recording's
    assert realtime_server.received[0]["session"]["instructions"] == "Be brief."


async def _ask_gemini(server: LiveServer) -> list[types.LiveServerMessage]:
    """A text session with a tool: ask, answer the tool call, then say one more thing."""
    options = types.HttpOptions(base_url=server.url, async_client_args={"ssl": server.client_ssl})
    client = genai.Client(api_key=GEMINI_KEY, http_options=options)
    declaration = {"name": "get_weather", "parameters": {"type": "OBJECT", "properties": {}}}
    config: Any = {
        "response_modalities": ["TEXT"],
        "system_instruction": "Answer in one sentence.",
        "tools": [{"function_declarations": [declaration]}],
    }
    messages: list[types.LiveServerMessage] = []
    async with client.aio.live.connect(model="gemini-live-2.5-flash", config=config) as session:
        question = types.Content(role="user", parts=[types.Part(text="Weather in Paris?")])
        await session.send_client_content(turns=question, turn_complete=True)
        async for message in session.receive():  # the turn goes on after the tool's result
            messages.append(message)
            if message.tool_call:
                call = (message.tool_call.function_calls or [])[0]
                answer = types.FunctionResponse(
                    id=call.id, name=call.name, response=json.loads(TOOL_OUTPUT)
                )
                await session.send_tool_response(function_responses=[answer])
        await session.send_realtime_input(text="Thanks")
        messages += [message async for message in session.receive()]
    return messages


def test_google_genai_live_records_and_replays_a_tool_round_trip_unchanged(
    tmp_path: Path, live_server: LiveServer, network_cut: NetworkCut
) -> None:
    live_server.script = list(SCRIPT)
    path = tmp_path / "live.yaml"
    with use_cassette(path, record_mode="once"):
        recorded = asyncio.run(_ask_gemini(live_server))
    live_server.stop()

    with network_cut, use_cassette(path, record_mode="none") as replay:
        replayed = asyncio.run(_ask_gemini(live_server))

    assert replayed == recorded
    assert replay.mismatches == []
    assert network_cut.attempts == []
    text = "".join(message.text or "" for message in replayed)
    assert text == 'Let me check.You said: {"sky":"sunny"}You said: Thanks'
    calls = [message.tool_call for message in replayed if message.tool_call]
    call_id = calls[0].function_calls[0].id  # type: ignore[index]
    assert live_server.received[2]["tool_response"]["functionResponses"][0]["id"] == call_id
    assert replayed[-1].usage_metadata.response_token_count == 3  # type: ignore[union-attr]

    saved = path.read_text()
    opening = live_server.connections[0]
    assert opening.path.endswith("GenerativeService.BidiGenerateContent")
    assert opening.headers["x-goog-api-key"] == GEMINI_KEY
    assert "x-goog-api-key: REDACTED" in saved
    assert f"url: wss://127.0.0.1:{live_server.port}/ws/" in saved
    assert GEMINI_KEY not in saved
