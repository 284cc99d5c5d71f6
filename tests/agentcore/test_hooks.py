"""``hooks``: shell commands given cagent's JSON on stdin before and after tool calls and
when the user is asked; exit code 2 or a deny decision blocks a call, ``updated_input``
replaces its arguments. Recorded once and replayed with the provider gone (the hooks run
again: they are local commands)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from agentcore import events
from agentcore.errors import ConfigError
from pytest_agentcassette import use_cassette
from tests.support.agents import load, results
from tests.support.network import NetworkCut
from tests.support.provider_server import ProviderServer
from tests.support.wire_formats import Reply

HOOKS = """\
agents:
  root:
    model: main
    instruction: Work.
    toolsets:
      - type: shell
    hooks:
      pre_tool_use:
        - matcher: shell
          hooks:
            - type: command
              timeout: 10
              command: |
                INPUT=$(cat); echo "$INPUT" >> pre.log
                case "$INPUT" in *rm*)
                  echo '{"hook_specific_output":{"permission_decision":"deny","permission_decision_reason":"no rm"}}';;
                esac
            - type: command
              command: |
                case "$(cat)" in *sudo*) echo "no sudo" >&2; exit 2;; esac
        - matcher: "sh.*"
          hooks:
            - type: command
              command: |
                case "$(cat)" in *'"cmd":"ls"'*)
                  echo '{"hook_specific_output":{"updated_input":{"cmd":"echo modified"}},"system_message":"changed"}';;
                esac
        - matcher: think
          hooks:
            - {type: command, command: exit 2}
      post_tool_use:
        - matcher: "*"
          hooks:
            - type: command
              command: cat >> post.log; echo >> post.log; echo '{"system_message":"after"}'
      session_start:
        - {type: command, command: touch started}
      session_end:
        - {type: command, command: touch ended}
      on_user_input:
        - {type: command, command: cat >> input.log; echo >> input.log}
"""


def _lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_hooks_record_then_replay(
    tmp_path: Path, provider_server: ProviderServer, network_cut: NetworkCut
) -> None:
    provider_server.script = [
        Reply(tool=("shell", {"cmd": "rm -rf x"})),
        Reply(tool=("shell", {"cmd": "sudo ls"})),
        Reply(tool=("shell", {"cmd": "ls"})),
        Reply("Done."),
    ]
    work = tmp_path / "work"
    cassette = tmp_path / "hooks.yaml"
    with use_cassette(cassette, record_mode="once"), load(tmp_path, provider_server, HOOKS) as team:
        recorded = team.run("Go", yolo=True)
    expected = [
        ("shell", "Tool call blocked by hook: no rm"),
        ("shell", "Tool call blocked by hook: no sudo"),
        ("shell", "modified\n"),
    ]
    assert results(recorded) == expected
    warnings = [e.message for e in recorded.events if isinstance(e, events.HookWarning)]
    assert warnings == ["changed", "after"]
    pre = _lines(work / "pre.log")
    assert [list(line) for line in pre] == [
        ["session_id", "cwd", "hook_event_name", "tool_name", "tool_use_id", "tool_input"]
    ] * 3
    assert pre[0]["cwd"] == str(work)
    assert (pre[0]["hook_event_name"], pre[0]["tool_name"]) == ("pre_tool_use", "shell")
    assert [line["tool_input"] for line in pre] == [
        {"cmd": "rm -rf x"},
        {"cmd": "sudo ls"},
        {"cmd": "ls"},
    ]
    calls = [e.call for e in recorded.events if isinstance(e, events.ToolCallFinished)]
    assert [line["tool_use_id"] for line in pre] == [call.id for call in calls]
    post = _lines(work / "post.log")  # after the one call that ran, with its new arguments
    assert post == [
        {**pre[2], "hook_event_name": "post_tool_use", "tool_input": {"cmd": "echo modified"}}
    ]
    # the turn ended: on_user_input; session_start and session_end never run, as in cagent
    assert _lines(work / "input.log") == [
        {"session_id": pre[0]["session_id"], "cwd": str(work), "hook_event_name": "on_user_input"}
    ]
    assert not (work / "started").exists()
    assert not (work / "ended").exists()
    provider_server.stop()

    with network_cut, use_cassette(cassette), load(tmp_path, provider_server, HOOKS) as team:
        replayed = team.run("Go", yolo=True)
    assert results(replayed) == expected
    assert replayed.output == "Done."
    assert network_cut.attempts == []


def test_on_user_input_runs_before_an_approval(
    tmp_path: Path, provider_server: ProviderServer
) -> None:
    provider_server.script = [Reply(tool=("shell", {"cmd": "echo hi"})), Reply("Done.")]
    work = tmp_path / "work"
    seen: list[bool] = []

    def approve(agent: str, call: object) -> bool:
        seen.append((work / "input.log").exists())
        return True

    with load(tmp_path, provider_server, HOOKS) as team:
        team.run("Go", approve=approve)
    assert seen == [True]
    assert len(_lines(work / "input.log")) == 2  # the approval, then the end of the turn


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "- {type: command, command: exit 2}",
            "- {type: script, command: x}",
            "unsupported hook type 'script' (only 'command' is supported)",
        ),
        (
            "- {type: command, command: exit 2}",
            "- {type: command}",
            "command is required for command hooks",
        ),
        (
            "        - matcher: think\n          hooks:\n            - {type: command, command: exit 2}\n",
            "        - matcher: think\n          hooks: []\n",
            "at least one hook is required",
        ),
        (
            "matcher: think",
            "matcher: '('",
            "(at agents.root.hooks.pre_tool_use[2].matcher): not a valid regular expression",
        ),
        ("      on_user_input:", "      on_stop:", "unknown key 'on_stop'"),
    ],
)
def test_hooks_are_checked(
    tmp_path: Path, provider_server: ProviderServer, old: str, new: str, message: str
) -> None:
    assert old in HOOKS
    with pytest.raises(ConfigError, match=re.escape(message)):
        load(tmp_path, provider_server, HOOKS.replace(old, new))
