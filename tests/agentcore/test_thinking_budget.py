"""``thinking_budget``, recorded from the scripted provider and replayed offline: what each
wire format carries (OpenAI's ``reasoning_effort`` and ``reasoning``, Anthropic's
``thinking`` with the interleaved-thinking beta, Gemini's ``thinkingConfig``), when a
session thinks (its first agent sets a budget), and the budgets refused when a file loads.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from agentcore import ConfigError
from agentcore.config import load_config
from agentcore.providers.anthropic import INTERLEAVED_BETAS
from tests.support.model_runs import body, record_and_replay, write_agent
from tests.support.network import NetworkCut
from tests.support.provider_server import ProviderServer
from tests.support.wire_formats import Reply


def agent(server: ProviderServer, provider: str, model: str, base: str, extra: str = "") -> str:
    return (
        f"models:\n  main:\n    provider: {provider}\n    model: {model}\n"
        f"    base_url: {server.url}{base}\n{extra}"
        f"agents:\n  root:\n    model: main\n    instruction: Think.\n"
    )


def test_openai_chat_sends_reasoning_effort(
    tmp_path: Path, provider_server: ProviderServer, network_cut: NetworkCut
) -> None:
    extra = "    thinking_budget: low\n    provider_opts: {api_type: openai_chatcompletions}\n"
    text = agent(provider_server, "openai", "gpt-5-mini", "/v1", extra)
    runs = record_and_replay(tmp_path, provider_server, network_cut, text, ["Hi"])
    assert provider_server.requests[0].path == "/v1/chat/completions"
    assert body(provider_server, 0)["reasoning_effort"] == "low"
    assert runs.replay.played[0].request.json()["reasoning_effort"] == "low"


def test_a_chat_model_that_does_not_reason_gets_no_effort(
    tmp_path: Path, provider_server: ProviderServer, network_cut: NetworkCut
) -> None:
    text = agent(provider_server, "openai", "gpt-4o", "/v1", "    thinking_budget: high\n")
    record_and_replay(tmp_path, provider_server, network_cut, text, ["Hi"])
    assert "reasoning_effort" not in body(provider_server, 0)


def test_responses_api_sends_reasoning_effort_and_summary(
    tmp_path: Path, provider_server: ProviderServer, network_cut: NetworkCut
) -> None:
    text = agent(provider_server, "openai", "o3", "/v1", "    thinking_budget: high\n")
    runs = record_and_replay(tmp_path, provider_server, network_cut, text, ["Hi", "Again"])
    assert [r.path for r in provider_server.requests] == ["/v1/responses"] * 2
    for index in (0, 1):
        assert body(provider_server, index)["reasoning"] == {
            "effort": "high",
            "summary": "detailed",
        }
    assert len(runs.replay.played) == 2


def test_no_budget_means_no_reasoning_fields(
    tmp_path: Path, provider_server: ProviderServer, network_cut: NetworkCut
) -> None:
    text = agent(provider_server, "openai", "o3", "/v1", "    thinking_budget: none\n")
    record_and_replay(tmp_path, provider_server, network_cut, text, ["Hi"])
    assert "reasoning" not in body(provider_server, 0)


ANTHROPIC = "    thinking_budget: 2048\n    temperature: 0.5\n    top_p: 0.9\n"


def test_anthropic_thinks_with_the_interleaved_beta_and_sends_the_thinking_back(
    tmp_path: Path, provider_server: ProviderServer, network_cut: NetworkCut
) -> None:
    provider_server.script = [
        Reply("Listing.", tool=("list_directory", {"path": "."}), thinking="Look first."),
        Reply("Nothing there."),
    ]
    text = agent(provider_server, "anthropic", "claude-sonnet-4-0", "", ANTHROPIC)
    text = text.replace("Think.\n", "Think.\n    toolsets: [{type: filesystem}]\n")
    runs = record_and_replay(tmp_path, provider_server, network_cut, text, ["What is here?"])
    first, second = provider_server.requests
    assert first.path == second.path == "/v1/messages?beta=true"
    assert first.headers["anthropic-beta"] == INTERLEAVED_BETAS
    sent = body(provider_server, 0)
    assert sent["thinking"] == {"budget_tokens": 2048, "type": "enabled"}
    assert "temperature" not in sent
    assert "top_p" not in sent
    assert sent["max_tokens"] > 2048
    reply = body(provider_server, 1)["messages"][1]
    thought = reply["content"][0]
    assert thought["type"] == "thinking"
    assert thought["thinking"] == "Look first."
    assert thought["signature"].startswith("sig-")
    assert [block["type"] for block in reply["content"]] == ["thinking", "text", "tool_use"]
    assert [i.request.url.endswith("?beta=true") for i in runs.replay.played] == [True, True]
    assert runs.replayed == ["Nothing there."]


def test_anthropic_without_interleaved_thinking_keeps_the_plain_url(
    tmp_path: Path, provider_server: ProviderServer, network_cut: NetworkCut
) -> None:
    extra = "    thinking_budget: 4096\n    provider_opts: {interleaved_thinking: false}\n"
    text = agent(provider_server, "anthropic", "claude-sonnet-4-0", "", extra)
    record_and_replay(tmp_path, provider_server, network_cut, text, ["Hi"])
    request = provider_server.requests[0]
    assert request.path == "/v1/messages"
    assert "anthropic-beta" not in request.headers
    assert body(provider_server, 0)["thinking"] == {"budget_tokens": 4096, "type": "enabled"}


@pytest.mark.parametrize(
    ("model", "budget", "expected"),
    [
        ("gemini-2.5-flash", "1024", {"includeThoughts": True, "thinkingBudget": 1024}),
        ("gemini-2.5-flash", "-1", {"includeThoughts": True, "thinkingBudget": -1}),
        ("gemini-3-pro-preview", "medium", {"includeThoughts": True, "thinkingLevel": "MEDIUM"}),
        ("gemini-2.5-flash", "0", {"includeThoughts": False, "thinkingBudget": 0}),
        ("gemini-3-pro-preview", "none", {"includeThoughts": False, "thinkingLevel": "LOW"}),
        ("gemini-2.0-flash", None, {"includeThoughts": False, "thinkingBudget": 0}),
    ],
)
def test_gemini_thinking_config_on_and_off(
    tmp_path: Path,
    provider_server: ProviderServer,
    network_cut: NetworkCut,
    model: str,
    budget: str | None,
    expected: dict[str, Any],
) -> None:
    extra = f"    thinking_budget: {budget}\n" if budget is not None else ""
    text = agent(provider_server, "google", model, "/", extra)
    runs = record_and_replay(tmp_path, provider_server, network_cut, text, ["Hi"])
    assert body(provider_server, 0)["generationConfig"]["thinkingConfig"] == expected
    assert runs.replay.played[0].request.json()["generationConfig"]["thinkingConfig"] == expected


TEAM = """\
models:
  thinker:
    provider: openai
    model: o3
    base_url: {url}/v1
    thinking_budget: low
  plain:
    provider: openai
    model: o4-mini
    base_url: {url}/v1
agents:
  {first}:
    model: {first_model}
    instruction: Delegate.
    sub_agents: [{second}]
  {second}:
    model: {second_model}
    description: Helps
    instruction: Help.
"""


@pytest.mark.parametrize("thinking_first", [True, False])
def test_the_first_agent_decides_whether_the_session_thinks(
    tmp_path: Path, provider_server: ProviderServer, network_cut: NetworkCut, thinking_first: bool
) -> None:
    provider_server.script = [
        Reply(tool=("transfer_task", {"agent": "helper", "task": "Help", "expected_output": ""})),
        Reply("Helped."),
        Reply("Done."),
    ]
    models = ("thinker", "plain") if thinking_first else ("plain", "thinker")
    text = TEAM.format(
        url=provider_server.url,
        first="root",
        second="helper",
        first_model=models[0],
        second_model=models[1],
    )
    record_and_replay(tmp_path, provider_server, network_cut, text, ["Go"])
    efforts = [body(provider_server, i).get("reasoning") for i in range(3)]
    if thinking_first:  # the helper has no budget: OpenAI's default, medium
        first, helper = {"effort": "low", "summary": "detailed"}, {"effort": "medium"}
        assert efforts == [first, {**helper, "summary": "detailed"}, first]
    else:  # the helper's budget does not turn thinking on for a session it did not start
        assert efforts == [None, None, None]


BAD_BUDGETS = [
    ("anthropic", "claude-sonnet-4-0", "high", "Anthropic takes a number of tokens, at least 1024"),
    ("anthropic", "claude-sonnet-4-0", "512", "Anthropic takes a number of tokens, at least 1024"),
    ("openai", "o3", "4096", "OpenAI reasoning models take an effort: minimal, low, medium"),
    ("google", "gemini-2.5-flash", "low", "Gemini 2.5 models take a number of tokens"),
    ("google", "gemini-3-pro-preview", "2048", "Gemini 3 models take a level"),
    ("openai", "gpt-4o", "lots", "thinking_budget takes an effort (minimal, low, medium, high,"),
    ("openai", "gpt-4o", "-2", "or a number of tokens (0: off, -1: dynamic), got int -2"),
]


@pytest.mark.parametrize(("provider", "model", "budget", "message"), BAD_BUDGETS)
def test_a_budget_the_provider_cannot_take_is_refused_with_file_and_line(
    tmp_path: Path, provider: str, model: str, budget: str, message: str
) -> None:
    text = (
        f"models:\n  main:\n    provider: {provider}\n    model: {model}\n"
        f"    thinking_budget: {budget}\n"
        f"agents:\n  root:\n    model: main\n"
    )
    with pytest.raises(ConfigError) as caught:
        load_config(write_agent(tmp_path, text))
    assert "agent.yaml, line 5 (at models.main.thinking_budget): " in str(caught.value)
    assert message in str(caught.value)


def test_a_handoff_to_a_thinking_agent_does_not_turn_thinking_on(
    tmp_path: Path, provider_server: ProviderServer, network_cut: NetworkCut
) -> None:
    provider_server.script = [Reply(tool=("handoff", {"agent": "helper"})), Reply("Mine now.")]
    text = TEAM.format(
        url=provider_server.url,
        first="root",
        second="helper",
        first_model="plain",
        second_model="thinker",
    ).replace("sub_agents:", "handoffs:")
    record_and_replay(tmp_path, provider_server, network_cut, text, ["Go", "And now?"])
    speakers = [r.headers.get("x-agentcore-agent") for r in provider_server.requests]
    assert speakers == ["root", "helper", "helper"]
    assert [body(provider_server, i).get("reasoning") for i in range(3)] == [None] * 3


BAD_OPTS = [
    ("openai", "gpt-4o", "{reasoning_summary: auto}", "(openai reads only: api_type)"),
    (
        "anthropic",
        "claude-sonnet-4-0",
        "{thinking_display: full}",
        "(anthropic reads only: api_type, interleaved_thinking)",
    ),
    ("google", "gemini-2.5-flash", "{project: p}", "(Vertex AI is not supported yet"),
    ("openai", "gpt-4o", "{api_version: v1}", "(it is for Azure OpenAI"),
]


@pytest.mark.parametrize(("provider", "model", "opts", "hint"), BAD_OPTS)
def test_provider_opts_agentcore_does_not_read_are_refused(
    tmp_path: Path, provider: str, model: str, opts: str, hint: str
) -> None:
    text = (
        f"models:\n  main:\n    provider: {provider}\n    model: {model}\n"
        f"    provider_opts: {opts}\nagents:\n  root:\n    model: main\n"
    )
    with pytest.raises(ConfigError) as caught:
        load_config(write_agent(tmp_path, text))
    key = opts[1:].split(":")[0]
    message = str(caught.value)
    assert f"agent.yaml, line 5 (at models.main.provider_opts.{key}): provider_opts '{key}'" in (
        message
    )
    assert f"is not supported yet by agentcore for provider '{provider}' {hint}" in message
    assert message.endswith("remove it to run this file here")
