"""``todo`` with ``shared: true``: one todo list for the whole process, which every agent
with a shared todo toolset sees (cagent's ``NewSharedTodoTool``); without it, each toolset
keeps its own. Recorded once, replayed with the provider gone."""

from __future__ import annotations

from pathlib import Path

from agentcore.tools.builtin.todo import shared_todo_list
from pytest_agentcassette import use_cassette
from tests.support.agents import call, load, results, toolset
from tests.support.network import NetworkCut
from tests.support.provider_server import ProviderServer
from tests.support.wire_formats import Reply

TEAM = """\
agents:
  root:
    model: main
    instruction: Delegate.
    sub_agents: [first, second]
  first:
    model: main
    description: Creates todos
    instruction: Create a todo.
    toolsets: [{type: todo, shared: true}]
  second:
    model: main
    description: Lists todos
    instruction: List the todos.
    toolsets: [{type: todo, shared: true}]
"""


def _transfer(agent: str) -> Reply:
    return Reply(tool=("transfer_task", {"agent": agent, "task": "todos", "expected_output": ""}))


def _run(tmp_path: Path, server: ProviderServer) -> list[tuple[str, str]]:
    shared_todo_list.cache_clear()  # a new process, as far as the shared list knows
    server.script = [
        _transfer("first"),
        Reply(tool=("create_todo", {"description": "Write the docs"})),
        Reply("Created."),
        _transfer("second"),
        Reply(tool=("list_todos", {})),
        Reply("One todo."),
        Reply("Done."),
    ]
    with load(tmp_path, server, TEAM) as team:
        return results(team.run("Go"))


def test_agents_share_one_todo_list(
    tmp_path: Path, provider_server: ProviderServer, network_cut: NetworkCut
) -> None:
    cassette = tmp_path / "todo.yaml"
    with use_cassette(cassette, record_mode="once"):
        recorded = _run(tmp_path, provider_server)
    assert [r for r in recorded if r[0] != "transfer_task"] == [
        ("create_todo", "Created todo [todo_1]: Write the docs"),
        ("list_todos", "[todo_1] (pending) Write the docs"),  # the second agent sees it
    ]
    provider_server.stop()
    with network_cut, use_cassette(cassette):
        assert _run(tmp_path, provider_server) == recorded
    assert network_cut.attempts == []


def test_only_shared_toolsets_share(tmp_path: Path) -> None:
    shared_todo_list.cache_clear()
    one, two = toolset("todo", tmp_path, shared=True), toolset("todo", tmp_path, shared=True)
    own = toolset("todo", tmp_path)
    call(one, "create_todo", description="A")
    assert call(two, "list_todos") == "[todo_1] (pending) A"
    assert call(own, "list_todos") == "No todos"
    shared_todo_list.cache_clear()
