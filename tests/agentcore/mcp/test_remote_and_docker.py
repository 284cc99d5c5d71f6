"""MCP servers over HTTP (streamable HTTP and SSE, on 127.0.0.1), ``ref: docker:NAME``
through a stand-in ``docker`` on the PATH, and ``mcps:`` definitions, end to end."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

import agentcore
from agentcore import ToolsetError
from agentcore.mcp.gateway import CATALOG_URL
from pytest_agentcassette import use_cassette
from tests.support.agents import results
from tests.support.cli_runs import agent_file
from tests.support.mcp_servers import (
    SERVER,
    assert_stopped,
    docker_stand_in,
    free_port,
    http_server,
)
from tests.support.provider_server import ProviderServer
from tests.support.wire_formats import Reply


def agent(toolsets: str) -> str:
    return f"agents:\n  root:\n    model: main\n    instruction: Work.\n    toolsets:\n{toolsets}"


def load(
    tmp_path: Path, server: ProviderServer, agents: str, env: dict[str, str], **kwargs: Any
) -> agentcore.Team:
    path = agent_file(tmp_path, server, agents)
    return agentcore.load(path, working_dir=tmp_path, env=env, **kwargs)


def remote(url: str, transport: str) -> str:
    return (
        "      - type: mcp\n        remote:\n"
        f"          url: {url}\n          transport_type: {transport}\n"
        "          headers:\n"
        "            Authorization: Bearer ${env.MCP_TEST_TOKEN}\n"
        "            X-Team: ${env.MCP_TEST_TEAM || 'nobody'}\n"
    )


@pytest.mark.parametrize(
    ("transport", "written"), [("streamable-http", "streamable"), ("sse", "sse")]
)
def test_a_remote_server_with_headers_from_the_environment(
    tmp_path: Path, provider_server: ProviderServer, transport: str, written: str
) -> None:
    provider_server.script = [
        Reply(tool=("header", {"name": "authorization"})),
        Reply(tool=("header", {"name": "x-team"})),
        Reply(tool=("write_note", {"note": "over HTTP"})),
        Reply("ok"),
    ]
    with (
        http_server(transport) as url,
        load(
            tmp_path, provider_server, agent(remote(url, written)), {"MCP_TEST_TOKEN": "s3cret"}
        ) as team,
    ):
        result = team.run("Look", yolo=True)
    assert results(result) == [
        ("header", "Bearer s3cret"),
        ("header", "nobody"),
        ("write_note", "1 note(s): over HTTP"),
    ]


def test_the_cassette_the_caller_entered_is_in_charge_of_the_servers_traffic(
    tmp_path: Path, provider_server: ProviderServer
) -> None:
    provider_server.script = [Reply(tool=("echo", {"text": "recorded"})), Reply("ok")]
    with (
        http_server() as url,
        use_cassette(tmp_path / "session.yaml", record_mode="all") as cassette,
        load(tmp_path, provider_server, agent(remote(url, "streamable")), {}) as team,
    ):
        assert results(team.run("Echo")) == [("echo", "recorded")]
    recorded = {(i.request.method, i.request.url) for i in cassette.recorded}
    assert ("POST", url) in recorded  # the server's own requests, not only the model's
    assert ("POST", f"{provider_server.url}/v1/chat/completions") in recorded


def test_a_remote_server_that_cannot_be_reached(
    tmp_path: Path, provider_server: ProviderServer
) -> None:
    url = f"http://127.0.0.1:{free_port()}/mcp"
    with load(
        tmp_path, provider_server, agent(remote(url, "streamable")), {}, mcp_start_timeout=2
    ) as team:
        where = str(team.config.agents["root"].toolsets[0].place)
        with pytest.raises(ToolsetError) as caught:
            team.run("Go")
    assert str(caught.value).startswith(f"{where}: MCP server '{url}' cannot be reached at {url}: ")
    assert provider_server.requests == []


CATALOG = {
    "catalog": {
        "github-official": {
            "type": "server",
            "secrets": [
                {"name": "github.personal_access_token", "env": "GITHUB_PERSONAL_ACCESS_TOKEN"}
            ],
        },
    },
    "cached_at": "2026-01-02T03:04:05Z",
}


@pytest.fixture
def docker(tmp_path: Path) -> dict[str, str]:
    """The environment of a team whose ``docker`` is the stand-in, with cagent's cached
    catalog in its HOME."""
    home = tmp_path / "home"
    (home / ".cagent").mkdir(parents=True)
    (home / ".cagent" / "mcp_catalog.json").write_text(json.dumps(CATALOG))
    return {
        "PATH": f"{docker_stand_in(tmp_path)}{os.pathsep}{os.environ.get('PATH', '')}",
        "HOME": str(home),
        "MCP_TEST_DOCKER_LOG": str(tmp_path / "docker.json"),
        "MCP_TEST_PIDS": str(tmp_path / "pids"),
    }


DOCKER_TOOLSET = """\
      - type: mcp
        ref: docker:github-official
        tools: [echo]
        env:
          GITHUB_PERSONAL_ACCESS_TOKEN: ghp_${TOKEN_SUFFIX}
        config:
          repositories: [docker/cagent]
"""


def test_a_docker_ref_runs_the_gateway_as_cagent_does(
    tmp_path: Path, provider_server: ProviderServer, docker: dict[str, str]
) -> None:
    provider_server.script = [Reply(tool=("echo", {"text": "via the gateway"})), Reply("ok")]
    env = {**docker, "TOKEN_SUFFIX": "abc123"}
    with load(tmp_path, provider_server, agent(DOCKER_TOOLSET), env) as team:
        assert results(team.run("Echo")) == [("echo", "via the gateway")]
        log = json.loads((tmp_path / "docker.json").read_text())
        arguments = log["arguments"]
        secrets, config = arguments[-3], arguments[-1]
        assert arguments == [
            "mcp", "gateway", "run", "--servers", "github-official",
            "--catalog", CATALOG_URL, "--secrets", secrets, "--config", config,
        ]  # fmt: skip
        assert log["files"] == {
            "--secrets": "github.personal_access_token=ghp_abc123",
            "--config": "github-official:\n  repositories:\n  - docker/cagent\n",
        }
        assert Path(secrets).exists()
        assert Path(config).exists()
    assert not Path(secrets).exists()  # removed when the server stopped
    assert not Path(config).exists()
    assert_stopped(tmp_path / "pids", expected=1)


def test_a_docker_ref_whose_secret_is_not_set(
    tmp_path: Path, provider_server: ProviderServer, docker: dict[str, str]
) -> None:
    toolset = "      - type: mcp\n        ref: docker:github-official\n"
    with load(tmp_path, provider_server, agent(toolset), docker) as team:
        where = str(team.config.agents["root"].toolsets[0].place)
        with pytest.raises(ToolsetError) as caught:
            team.run("Go")
    assert str(caught.value) == (
        f"{where}: MCP server 'docker:github-official' cannot be started: missing environment "
        "variable GITHUB_PERSONAL_ACCESS_TOKEN required by MCP server github-official"
    )
    assert not (tmp_path / "docker.json").exists()


def test_a_docker_ref_the_catalog_says_is_remote_is_reached_directly(
    tmp_path: Path, provider_server: ProviderServer, docker: dict[str, str]
) -> None:
    provider_server.script = [Reply(tool=("echo", {"text": "direct"})), Reply("ok")]
    with http_server() as url:
        catalog = {
            "catalog": {
                "remote-one": {
                    "type": "remote",
                    "remote": {"url": url, "transport_type": "streamable-http"},
                }
            }
        }
        (Path(docker["HOME"]) / ".cagent" / "mcp_catalog.json").write_text(json.dumps(catalog))
        toolset = "      - type: mcp\n        ref: docker:remote-one\n"
        with load(tmp_path, provider_server, agent(toolset), docker) as team:
            assert results(team.run("Echo")) == [("echo", "direct")]
    assert not (tmp_path / "docker.json").exists()  # no gateway


MCPS = f"""\
mcps:
  notes:
    command: {json.dumps(sys.executable)}
    args: [{json.dumps(str(SERVER))}]
    env:
      FROM_DEFINITION: definition
      SHARED: definition
    tools: [echo, environment]
    instruction: From the definition. {{ORIGINAL_INSTRUCTIONS}}
agents:
  root:
    model: main
    instruction: Work.
    toolsets:
      - type: mcp
        ref: notes
        tools: [environment]
        env:
          SHARED: toolset
          FROM_TOOLSET: $WORD
"""


def test_an_mcps_definition_with_overrides_and_merged_env(
    tmp_path: Path, provider_server: ProviderServer
) -> None:
    provider_server.script = [
        Reply(tool=("environment", {"name": name}))
        for name in ("FROM_DEFINITION", "SHARED", "FROM_TOOLSET")
    ] + [Reply(tool=("echo", {"text": "filtered out"})), Reply("ok")]
    env = {"WORD": "expanded", "MCP_TEST_PIDS": str(tmp_path / "pids")}
    with load(tmp_path, provider_server, MCPS, env) as team:
        result = team.run("Look")
    assert [output for _, output in results(result)] == [
        "definition",
        "toolset",
        "expanded",
        "Tool 'echo' is not available. You can only use the tools provided to you.",
    ]
    body = json.loads(provider_server.requests[0].body)
    assert [tool["function"]["name"] for tool in body["tools"]] == ["environment"]
    assert body["messages"][1]["content"] == (
        "From the definition. Notes are kept until the server stops."
    )
    assert_stopped(tmp_path / "pids", expected=1)
