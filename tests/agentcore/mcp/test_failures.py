"""MCP servers that do not start: each failure fails the run before anything is sent to the
model, with a message that names the file, the toolset's YAML path and line, the server,
what it did, and what it wrote to stderr; and no server process survives. Ctrl-C stops the
servers too, in the Python API and on the command line."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

import agentcore
from agentcore import ToolsetError
from agentcore.cli import Console, main
from tests.support.cli_runs import NO_NETWORK, SCRIPT, agent_file
from tests.support.cli_runs import agentcore as agentcore_cli
from tests.support.mcp_servers import (
    CRASH_AT_START,
    GARBAGE_ON_STDOUT,
    HANG_AT_START,
    LIST_ERROR,
    assert_stopped,
    command_toolset,
    write,
)
from tests.support.provider_server import ProviderServer
from tests.support.wire_formats import Reply


def agent(toolsets: str) -> str:
    return f"agents:\n  root:\n    model: main\n    instruction: Work.\n    toolsets:\n{toolsets}"


def failure(
    tmp_path: Path,
    server: ProviderServer,
    toolset: str,
    env: dict[str, str] | None = None,
    **kwargs: Any,
) -> tuple[str, str]:
    """The message of the run's failure, and where the toolset is written."""
    path = agent_file(tmp_path, server, agent(toolset))
    env = {"MCP_TEST_PIDS": str(tmp_path / "pids"), **(env or {})}
    with agentcore.load(path, working_dir=tmp_path, env=env, **kwargs) as team:
        where = str(team.config.agents["root"].toolsets[0].place)
        with pytest.raises(ToolsetError) as caught:
            team.run("Go")
    error = caught.value
    assert (error.path, error.where) == (str(path), "agents.root.toolsets[0]")
    assert server.requests == []  # the model was never asked
    return str(error), where


def script(tmp_path: Path, text: str) -> tuple[Path, str]:
    path = write(tmp_path, "server.py", text)
    return path, f"{sys.executable} {path}"


def test_a_server_that_crashes_at_start(tmp_path: Path, provider_server: ProviderServer) -> None:
    path, name = script(tmp_path, CRASH_AT_START)
    message, where = failure(tmp_path, provider_server, command_toolset(path))
    assert message == (
        f"{where}: MCP server '{name}' closed the connection before it answered 'initialize' "
        "(did it exit?)\n"
        "Its stderr ended with:\n"
        "  Traceback (most recent call last):\n"
        "  ModuleNotFoundError: No module named 'weather_api'"
    )
    assert_stopped(tmp_path / "pids", expected=1)


def test_a_server_that_hangs_at_start_times_out(
    tmp_path: Path, provider_server: ProviderServer
) -> None:
    path, name = script(tmp_path, HANG_AT_START)
    started = time.monotonic()
    message, where = failure(
        tmp_path, provider_server, command_toolset(path), mcp_start_timeout=0.5
    )
    assert time.monotonic() - started < 3
    assert message == (
        f"{where}: MCP server '{name}' did not answer 'initialize' within 0.5 seconds\n"
        "Its stderr ended with:\n"
        "  loading the index, this takes a while"
    )
    assert_stopped(tmp_path / "pids", expected=1)


def test_a_server_that_prints_garbage_on_stdout(
    tmp_path: Path, provider_server: ProviderServer
) -> None:
    path, name = script(tmp_path, GARBAGE_ON_STDOUT)
    message, where = failure(tmp_path, provider_server, command_toolset(path))
    assert message == (
        f"{where}: MCP server '{name}' closed the connection before it answered 'initialize' "
        "(did it exit?)\n"
        "It wrote 1 line(s) to stdout that are not JSON-RPC messages (stdout carries MCP "
        "messages only; logs belong on stderr), the first: "
        "'Weather server 1.0 listening on port 8080'\n"
        "Its stderr ended with:\n"
        "  usage: weather-server --stdio"
    )
    assert_stopped(tmp_path / "pids", expected=1)


def test_a_json_rpc_error_answer_at_start(tmp_path: Path, provider_server: ProviderServer) -> None:
    path, name = script(tmp_path, LIST_ERROR)
    message, where = failure(tmp_path, provider_server, command_toolset(path))
    assert message.startswith(
        f"{where}: MCP server '{name}' answered 'tools/list' with an error: the tool registry "
        "is broken (JSON-RPC error -32603)\n"
    )
    assert_stopped(tmp_path / "pids", expected=1)


@pytest.mark.parametrize(
    ("extra", "hint"),
    [
        ("", ""),
        (
            "        version: astral-sh/uv\n",
            "; cagent would install it (version: astral-sh/uv), agentcore does not: install "
            "it, then run again",
        ),
    ],
)
def test_a_missing_command(
    tmp_path: Path, provider_server: ProviderServer, extra: str, hint: str
) -> None:
    toolset = "      - type: mcp\n        command: no-such-mcp-server\n        args: [--stdio]\n"
    message, where = failure(tmp_path, provider_server, toolset + extra)
    assert message == (
        f"{where}: MCP server 'no-such-mcp-server --stdio' cannot be started: there is no "
        f"command 'no-such-mcp-server' on the PATH{hint}\n"
        "It wrote nothing to stderr."
    )


def test_an_env_variable_that_is_not_set(tmp_path: Path, provider_server: ProviderServer) -> None:
    toolset = command_toolset(extra="env:\n  TOKEN: ${MCP_TEST_NOT_SET}\n  B: $ALSO_NOT_SET")
    message, where = failure(tmp_path, provider_server, toolset)
    assert message.startswith(f"{where}: MCP server '{sys.executable} ")
    assert message.endswith(
        "' cannot be started: its env refers to the environment variables "
        '"MCP_TEST_NOT_SET", "ALSO_NOT_SET", which are not set'
    )


def test_without_the_sdk_the_message_says_what_to_install(
    tmp_path: Path, provider_server: ProviderServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "mcp", None)  # import mcp fails
    message, where = failure(tmp_path, provider_server, command_toolset())
    assert message.startswith(f"{where}: MCP server '{sys.executable} ")
    assert message.endswith(
        "cannot be started: MCP toolsets need the official MCP SDK (the mcp package), which is "
        'not installed: pip install "pytest-agentcassette[mcp]"'
    )


def test_the_command_line_fails_with_the_message_and_exit_status_1(
    tmp_path: Path, provider_server: ProviderServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    path, name = script(tmp_path, CRASH_AT_START)
    agent_file(tmp_path, provider_server, agent(command_toolset(path)))
    run = agentcore_cli("exec", "agent.yaml", "Go", env={"MCP_TEST_PIDS": str(tmp_path / "pids")})
    assert run.status == 1
    assert run.out == "\n--- Agent: root ---\n"
    assert run.err.startswith(
        f"agentcore: agent.yaml, line 27 (at agents.root.toolsets[0]): MCP server '{name}' "
        "closed the connection before it answered 'initialize' (did it exit?)\n"
    )
    assert "Traceback" not in run.err.replace("  Traceback (most recent call last):", "")
    assert provider_server.requests == []
    assert_stopped(tmp_path / "pids", expected=1)


class _Interrupting(io.StringIO):
    """A terminal whose user presses Ctrl-C when asked anything."""

    def readline(self, size: int | None = -1) -> str:  # type: ignore[override]
        raise KeyboardInterrupt


def test_ctrl_c_at_an_approval_prompt_stops_the_server(
    tmp_path: Path, provider_server: ProviderServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    agent_file(tmp_path, provider_server, agent(command_toolset()))
    provider_server.script = [Reply(tool=("write_note", {"note": "x"}))]
    out, err = io.StringIO(), io.StringIO()
    console = Console(_Interrupting(), out, err, interactive=True)
    env = {"MCP_TEST_PIDS": str(tmp_path / "pids")}
    assert main(["exec", "agent.yaml", "Note"], console=console, env=env) == 130
    assert err.getvalue().endswith("agentcore: interrupted\n")
    assert_stopped(tmp_path / "pids", expected=1)


def test_ctrl_c_while_a_tool_runs_stops_agentcore_and_its_server(
    tmp_path: Path, provider_server: ProviderServer
) -> None:
    agent_file(tmp_path, provider_server, agent(command_toolset()))
    provider_server.script = [Reply(tool=("sleep", {"seconds": 60}))]
    sleeping = tmp_path / "sleeping"
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
        **NO_NETWORK,
        "NO_PROXY": "127.0.0.1",
        "MCP_TEST_PIDS": str(tmp_path / "pids"),
        "MCP_TEST_SLEEPING": str(sleeping),
    }
    process = subprocess.Popen(
        [str(SCRIPT), "exec", "agent.yaml", "--yolo", "Sleep"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 20
        while not sleeping.exists() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert sleeping.exists(), process.communicate(timeout=5)
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 130, err
    assert err.endswith("agentcore: interrupted\n")
    assert_stopped(tmp_path / "pids", expected=1)
    assert json.loads(provider_server.requests[0].body)["tools"]
