"""The ``api`` toolset: one tool per ``api_config`` calling an HTTP endpoint (GET fills
``${arg}`` placeholders, POST sends the arguments as JSON), through the team's HTTP client:
the cassette records the API's answers with the model's, and a replay needs neither."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import agentcore
from agentcore.errors import ConfigError
from pytest_agentcassette import use_cassette
from tests.support.agents import results
from tests.support.network import NetworkCut
from tests.support.provider_server import ProviderServer
from tests.support.wire_formats import Reply

AGENTS = """\
agents:
  root:
    model: main
    instruction: Work.
    toolsets:
      - type: api
        api_config:
          name: weather
          instruction: Get the weather
          endpoint: "{url}/api/weather/${{city}}"
          method: GET
          headers: {{x-auth: "${{env.API_TOKEN}}"}}
          args:
            city: {{type: string, description: City}}
          required: [city]
          output_schema: {{type: object}}
      - type: api
        api_config:
          name: create
          instruction: Create an item
          endpoint: "{url}/api/items"
          method: POST
          args:
            name: {{type: string}}
            count: {{type: integer}}
            tags: {{items: {{type: string}}, description: Tags}}
"""


def _load(tmp_path: Path, server: ProviderServer, agents: str = AGENTS) -> agentcore.Team:
    path = tmp_path / "agent.yaml"
    path.write_text(
        f"models:\n  main:\n    provider: openai\n    model: gpt-4o\n    base_url: {server.url}/v1\n"
        + agents.format(url=server.url)
    )
    return agentcore.load(path, working_dir=tmp_path, env={"API_TOKEN": "tok"})


def test_api_tools_record_then_replay(
    tmp_path: Path, provider_server: ProviderServer, network_cut: NetworkCut
) -> None:
    provider_server.script = [
        Reply(tool=("weather", {"city": "Paris"})),
        Reply(tool=("create", {"name": "x<y", "count": 2})),
        Reply(tool=("weather", {"city": 3})),
        Reply("Done."),
    ]
    cassette = tmp_path / "api.yaml"
    with use_cassette(cassette, record_mode="once"), _load(tmp_path, provider_server) as team:
        recorded = team.run("Go")  # read-only tools: no approval needed
    body = json.loads(provider_server.requests[0].body)
    assert [t["function"] for t in body["tools"]] == [
        {
            "name": "weather",
            "description": "Get the weather",
            "parameters": {
                "properties": {"city": {"description": "City", "type": "string"}},
                "required": ["city"],
                "type": "object",
            },
        },
        {
            "name": "create",
            "description": "Create an item",
            "parameters": {
                "properties": {
                    "count": {"type": "integer"},
                    "name": {"type": "string"},
                    "tags": {"description": "Tags", "items": {"type": "string"}, "type": "object"},
                },
                "type": "object",
            },
        },
    ]
    assert [m["content"] for m in body["messages"][:3]] == [
        "Work.",
        "Get the weather",
        "Create an item",
    ]
    expected = [
        ("weather", '{"method":"GET","path":"/api/weather/Paris","auth":"tok"}'),
        (
            "create",
            '{"method":"POST","path":"/api/items","body":"{\\"count\\":2,\\"name\\":\\"x\\\\u003cy\\"}"}',
        ),
        (
            "weather",
            "Error calling tool: invalid arguments: every argument of a GET must be a string",
        ),
    ]
    assert results(recorded) == expected
    provider_server.stop()

    with network_cut, use_cassette(cassette), _load(tmp_path, provider_server) as team:
        replayed = team.run("Go")
    assert results(replayed) == expected
    assert replayed.output == "Done."
    assert network_cut.attempts == []


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("method: POST", "method: PUT", "unknown method 'PUT'; valid: GET, POST"),
        ('endpoint: "{url}/api/items"', "endpoint: ftp://host/x", "is not an http(s) URL"),
        ("          name: create\n", "", "missing 'name'"),
        (
            "      - type: api\n        api_config:\n          name: create",
            "      - type: api\n        apiconfig:\n          name: create",
            "unknown key 'apiconfig'",
        ),
    ],
)
def test_api_config_is_checked(
    tmp_path: Path, provider_server: ProviderServer, old: str, new: str, message: str
) -> None:
    assert old in AGENTS
    with pytest.raises(ConfigError, match=re.escape(message)):
        _load(tmp_path, provider_server, AGENTS.replace(old, new))
