"""MCP toolsets in agent files, as cagent reads them: exactly one source (command, remote,
ref), the top-level mcps: and what a toolset that refers to one of them takes from it, and
every mistake named with the file, the YAML path and the line. Loading starts nothing."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import agentcore
from agentcore import ConfigError, load_config
from agentcore.config import McpServerConfig, Place, RemoteServer, ToolsetConfig


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "agent.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def toolsets(tmp_path: Path, text: str, agent: str = "root") -> tuple[ToolsetConfig, ...]:
    return load_config(write(tmp_path, text)).agents[agent].toolsets


def test_a_command_toolset_keeps_what_cagent_reads(tmp_path: Path) -> None:
    [toolset] = toolsets(
        tmp_path,
        """\
        agents:
          root:
            model: openai/gpt-4o
            toolsets:
              - type: mcp
                command: uvx
                version: "astral-sh/uv"
                args: ["yfmcp", --port, 8080]
                env:
                  TOKEN: ${TOKEN}
                  DEBUG: true
                tools: [quote, history]
                instruction: Use it for stock prices.
                name: finance
        """,
    )
    assert toolset == ToolsetConfig(
        "mcp",
        ("quote", "history"),
        "Use it for stock prices.",
        {},
        McpServerConfig(
            command="uvx",
            args=("yfmcp", "--port", "8080"),
            env={"TOKEN": "${TOKEN}", "DEBUG": "true"},
            version="astral-sh/uv",
            name="finance",
        ),
    )
    assert toolset.place == Place(tmp_path / "agent.yaml", "agents.root.toolsets[0]", 5)
    assert str(toolset.place) == f"{tmp_path / 'agent.yaml'}, line 5 (at agents.root.toolsets[0])"


def test_remote_and_docker_toolsets(tmp_path: Path) -> None:
    remote, docker, empty_filter = toolsets(
        tmp_path,
        """\
        agents:
          root:
            model: openai/gpt-4o
            toolsets:
              - type: mcp
                remote:
                  url: http://homeassistant.local:8123/api/mcp
                  transport_type: streamable-http
                  headers:
                    Authorization: "Bearer ${env.HA_TOKEN}"
              - type: mcp
                ref: docker:inspektor-gadget
                config:
                  kubeconfig: /home/me/.kube/config
                env:
                  brave.api_key: ${BRAVE_API_KEY}
              - type: mcp
                ref: docker:duckduckgo
                tools: []
        """,
    )
    assert remote.mcp == McpServerConfig(
        remote=RemoteServer(
            "http://homeassistant.local:8123/api/mcp",
            "streamable",
            {"Authorization": "Bearer ${env.HA_TOKEN}"},
        )
    )
    assert docker.mcp == McpServerConfig(
        docker="inspektor-gadget",
        config={"kubeconfig": "/home/me/.kube/config"},
        env={"brave.api_key": "${BRAVE_API_KEY}"},
    )
    assert empty_filter.tools is None  # as cagent: an empty filter keeps every tool


MCPS = """\
mcps:
  context7:
    ref: docker:context7
  github:
    ref: docker:github
    env:
      GITHUB_TOKEN: token123
      SHARED: from_definition
    tools: [create_issue, list_issues]
    instruction: Use this for GitHub operations
    name: GitHub MCP
  custom:
    command: my-mcp-server
    args: ["--port", "8080"]
    env:
      MY_VAR: my_value
  remote:
    remote:
      url: https://mcp.example.com/sse
      transport_type: sse
      headers:
        Authorization: Bearer token123
agents:
  root:
    model: openai/gpt-4o
    toolsets:
      - type: mcp
        ref: context7
      - type: mcp
        ref: github
        tools: [create_issue]
        env:
          SHARED: from_toolset
          EXTRA: extra
      - type: mcp
        ref: custom
      - type: mcp
        ref: remote
  other:
    model: openai/gpt-4o
    toolsets:
      - type: mcp
        ref: custom
        args: [--verbose]
        instruction: Only for lookups.
"""


def test_mcps_definitions_are_resolved_as_cagent_does(tmp_path: Path) -> None:
    """cagent's pkg/config/mcps_test.go, case by case."""
    config = load_config(write(tmp_path, MCPS))
    context7, github, custom, remote = config.agents["root"].toolsets
    assert context7.mcp == McpServerConfig(docker="context7", definition="context7")
    # toolset fields win, unset ones come from the definition, env maps merge
    assert github.tools == ("create_issue",)
    assert github.instruction == "Use this for GitHub operations"
    assert github.mcp == McpServerConfig(
        docker="github",
        env={"GITHUB_TOKEN": "token123", "SHARED": "from_toolset", "EXTRA": "extra"},
        name="GitHub MCP",
        definition="github",
    )
    assert custom.mcp == McpServerConfig(
        command="my-mcp-server",
        args=("--port", "8080"),
        env={"MY_VAR": "my_value"},
        definition="custom",
    )
    assert remote.mcp is not None
    assert remote.mcp.remote == RemoteServer(
        "https://mcp.example.com/sse", "sse", {"Authorization": "Bearer token123"}
    )
    # a definition is reused by another agent, with overrides of its own
    [other] = config.agents["other"].toolsets
    assert other.mcp is not None
    assert other.mcp.args == ("--verbose",)
    assert other.instruction == "Only for lookups."
    assert other.place is not None
    assert other.place.where == "agents.other.toolsets[0]"


HEAD = "agents:\n  root:\n    model: openai/gpt-4o\n    toolsets:\n      - type: mcp\n"

MISTAKES = {
    "two sources": (
        HEAD + "        command: server\n        ref: docker:github\n",
        "line 7 (at agents.root.toolsets[0].ref): give only one of command, remote and ref, "
        "not command and ref",
    ),
    "no source": (
        HEAD + "        tools: [search]\n",
        "line 5 (at agents.root.toolsets[0]): missing the MCP server: give command (a program "
        "that speaks MCP on stdin and stdout), remote (the URL of a server) or ref "
        "(docker:NAME, or an entry of mcps:)",
    ),
    "unknown ref": (
        "mcps:\n  github:\n    ref: docker:github\n" + HEAD + "        ref: githb\n",
        "line 9 (at agents.root.toolsets[0].ref): 'githb' is neither docker:NAME nor an entry "
        "of mcps: (entries: github). Did you mean 'github'?",
    ),
    "ref without mcps": (
        HEAD + "        ref: context7\n",
        "line 6 (at agents.root.toolsets[0].ref): 'context7' is neither docker:NAME nor an "
        "entry of mcps: (entries: none).",
    ),
    "bad transport_type": (
        HEAD + "        remote:\n          url: https://x.example/mcp\n"
        "          transport_type: websocket\n",
        "line 8 (at agents.root.toolsets[0].remote.transport_type): unknown transport_type "
        "'websocket'; valid: streamable (streamable HTTP, also written streamable-http), sse.",
    ),
    "no transport_type": (
        HEAD + "        remote:\n          url: https://x.example/mcp\n",
        "line 7 (at agents.root.toolsets[0].remote): missing 'transport_type': streamable "
        "(streamable HTTP) or sse; cagent does not connect without it",
    ),
    "no url": (
        HEAD + "        remote:\n          transport_type: sse\n",
        "line 7 (at agents.root.toolsets[0].remote): missing 'url'",
    ),
    "not a url": (
        HEAD + "        remote:\n          url: mcp.example.com\n          transport_type: sse\n",
        "line 7 (at agents.root.toolsets[0].remote.url): expected an http:// or https:// URL, "
        "got 'mcp.example.com'",
    ),
    "JavaScript agentcore does not evaluate": (
        HEAD + "        remote:\n          url: https://x.example/mcp\n"
        "          transport_type: sse\n          headers:\n"
        "            Authorization: Bearer ${env.TOKEN.trim()}\n",
        "line 10 (at agents.root.toolsets[0].remote.headers.Authorization): "
        "'${env.TOKEN.trim()}' is not supported yet by agentcore",
    ),
    "an empty docker ref": (
        HEAD + "        ref: 'docker:'\n",
        "line 6 (at agents.root.toolsets[0].ref): docker: needs the name of a server of the "
        "Docker MCP catalog, e.g. docker:duckduckgo",
    ),
    "an empty command": (
        HEAD + "        command: ''\n",
        "line 6 (at agents.root.toolsets[0].command): must not be empty",
    ),
    "args not a list": (
        HEAD + "        command: server\n        args: --port 8080\n",
        "line 7 (at agents.root.toolsets[0].args): expected a list of arguments, got str",
    ),
    "an env value that is not text": (
        HEAD + "        command: server\n        env:\n          TOKEN: [a, b]\n",
        "line 8 (at agents.root.toolsets[0].env.TOKEN): expected text, got a list",
    ),
    "a key of another toolset type": (
        HEAD + "        command: server\n        shared: true\n",
        "line 7 (at agents.root.toolsets[0].shared): unknown key 'shared'; valid keys: type, "
        "tools, instruction, command, args, env, ref, remote, config, version, name.",
    ),
    "defer": (
        HEAD + "        command: server\n        defer: true\n",
        "line 7 (at agents.root.toolsets[0].defer): 'defer' is not supported yet by agentcore "
        "(cagent accepts it); remove it to run this file here",
    ),
    "toon": (
        HEAD + "        ref: docker:github-official\n        toon: '.*'\n",
        "line 7 (at agents.root.toolsets[0].toon): 'toon' is not supported yet by agentcore",
    ),
    "a definition that refers to another": (
        "mcps:\n  github:\n    ref: other\n" + HEAD + "        ref: github\n",
        "line 3 (at mcps.github.ref): an entry of mcps: can only refer to a server of the "
        "Docker MCP catalog (e.g. ref: docker:context7), not to 'other'",
    ),
    "a definition with a key of another toolset type": (
        "mcps:\n  test:\n    ref: docker:context7\n    shared: true\n"
        + HEAD
        + "        ref: test\n",
        "line 4 (at mcps.test.shared): unknown key 'shared'",
    ),
    "a definition without a source": (
        "mcps:\n  broken:\n    tools: [a]\n" + HEAD + "        ref: docker:context7\n",
        "line 3 (at mcps.broken): missing the MCP server",
    ),
    "a definition with two sources": (
        "mcps:\n  broken:\n    command: my-server\n    ref: docker:context7\n"
        + HEAD
        + "        ref: broken\n",
        "line 4 (at mcps.broken.ref): give only one of command, remote and ref, not command "
        "and ref",
    ),
    "a definition of another type": (
        "mcps:\n  s:\n    type: shell\n    command: x\n" + HEAD + "        ref: s\n",
        "line 3 (at mcps.s.type): an entry of mcps: can only be of type mcp",
    ),
}


@pytest.mark.parametrize("case", MISTAKES)
def test_each_mistake_names_the_file_the_place_and_the_fix(case: str, tmp_path: Path) -> None:
    text, expected = MISTAKES[case]
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value).startswith(f"{path}, {expected}")


def test_an_empty_mcps_is_no_definition(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, "mcps:\n" + HEAD + "        ref: docker:fetch\n"))
    assert config.agents["root"].toolsets[0].mcp == McpServerConfig(docker="fetch")


def test_loading_starts_no_server(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        HEAD
        + "        command: no-such-mcp-server\n        env:\n          X: ${NOT_SET_ANYWHERE}\n",
    )
    with agentcore.load(path, env={}) as team:  # nothing runs, nothing is expanded
        assert team.config.agents["root"].toolsets[0].type == "mcp"


def test_neither_importing_agentcore_nor_loading_an_mcp_toolset_imports_the_sdk(
    tmp_path: Path,
) -> None:
    path = write(tmp_path, HEAD + "        command: server\n")
    code = (
        "import sys, agentcore, agentcore.cli\n"
        f"agentcore.load({str(path)!r}).close()\n"
        "print(sorted(m for m in sys.modules if m == 'mcp' or m.startswith(('mcp.', 'httpx2'))))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout == "[]\n"
