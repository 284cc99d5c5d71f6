"""MCP servers over stdio, for real: the test server (the official SDK's server API) runs
as ``sys.executable script`` over pipes, the model is the scripted provider server. Tools
reach the model with the server's names, descriptions and schemas; read-only tools run
without approval; results and errors read as cagent makes them; every server stops with
its team, whatever happened."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

import agentcore
from agentcore import events
from agentcore.messages import ToolCall
from tests.support.agents import results, sent
from tests.support.cli_runs import agent_file
from tests.support.cli_runs import agentcore as agentcore_cli
from tests.support.mcp_servers import SERVER, assert_stopped, command_toolset, pids
from tests.support.provider_server import ProviderServer
from tests.support.wire_formats import Reply


@pytest.fixture
def pid_file(tmp_path: Path) -> Path:
    return tmp_path / "pids"


def agent(toolsets: str, *, instruction: str = "Work.") -> str:
    return f"agents:\n  root:\n    model: main\n    instruction: {instruction}\n    toolsets:\n{toolsets}"


def load(
    tmp_path: Path, server: ProviderServer, agents: str, pid_file: Path, **kwargs: Any
) -> agentcore.Team:
    path = agent_file(tmp_path, server, agents)
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    env = {"MCP_TEST_PIDS": str(pid_file), **kwargs.pop("env", {})}
    return agentcore.load(path, working_dir=work, env=env, **kwargs)


def place(team: agentcore.Team, index: int = 0) -> str:
    """Where the index-th toolset of root is written, as messages begin."""
    return str(team.config.agents["root"].toolsets[index].place)


def tools_sent(server: ProviderServer, index: int) -> dict[str, Any]:
    body = json.loads(server.requests[index].body)
    return {tool["function"]["name"]: tool["function"] for tool in body.get("tools", [])}


def test_a_stdio_server_end_to_end_through_agentcore_exec(
    tmp_path: Path, provider_server: ProviderServer, pid_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    agent_file(tmp_path, provider_server, agent(command_toolset()))
    provider_server.script = [
        Reply(tool=("echo", {"text": "ping"})),
        Reply("The server said ping."),
    ]
    run = agentcore_cli("exec", "agent.yaml", "Echo ping", env={"MCP_TEST_PIDS": str(pid_file)})
    assert (run.status, run.err) == (0, "")
    assert run.out == (
        '\n--- Agent: root ---\n\nCalling echo(text: "ping")\n\necho response → "ping"\n'
        "The server said ping."
    )
    offered = tools_sent(provider_server, 0)
    assert list(offered) == [
        "echo", "write_note", "environment", "arguments", "header",
        "sleep", "crash", "fail", "refuse", "nothing",
    ]  # fmt: skip
    assert offered["echo"]["description"] == "Say the text back."
    assert offered["echo"]["parameters"] == {
        "properties": {"text": {"title": "Text", "type": "string"}},
        "required": ["text"],
        "title": "echoArguments",
        "type": "object",
    }
    messages = sent(provider_server, 1)
    assert messages[1] == {"role": "system", "content": "Notes are kept until the server stops."}
    assert messages[-1]["role"] == "tool"
    assert messages[-1]["content"] == "ping"
    assert_stopped(pid_file, expected=1)


def test_read_only_tools_run_unasked_others_ask_and_tools_filters(
    tmp_path: Path, provider_server: ProviderServer, pid_file: Path
) -> None:
    toolset = command_toolset(
        extra="tools: [echo, write_note]\ninstruction: 'Keep notes. {ORIGINAL_INSTRUCTIONS}'"
    )
    asked: list[str] = []

    def approve(agent: str, call: ToolCall) -> str:
        asked.append(call.name)
        return "yes"

    provider_server.script = [
        Reply(tool=("echo", {"text": "hi"})),
        Reply(tool=("write_note", {"note": "buy milk", "tag": None})),  # null: left out
        Reply(tool=("environment", {"name": "HOME"})),  # filtered out
        Reply("Done."),
    ]
    with load(tmp_path, provider_server, agent(toolset), pid_file) as team:
        result = team.run("Note it", approve=approve)
    assert asked == ["write_note"]
    assert results(result) == [
        ("echo", "hi"),
        ("write_note", "1 note(s): buy milk"),
        ("environment", "Tool 'environment' is not available. You can only use the tools provided to you."),
    ]  # fmt: skip
    assert list(tools_sent(provider_server, 0)) == ["echo", "write_note"]
    system = [m["content"] for m in sent(provider_server, 0) if m["role"] == "system"]
    assert system == ["Work.", "Keep notes. Notes are kept until the server stops."]
    assert_stopped(pid_file, expected=1)


def test_a_name_prefixes_the_tools_and_calls_still_reach_them(
    tmp_path: Path, provider_server: ProviderServer, pid_file: Path
) -> None:
    provider_server.script = [Reply(tool=("notes_echo", {"text": "hi"})), Reply("ok")]
    toolset = command_toolset(extra="name: notes\ntools: [notes_echo]")
    with load(tmp_path, provider_server, agent(toolset), pid_file) as team:
        result = team.run("Echo")
    assert list(tools_sent(provider_server, 0)) == ["notes_echo"]
    assert results(result) == [("notes_echo", "hi")]


def test_env_values_are_expanded_and_args_reach_the_server_as_written(
    tmp_path: Path, provider_server: ProviderServer, pid_file: Path
) -> None:
    toolset = (
        f"      - type: mcp\n        command: {json.dumps(sys.executable)}\n"
        f"        args: [{json.dumps(str(SERVER))}, '${{WORD}}', '$WORD']\n"
        "        env:\n          GREETING: ${WORD} world\n          PLAIN: $WORD!\n"
        "          WORD: overridden\n"
    )
    provider_server.script = [
        Reply(tool=("environment", {"name": "GREETING"})),
        Reply(tool=("environment", {"name": "PLAIN"})),
        Reply(tool=("environment", {"name": "WORD"})),  # the toolset's value wins
        Reply(tool=("environment", {"name": "TEAM_ONLY"})),  # the team's env reaches it
        Reply(tool=("arguments", {})),
        Reply("ok"),
    ]
    env = {"WORD": "hello", "TEAM_ONLY": "from the team"}
    with load(tmp_path, provider_server, agent(toolset), pid_file, env=env) as team:
        result = team.run("Look")
    assert [output for _, output in results(result)] == [
        "hello world",
        "hello!",
        "overridden",
        "from the team",
        json.dumps(["${WORD}", "$WORD"]),
    ]


def test_error_results_and_json_rpc_errors_reach_the_model_and_the_run_goes_on(
    tmp_path: Path, provider_server: ProviderServer, pid_file: Path
) -> None:
    provider_server.script = [
        Reply(tool=("fail", {})),
        Reply(tool=("refuse", {})),
        Reply(tool=("nothing", {})),
        Reply("Both failed."),
    ]
    with load(tmp_path, provider_server, agent(command_toolset()), pid_file) as team:
        result = team.run("Try", yolo=True)
    finished = [e for e in result.events if isinstance(e, events.ToolCallFinished)]
    assert [(e.output.splitlines()[0], e.error) for e in finished] == [
        ("Error executing tool fail", True),  # an isError result, as the server wrote it
        (
            f"Error calling tool: {place(team)}: MCP server "
            f"'{sys.executable} {SERVER}' answered tool 'refuse' with an error: refusing on "
            f"purpose (JSON-RPC error -32602)",
            True,
        ),
        ("no output", False),
    ]
    assert "Its stderr ended with:" in finished[1].output
    assert result.output == "Both failed."
    assert_stopped(pid_file, expected=1)


def test_a_server_that_exits_mid_session_gives_tool_errors_and_the_run_goes_on(
    tmp_path: Path, provider_server: ProviderServer, pid_file: Path
) -> None:
    provider_server.script = [
        Reply(tool=("crash", {})),
        Reply(tool=("echo", {"text": "still there?"})),
        Reply("The server is gone."),
    ]
    with load(tmp_path, provider_server, agent(command_toolset()), pid_file) as team:
        result = team.run("Crash it", yolo=True)
    (_, crashed), (_, after) = results(result)
    head = f"Error calling tool: {place(team)}: MCP server '{sys.executable} {SERVER}' "
    assert crashed.startswith(
        head + "closed the connection before it answered tool 'crash' (did it exit?)\n"
        "Its stderr ended with:\n"
    )
    assert crashed.endswith("\n  the server crashes now")
    assert after.startswith(
        head + "is no longer running: it closed the connection before it answered tool 'crash'"
    )
    assert result.output == "The server is gone."
    assert_stopped(pid_file, expected=1)


def test_a_tool_call_that_hangs_times_out_and_the_run_goes_on(
    tmp_path: Path, provider_server: ProviderServer, pid_file: Path
) -> None:
    provider_server.script = [Reply(tool=("sleep", {"seconds": 60})), Reply("Too slow.")]
    with load(
        tmp_path, provider_server, agent(command_toolset()), pid_file, mcp_call_timeout=0.3
    ) as team:
        result = team.run("Wait", yolo=True)
        [(_, output)] = results(result)
        assert "MCP server" in output
        assert output.splitlines()[0].endswith("did not answer tool 'sleep' within 0.3 seconds")
        assert result.output == "Too slow."
    assert_stopped(pid_file, expected=1)


def test_sessions_of_a_team_share_its_server_which_starts_only_when_needed(
    tmp_path: Path, provider_server: ProviderServer, pid_file: Path
) -> None:
    with load(tmp_path, provider_server, agent(command_toolset()), pid_file) as team:
        assert pids(pid_file) == []  # loaded, not started
        provider_server.script = [Reply(tool=("write_note", {"note": "a"})), Reply("ok")]
        team.run("First", yolo=True)
        provider_server.script = [Reply(tool=("write_note", {"note": "b"})), Reply("ok")]
        second = team.run("Second", yolo=True)
        assert results(second) == [("write_note", "2 note(s): a; b")]
        assert len(pids(pid_file)) == 1
    assert_stopped(pid_file, expected=1)
    team.close()  # closing again does nothing


def test_ctrl_c_during_a_run_stops_the_server(
    tmp_path: Path, provider_server: ProviderServer, pid_file: Path
) -> None:
    def interrupt(agent: str, call: ToolCall) -> str:
        raise KeyboardInterrupt

    provider_server.script = [Reply(tool=("write_note", {"note": "x"}))]
    with (
        pytest.raises(KeyboardInterrupt),
        load(tmp_path, provider_server, agent(command_toolset()), pid_file) as team,
    ):
        team.run("Note", approve=interrupt)
    assert_stopped(pid_file, expected=1)


def test_a_server_that_prints_a_banner_on_stdout_still_works(
    tmp_path: Path, provider_server: ProviderServer, pid_file: Path
) -> None:
    provider_server.script = [Reply(tool=("echo", {"text": "hi"})), Reply("ok")]
    env = {"MCP_TEST_BANNER": "Test server 1.0 ready"}
    with load(tmp_path, provider_server, agent(command_toolset()), pid_file, env=env) as team:
        assert results(team.run("Echo")) == [("echo", "hi")]
    assert_stopped(pid_file, expected=1)


def test_a_recorded_session_replays_without_starting_the_server(
    tmp_path: Path, provider_server: ProviderServer, pid_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    agent_file(tmp_path, provider_server, agent(command_toolset()))
    provider_server.script = [
        Reply(tool=("write_note", {"note": "recorded"})),
        Reply("Noted."),
    ]
    env = {"MCP_TEST_PIDS": str(pid_file)}
    recorded = agentcore_cli("exec", "agent.yaml", "--yolo", "--record=session", "Note", env=env)
    assert recorded.status == 0, recorded.err
    assert_stopped(pid_file, expected=1)
    replayed = agentcore_cli("exec", "agent.yaml", "--yolo", "--fake=session", "Note", env=env)
    assert (replayed.status, replayed.out) == (0, recorded.out)
    assert 'write_note response → "1 note(s): recorded"' in replayed.out
    assert len(pids(pid_file)) == 1  # the replay started no server
