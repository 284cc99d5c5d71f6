"""A toolset's ``defer``: its tools are hidden from the model until ``search_tool`` finds
them and ``add_tool`` activates one, as cagent's deferred toolset does. Recorded once,
replayed with the provider gone."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agentcore.errors import ConfigError
from pytest_agentcassette import use_cassette
from tests.support.agents import load, results, sent
from tests.support.network import NetworkCut
from tests.support.provider_server import ProviderServer
from tests.support.wire_formats import Reply

AGENT = """\
agents:
  root:
    model: main
    instruction: Work.
    toolsets:
      - type: filesystem
        defer: true
      - type: todo
        defer: [list_todos]
"""


def _names(server: ProviderServer, index: int) -> list[str]:
    body = json.loads(server.requests[index].body)
    return [tool["function"]["name"] for tool in body.get("tools", [])]


def _script(server: ProviderServer) -> None:
    server.script = [
        Reply(tool=("search_tool", {"query": "DIRECTORY"})),
        Reply(tool=("search_tool", {"query": "nothing like it"})),
        Reply(tool=("add_tool", {"name": "list_directory"})),
        Reply(tool=("add_tool", {"name": "list_directory"})),
        Reply(tool=("list_directory", {"path": "."})),
        Reply("Done."),
    ]


def test_deferred_tools_are_found_and_activated_then_replayed(
    tmp_path: Path, provider_server: ProviderServer, network_cut: NetworkCut
) -> None:
    _script(provider_server)
    (tmp_path / "work").mkdir()
    (tmp_path / "work" / "a.txt").write_text("a")
    cassette = tmp_path / "deferred.yaml"
    with use_cassette(cassette, record_mode="once"), load(tmp_path, provider_server, AGENT) as team:
        recorded = results(team.run("Go"))
    todo = ["create_todo", "create_todos", "update_todos"]
    assert _names(provider_server, 0) == [*todo, "search_tool", "add_tool"]
    assert _names(provider_server, 4) == [*todo, "search_tool", "add_tool", "list_directory"]
    system = [m["content"] for m in sent(provider_server, 0) if m["role"] == "system"]
    assert not any("Filesystem Tools" in text for text in system)  # deferred whole: left out
    assert system[-1].startswith("## Deferred Tools\n\nUse search_tool to discover")
    found = recorded[0][1]
    assert found.startswith('Found 4 deferred tool(s):\n[{"name":"directory_tree",')
    assert [t["name"] for t in json.loads(found.split("\n", 1)[1])] == [
        "directory_tree",
        "list_directory",
        "create_directory",
        "remove_directory",
    ]
    assert recorded[1:] == [
        ("search_tool", "No deferred tools found matching 'nothing like it'"),
        (
            "add_tool",
            "Tool 'list_directory' has been activated and is now available for use.\n\n"
            "Description: Get a detailed listing of all files and directories in a specified "
            "path.",
        ),
        ("add_tool", "Tool 'list_directory' is already active"),
        ("list_directory", "FILE a.txt\n"),
    ]
    provider_server.stop()

    _script(provider_server)
    with network_cut, use_cassette(cassette), load(tmp_path, provider_server, AGENT) as team:
        assert results(team.run("Go")) == recorded
    assert network_cut.attempts == []


def test_defer_names_tools_of_its_toolset(tmp_path: Path, provider_server: ProviderServer) -> None:
    agents = (
        "agents:\n  root:\n    model: main\n    toolsets:\n      - {type: todo, defer: [list]}\n"
    )
    with pytest.raises(ConfigError) as raised:
        load(tmp_path, provider_server, agents)
    assert "(at agents.root.toolsets[0].defer[0]): unknown tool 'list' for toolset type todo" in (
        str(raised.value)
    )
