"""The provider-neutral view of a replayed conversation: the same tool calls, text and usage
whichever of the five API shapes carried it, streamed or not."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_agentcassette import ToolCall, Usage, use_cassette
from tests.support.agent_loops import APIS, PROMPT, run_conversation
from tests.support.provider_server import ProviderServer
from tests.support.wire_formats import Reply

EXPECTED = [ToolCall("read_file", {"path": "README.md"}, "tool-call-1")]


def _record_then_replay(
    api: str, stream: bool, tmp_path: Path, server: ProviderServer
) -> list[ToolCall]:
    server.script = [
        Reply("Let me look.", tool=("read_file", {"path": "README.md"})),
        Reply("The README has a title."),
    ]
    path = tmp_path / f"{api}-{stream}.yaml"
    with use_cassette(path, record_mode="once") as recording:
        run_conversation(server.url, api, stream=stream)
    assert recording.tool_calls == EXPECTED
    with use_cassette(path) as replay:
        run_conversation(server.url, api, stream=stream)
    conversation = replay.conversation
    first, second = conversation.exchanges
    assert first.text == "Let me look."
    assert second.text == "The README has a title."
    assert first.prompt == PROMPT
    assert second.tool_calls == []
    assert first.usage == Usage(31, 9, 40)
    assert conversation.usage == Usage(62, 18, 80)
    return replay.tool_calls


@pytest.mark.parametrize("stream", [True, False], ids=["streamed", "whole"])
@pytest.mark.parametrize("api", APIS)
def test_tool_calls_read_the_same_from_every_api(
    api: str, stream: bool, tmp_path: Path, provider_server: ProviderServer
) -> None:
    calls = _record_then_replay(api, stream, tmp_path, provider_server)
    assert calls == EXPECTED
    assert calls[0].raw_id is not None or api == "gemini"


def test_the_exchanges_name_their_api(tmp_path: Path, provider_server: ProviderServer) -> None:
    apis = []
    for api in APIS:
        provider_server.script = [Reply(tool=("read_file", {"path": "x"})), Reply("ok")]
        with use_cassette(tmp_path / f"{api}.yaml", record_mode="once") as cassette:
            run_conversation(provider_server.url, api, stream=True)
        apis.append(cassette.conversation.exchanges[0].api)
    assert apis == ["openai-chat", "openai-responses", "anthropic", "gemini", "openai-chat"]


def test_a_cagent_session_shows_its_tool_call(cagent_corpus: Path) -> None:
    path = cagent_corpus / "cassettes" / "TestExec_OpenAI_ToolCall.yaml"
    from pytest_agentcassette import Conversation
    from tests.support.cassettes import load_cassette

    conversation = Conversation.of(load_cassette(path, fix_hint=""))
    assert conversation.tool_calls == [
        ToolCall("list_directory", {"path": "testdata/working_dir"}, "tool-call-1")
    ]
    assert conversation.tool_calls[0].raw_id == "call_I1tmAsYKD7bveEpXORJwVFgs"
    assert conversation.exchanges[-1].text == "1"
    assert conversation.usage.total_tokens == 803 + 817
