"""The agent loop as cagent runs it: approval, exact tool-result texts, limits, prompts,
delegation with transfer_task and handoff, and the Python API."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

import agentcore
from agentcore import events
from agentcore.messages import ToolCall
from agentcore.runtime import DEFAULT_MAX_ITERATIONS
from pytest_agentcassette import use_cassette
from tests.support.agents import load, one_agent, results, sent
from tests.support.network import NetworkCut
from tests.support.provider_server import ProviderServer
from tests.support.wire_formats import Reply

TEAM = """\
agents:
  root:
    model: main
    description: The coordinator
    instruction: Delegate weather questions.
    sub_agents: [weather]
  weather:
    model: main
    description: Knows the weather
    instruction: You are a weather expert.
"""


def test_a_tool_that_needs_approval_is_rejected_without_anyone_to_ask(
    tmp_path: Path, provider_server: ProviderServer
) -> None:
    provider_server.script = [
        Reply(tool=("write_file", {"path": "out.txt", "content": "x"})),
        Reply("I could not write it."),
    ]
    with load(tmp_path, provider_server, one_agent()) as team:
        result = team.run("Write out.txt")
    assert results(result) == [("write_file", "The user rejected the tool call.")]
    assert result.output == "I could not write it."  # the agent carried on
    assert not (tmp_path / "work" / "out.txt").exists()


@pytest.mark.parametrize(
    ("answer", "written"),
    [("yes", True), (True, True), ("all", True), ("no", False), (False, False)],
)
def test_the_approval_callback_decides(
    tmp_path: Path, provider_server: ProviderServer, answer: Any, written: bool
) -> None:
    asked: list[tuple[str, str]] = []

    def approve(agent: str, call: ToolCall) -> Any:
        asked.append((agent, call.name))
        return answer

    provider_server.script = [
        Reply(tool=("write_file", {"path": "out.txt", "content": "x"})),
        Reply("ok"),
    ]
    with load(tmp_path, provider_server, one_agent()) as team:
        team.run("Write it", approve=approve)
    assert asked == [("root", "write_file")]
    assert (tmp_path / "work" / "out.txt").exists() is written


def test_all_approves_the_rest_of_the_session_and_yolo_everything(
    tmp_path: Path, provider_server: ProviderServer
) -> None:
    asked: list[str] = []
    write = Reply(tool=("write_file", {"path": "a.txt", "content": "x"}))
    provider_server.script = [
        write,
        Reply(tool=("write_file", {"path": "b.txt", "content": "y"})),
        Reply("ok"),
    ]
    with load(tmp_path, provider_server, one_agent()) as team:

        def approve_all(agent: str, call: ToolCall) -> str:
            asked.append(call.name)
            return "all"

        team.run("Write both", approve=approve_all)
        assert asked == ["write_file"]
        provider_server.script = [
            Reply(tool=("write_file", {"path": "c.txt", "content": "z"})),
            Reply("ok"),
        ]
        team.run("Write c", yolo=True, approve=lambda agent, call: pytest.fail("asked with yolo"))
    assert asked == ["write_file"]
    assert sorted(p.name for p in (tmp_path / "work").iterdir()) == ["a.txt", "b.txt", "c.txt"]


def test_read_only_tools_never_ask(tmp_path: Path, provider_server: ProviderServer) -> None:
    provider_server.script = [Reply(tool=("list_directory", {"path": "."})), Reply("ok")]
    with load(tmp_path, provider_server, one_agent()) as team:
        result = team.run("List", approve=lambda agent, call: pytest.fail("asked"))
    assert results(result) == [("list_directory", "(no output)")]


def test_unknown_tools_and_tool_errors_read_as_cagent_words_them(
    tmp_path: Path, provider_server: ProviderServer
) -> None:
    provider_server.script = [
        Reply(tool=("delete_everything", {})),
        Reply(tool=("read_file", {"path": "../../etc/passwd"})),
        Reply("Sorry."),
    ]
    with load(tmp_path, provider_server, one_agent()) as team:
        result = team.run("Go")
    work = (tmp_path / "work").resolve()
    assert results(result) == [
        (
            "delete_everything",
            "Tool 'delete_everything' is not available. You can only use the tools provided to you.",
        ),
        (
            "read_file",
            f"Error calling tool: path '../../etc/passwd' is outside the working directory {work} and cannot be used",
        ),
    ]
    assert sent(provider_server, 2)[-1] == {
        "content": results(result)[1][1],
        "tool_call_id": json.loads(provider_server.requests[2].body)["messages"][-2]["tool_calls"][
            0
        ]["id"],
        "role": "tool",
    }


def test_max_iterations_stops_the_loop(tmp_path: Path, provider_server: ProviderServer) -> None:
    provider_server.script = [Reply(tool=("list_directory", {"path": "."}))] * 5
    with load(tmp_path, provider_server, one_agent(extra="    max_iterations: 2\n")) as team:
        result = team.run("Loop")
    assert len(provider_server.requests) == 2
    assert (
        result.output == "Execution stopped after reaching the configured max_iterations limit (2)."
    )
    assert isinstance(result.events[-1], events.MaxIterationsReached)


@pytest.mark.parametrize("extra", ["", "    max_iterations: 0\n"], ids=["unset", "zero"])
def test_without_max_iterations_a_model_stuck_calling_tools_stops_at_100_calls(
    tmp_path: Path, provider_server: ProviderServer, extra: str
) -> None:
    """cagent has no limit then (the loop runs until it is killed); agentcore stops as at
    any max_iterations, with the same event and message."""
    provider_server.event_pause = 0
    provider_server.script = [Reply(tool=("list_directory", {"path": "."}))] * 300
    with load(tmp_path, provider_server, one_agent(extra=extra)) as team:
        result = team.run("Loop")
    limit = DEFAULT_MAX_ITERATIONS
    assert limit == 100
    assert len(provider_server.requests) == limit
    assert result.output == (
        f"Execution stopped after reaching the configured max_iterations limit ({limit})."
    )
    assert result.events[-1] == events.MaxIterationsReached("root", limit)
    provider_server.requests.clear()  # the limit counts the calls of one user turn
    with load(tmp_path, provider_server, one_agent(extra=extra)) as team:
        session = team.session()
        list(session.stream("Loop"))
        list(session.stream("Again"))
    assert len(provider_server.requests) == 2 * limit


def test_an_explicit_max_iterations_above_the_default_wins(
    tmp_path: Path, provider_server: ProviderServer
) -> None:
    provider_server.event_pause = 0
    provider_server.script = [Reply(tool=("list_directory", {"path": "."}))] * 300
    with load(tmp_path, provider_server, one_agent(extra="    max_iterations: 120\n")) as team:
        result = team.run("Loop")
    assert len(provider_server.requests) == 120
    assert result.events[-1] == events.MaxIterationsReached("root", 120)


def test_history_is_trimmed_but_system_and_user_messages_stay(
    tmp_path: Path, provider_server: ProviderServer
) -> None:
    provider_server.script = [Reply(tool=("list_directory", {"path": "."}))] * 3 + [Reply("done")]
    with load(tmp_path, provider_server, one_agent(extra="    num_history_items: 2\n")) as team:
        team.run("Go")
    roles = [m["role"] for m in sent(provider_server, 3)]
    assert roles == ["system", "system", "user", "assistant", "tool"]


def test_the_system_prompt_is_assembled_as_cagent_does(
    tmp_path: Path, provider_server: ProviderServer
) -> None:
    extra = (
        "    add_date: true\n    add_environment_info: true\n    add_prompt_files: [AGENTS.md]\n"
    )
    with load(
        tmp_path,
        provider_server,
        one_agent("[{type: think}]", extra),
        clock=lambda: datetime(2026, 3, 14),
    ) as team:
        (team.working_dir / "AGENTS.md").write_text("Use tabs.")
        team.run("hi")
    system = [m["content"] for m in sent(provider_server, 0) if m["role"] == "system"]
    assert system[0] == "Work."
    assert system[1].startswith("## Think Tool")
    assert system[2] == "Today's date: 2026-03-14"
    assert system[3].startswith(
        "Here is useful information about the environment you are running in:\n\t<env>\n\tWorking directory: "
    )
    assert "\tIs directory a git repo: No\n" in system[3]
    assert system[4] == "Use tabs."


def test_a_two_level_team_delegates_and_returns_in_replay(
    tmp_path: Path, provider_server: ProviderServer, network_cut: NetworkCut
) -> None:
    provider_server.script = [
        Reply(
            tool=(
                "transfer_task",
                {
                    "agent": "weather",
                    "task": "Weather in Paris?",
                    "expected_output": "One sentence.",
                },
            )
        ),
        Reply("Sunny and 21°C in Paris."),
        Reply("It is sunny and 21°C in Paris."),
    ]
    cassette = tmp_path / "team.yaml"
    with use_cassette(cassette, record_mode="once"), load(tmp_path, provider_server, TEAM) as team:
        recorded = team.run("What's the weather in Paris?")
    child = sent(provider_server, 1)
    assert child == [
        {"content": "You are a weather expert.", "role": "system"},
        {
            "content": "You are a member of a team of agents. Your goal is to complete the following "
            "task:\n\n<task>\nWeather in Paris?\n</task>\n\n<expected_output>\nOne sentence.\n</expected_output>",
            "role": "system",
        },
        {"content": "Please proceed.", "role": "user"},
    ]
    root_system = sent(provider_server, 0)[0]["content"]
    assert root_system.startswith(
        "You are a multi-agent system, make sure to answer the user query"
    )
    assert "Name: weather | Description: Knows the weather\n" in root_system
    provider_server.stop()

    with network_cut, use_cassette(cassette), load(tmp_path, provider_server, TEAM) as team:
        replayed = team.run("What's the weather in Paris?")
    graph = [
        (type(e).__name__, e.agent, e.depth)
        for e in replayed.events
        if not isinstance(e, (events.TextDelta, events.UsageReported))
    ]
    assert graph == [
        ("AgentStarted", "root", 0),
        ("ToolCallStarted", "root", 0),
        ("TransferStarted", "root", 0),
        ("AgentStarted", "weather", 1),
        ("TransferFinished", "root", 0),
        ("AgentStarted", "root", 0),
        ("ToolCallFinished", "root", 0),
    ]
    transfer = next(e for e in replayed.events if isinstance(e, events.TransferFinished))
    assert (transfer.target, transfer.result) == ("weather", "Sunny and 21°C in Paris.")
    assert replayed.output == recorded.output == "It is sunny and 21°C in Paris."
    assert [
        e.text for e in replayed.events if isinstance(e, events.TextDelta) and e.agent == "weather"
    ]
    assert network_cut.attempts == []


def test_a_transfer_to_an_agent_not_listed_gets_cagents_answer(
    tmp_path: Path, provider_server: ProviderServer
) -> None:
    provider_server.script = [
        Reply(tool=("transfer_task", {"agent": "root", "task": "x", "expected_output": ""})),
        Reply("ok"),
    ]
    with load(tmp_path, provider_server, TEAM) as team:
        result = team.run("hi")
    assert results(result) == [
        (
            "transfer_task",
            "Agent root cannot transfer task to root: target agent not in sub-agents list. Available agent IDs are: weather",
        )
    ]


def test_a_handoff_moves_the_conversation_for_good(
    tmp_path: Path, provider_server: ProviderServer
) -> None:
    agents = TEAM.replace("sub_agents: [weather]", "handoffs: [weather]")
    provider_server.script = [
        Reply(tool=("handoff", {"agent": "weather"})),
        Reply("Sunny."),
        Reply("Still sunny."),
    ]
    with load(tmp_path, provider_server, agents) as team:
        session = team.session()
        first = list(session.stream("Weather?"))
        second = list(session.stream("And tomorrow?"))
    assert [(e.agent, e.target) for e in first if isinstance(e, events.Handoff)] == [
        ("root", "weather")
    ]
    assert session.agent == "weather"
    handed = sent(provider_server, 1)
    assert handed[0]["content"] == "You are a weather expert."
    assert handed[-1]["content"].startswith("The agent root handed off the conversation to you.")
    assert [m["role"] for m in sent(provider_server, 2)][-2:] == ["assistant", "user"]
    assert any(isinstance(e, events.TextDelta) and e.agent == "weather" for e in second)


def test_several_prompts_are_turns_of_one_conversation(
    tmp_path: Path, provider_server: ProviderServer
) -> None:
    with load(tmp_path, provider_server, one_agent("[]")) as team:
        result = team.run("one", "two")
    assert [m["content"] for m in sent(provider_server, 1) if m["role"] != "system"] == [
        "one",
        "You said: one",
        "two",
    ]
    assert result.output == "You said: two"


def test_the_async_api(tmp_path: Path, provider_server: ProviderServer) -> None:
    async def main() -> tuple[agentcore.Result, list[str]]:
        with load(tmp_path, provider_server, one_agent("[]")) as team:
            result = await team.arun("hi")
            streamed = [
                e.text async for e in team.astream("again") if isinstance(e, events.TextDelta)
            ]
        return result, streamed

    result, streamed = asyncio.run(main())
    assert result.output == "You said: hi"
    assert "".join(streamed) == "You said: again"
