"""``structured_output``: the agent's JSON schema goes out as each provider's response
format, as cagent sends it (OpenAI ``response_format`` and Responses ``text.format``,
Anthropic's beta ``output_config``, Gemini's ``responseJsonSchema``), recorded once and
replayed with the provider gone."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

import agentcore
from agentcore.errors import ConfigError
from pytest_agentcassette import use_cassette
from tests.support.network import NetworkCut
from tests.support.provider_server import ProviderServer
from tests.support.wire_formats import Reply

SCHEMA = {
    "additionalProperties": False,
    "properties": {"age": {"type": "integer"}, "name": {"type": "string"}},
    "required": ["name", "age"],
    "type": "object",
}
AGENT = """\
agents:
  root:
    model: main
    instruction: Extract.
    structured_output:
      name: person_info
      description: Information about a person
      strict: true
      schema:
        type: object
        properties:
          name: {type: string}
          age: {type: integer}
        required: [name, age]
        additionalProperties: false
"""
PROVIDERS = {
    "openai chat": ("openai", "gpt-4o", "/v1"),
    "openai responses": ("openai", "gpt-5", "/v1"),
    "anthropic": ("anthropic", "claude-sonnet-4-5", ""),
    "google": ("google", "gemini-2.5-flash", ""),
}


def _expected(kind: str) -> dict[str, Any]:
    """The body fields cagent sends for the schema, by provider."""
    if kind == "openai chat":
        json_schema = {
            "name": "person_info",
            "description": "Information about a person",
            "schema": SCHEMA,
            "strict": True,
        }
        return {"response_format": {"json_schema": json_schema, "type": "json_schema"}}
    if kind == "openai responses":
        text_format = {
            "name": "person_info",
            "schema": SCHEMA,
            "description": "Information about a person",
            "strict": True,
            "type": "json_schema",
        }
        return {"text": {"format": text_format}}
    if kind == "anthropic":
        return {"output_config": {"format": {"schema": SCHEMA, "type": "json_schema"}}}
    return {
        "generationConfig": {"responseMimeType": "application/json", "responseJsonSchema": SCHEMA}
    }


def _load(tmp_path: Path, server: ProviderServer, kind: str) -> agentcore.Team:
    provider, model, suffix = PROVIDERS[kind]
    path = tmp_path / "agent.yaml"
    path.write_text(
        f"models:\n  main:\n    provider: {provider}\n    model: {model}\n"
        f"    base_url: {server.url}{suffix}\n" + AGENT
    )
    return agentcore.load(path, working_dir=tmp_path, env={})


@pytest.mark.parametrize("kind", list(PROVIDERS))
def test_structured_output_is_the_response_format_record_then_replay(
    kind: str, tmp_path: Path, provider_server: ProviderServer, network_cut: NetworkCut
) -> None:
    answer = '{"age":30,"name":"John Doe"}'
    provider_server.script = [Reply(answer)]
    cassette = tmp_path / "structured.yaml"
    with use_cassette(cassette, record_mode="once"), _load(tmp_path, provider_server, kind) as team:
        recorded = team.run("My name is John Doe, I am 30.")
    request = provider_server.requests[0]
    body = json.loads(request.body)
    for key, value in _expected(kind).items():
        if key == "generationConfig":
            assert {k: body[key][k] for k in value} == value
        else:
            assert body[key] == value
    if kind == "anthropic":  # through the beta API, with cagent's beta header
        assert request.path == "/v1/messages?beta=true"
        assert request.headers["anthropic-beta"] == (
            "interleaved-thinking-2025-05-14,fine-grained-tool-streaming-2025-05-14,"
            "structured-outputs-2025-11-13"
        )
        assert "temperature" not in body
    assert recorded.output == answer
    provider_server.stop()

    with network_cut, use_cassette(cassette), _load(tmp_path, provider_server, kind) as team:
        replayed = team.run("My name is John Doe, I am 30.")
    assert replayed.output == answer
    assert network_cut.attempts == []


def test_description_and_strict_default_as_cagent_sends_them(
    tmp_path: Path, provider_server: ProviderServer
) -> None:
    provider_server.script = [Reply("{}")]
    agent = AGENT.replace("      description: Information about a person\n", "").replace(
        "      strict: true\n", ""
    )
    path = tmp_path / "agent.yaml"
    path.write_text(
        f"models:\n  main:\n    provider: openai\n    model: gpt-4o\n"
        f"    base_url: {provider_server.url}/v1\n" + agent
    )
    with agentcore.load(path, working_dir=tmp_path, env={}) as team:
        team.run("Hi")
    sent = json.loads(provider_server.requests[0].body)["response_format"]["json_schema"]
    assert (sent["description"], sent["strict"]) == ("", False)


def test_agents_without_it_send_no_response_format(
    tmp_path: Path, provider_server: ProviderServer
) -> None:
    provider_server.script = [Reply("ok")]
    path = tmp_path / "agent.yaml"
    path.write_text(
        f"models:\n  main:\n    provider: openai\n    model: gpt-4o\n"
        f"    base_url: {provider_server.url}/v1\n"
        "agents:\n  root:\n    model: main\n"
    )
    with agentcore.load(path, working_dir=tmp_path, env={}) as team:
        team.run("Hi")
    assert "response_format" not in json.loads(provider_server.requests[0].body)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "      name: person_info\n",
            "",
            "line 8 (at agents.root.structured_output): missing 'name'",
        ),
        (
            "      strict: true\n",
            "      strict: yes please\n",
            "(at agents.root.structured_output.strict)",
        ),
        (
            "      strict: true\n",
            "      extra: 1\n",
            "unknown key 'extra'; valid keys: name, descr",
        ),
    ],
)
def test_structured_output_is_checked(tmp_path: Path, old: str, new: str, message: str) -> None:
    path = tmp_path / "agent.yaml"
    path.write_text(
        "models:\n  main: {provider: openai, model: gpt-4o}\n" + AGENT.replace(old, new)
    )
    with pytest.raises(ConfigError, match=re.escape(message)):
        agentcore.load(path)
