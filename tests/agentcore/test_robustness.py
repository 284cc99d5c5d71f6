"""What a review of agentcore found, kept fixed: sandbox leaks, runaway loops, invalid
histories, bodies providers refuse, raw exceptions, cut streams, retries."""

from __future__ import annotations

import asyncio
import json
import textwrap
from datetime import datetime
from pathlib import Path

import httpx
import pytest

import agentcore
from agentcore import ConfigError, ProviderError, events, load_config
from agentcore.config import ToolsetConfig
from agentcore.messages import Message, ToolCall, ToolDefinition
from agentcore.providers.anthropic import anthropic_messages
from agentcore.providers.base import HttpExchange, _retry_after
from agentcore.providers.gemini import gemini_contents
from agentcore.tools import ToolContext, build_toolset
from tests.support.agents import load, one_agent, results, sent
from tests.support.provider_server import ProviderServer
from tests.support.wire_formats import Reply


def test_search_never_reads_through_a_symlink_that_leads_out(tmp_path: Path) -> None:
    work, outside = tmp_path / "work", tmp_path / "outside"
    work.mkdir()
    outside.mkdir()
    (outside / "secret.txt").write_text("API_KEY=sk-live-123\n")
    (work / "notes.txt").symlink_to(outside / "secret.txt")
    (work / "own.txt").write_text("API_KEY=placeholder\n")
    context = ToolContext(work, {}, httpx.Client(), datetime.now, work / "a.yaml")
    search = next(
        t
        for t in build_toolset(ToolsetConfig("filesystem"), context).tools
        if t.name == "search_files_content"
    )
    assert search.handler({"path": ".", "query": "API_KEY"}) == "own.txt:1:1: API_KEY=placeholder"


def test_handoffs_share_one_iteration_budget(
    tmp_path: Path, provider_server: ProviderServer
) -> None:
    agents = textwrap.dedent(
        """\
        agents:
          root:
            model: main
            max_iterations: 3
            handoffs: [other]
          other:
            model: main
            max_iterations: 3
            handoffs: [root]
        """
    )
    provider_server.script = [Reply(tool=("handoff", {"agent": a})) for a in ["other", "root"] * 20]
    with load(tmp_path, provider_server, agents) as team:
        result = team.run("Ping pong")
    assert len(provider_server.requests) == 3
    assert (
        result.output == "Execution stopped after reaching the configured max_iterations limit (3)."
    )


def test_an_interrupted_turn_still_answers_every_call(
    tmp_path: Path, provider_server: ProviderServer
) -> None:
    provider_server.script = [
        Reply(tool=("write_file", {"path": "a", "content": "x"})),
        Reply("second answer"),
    ]

    def interrupted(agent: str, call: ToolCall) -> str:
        raise KeyboardInterrupt

    with load(tmp_path, provider_server, one_agent()) as team:
        session = team.session(approve=interrupted)
        with pytest.raises(KeyboardInterrupt):
            list(session.stream("first"))
        list(session.stream("second"))
    history = sent(provider_server, 1)
    assert [m["role"] for m in history if m["role"] != "system"] == [
        "user",
        "assistant",
        "tool",
        "user",
    ]
    assert history[-2]["content"] == "The tool call was canceled by the user."


def test_blank_answers_and_blank_system_texts_are_never_sent(
    tmp_path: Path, provider_server: ProviderServer
) -> None:
    provider_server.script = [Reply("\n\n"), Reply("ok")]
    with load(
        tmp_path, provider_server, one_agent("[]", "    add_prompt_files: [EMPTY.md]\n")
    ) as team:
        (team.working_dir / "EMPTY.md").write_text("  \n")
        session = team.session()
        list(session.stream("first"))
        list(session.stream("second"))
        with pytest.raises(ValueError, match="the prompt is empty"):
            list(session.stream("  "))
    roles = [(m["role"], m["content"]) for m in sent(provider_server, 1)]
    assert roles == [("system", "Work."), ("user", "first"), ("user", "second")]
    assert anthropic_messages(
        [Message("user", "hi"), Message("assistant", " ", [ToolCall("t1", "x", "{}")])]
    )[1]["content"] == [
        {
            "type": "tool_use",
            "id": "t1",
            "name": "x",
            "input": {},
            "cache_control": {"type": "ephemeral"},
        }
    ]


def test_gemini_gets_no_empty_object_schema_and_answers_calls_by_id() -> None:
    from agentcore.config import Config, ModelConfig
    from agentcore.providers import create_provider

    model = ModelConfig("g", "google", "gemini-2.5-flash")
    gemini = create_provider(
        model, Config(Path("a.yaml"), "2", {}, {"g": model}), HttpExchange(httpx.Client()), {}
    )
    empty = ToolDefinition(
        "list_todos",
        "List",
        {"additionalProperties": False, "properties": {}, "required": [], "type": "object"},
    )
    _, body, _ = gemini.request([Message("user", "hi")], [empty])
    assert body["tools"][0]["functionDeclarations"] == [
        {"name": "list_todos", "description": "List"}
    ]
    call = ToolCall("fc_a", "read_file", '{"path":"a"}', extra={"provider_id": "fc_a"})
    contents = gemini_contents(
        [
            Message("assistant", "", [call]),
            Message("tool", "A", tool_call_id="fc_a", name="read_file"),
        ]
    )
    assert contents[1]["parts"][0]["functionResponse"] == {
        "name": "read_file",
        "response": {"output": "A"},
        "id": "fc_a",
    }


def test_approval_comes_before_the_call_starts(
    tmp_path: Path, provider_server: ProviderServer
) -> None:
    order: list[str] = []
    provider_server.script = [
        Reply(tool=("write_file", {"path": "a", "content": "x"})),
        Reply("ok"),
    ]
    with load(tmp_path, provider_server, one_agent()) as team:

        def approve(agent: str, call: ToolCall) -> str:
            order.append("approve")
            return "no"

        for event in team.stream("go", approve=approve):
            if isinstance(event, (events.ToolCallStarted, events.ToolCallFinished)):
                order.append(type(event).__name__)
    assert order == ["approve", "ToolCallFinished"]


def test_tool_errors_say_what_failed(tmp_path: Path, provider_server: ProviderServer) -> None:
    provider_server.script = [
        Reply(tool=("read_file", {"path": "a\x00b"})),
        Reply(tool=("create_directory", {"paths": "abc"})),
        Reply("done"),
    ]
    with load(tmp_path, provider_server, one_agent()) as team:
        result = team.run("go", yolo=True)
    assert [output for _, output in results(result)] == [
        "Error calling tool: path 'a\\x00b' contains a NUL byte, which no file name can hold",
        "Error calling tool: 'paths' must be a list of paths, got 'abc'",
    ]
    assert list((tmp_path / "work").iterdir()) == []


@pytest.mark.parametrize(
    ("value", "wait"),
    [("7", 7.0), ("soon", None), ("-5", 0.0), ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0)],
)
def test_retry_after_values_are_read_or_ignored(value: str, wait: float | None) -> None:
    assert _retry_after(httpx.Response(429, headers={"retry-after": value})) == wait


def test_connection_errors_are_retried_then_reported(tmp_path: Path) -> None:
    attempts: list[str] = []

    def refuse(request: httpx.Request) -> httpx.Response:
        attempts.append(str(request.url))
        raise httpx.ConnectError("connection refused")

    path = tmp_path / "a.yaml"
    path.write_text("agents:\n  root:\n    model: openai/gpt-4o\n")
    waits: list[float] = []
    client = httpx.Client(transport=httpx.MockTransport(refuse))
    with (
        agentcore.load(path, env={}, client=client, sleep=waits.append) as team,
        pytest.raises(ProviderError) as caught,
    ):
        team.run("hi")
    assert len(attempts) == 3
    assert waits == [1.0, 2.0]
    assert (
        str(caught.value)
        == "openai API error: cannot reach https://api.openai.com/v1/chat/completions: connection refused"
    )


def _canned(*bodies: bytes) -> httpx.Client:
    answers = list(bodies)

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, content=answers.pop(0), headers={"content-type": "text/event-stream"}
        )

    return httpx.Client(transport=httpx.MockTransport(answer))


@pytest.mark.parametrize(
    ("provider", "body"),
    [
        ("openai/gpt-4o", b'data: {"choices":[{"index":0,"delta":{"content":"The ans"}}]}\n\n'),
        (
            "anthropic/claude",
            b'event: message_start\ndata: {"type":"message_start","message":{"usage":{}}}\n\n',
        ),
        ("openai/gpt-5", b'event: response.created\ndata: {"type":"response.created"}\n\n'),
        (
            "google/gemini-2.5-flash",
            b'data: {"candidates":[{"content":{"parts":[{"text":"The"}]}}]}\r\n\r\n',
        ),
        ("openai/gpt-4o", b"data: {not json\n\n"),
    ],
)
def test_a_cut_or_unreadable_stream_is_an_error_not_an_answer(
    tmp_path: Path, provider: str, body: bytes
) -> None:
    path = tmp_path / "a.yaml"
    path.write_text(f"agents:\n  root:\n    model: {provider}\n")
    with (
        agentcore.load(path, env={}, client=_canned(body)) as team,
        pytest.raises(ProviderError, match=r"ended before the model finished|unreadable answer"),
    ):
        team.run("hi")


def test_leaving_astream_stops_the_run(tmp_path: Path, provider_server: ProviderServer) -> None:
    provider_server.script = [
        Reply(tool=("write_file", {"path": "a", "content": "x"})),
        Reply("ok"),
    ]

    async def first_event_only() -> None:
        with load(tmp_path, provider_server, one_agent()) as team:
            async for _ in team.astream("go", yolo=True):
                break

    asyncio.run(first_event_only())
    assert provider_server.requests == []
    assert list((tmp_path / "work").iterdir()) == []


def test_the_output_is_the_last_turn_s(tmp_path: Path, provider_server: ProviderServer) -> None:
    provider_server.script = [Reply("answer to first"), Reply("\n")]
    with load(tmp_path, provider_server, one_agent("[]")) as team:
        assert team.run("first", "second").output == ""


CONFIGS = {
    "a date that is not one": (
        "agents:\n  root:\n    model: openai/gpt-4o\n    description: 2024-13-45\n",
        None,
    ),
    "an unknown tag": (
        "agents:\n  root:\n    model: openai/gpt-4o\n    instruction: !secret abc\n",
        "line 4 (at agents.root.instruction): the tag !secret is not allowed",
    ),
    "a bad int": (
        "agents:\n  root:\n    model: openai/gpt-4o\n    max_iterations: !!int abc\n",
        "line 4 (at agents.root.max_iterations): cannot read this value",
    ),
    "a key given twice": (
        "agents:\n  root:\n    model: openai/gpt-4o\n    model: anthropic/claude\n",
        "line 4 (at agents.root.model): 'model' is given twice (first on line 3)",
    ),
    "shell env as a list": (
        "agents:\n  root:\n    model: openai/gpt-4o\n    toolsets:\n      - {type: shell, env: [A=1]}\n",
        "line 5 (at agents.root.toolsets[0].env): expected a mapping, got a list",
    ),
    "fetch timeout as text": (
        "agents:\n  root:\n    model: openai/gpt-4o\n    toolsets:\n      - {type: fetch, timeout: soon}\n",
        "(at agents.root.toolsets[0].timeout): expected a number of seconds, got str 'soon'",
    ),
    "ignore_vcs as text": (
        "agents:\n  root:\n    model: openai/gpt-4o\n    toolsets:\n      - {type: filesystem, ignore_vcs: 'no'}\n",
        "expected true or false, got str 'no'",
    ),
}


@pytest.mark.parametrize("case", CONFIGS)
def test_odd_yaml_is_a_located_config_error(case: str, tmp_path: Path) -> None:
    text, expected = CONFIGS[case]
    path = tmp_path / "agent.yaml"
    path.write_text(text)
    if expected is None:
        assert load_config(path).agents["root"].description == "2024-13-45"
        return
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert expected in str(caught.value)


def test_merge_keys_share_settings(tmp_path: Path) -> None:
    path = tmp_path / "agent.yaml"
    path.write_text(
        "models:\n  base: &base {provider: openai, model: gpt-4o, temperature: 0.1}\n"
        "  hot:\n    <<: *base\n    temperature: 0.9\n"
        "agents:\n  root:\n    model: hot\n"
    )
    model = load_config(path).models["hot"]
    assert (model.provider, model.model, model.temperature) == ("openai", "gpt-4o", 0.9)


def test_a_non_utf8_file_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "agent.yaml"
    path.write_bytes(b"agents:\n  root:\n    description: \xff\xfe\n")
    with pytest.raises(ConfigError, match="is not UTF-8 text"):
        load_config(path)


def test_tool_output_is_capped_as_cagent_caps_it(
    tmp_path: Path, provider_server: ProviderServer
) -> None:
    provider_server.script = [
        Reply(tool=("shell", {"cmd": "head -c 50000 /dev/zero | tr '\\\\0' x"})),
        Reply("ok"),
    ]
    with load(tmp_path, provider_server, one_agent("[{type: shell}]")) as team:
        result = team.run("go", yolo=True)
    output = results(result)[0][1]
    assert len(output) < 30_100
    assert output.endswith("\n\n[Output truncated: exceeded 30,000 character limit]")
    assert json.loads(provider_server.requests[1].body)["messages"][-1]["content"] == output


def test_approval_answers_read_like_a_person_types_them(
    tmp_path: Path, provider_server: ProviderServer
) -> None:
    provider_server.script = [
        Reply(tool=("write_file", {"path": "a", "content": "x"})),
        Reply("ok"),
    ]
    with load(tmp_path, provider_server, one_agent()) as team:
        team.run("go", approve=lambda agent, call: " A ")
    assert (tmp_path / "work" / "a").exists()
