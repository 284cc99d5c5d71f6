"""The file's ``permissions`` as cagent applies them: deny first (an error result the model
reads), then allow (no prompt), then ask (a prompt even for read-only tools); ``--yolo``
and an earlier "all" come before them all. Recorded once and replayed offline."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import agentcore
from agentcore.config.model import Permissions
from agentcore.errors import ConfigError
from agentcore.messages import ToolCall
from agentcore.permissions import Decision, arguments_for_check, decide
from pytest_agentcassette import use_cassette
from tests.support.agents import results
from tests.support.cli_runs import agent_file
from tests.support.cli_runs import agentcore as run_cli
from tests.support.network import NetworkCut
from tests.support.provider_server import ProviderServer
from tests.support.wire_formats import Reply

KEY = {"OPENAI_API_KEY": "sk-test-key"}
DENIED = "Tool '{}' is denied by permissions configuration."

AGENT = """\
agents:
  root:
    model: main
    instruction: Work.
    toolsets: [{type: filesystem}, {type: shell}]
"""
AGENTS = (
    """\
permissions:
  allow: ["shell:cmd=echo*"]
  ask: [list_directory]
  deny: [write_file, "shell:cmd=rm *"]
"""
    + AGENT
)


def team(tmp_path: Path, server: ProviderServer, agents: str = AGENTS) -> agentcore.Team:
    path = tmp_path / "agent.yaml"
    models = f"models:\n  main:\n    provider: openai\n    model: gpt-4o\n    base_url: {server.url}/v1\n"
    path.write_text(models + agents)
    (tmp_path / "work").mkdir(exist_ok=True)
    return agentcore.load(path, working_dir=tmp_path / "work", env={})


def script() -> list[Reply]:
    return [
        Reply(tool=("write_file", {"path": "a.txt", "content": "x"})),
        Reply(tool=("shell", {"cmd": "rm -rf a.txt"})),
        Reply(tool=("shell", {"cmd": "echo allowed"})),
        Reply(tool=("list_directory", {"path": "."})),
        Reply(tool=("shell", {"cmd": "ls"})),
        Reply("done"),
    ]


def test_deny_allow_and_ask_decide_each_call_and_the_replay_does_the_same(
    tmp_path: Path, provider_server: ProviderServer, network_cut: NetworkCut
) -> None:
    asked: list[str] = []

    def approve(agent: str, call: ToolCall) -> str:
        asked.append(call.name)
        return "no"

    provider_server.script = script()
    cassette = tmp_path / "permissions.yaml"
    with use_cassette(cassette, record_mode="once"), team(tmp_path, provider_server) as t:
        recorded = t.run("Tidy up", approve=approve)
    expected = [
        ("write_file", DENIED.format("write_file")),
        ("shell", DENIED.format("shell")),
        ("shell", "allowed\n"),
        ("list_directory", "The user rejected the tool call."),  # read-only, yet asked
        ("shell", "The user rejected the tool call."),  # no pattern: asked as usual
    ]
    assert results(recorded) == expected
    assert asked == ["list_directory", "shell"]
    assert not (tmp_path / "work" / "a.txt").exists()
    provider_server.stop()
    asked.clear()
    with network_cut, use_cassette(cassette), team(tmp_path, provider_server) as t:
        replayed = t.run("Tidy up", approve=approve)
    assert results(replayed) == expected
    assert asked == ["list_directory", "shell"]
    assert network_cut.attempts == []


def test_yolo_comes_before_deny_as_in_cagent(
    tmp_path: Path, provider_server: ProviderServer
) -> None:
    # cagent 0d76412a: TestYoloMode_OverridesPermissionsDeny (tool_dispatch.go checks
    # sess.ToolsApproved first)
    provider_server.script = [
        Reply(tool=("write_file", {"path": "a.txt", "content": "x"})),
        Reply("done"),
    ]
    with team(tmp_path, provider_server) as t:
        result = t.run("Write", yolo=True)
    assert results(result)[0][0] == "write_file"
    assert (tmp_path / "work" / "a.txt").read_text() == "x"


def test_exec_prints_a_denied_call_as_cagents_printer_does_and_replays_it(
    tmp_path: Path,
    provider_server: ProviderServer,
    network_cut: NetworkCut,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "work").mkdir()
    agent = agent_file(tmp_path, provider_server, "permissions: {deny: [list_*]}\n" + AGENT)
    provider_server.script = [
        Reply("Looking.", tool=("list_directory", {"path": "."})),
        Reply("No."),
    ]
    argv = ("exec", str(agent), "--working-dir", "work")
    recorded = run_cli(*argv, "--record", "deny", "List", env=KEY)
    assert recorded.status == 0, recorded.err
    assert recorded.out == (
        "\n--- Agent: root ---\nLooking.\n"
        "list_directory response → \"Tool 'list_directory' is denied by permissions "
        'configuration."\nNo.'
    )
    provider_server.stop()
    with network_cut:
        replayed = run_cli(*argv, "--fake", "deny", "List")
    assert (replayed.status, replayed.out, replayed.err) == (0, recorded.out, "")


@pytest.mark.parametrize(
    ("pattern", "name", "arguments", "matches"),
    [
        ("read_*", "READ_FILE", None, True),  # case does not matter
        ("shell:cmd=ls*", "shell", {"cmd": "ls -la /tmp"}, True),  # a bare trailing *
        ("shell:cmd=l?*", "shell", {"cmd": "ls /tmp"}, False),  # * stops at /
        ("shell:cmd=ls*", "shell", None, False),  # conditions need arguments
        ("shell:cmd=ls*:cwd=/home/*", "shell", {"cmd": "ls", "cwd": "/home/me"}, True),
        ("shell:cmd=ls*:cwd=/home/*", "shell", {"cmd": "ls"}, False),
        ("mcp:github:*", "mcp:github:create_issue", None, True),
        ("fetch:timeout=30", "fetch", {"timeout": 30.0}, True),  # numbers as Go prints them
        ("t:flag=true", "t", {"flag": True}, True),
        ("t:[a-c]x", "t:bx", None, True),
        ("t:[", "t:[", None, False),  # a bad pattern matches nothing
    ],
)
def test_patterns_match_as_cagents(
    pattern: str, name: str, arguments: dict[str, Any] | None, matches: bool
) -> None:
    decision = decide(Permissions(allow=(pattern,)), name, arguments)
    assert (decision is Decision.ALLOW) is matches


def test_deny_wins_over_allow_and_allow_over_ask() -> None:
    both = Permissions(allow=("shell",), ask=("shell",), deny=("shell:cmd=rm*",))
    assert decide(both, "shell", {"cmd": "rm x"}) is Decision.DENY
    assert decide(both, "shell", {"cmd": "ls"}) is Decision.ALLOW
    assert decide(Permissions(ask=("shell",)), "shell", None) is Decision.FORCE_ASK
    assert decide(both, "other", None) is Decision.ASK
    assert arguments_for_check('["not", "an object"]') is None


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('version: "2"\npermissions: {allow: [x]}\n', 'needs version: "3" or later'),
        ("permissions: {allowed: [x]}\n", "unknown key 'allowed'"),
        ("permissions: {allow: x}\n", "expected a list of names"),
    ],
)
def test_bad_permissions_name_the_place_and_the_fix(
    tmp_path: Path, provider_server: ProviderServer, text: str, problem: str
) -> None:
    with pytest.raises(ConfigError, match=problem):
        team(tmp_path, provider_server, text + "agents:\n  root:\n    model: main\n")
