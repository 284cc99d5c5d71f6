"""The toolsets: cagent's names and output formats, and a filesystem that stays inside the
working directory."""

from __future__ import annotations

import json
import os
import sqlite3
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

import agentcore
from agentcore.config import ToolsetConfig
from agentcore.tools import ToolContext, ToolError, build_toolset
from agentcore.tools.names import TOOL_NAMES
from pytest_agentcassette import use_cassette
from tests.support.agents import call, toolset
from tests.support.provider_server import ProviderServer


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "src").mkdir(parents=True)
    (root / ".git").mkdir()
    (root / "README.md").write_text("# Demo\nA demo project.\n")
    (root / "src" / "app.py").write_text("def main():\n    return 'hello'\n")
    (tmp_path / "secret.txt").write_text("TOP SECRET")
    return root


def test_list_directory_prints_cagents_lines(project: Path) -> None:
    assert (
        call(toolset("filesystem", project), "list_directory", path=".")
        == "FILE README.md\nDIR  src\n"
    )


def test_reading_writing_and_editing_files(project: Path) -> None:
    fs = toolset("filesystem", project)
    assert call(fs, "read_file", path="src/app.py") == "def main():\n    return 'hello'\n"
    assert (
        call(fs, "write_file", path="notes.txt", content="one\n")
        == "Successfully wrote 4 bytes to notes.txt"
    )
    edits = [{"oldText": "'hello'", "newText": "'bye'"}]
    assert (
        call(fs, "edit_file", path="src/app.py", edits=edits)
        == "Successfully applied 1 edit(s) to src/app.py"
    )
    assert "'bye'" in (project / "src" / "app.py").read_text()
    with pytest.raises(ToolError, match="edit 1: the text to replace was not found"):
        call(fs, "edit_file", path="src/app.py", edits=edits)
    both = call(fs, "read_multiple_files", paths=["README.md", "missing.txt"], json=True)
    assert json.loads(both) == [
        {"path": "README.md", "content": "# Demo\nA demo project.\n"},
        {"path": "missing.txt", "error": "file 'missing.txt' does not exist"},
    ]


def test_search_and_tree(project: Path) -> None:
    fs = toolset("filesystem", project)
    assert (
        call(fs, "search_files_content", path=".", query="demo") == "README.md:2:3: A demo project."
    )
    assert (
        call(fs, "search_files_content", path=".", query=r"def \w+", is_regex=True)
        == "src/app.py:1:1: def main():"
    )
    assert (
        call(fs, "search_files_content", path=".", query="demo", excludePatterns=["*.md"])
        == "No matches found"
    )
    tree = json.loads(call(fs, "directory_tree", path="."))
    assert tree == [
        {"name": "README.md", "type": "file"},
        {"name": "src", "type": "directory", "children": [{"name": "app.py", "type": "file"}]},
    ]
    assert call(fs, "create_directory", paths=["a/b"]) == "Successfully created directories: a/b"
    assert call(fs, "remove_directory", paths=["a/b"]) == "Successfully removed directories: a/b"


@pytest.mark.parametrize(
    "escape",
    ["../secret.txt", "src/../../secret.txt", "/etc/passwd", "link/secret.txt", "link-file"],
)
@pytest.mark.parametrize("tool", ["read_file", "list_directory", "write_file"])
def test_paths_that_leave_the_working_directory_are_refused(
    project: Path, escape: str, tool: str
) -> None:
    (project / "link").symlink_to(project.parent)
    (project / "link-file").symlink_to(project.parent / "secret.txt")
    fs = toolset("filesystem", project)
    with pytest.raises(ToolError, match="is outside the working directory"):
        call(fs, tool, path=escape, content="x")
    assert (project.parent / "secret.txt").read_text() == "TOP SECRET"


def test_absolute_paths_inside_the_working_directory_work(project: Path) -> None:
    assert call(
        toolset("filesystem", project), "read_file", path=str(project / "README.md")
    ).startswith("# Demo")


def test_shell_runs_in_the_working_directory(project: Path) -> None:
    shell = toolset("shell", project, env={"GREETING": "hi"})
    assert call(shell, "shell", cmd="ls; echo $GREETING") == "README.md\nsrc\nhi\n"
    assert call(shell, "shell", cmd="echo oops >&2; exit 3") == "oops\n\n(exit status 3)"
    assert call(shell, "shell", cmd="pwd", cwd="src").strip().endswith("src")
    with pytest.raises(ToolError, match=r"timed out after 0\.2 seconds"):
        call(shell, "shell", cmd="sleep 5", timeout=0.2)
    with pytest.raises(ToolError, match="outside the working directory"):
        call(shell, "shell", cmd="pwd", cwd="..")


def test_think_returns_every_thought_so_far(project: Path) -> None:
    think = toolset("think", project)
    call(think, "think", thought="First")
    assert call(think, "think", thought="Second") == "Thoughts:\nFirst\nSecond"


def test_todos(project: Path) -> None:
    todo = toolset("todo", project)
    assert call(todo, "create_todos", descriptions=["Read", "Write"]) == (
        "Created todo [todo_1]: Read\nCreated todo [todo_2]: Write"
    )
    assert (
        call(todo, "update_todos", updates=[{"id": "todo_1", "status": "completed"}])
        == "Updated todo [todo_1] to completed"
    )
    assert call(todo, "list_todos") == "[todo_1] (completed) Read\n[todo_2] (pending) Write"
    with pytest.raises(ToolError, match="status must be one of pending, in-progress, completed"):
        call(todo, "update_todos", updates=[{"id": "todo_2", "status": "done"}])


def test_memories_persist_in_sqlite(project: Path) -> None:
    memory = toolset("memory", project, path="memory.db")
    assert (
        call(memory, "add_memory", memory="User prefers tabs", category="style")
        == "Memory added with ID 1"
    )
    call(memory, "add_memory", memory="Project uses pytest")
    again = toolset("memory", project, path="memory.db")
    assert json.loads(call(again, "search_memories", query="tabs")) == [
        {
            "id": 1,
            "created_at": "2026-01-02T03:04:05",
            "memory": "User prefers tabs",
            "category": "style",
        }
    ]
    assert call(again, "update_memory", id=2, memory="Project uses pytest 9") == "Memory 2 updated"
    assert call(again, "delete_memory", id=1) == "Memory 1 deleted"
    assert [m["memory"] for m in json.loads(call(again, "get_memories"))] == [
        "Project uses pytest 9"
    ]
    with pytest.raises(ToolError, match="memory 7 does not exist"):
        call(again, "delete_memory", id=7)
    memory.close()
    again.close()
    with pytest.raises(sqlite3.ProgrammingError, match="closed database"):
        call(again, "get_memories")


def test_a_session_and_its_team_close_the_memory_databases_they_opened(
    project: Path, provider_server: ProviderServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[sqlite3.Connection] = []
    connect = sqlite3.connect

    def tracked(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        opened.append(connect(*args, **kwargs))
        return opened[-1]

    monkeypatch.setattr(sqlite3, "connect", tracked)
    agent = project / "agent.yaml"
    agent.write_text(
        "agents:\n  root:\n    model: openai/gpt-4o\n    instruction: Remember.\n"
        "    toolsets:\n    - type: memory\n      path: memory.db\n"
    )
    env = {"OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": provider_server.url + "/v1"}
    with agentcore.Team(agentcore.load_config(agent), working_dir=project, env=env) as team:
        team.run("Hello")  # a session of its own, closed when the run ends
        assert len(opened) == 1
        assert _closed(opened[0])
        session = team.session()
        list(session.stream("Hello again"))
        assert len(opened) == 2
        assert not _closed(opened[1])
    assert _closed(opened[1])  # the team closed the session it made


def _closed(database: sqlite3.Connection) -> bool:
    try:
        database.total_changes  # noqa: B018 - a closed database refuses even this
    except sqlite3.ProgrammingError:
        return True
    return False


def test_fetch_goes_through_the_recorded_client_and_respects_robots(
    project: Path, provider_server: ProviderServer
) -> None:
    with (
        use_cassette(project / "fetch.yaml", record_mode="once") as cassette,
        httpx.Client() as client,
    ):
        fetch = toolset("fetch", project, client)
        page = call(fetch, "fetch", urls=[provider_server.url + "/page"], format="markdown")
        text = call(fetch, "fetch", urls=[provider_server.url + "/page"], format="text")
        blocked = call(fetch, "fetch", urls=[provider_server.url + "/private/page"], format="text")
    assert page == "# Containers\n\nA container is a [process](/more).\n\n- isolated\n- portable"
    assert text == "Containers\n\nA container is a process.\n\nisolated\nportable"
    assert (
        blocked
        == f"Error: fetching {provider_server.url}/private/page is disallowed by its robots.txt"
    )
    assert [i.request.url.rsplit("/", 1)[-1] for i in cassette.recorded] == [
        "robots.txt",
        "page",
        "page",
    ]


def test_the_tools_filter_and_instruction_override(project: Path) -> None:
    context = ToolContext(project, {}, httpx.Client(), datetime.now, project / "a.yaml")
    config = ToolsetConfig(
        "filesystem", ("read_file", "list_directory"), "Only read. {ORIGINAL_INSTRUCTIONS}"
    )
    built = build_toolset(config, context)
    assert [t.name for t in built.tools] == ["list_directory", "read_file"]
    assert built.instruction.startswith("Only read. ## Filesystem Tools")
    assert os.path.isdir(project)


@pytest.mark.parametrize("kind", sorted(TOOL_NAMES))
def test_each_toolset_has_the_tools_the_config_checks_against(kind: str, project: Path) -> None:
    options: dict[str, Any] = {"path": str(project / "memory.db")}  # memory's database
    if kind == "model_picker":
        options["models"] = ("a/b",)
    built = toolset(kind, project, **options)
    assert tuple(t.name for t in built.tools) == TOOL_NAMES[kind]
    built.close()


def test_each_toolset_built_gets_schemas_of_its_own(project: Path) -> None:
    first, second = toolset("filesystem", project), toolset("filesystem", project)
    schema = first.tools[0].definition.parameters
    assert schema == second.tools[0].definition.parameters
    schema["properties"]["path"]["description"] = "changed"
    assert second.tools[0].definition.parameters["properties"]["path"]["description"] != "changed"
