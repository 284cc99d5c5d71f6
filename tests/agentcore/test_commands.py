"""An agent's ``commands`` as cagent resolves them: ``/name args`` becomes the command's
instruction, with ``${env.X}``, ``${args...}``, ``${tool({...})}`` and ``!tool(k=v)``
expanded; recorded once and replayed offline."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import agentcore
from agentcore.commands import tokenize
from agentcore.errors import ConfigError
from agentcore.jstemplate import evaluate
from pytest_agentcassette import use_cassette
from tests.support.cli_runs import agent_file
from tests.support.cli_runs import agentcore as run_cli
from tests.support.network import NetworkCut
from tests.support.provider_server import ProviderServer
from tests.support.wire_formats import Reply

KEY = {"OPENAI_API_KEY": "sk-test-key"}

COMMANDS = """\
agents:
  root:
    model: main
    instruction: Work.
    toolsets: [{type: shell}]
    commands:
      greet: "Say hello to ${args[0]}"
      team: "We are ${env.TEAM_NAME}${env.UNSET}."
      mixed: "${args[0]} from ${env.TEAM_NAME}"
      all: "Handle ${args}, joined: ${args.join(' + ')}, count ${args.length}"
      fix: Fix every typo.
      lint:
        description: Lint the project
        instruction: |
          The linter says: ${shell({cmd: "echo lint-ok"})}
          And legacy: !shell(cmd="echo legacy-ok")
      unknown: "Keep ${SERVICE_NAME} and ${args[0]} as written"
      missing: "First: ${args[0]}, second: ${args[1]}"
"""


def team(tmp_path: Path, server: ProviderServer, agents: str = COMMANDS) -> agentcore.Team:
    path = tmp_path / "agent.yaml"
    models = f"models:\n  main:\n    provider: openai\n    model: gpt-4o\n    base_url: {server.url}/v1\n"
    path.write_text(models + agents)
    (tmp_path / "work").mkdir(exist_ok=True)
    return agentcore.load(path, working_dir=tmp_path / "work", env={"TEAM_NAME": "the crew"})


def user_messages(server: ProviderServer) -> list[Any]:
    import json

    return [
        [m["content"] for m in json.loads(r.body)["messages"] if m["role"] == "user"][-1]
        for r in server.requests
    ]


PROMPTS = {
    "/greet Alice": "Say hello to Alice",
    "/team go": "We are the crew. go",
    # env is bound only when the file loads, args only when the command runs: in one
    # template they fail both times, and cagent sends the text as written
    "/mixed Bob": "${args[0]} from ${env.TEAM_NAME}",
    '/all a "b c" d': "Handle a,b c,d, joined: a + b c + d, count 3",
    "/fix the README please": "Fix every typo. the README please",
    "/lint": "The linter says: lint-ok\n\nAnd legacy: legacy-ok\n",
    "/unknown x": "Keep ${SERVICE_NAME} and ${args[0]} as written",  # a ReferenceError
    "/missing one": "First: one, second: undefined",
    "/nope at all": "/nope at all",
    "fix this": "fix this",
}


def test_commands_are_resolved_as_cagent_does_and_replayed_offline(
    tmp_path: Path, provider_server: ProviderServer, network_cut: NetworkCut
) -> None:
    provider_server.script = [Reply(f"answer {i}") for i in range(len(PROMPTS))]
    cassette = tmp_path / "commands.yaml"
    with use_cassette(cassette, record_mode="once"), team(tmp_path, provider_server) as t:
        recorded = t.run(*PROMPTS)
    assert user_messages(provider_server) == list(PROMPTS.values())
    assert recorded.output == f"answer {len(PROMPTS) - 1}"
    provider_server.stop()
    with network_cut, use_cassette(cassette), team(tmp_path, provider_server) as t:
        replayed = t.run(*PROMPTS)
    assert replayed.output == recorded.output
    assert network_cut.attempts == []


def test_the_list_form_and_a_description_alone(
    tmp_path: Path, provider_server: ProviderServer
) -> None:
    agents = (
        "agents:\n  root:\n    model: main\n    commands:\n"
        "      - fix: Fix every typo.\n"
        "      - doc: {description: Write the docs}\n"
    )
    provider_server.script = [Reply("ok"), Reply("done")]
    with team(tmp_path, provider_server, agents) as t:
        t.run("/fix", "/doc now")
    assert user_messages(provider_server) == ["Fix every typo.", "Write the docs now"]


def test_exec_sends_the_command_and_prints_the_transcript_again_from_the_recording(
    tmp_path: Path,
    provider_server: ProviderServer,
    network_cut: NetworkCut,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    agents = "agents:\n  root:\n    model: main\n    commands:\n      hi: Say hi to ${args[0]}\n"
    agent = agent_file(tmp_path, provider_server, agents)
    provider_server.script = [Reply("Hi Bob!")]
    recorded = run_cli("exec", str(agent), "--record", "hi", "/hi Bob", env=KEY)
    assert (recorded.status, recorded.out) == (0, "\n--- Agent: root ---\nHi Bob!"), recorded.err
    assert user_messages(provider_server) == ["Say hi to Bob"]
    provider_server.stop()
    with network_cut:
        replayed = run_cli("exec", str(agent), "--fake", "hi", "/hi Bob")
    assert (replayed.status, replayed.out, replayed.err) == (0, recorded.out, "")


def test_an_expression_agentcore_cannot_evaluate_is_refused_with_its_line(
    tmp_path: Path, provider_server: ProviderServer
) -> None:
    agents = (
        "agents:\n  root:\n    model: main\n    commands:\n      up:\n"
        "        instruction: |\n          First line\n          ${args.map(a => a.toUpperCase())}\n"
    )
    with pytest.raises(ConfigError) as refused:
        team(tmp_path, provider_server, agents)
    message = str(refused.value)
    assert "agent.yaml, line 13 (at agents.root.commands.up.instruction)" in message
    assert "not supported yet by agentcore" in message
    assert "map()" in message


@pytest.mark.parametrize(
    ("commands", "problem"),
    [
        ("commands: 3", "expected commands as a mapping"),
        ("commands: {a: {}}", "needs an 'instruction'"),
        ("commands: {a: {prompt: x}}", "unknown key 'prompt'"),
        ("commands: [{a: x}, {a: y}]", "'a' is given twice"),
    ],
)
def test_bad_commands_name_the_place_and_the_fix(
    tmp_path: Path, provider_server: ProviderServer, commands: str, problem: str
) -> None:
    with pytest.raises(ConfigError, match=problem):
        team(tmp_path, provider_server, f"agents:\n  root:\n    model: main\n    {commands}\n")


def test_words_and_templates_follow_cagents_rules() -> None:
    assert tokenize(" a  'b c'\"d\"  ") == ["a", "b cd"]
    assert tokenize("") == []
    scope: dict[str, Any] = {"args": ["x"]}
    assert evaluate("${args[0] ?? 'none'}-${args[3] || 'dflt'}", scope) == "x-dflt"
    assert evaluate("${args.length === 1 ? 'one' : 'many'}", scope) == "one"
    assert evaluate("${1.5 + 1} ${null} ${true}", scope) == "2.5 null true"
    assert evaluate("a\\b `q` ${args[0]}", scope) == "a\\b `q` x"
    assert evaluate("${args[0].nope.deeper}", scope) == "${args[0].nope.deeper}"  # TypeError


def test_legacy_tool_arguments_are_typed_as_go_parses_them(
    tmp_path: Path, provider_server: ProviderServer
) -> None:
    from agentcore.commands import _key_values

    assert _key_values('cmd="ls -l" n=1 big=12 ratio=0.5 name=x') == {
        "cmd": "ls -l",
        "n": True,  # strconv.ParseBool accepts 1
        "big": 12,
        "ratio": 0.5,
        "name": "x",
    }
    agents = (
        "agents:\n  root:\n    model: main\n    toolsets: [{type: shell}]\n    commands:\n"
        '      a: \'!nothing(x=1) !!shell(cmd="echo no") !shell(cmd="echo yes")\'\n'
    )
    provider_server.script = [Reply("ok")]
    with team(tmp_path, provider_server, agents) as t:
        t.run("/a")
    assert user_messages(provider_server) == [
        "Error: tool 'nothing' not found !!shell(cmd=\"echo no\") yes"
    ]
