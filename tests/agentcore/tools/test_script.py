"""The ``script`` toolset: one tool per ``shell:`` entry, its arguments reaching the command
as environment variables, cagent's definitions, instruction and output, recorded once and
replayed with the provider gone."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from agentcore.errors import ConfigError
from pytest_agentcassette import use_cassette
from tests.support.agents import load, results, sent
from tests.support.network import NetworkCut
from tests.support.provider_server import ProviderServer
from tests.support.wire_formats import Reply

SCRIPT = """\
agents:
  root:
    model: main
    instruction: Work.
    toolsets:
      - type: script
        env: {GREETING: Hello}
        shell:
          greet:
            cmd: printf '%s, %s!\\n' "$(printenv GREETING)" "$name"
            description: Greet someone
            args:
              name: {description: Who to greet}
            required: [name]
          fail:
            cmd: echo oops; exit 3
          count:
            cmd: echo "n=$n in $(basename "$(pwd)")"
            working_dir: sub
            args:
              n: {description: How many, type: integer}
"""


def tools_sent(server: ProviderServer, index: int = 0) -> dict[str, Any]:
    """The tools of the index-th request, by name: (description, parameters)."""
    body = json.loads(server.requests[index].body)
    return {
        t["function"]["name"]: (t["function"]["description"], t["function"]["parameters"])
        for t in body.get("tools", [])
    }


def test_script_tools_record_then_replay(
    tmp_path: Path, provider_server: ProviderServer, network_cut: NetworkCut
) -> None:
    provider_server.script = [
        Reply(tool=("greet", {"name": "World"})),
        Reply(tool=("fail", {})),
        Reply(tool=("count", {"n": 3})),
        Reply("Done."),
    ]
    (tmp_path / "work" / "sub").mkdir(parents=True)
    cassette = tmp_path / "script.yaml"
    with (
        use_cassette(cassette, record_mode="once"),
        load(tmp_path, provider_server, SCRIPT) as team,
    ):
        recorded = team.run("Go", yolo=True)
    assert tools_sent(provider_server) == {
        "greet": (
            "Greet someone",
            {
                "properties": {"name": {"description": "Who to greet", "type": "string"}},
                "required": ["name"],
                "type": "object",
            },
        ),
        "fail": ("Execute shell command: echo oops; exit 3", {"properties": {}, "type": "object"}),
        "count": (
            'Execute shell command: echo "n=$n in $(basename "$(pwd)")"',
            {
                "properties": {"n": {"description": "How many", "type": "integer"}},
                "type": "object",
            },
        ),
    }
    assert sent(provider_server, 0)[1]["content"] == (
        "## Custom Shell Tools\n\n### greet\nGreet someone\n- `name`: Who to greet (required)\n\n"
        "### fail\nRuns: `echo oops; exit 3`\n\n"
        '### count\nRuns: `echo "n=$n in $(basename "$(pwd)")"`\n- `n`: How many\n\n'
    )
    expected = [
        ("greet", "Hello, World!\n"),
        ("fail", "Error executing command 'echo oops; exit 3': exit status 3\nOutput: oops\n"),
        ("count", "n=%!s(float64=3) in sub\n"),  # Go's %s of a JSON number, as cagent passes it
    ]
    assert results(recorded) == expected
    provider_server.stop()

    with network_cut, use_cassette(cassette), load(tmp_path, provider_server, SCRIPT) as team:
        replayed = team.run("Go", yolo=True)
    assert results(replayed) == expected
    assert replayed.output == recorded.output == "Done."
    assert network_cut.attempts == []


def test_script_tools_need_approval(tmp_path: Path, provider_server: ProviderServer) -> None:
    provider_server.script = [Reply(tool=("greet", {"name": "x"})), Reply("No.")]
    with load(tmp_path, provider_server, SCRIPT) as team:
        result = team.run("Go")
    assert results(result) == [("greet", "The user rejected the tool call.")]


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (
            "t: {cmd: echo $who}",
            "line 12 (at agents.root.toolsets[0].shell.t.cmd): the command uses $who, which is "
            "not one of its args; declare it under args:",
        ),
        (
            "t: {cmd: echo $x, args: {x: {description: X}}, required: [y]}",
            "line 12 (at agents.root.toolsets[0].shell.t.required[0]): required arg 'y' is not "
            "defined under args: x",
        ),
        (
            "t: {description: nothing}",
            "line 12 (at agents.root.toolsets[0].shell.t): missing 'cmd'",
        ),
        (
            "t: {cmd: ls, args: {x: {type: string}}}",
            "(at agents.root.toolsets[0].shell.t.args.x): each argument needs a JSON schema "
            "with a description",
        ),
    ],
)
def test_script_mistakes_name_the_line(
    tmp_path: Path, provider_server: ProviderServer, entry: str, message: str
) -> None:
    agents = (
        "agents:\n  root:\n    model: main\n    toolsets:\n      - type: script\n"
        f"        shell:\n          {entry}\n"
    )
    with pytest.raises(ConfigError) as raised:
        load(tmp_path, provider_server, agents)
    assert message in str(raised.value)
