"""An agent and its MCP server, recorded together and replayed with neither: ``agentcore exec
--record`` against the scripted LLM on loopback and the real test server (over stdio, over
streamable HTTP, or behind ``ref: docker:NAME``), then ``--fake`` with the LLM stopped and
the server gone (script deleted, HTTP server stopped, ``docker`` off the PATH). The replay
prints the same transcript and starts no process."""

from __future__ import annotations

import json
import os
import shutil
from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.support.cli_runs import agent_file, agentcore
from tests.support.mcp_servers import SERVER, command_toolset, docker_stand_in, http_server
from tests.support.network import NetworkCut
from tests.support.provider_server import ProviderServer
from tests.support.wire_formats import Reply

PROMPT = "Echo hello, then note the milk."
SCRIPT = [
    Reply("Echoing.", tool=("echo", {"text": "hello"})),
    Reply("Noting.", tool=("write_note", {"note": "milk"})),
    Reply("Done: hello, and noted."),
]


def _stdio(folder: Path, stack: ExitStack) -> tuple[str, dict[str, str], Path]:
    script = folder / "test_server.py"
    shutil.copy(SERVER, script)
    return command_toolset(script), {}, script


def _streamable_http(folder: Path, stack: ExitStack) -> tuple[str, dict[str, str], None]:
    url = stack.enter_context(http_server("streamable-http"))
    toolset = f"      - type: mcp\n        remote:\n          url: {url}\n"
    return toolset + "          transport_type: streamable\n", {}, None


def _docker(folder: Path, stack: ExitStack) -> tuple[str, dict[str, str], Path]:
    home = folder / "home"
    (home / ".cagent").mkdir(parents=True)
    catalog = {"servers": {"calc": {"type": "server", "secrets": []}}}
    (home / ".cagent" / "mcp_catalog.json").write_text(json.dumps(catalog))
    bin_dir = docker_stand_in(folder)
    env = {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        "HOME": str(home),
        "MCP_TEST_DOCKER_LOG": str(folder / "docker.json"),
    }
    return "      - type: mcp\n        ref: docker:calc\n", env, bin_dir


SERVERS = {"stdio": _stdio, "streamable-http": _streamable_http, "docker": _docker}


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("kind", list(SERVERS))
def test_a_session_with_an_mcp_server_replays_with_the_llm_and_the_server_gone(
    kind: str,
    project: Path,
    provider_server: ProviderServer,
    network_cut: NetworkCut,
    started: list[list[str]],
) -> None:
    with ExitStack() as stack:
        toolset, env, server = SERVERS[kind](project, stack)
        agent = (
            f"agents:\n  root:\n    model: main\n    instruction: Work.\n    toolsets:\n{toolset}"
        )
        agent_file(project, provider_server, agent)
        provider_server.script = list(SCRIPT)
        recorded = agentcore("exec", "agent.yaml", "--yolo", "--record=session", PROMPT, env=env)
    assert recorded.status == 0, recorded.err
    assert 'echo response → "hello"' in recorded.out
    assert 'write_note response → "1 note(s): milk"' in recorded.out
    assert recorded.out.endswith("Done: hello, and noted.")
    assert len(started) == (0 if kind == "streamable-http" else 1)

    provider_server.stop()
    if server is not None and server.is_dir():
        shutil.rmtree(server)  # docker is off the PATH
    elif server is not None:
        server.unlink()
    started.clear()
    with network_cut:
        replayed = agentcore("exec", "agent.yaml", "--yolo", "--fake=session", PROMPT, env=env)
    assert (replayed.status, replayed.out, replayed.err) == (0, recorded.out, "")
    assert started == []  # no server process
    assert network_cut.attempts == []  # no connection, not even to loopback
