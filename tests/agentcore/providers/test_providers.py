"""The six providers over httpx: each completes a tool-using conversation recorded from the
scripted server through the plugin and replayed offline; endpoints, key variables, request
shapes, the real streams cagent recorded, retries and errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

import agentcore
from agentcore import MissingAPIKeyError, ProviderError, events
from agentcore.config import Config, ModelConfig
from agentcore.messages import Message, ToolCall, ToolDefinition
from agentcore.providers import HttpExchange, ModelTurn, TextDelta, create_provider
from pytest_agentcassette import use_cassette
from tests.support.network import NetworkCut
from tests.support.provider_server import ProviderServer
from tests.support.wire_formats import Reply

PROVIDERS = {
    # name: (provider, model, base path on the scripted server)
    "openai": ("openai", "gpt-4o", "/v1"),
    "openai-responses": ("openai", "gpt-5", "/v1"),
    "anthropic": ("anthropic", "claude-sonnet-4-0", ""),
    "google": ("google", "gemini-2.5-flash", "/"),
    "mistral": ("mistral", "mistral-small", "/mistral/v1"),
    "xai": ("xai", "grok-4", "/xai/v1"),
    "nebius": ("nebius", "meta-llama/Llama-3.3-70B-Instruct", "/nebius/v1"),
}


def agent_file(
    tmp_path: Path, server: ProviderServer, which: str, toolsets: str = "[{type: filesystem}]"
) -> Path:
    provider, model, base = PROVIDERS[which]
    path = tmp_path / "agent.yaml"
    path.write_text(
        f"models:\n  main:\n    provider: {provider}\n    model: {model}\n"
        f"    base_url: {server.url}{base}\n"
        f"agents:\n  root:\n    model: main\n    instruction: You count files.\n"
        f"    toolsets: {toolsets}\n"
    )
    return path


def summary(result: agentcore.Result) -> list[Any]:
    return [
        (type(e).__name__, getattr(e, "text", None) or getattr(e, "output", None))
        for e in result.events
        if not isinstance(e, events.UsageReported)
    ]


@pytest.mark.parametrize("which", PROVIDERS)
def test_each_provider_completes_a_tool_conversation_in_replay(
    which: str, tmp_path: Path, provider_server: ProviderServer, network_cut: NetworkCut
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    (work / "README.md").write_text("# Title\n")
    provider_server.script = [
        Reply("Let me look.", tool=("list_directory", {"path": "."})),
        Reply("There is 1 file."),
    ]
    path = agent_file(tmp_path, provider_server, which)
    cassette = tmp_path / "session.yaml"
    with (
        use_cassette(cassette, record_mode="once"),
        agentcore.load(path, working_dir=work, env={}) as team,
    ):
        recorded = team.run("How many files?")
    provider_server.stop()
    with (
        network_cut,
        use_cassette(cassette) as replay,
        agentcore.load(path, working_dir=work, env={}) as team,
    ):
        replayed = team.run("How many files?")
    assert network_cut.attempts == []
    assert len(replay.played) == 2
    assert replayed.output == recorded.output == "There is 1 file."
    assert summary(replayed) == summary(recorded)
    finished = [e for e in replayed.events if isinstance(e, events.ToolCallFinished)]
    assert [(e.call.name, e.output) for e in finished] == [("list_directory", "FILE README.md\n")]
    assert replayed.usage.total_tokens == 80


DEFAULTS = {
    # provider, model: URL the request goes to, the auth header it carries
    ("openai", "gpt-4o"): (
        "https://api.openai.com/v1/chat/completions",
        "authorization",
        "Bearer K",
    ),
    ("openai", "o3-mini"): ("https://api.openai.com/v1/responses", "authorization", "Bearer K"),
    ("openai", "gpt-4.1"): ("https://api.openai.com/v1/responses", "authorization", "Bearer K"),
    ("openai", "gpt-5-codex"): ("https://api.openai.com/v1/responses", "authorization", "Bearer K"),
    ("anthropic", "claude-sonnet-4-0"): ("https://api.anthropic.com/v1/messages", "x-api-key", "K"),
    ("google", "gemini-2.5-flash"): (
        "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse",
        "x-goog-api-key",
        "K",
    ),
    ("mistral", "mistral-small"): (
        "https://api.mistral.ai/v1/chat/completions",
        "authorization",
        "Bearer K",
    ),
    ("xai", "grok-4"): ("https://api.x.ai/v1/chat/completions", "authorization", "Bearer K"),
    ("nebius", "m"): (
        "https://api.studio.nebius.com/v1/chat/completions",
        "authorization",
        "Bearer K",
    ),
}
KEYS = {
    "openai": "OPENAI_API_KEY",
    "anthropic": "ANTHROPIC_API_KEY",
    "google": "GOOGLE_API_KEY",
    "mistral": "MISTRAL_API_KEY",
    "xai": "XAI_API_KEY",
    "nebius": "NEBIUS_API_KEY",
}


def _provider(provider: str, model: str, env: dict[str, str], **extra: Any) -> Any:
    config = ModelConfig(name="m", provider=provider, model=model, **extra)
    whole = Config(Path("a.yaml"), "2", {}, {"m": config})
    return create_provider(config, whole, HttpExchange(httpx.Client()), env)


@pytest.mark.parametrize(("provider", "model"), DEFAULTS)
def test_default_endpoints_and_key_variables_are_cagents(provider: str, model: str) -> None:
    url, header, value = DEFAULTS[(provider, model)]
    made = _provider(provider, model, {KEYS[provider]: "K"})
    request_url, _, headers = made.request([Message("user", "hi")], [])
    assert request_url == url
    assert headers[header] == value
    assert made.missing_key is None
    assert _provider(provider, model, {}).missing_key == KEYS[provider]


def test_gemini_also_reads_gemini_api_key_and_token_key_overrides() -> None:
    assert _provider("google", "g", {"GEMINI_API_KEY": "K"}).key == "K"
    made = _provider("openai", "gpt-4o", {"MY_KEY": "S"}, token_key="MY_KEY")
    assert made.key == "S"
    assert _provider("openai", "gpt-4o", {}, token_key="MY_KEY").missing_key == "MY_KEY"


CALL = ToolCall("call_1", "read_file", '{"path":"a.txt"}')
TOOL = ToolDefinition(
    "read_file", "Read a file", {"type": "object", "properties": {"path": {"type": "string"}}}
)
TURNS = [
    Message("system", "Be brief."),
    Message("user", "Read a.txt"),
    Message("assistant", "", [CALL]),
    Message("tool", "hello", tool_call_id="call_1", name="read_file"),
]


def test_chat_completions_requests_have_the_reference_shape() -> None:
    _, body, _ = _provider("openai", "gpt-4o", {}, max_tokens=100).request(TURNS, [TOOL])
    assert body == {
        "messages": [
            {"content": "Be brief.", "role": "system"},
            {"content": "Read a.txt", "role": "user"},
            {
                "tool_calls": [
                    {
                        "id": "call_1",
                        "function": {"arguments": '{"path":"a.txt"}', "name": "read_file"},
                        "type": "function",
                    }
                ],
                "role": "assistant",
            },
            {"content": "hello", "tool_call_id": "call_1", "role": "tool"},
        ],
        "model": "gpt-4o",
        "max_tokens": 100,
        "stream_options": {"include_usage": True},
        "tools": [
            {
                "function": {
                    "name": "read_file",
                    "description": "Read a file",
                    "parameters": TOOL.parameters,
                },
                "type": "function",
            }
        ],
        "stream": True,
    }


def test_responses_requests_have_the_reference_shape() -> None:
    _, body, _ = _provider("openai", "gpt-5", {}).request(TURNS, [TOOL])
    assert body["input"] == [
        {"content": [{"text": "Be brief.", "type": "input_text"}], "role": "system"},
        {"content": "Read a.txt", "role": "user"},
        {
            "type": "function_call",
            "call_id": "call_1",
            "name": "read_file",
            "arguments": '{"path":"a.txt"}',
        },
        {"type": "function_call_output", "call_id": "call_1", "output": "hello"},
    ]
    assert body["tools"] == [
        {
            "type": "function",
            "name": "read_file",
            "description": "Read a file",
            "parameters": TOOL.parameters,
        }
    ]
    assert body["stream"] is True


def test_anthropic_requests_have_the_reference_shape() -> None:
    _, body, headers = _provider(
        "anthropic", "claude-sonnet-4-0", {"ANTHROPIC_API_KEY": "K"}
    ).request(TURNS, [TOOL])
    assert headers["anthropic-version"] == "2023-06-01"
    assert body["max_tokens"] == 8192
    assert body["system"] == [
        {"text": "Be brief.", "type": "text", "cache_control": {"type": "ephemeral"}}
    ]
    assert body["messages"] == [
        {"content": [{"text": "Read a.txt", "type": "text"}], "role": "user"},
        {
            "content": [
                {
                    "type": "tool_use",
                    "id": "call_1",
                    "name": "read_file",
                    "input": {"path": "a.txt"},
                }
            ],
            "role": "assistant",
        },
        {
            "content": [
                {
                    "type": "tool_result",
                    "tool_use_id": "call_1",
                    "content": "hello",
                    "cache_control": {"type": "ephemeral"},
                }
            ],
            "role": "user",
        },
    ]
    assert body["tools"] == [
        {"name": "read_file", "description": "Read a file", "input_schema": TOOL.parameters}
    ]


def test_gemini_requests_have_the_reference_shape() -> None:
    schema = {
        "additionalProperties": False,
        "properties": {"paths": {"type": ["null", "array"], "items": {"type": "string"}}},
        "type": "object",
    }
    tool = ToolDefinition("read_files", "Read files", schema)
    _, body, _ = _provider("google", "gemini-2.5-flash", {}).request(TURNS, [tool])
    assert body["systemInstruction"] == {"parts": [{"text": "Be brief."}]}
    assert body["contents"] == [
        {"parts": [{"text": "Read a.txt"}], "role": "user"},
        {
            "parts": [{"functionCall": {"name": "read_file", "args": {"path": "a.txt"}}}],
            "role": "model",
        },
        {
            "parts": [{"functionResponse": {"name": "read_file", "response": {"output": "hello"}}}],
            "role": "user",
        },
    ]
    declaration = body["tools"][0]["functionDeclarations"][0]
    assert declaration["parameters"] == {
        "properties": {"paths": {"type": "array", "nullable": True, "items": {"type": "string"}}},
        "type": "object",
    }


CORPUS = {
    # cassette: provider, model, text, tool calls (name, arguments)
    "TestExec_OpenAI.yaml": ("openai", "gpt-3.5-turbo", ["2 + 2 equals 4."], []),
    "TestExec_Anthropic.yaml": ("anthropic", "claude-sonnet-4-0", ["2 + 2 = 4"], []),
    "TestExec_Gemini.yaml": ("google", "gemini-2.5-flash", ["2 + 2 = 4"], []),
    "TestExec_Mistral.yaml": ("mistral", "mistral-small", ["The sum of 2 + 2 is 4."], []),
    "TestExec_OpenAI_gpt5.yaml": ("openai", "gpt-5", None, []),
    "TestExec_OpenAI_ToolCall.yaml": (
        "openai",
        "gpt-4o",
        ["", "1"],
        [("list_directory", {"path": "testdata/working_dir"})],
    ),
}


@pytest.mark.parametrize("name", CORPUS)
def test_the_streams_cagent_recorded_parse_as_cagent_read_them(
    name: str, cagent_corpus: Path
) -> None:
    provider, model, texts, calls = CORPUS[name]
    recorded = yaml.safe_load((cagent_corpus / "cassettes" / name).read_text())
    made = _provider(provider, model, {})
    turns: list[ModelTurn] = []
    for interaction in recorded["interactions"]:
        response = httpx.Response(200, content=interaction["response"]["body"].encode())
        items = list(made.read(response))
        turn = items[-1]
        assert isinstance(turn, ModelTurn)
        assert "".join(i.text for i in items if isinstance(i, TextDelta)) == turn.text
        assert turn.usage is not None
        assert turn.usage.total_tokens > 0
        turns.append(turn)
    if texts is not None:
        assert [t.text for t in turns] == texts
    else:
        assert "4" in turns[-1].text
    assert [(c.name, c.parsed_arguments()) for t in turns for c in t.tool_calls] == calls
    assert turns[-1].finish_reason == "stop"


def _run(
    tmp_path: Path, server: ProviderServer, which: str = "openai", **kwargs: Any
) -> agentcore.Result:
    path = agent_file(tmp_path, server, which, "[]")
    with agentcore.load(path, working_dir=tmp_path, **kwargs) as team:
        return team.run("hi")


def test_rate_limits_and_server_errors_are_retried_as_told(
    tmp_path: Path, provider_server: ProviderServer
) -> None:
    waits: list[float] = []
    provider_server.failures = [
        (429, {"retry-after": "7"}, b'{"error":{"message":"Rate limit reached"}}'),
        (503, {}, b'{"error":{"message":"Overloaded"}}'),
    ]
    result = _run(tmp_path, provider_server, env={}, sleep=waits.append)
    assert result.output == "You said: hi"
    assert waits == [7.0, 2.0]  # Retry-After, then the backoff (1 s, 2 s, ...)


def test_retries_are_bounded_and_the_provider_message_surfaces(
    tmp_path: Path, provider_server: ProviderServer
) -> None:
    waits: list[float] = []
    body = b'{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}'
    provider_server.failures = [(529, {"retry-after-ms": "250"}, body)] * 3
    with pytest.raises(ProviderError) as caught:
        _run(tmp_path, provider_server, "anthropic", env={}, sleep=waits.append)
    assert str(caught.value) == "anthropic API error 529: Overloaded"
    assert waits == [0.25, 0.25]
    assert len(provider_server.requests) == 3


def test_client_errors_are_not_retried_and_keep_their_message(
    tmp_path: Path, provider_server: ProviderServer
) -> None:
    provider_server.failures = [
        (
            400,
            {},
            b'{"error":{"code":400,"message":"Invalid JSON payload","status":"INVALID_ARGUMENT"}}',
        )
    ]
    with pytest.raises(ProviderError, match="google API error 400: Invalid JSON payload"):
        _run(tmp_path, provider_server, "google", env={"GOOGLE_API_KEY": "K"})
    assert len(provider_server.requests) == 1


def test_a_missing_key_is_named_when_the_provider_refuses_the_request(
    tmp_path: Path, provider_server: ProviderServer
) -> None:
    provider_server.failures = [(401, {}, b'{"error":{"message":"Incorrect API key provided"}}')]
    with pytest.raises(MissingAPIKeyError) as caught:
        _run(tmp_path, provider_server, "xai", env={})
    assert caught.value.variable == "XAI_API_KEY"
    assert str(caught.value).startswith(
        "XAI_API_KEY is not set, and xai refused the request without it (HTTP 401)."
    )


def test_a_refused_key_that_was_set_is_the_provider_s_error(
    tmp_path: Path, provider_server: ProviderServer
) -> None:
    provider_server.failures = [(401, {}, b'{"error":{"message":"Incorrect API key provided"}}')]
    with pytest.raises(ProviderError, match="Incorrect API key provided"):
        _run(tmp_path, provider_server, env={"OPENAI_API_KEY": "wrong"})


def test_replay_needs_no_key(tmp_path: Path, provider_server: ProviderServer) -> None:
    path = agent_file(tmp_path, provider_server, "anthropic", "[]")
    with (
        use_cassette(tmp_path / "c.yaml", record_mode="once"),
        agentcore.load(path, env={"ANTHROPIC_API_KEY": "sk-ant-real"}) as team,
    ):
        team.run("hi")
    text = (tmp_path / "c.yaml").read_text()
    assert "sk-ant-real" not in text
    provider_server.stop()
    with use_cassette(tmp_path / "c.yaml"), agentcore.load(path, env={}) as team:
        assert team.run("hi").output == "You said: hi"
    assert json.loads(json.dumps(provider_server.requests[0].headers))["x-api-key"] == "sk-ant-real"
