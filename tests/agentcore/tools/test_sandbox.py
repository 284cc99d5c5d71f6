"""An agent cannot read or write outside its working directory, and its tools cannot hurt the
test run: escapes are refused with a message the model reads, reads and outputs are bounded,
commands run only when approved, and a tool that hangs times out."""

from __future__ import annotations

import contextlib
import http.server
import json
import os
import shutil
import signal
import socket
import threading
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agentcore.tools import ToolError, sandbox
from agentcore.tools.sandbox import Sandbox
from tests.support.agents import call, load, one_agent, results, toolset
from tests.support.provider_server import ProviderServer
from tests.support.wire_formats import Reply

CAGENT_NOTE = "\n\n[Output truncated: exceeded 30,000 character limit]"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A working directory with symlinks that lead out, next to a directory with a secret."""
    work, outside = tmp_path / "work", tmp_path / "outside"
    (work / "src").mkdir(parents=True)
    (work / "src" / "app.py").write_text("print('hi')\n")
    (outside / "d").mkdir(parents=True)
    (outside / "secret.txt").write_text("SECRET=sk-live-123\n")
    (work / "linkdir").symlink_to(outside)
    (work / "linkfile").symlink_to(outside / "secret.txt")
    (work / "dangling").symlink_to(outside / "created-later.txt")
    return work


def snapshot(directory: Path) -> dict[str, str]:
    return {
        str(p.relative_to(directory)): p.read_text() if p.is_file() else "<dir>"
        for p in sorted(directory.rglob("*"))
    }


def arguments(tool: str, path: str) -> dict[str, Any]:
    """The arguments of ``tool`` that make it use ``path``."""
    if tool in ("read_multiple_files", "create_directory", "remove_directory"):
        return {"paths": [path]}
    by_tool: dict[str, dict[str, Any]] = {
        "write_file": {"path": path, "content": "pwned"},
        "edit_file": {"path": path, "edits": [{"oldText": "SECRET", "newText": "pwned"}]},
        "search_files_content": {"path": path, "query": "SECRET"},
    }
    return by_tool.get(tool, {"path": path})


TOOLS = [
    "read_file",
    "read_multiple_files",
    "write_file",
    "edit_file",
    "list_directory",
    "directory_tree",
    "search_files_content",
    "create_directory",
    "remove_directory",
]
ESCAPES = [
    "../outside/secret.txt",
    "src/../../outside/secret.txt",
    "../outside",
    "../outside/d",
    "{outside}/secret.txt",
    "{outside}/d",
    "linkfile",
    "linkdir",
    "linkdir/secret.txt",
    "linkdir/d",
    "linkdir/new.txt",
    "dangling",
]


def test_every_filesystem_tool_is_listed_here(root: Path) -> None:
    assert sorted(t.name for t in toolset("filesystem", root).tools) == sorted(TOOLS)


@pytest.mark.parametrize("escape", ESCAPES)
@pytest.mark.parametrize("tool", TOOLS)
def test_no_filesystem_tool_leaves_the_working_directory(
    root: Path, tool: str, escape: str
) -> None:
    outside = root.parent / "outside"
    before = snapshot(outside)
    path = escape.format(outside=outside)
    expected = f"path '{path}' is outside the working directory {root} and cannot be used"
    fs = toolset("filesystem", root)
    if tool == "read_multiple_files":  # one answer per path
        assert call(fs, tool, **arguments(tool, path)) == f"=== {path} ===\nError: {expected}"
    else:
        with pytest.raises(ToolError) as refused:
            call(fs, tool, **arguments(tool, path))
        assert str(refused.value) == expected
    assert snapshot(outside) == before
    assert not (outside / "created-later.txt").exists()


def test_encoded_dots_are_names_not_escapes(root: Path) -> None:
    fs = toolset("filesystem", root)
    with pytest.raises(ToolError, match="does not exist"):
        call(fs, "read_file", path="..%2foutside%2fsecret.txt")
    call(fs, "write_file", path="..%2fescape.txt", content="x")
    assert (root / "..%2fescape.txt").read_text() == "x"
    assert not (root.parent / "escape.txt").exists()


def test_absolute_paths_inside_the_working_directory_are_allowed(root: Path) -> None:
    fs = toolset("filesystem", root)
    assert call(fs, "read_file", path=str(root / "src" / "app.py")) == "print('hi')\n"
    call(fs, "write_file", path=str(root / "src" / "new.txt"), content="new")
    assert (root / "src" / "new.txt").read_text() == "new"


def test_listing_tree_and_search_do_not_follow_symlinks_out(root: Path) -> None:
    fs = toolset("filesystem", root)
    listing = call(fs, "list_directory", path=".")
    assert listing == "FILE dangling\nDIR  linkdir\nFILE linkfile\nDIR  src\n"  # names only
    tree = json.loads(call(fs, "directory_tree", path="."))
    assert {"name": "linkdir", "type": "file"} in tree  # not descended into
    assert "secret" not in json.dumps(tree)
    assert call(fs, "search_files_content", path=".", query="SECRET") == "No matches found"


def test_symlinks_that_stay_inside_work(root: Path) -> None:
    (root / "alias.py").symlink_to(root / "src" / "app.py")
    fs = toolset("filesystem", root)
    assert call(fs, "read_file", path="alias.py") == "print('hi')\n"
    call(fs, "write_file", path="alias.py", content="print('bye')\n")
    assert (root / "src" / "app.py").read_text() == "print('bye')\n"


@pytest.mark.parametrize("swap", ["file", "directory"])
def test_a_symlink_swapped_in_after_the_check_leads_nowhere(
    root: Path, monkeypatch: pytest.MonkeyPatch, swap: str
) -> None:
    """Between the check of a path and its use, the file (or its directory) becomes a
    symlink that leads out: the read and the write are refused, the secret stays put."""
    outside = root.parent / "outside"
    checked = Sandbox.path

    def check_then_swap(self: Sandbox, given: Any, *, argument: str = "path") -> Path:
        found = checked(self, given, argument=argument)
        if swap == "file":
            (root / "sub" / "notes.txt").unlink()
            (root / "sub" / "notes.txt").symlink_to(outside / "secret.txt")
        else:
            shutil.rmtree(root / "sub")
            (root / "sub").symlink_to(outside)
            (outside / "notes.txt").write_text("outside notes\n")
        return found

    monkeypatch.setattr(Sandbox, "path", check_then_swap)
    fs = toolset("filesystem", root)
    expected = (
        "'sub/notes.txt' became a symbolic link after it was checked; refused"
        if swap == "file"
        else "'sub/notes.txt' moved outside the working directory; refused"
    )
    for tool, args in [
        ("read_file", {"path": "sub/notes.txt"}),
        ("write_file", {"path": "sub/notes.txt", "content": "pwned"}),
    ]:
        if (root / "sub").is_symlink():
            (root / "sub").unlink()
        shutil.rmtree(root / "sub", ignore_errors=True)
        (root / "sub").mkdir()
        (root / "sub" / "notes.txt").write_text("notes\n")
        with pytest.raises(ToolError) as refused:
            call(fs, tool, **args)
        assert str(refused.value) == expected
    assert (outside / "secret.txt").read_text() == "SECRET=sk-live-123\n"
    if swap == "directory":
        assert (outside / "notes.txt").read_text() == "outside notes\n"


@pytest.mark.parametrize("tool", TOOLS)
def test_a_nul_byte_in_a_path_is_a_clear_tool_error(root: Path, tool: str) -> None:
    expected = "path 'a\\x00b' contains a NUL byte, which no file name can hold"
    fs = toolset("filesystem", root)
    if tool == "read_multiple_files":
        assert call(fs, tool, paths=["a\0b"]) == f"=== a\0b ===\nError: {expected}"
    else:
        with pytest.raises(ToolError) as refused:
            call(fs, tool, **arguments(tool, "a\0b"))
        assert str(refused.value) == expected


def test_paths_that_are_not_unicode_or_too_long_are_tool_errors(root: Path) -> None:
    fs = toolset("filesystem", root)
    with pytest.raises(ToolError, match=r"path '\\ud800' is not valid Unicode text"):
        call(fs, "read_file", path="\ud800")
    with pytest.raises(ToolError) as long_name:
        call(fs, "write_file", path="x" * 5000, content="x")
    assert str(long_name.value) == (
        f"path '{'x' * 300}…' is too long (5000 characters): a file name holds at most 255 "
        "bytes and a path 4096"
    )
    with pytest.raises(ToolError, match=r"is too long \(4199 characters\)"):
        call(fs, "create_directory", paths=["/".join(["d" * 20] * 200)])


def big_sparse_file(path: Path, text: str = "") -> Path:
    """A 2 GiB file that takes no room: ``text``, then NUL bytes."""
    with path.open("w") as file:
        file.write(text)
        file.truncate(2**31)
    return path


def peak_memory(action: Any) -> tuple[Any, int]:
    """What ``action()`` returns (or raises), and the most memory Python held meanwhile."""
    tracemalloc.start()
    try:
        try:
            outcome = action()
        except ToolError as error:
            outcome = error
        return outcome, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_huge_file_is_never_loaded(root: Path) -> None:
    big_sparse_file(root / "zeros.bin")
    big_sparse_file(root / "log.txt", "line\n" * 40_000)
    fs = toolset("filesystem", root)
    refused, peak = peak_memory(lambda: call(fs, "read_file", path="zeros.bin"))
    assert str(refused) == "file 'zeros.bin' is binary (it holds NUL bytes), not text"
    assert peak < 2**20
    shown, peak = peak_memory(lambda: call(fs, "read_file", path="log.txt"))
    assert shown == ("line\n" * 40_000)[: sandbox.MAX_READ]  # the first 120,004 bytes
    assert peak < 2**21
    refused, peak = peak_memory(
        lambda: call(fs, "edit_file", path="log.txt", edits=[{"oldText": "line", "newText": "x"}])
    )
    assert str(refused) == (
        "file 'log.txt' is 2147483648 bytes, more than the 10485760 bytes (10 MiB) that can be "
        "read whole"
    )
    assert peak < 2**20
    found, peak = peak_memory(lambda: call(fs, "search_files_content", path=".", query="line"))
    assert found == "No matches found"  # too big to search: skipped
    assert peak < 2**20


def test_a_cut_read_never_splits_a_character(root: Path) -> None:
    (root / "accents.txt").write_text("é" * 100_000)
    shown = call(toolset("filesystem", root), "read_file", path="accents.txt")
    assert shown == "é" * (sandbox.MAX_READ // 2)


def test_binary_and_non_utf8_files_are_refused_with_a_reason(root: Path) -> None:
    (root / "image.png").write_bytes(bytes(range(256)))
    (root / "latin1.txt").write_bytes("café".encode("latin-1"))
    fs = toolset("filesystem", root)
    with pytest.raises(
        ToolError, match=r"^file 'image\.png' is binary \(it holds NUL bytes\), not text$"
    ):
        call(fs, "read_file", path="image.png")
    with pytest.raises(ToolError, match=r"^file 'latin1\.txt' is not UTF-8 text$"):
        call(fs, "read_file", path="latin1.txt")


def test_a_fifo_cannot_hang_a_tool(root: Path) -> None:
    os.mkfifo(root / "pipe")
    fs = toolset("filesystem", root)
    started = time.monotonic()
    calls: list[tuple[str, dict[str, Any]]] = [
        ("read_file", {"path": "pipe"}),
        ("write_file", {"path": "pipe", "content": "x"}),
        ("edit_file", {"path": "pipe", "edits": [{"oldText": "a", "newText": "b"}]}),
    ]
    for tool, args in calls:
        with pytest.raises(ToolError, match=r"^'pipe' is not a regular file$"):
            call(fs, tool, **args)
    assert call(fs, "search_files_content", path=".", query="hi") == "src/app.py:1:8: print('hi')"
    assert time.monotonic() - started < 5


def test_a_deep_or_huge_tree_stays_bounded(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    deep = root / "deep"
    deep.mkdir()
    for _ in range(150):
        deep = deep / "d"
        deep.mkdir()
    fs = toolset("filesystem", root)
    tree = json.loads(call(fs, "directory_tree", path="deep"))
    depth = 0
    while tree and tree[0].get("children") is not None:
        tree, depth = tree[0]["children"], depth + 1
    assert depth == 99  # a hundred levels shown, then the rest as a leaf

    many = root / "many"
    many.mkdir()
    for number in range(1_200):
        (many / f"f{number:04}.txt").write_text("needle\n")
    shown = call(fs, "directory_tree", path="many")
    assert shown.endswith("\n[directory_tree stopped after 1000 entries]")
    assert len(json.loads(shown.rsplit("\n[", 1)[0])) == 1_000
    found = call(fs, "search_files_content", path="many", query="needle")
    assert len(found) < 30_000 + 100  # stops once the model would see no more
    monkeypatch.setattr("agentcore.tools.builtin.filesystem._MAX_SEARCHED", 10)
    found = call(fs, "search_files_content", path="many", query="needle")
    assert found.splitlines()[-2:] == [
        "many/f0009.txt:1:1: needle",
        "[search stopped after 10 files]",
    ]


@pytest.mark.parametrize("given", [".", "{root}", "src/..", "linkdir/.."])
def test_the_working_directory_itself_cannot_be_removed(root: Path, given: str) -> None:
    fs = toolset("filesystem", root)
    path = given.format(root=root)
    with pytest.raises(ToolError) as refused:
        call(fs, "remove_directory", paths=[path])
    assert str(refused.value) in (
        "the working directory itself cannot be removed",
        f"path '{path}' is outside the working directory {root} and cannot be used",
    )
    assert root.is_dir()


def test_a_hard_link_to_a_file_outside_is_read_but_never_written(root: Path) -> None:
    """A hard link is the file itself, not a link that can be checked: writing through one
    would change the file outside, so it is refused. Reading is not (the agent cannot make
    one, and package caches link their files into projects), as cagent does not either."""
    secret = root.parent / "outside" / "secret.txt"
    os.link(secret, root / "hard.txt")
    fs = toolset("filesystem", root)
    refused = (
        "'hard.txt' has other hard links, possibly outside the working directory; writing it "
        "would change them too, so it is refused"
    )
    writes: list[tuple[str, dict[str, Any]]] = [
        ("write_file", {"path": "hard.txt", "content": "pwned"}),
        ("edit_file", {"path": "hard.txt", "edits": [{"oldText": "SECRET", "newText": "x"}]}),
    ]
    for tool, args in writes:
        with pytest.raises(ToolError) as error:
            call(fs, tool, **args)
        assert str(error.value) == refused
    assert secret.read_text() == "SECRET=sk-live-123\n"
    assert call(fs, "read_file", path="hard.txt") == "SECRET=sk-live-123\n"
    assert call(fs, "search_files_content", path=".", query="SECRET") == (
        "hard.txt:1:1: SECRET=sk-live-123"
    )
    (root / "hard.txt").unlink()  # once it is the only name, it is an ordinary file again
    call(fs, "write_file", path="hard.txt", content="mine")
    assert (root / "hard.txt").read_text() == "mine"
    assert secret.read_text() == "SECRET=sk-live-123\n"


@pytest.mark.parametrize("given", ["alias", "alias/", "./alias"])
def test_remove_directory_never_follows_a_symlink(root: Path, given: str) -> None:
    (root / "keep").mkdir()
    (root / "alias").symlink_to("keep")
    fs = toolset("filesystem", root)
    with pytest.raises(ToolError) as refused:
        call(fs, "remove_directory", paths=[given])
    assert str(refused.value) == (
        f"'{given}' is a symbolic link, not a directory; refused (what it leads to is not "
        "removed through it)"
    )
    assert (root / "alias").is_symlink()
    assert (root / "keep").is_dir()
    with pytest.raises(ToolError) as dotted:
        call(fs, "remove_directory", paths=["alias/."])
    assert str(dotted.value) == "cannot remove 'alias/.': name the directory itself, not '.'"
    assert (root / "keep").is_dir()
    assert call(fs, "remove_directory", paths=["alias/../keep/"]) == (
        "Successfully removed directories: keep"
    )
    assert not (root / "keep").exists()


def test_a_directory_swapped_for_a_symlink_before_removal_is_not_followed(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (root / "keep").mkdir()
    (root / "src" / "empty").mkdir()
    opened = Sandbox._directory

    def open_then_swap(self: Sandbox, path: Path, shown: str) -> int:
        descriptor = opened(self, path, shown)
        (root / "src" / "empty").rmdir()
        (root / "src" / "empty").symlink_to(root / "keep")
        return descriptor

    monkeypatch.setattr(Sandbox, "_directory", open_then_swap)
    with pytest.raises(ToolError, match="'src/empty' is a symbolic link, not a directory"):
        call(toolset("filesystem", root), "remove_directory", paths=["src/empty"])
    assert (root / "keep").is_dir()
    assert (root / "src" / "empty").is_symlink()


def test_create_directory_checks_each_level_before_making_it(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Directories are made one level at a time below the root, entering none through a
    symlink: one swapped in after the check makes nothing outside."""
    outside = root.parent / "outside"
    (root / "sub").mkdir()
    fs = toolset("filesystem", root)
    (root / "sublink").symlink_to("sub")  # leads inside: made where it leads
    assert call(fs, "create_directory", paths=["sublink/a/b"]) == (
        "Successfully created directories: sub/a/b"
    )
    assert (root / "sub" / "a" / "b").is_dir()
    with pytest.raises(ToolError) as not_a_directory:
        call(fs, "create_directory", paths=["src/app.py/x"])
    assert str(not_a_directory.value) == "'src/app.py' exists and is not a directory"
    checked = Sandbox.path

    def check_then_swap(self: Sandbox, given: Any, *, argument: str = "path") -> Path:
        found = checked(self, given, argument=argument)
        shutil.rmtree(root / "sub")
        (root / "sub").symlink_to(outside)
        return found

    monkeypatch.setattr(Sandbox, "path", check_then_swap)
    before = snapshot(outside)
    with pytest.raises(ToolError) as refused:
        call(fs, "create_directory", paths=["sub/new/deeper"])
    assert str(refused.value) == "'sub' became a symbolic link after it was checked; refused"
    assert snapshot(outside) == before


# -- the shell ---------------------------------------------------------------------------


@pytest.mark.parametrize("approve", [None, "no", False])
def test_a_command_never_runs_without_approval(
    tmp_path: Path, provider_server: ProviderServer, approve: Any
) -> None:
    provider_server.script = [Reply(tool=("shell", {"cmd": "touch ran.txt"})), Reply("ok")]
    answer = None if approve is None else (lambda agent, call: approve)
    with load(tmp_path, provider_server, one_agent("[{type: shell}]")) as team:
        result = team.run("go", approve=answer)
    assert results(result) == [("shell", "The user rejected the tool call.")]
    assert not (tmp_path / "work" / "ran.txt").exists()


def test_yolo_runs_commands_without_asking(tmp_path: Path, provider_server: ProviderServer) -> None:
    provider_server.script = [Reply(tool=("shell", {"cmd": "touch ran.txt"})), Reply("ok")]
    with load(tmp_path, provider_server, one_agent("[{type: shell}]")) as team:
        result = team.run("go", yolo=True)
    assert results(result) == [("shell", "(no output)")]
    assert (tmp_path / "work" / "ran.txt").exists()


@pytest.mark.parametrize("cwd", ["..", "{outside}", "linkdir", "src/../..", "a\0b"])
def test_a_command_never_runs_outside_the_working_directory(root: Path, cwd: str) -> None:
    outside = root.parent / "outside"
    shell = toolset("shell", root)
    with pytest.raises(ToolError, match=r"outside the working directory|NUL byte"):
        call(shell, "shell", cmd="touch ran.txt", cwd=cwd.format(outside=outside))
    assert not (outside / "ran.txt").exists()
    assert not (root.parent / "ran.txt").exists()


def alive(pid: int) -> bool:
    """Whether process ``pid`` runs (a zombie waiting for its parent to reap it does not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
    except (FileNotFoundError, IndexError):
        return False


def test_a_command_that_hangs_times_out_with_its_children(root: Path) -> None:
    shell = toolset("shell", root)
    started = time.monotonic()
    with pytest.raises(ToolError) as timed_out:
        call(shell, "shell", cmd="sleep 60 & echo $! > child.pid; wait", timeout=1)
    assert time.monotonic() - started < 5
    assert str(timed_out.value) == (
        "command timed out after 1 seconds: sleep 60 & echo $! > child.pid; wait"
    )
    child = int((root / "child.pid").read_text())
    deadline = time.monotonic() + 5
    while alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(child)


@pytest.mark.skipif(shutil.which("setsid") is None, reason="needs setsid(1)")
def test_a_process_that_leaves_the_group_cannot_keep_the_tool_waiting(root: Path) -> None:
    shell = toolset("shell", root)
    started = time.monotonic()
    try:
        with pytest.raises(ToolError, match="timed out after 1 seconds"):
            call(shell, "shell", cmd="setsid sleep 60 & echo $! > escaped.pid; sleep 60", timeout=1)
        assert time.monotonic() - started < 5
    finally:
        escaped = int((root / "escaped.pid").read_text())
        if alive(escaped):
            os.kill(escaped, signal.SIGKILL)


def test_a_huge_timeout_is_only_a_long_wait(root: Path) -> None:
    shell = toolset("shell", root)
    assert call(shell, "shell", cmd="echo ok", timeout=10**12) == "ok\n"
    assert call(shell, "shell", cmd="exec >&-; sleep 0.2; exit 4", timeout=10**12) == (
        "\n(exit status 4)"
    )


def test_a_chatty_command_cannot_fill_the_memory(root: Path) -> None:
    shell = toolset("shell", root)
    shown, peak = peak_memory(lambda: call(shell, "shell", cmd="yes | head -c 100000000"))
    assert shown == "y\n" * (sandbox.MAX_READ // 2)
    assert peak < 2**20


# -- the output cap ------------------------------------------------------------------------


def test_every_tool_output_is_capped_as_cagent_caps_it(
    tmp_path: Path, provider_server: ProviderServer
) -> None:
    (tmp_path / "work").mkdir()
    big_sparse_file(tmp_path / "work" / "log.txt", "0123456789" * 20_000)
    provider_server.script = [
        Reply(tool=("shell", {"cmd": "head -c 100000 /dev/zero | tr '\\0' x"})),
        Reply(tool=("read_file", {"path": "log.txt"})),
        Reply("ok"),
    ]
    agent = one_agent("[{type: shell}, {type: filesystem}]")
    with load(tmp_path, provider_server, agent) as team:
        result = team.run("go", yolo=True)
    assert results(result) == [
        ("shell", "x" * 30_000 + CAGENT_NOTE),
        ("read_file", "0123456789" * 3_000 + CAGENT_NOTE),
    ]
    last = json.loads(provider_server.requests[2].body)["messages"]
    assert [m["content"] for m in last if m["role"] == "tool"] == [
        output for _, output in results(result)
    ]


def test_a_sub_agents_answer_is_not_tool_output(
    tmp_path: Path, provider_server: ProviderServer
) -> None:
    """cagent caps what its tools print, not what a sub-agent answers to transfer_task."""
    team = (
        "agents:\n  root:\n    model: main\n    sub_agents: [helper]\n  helper:\n    model: main\n"
    )
    provider_server.script = [
        Reply(tool=("transfer_task", {"agent": "helper", "task": "t", "expected_output": ""})),
        Reply("y" * 40_000),
        Reply("ok"),
    ]
    with load(tmp_path, provider_server, team) as loaded:
        result = loaded.run("go")
    assert results(result) == [("transfer_task", "y" * 40_000)]


# -- fetch -----------------------------------------------------------------------------------


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A server on 127.0.0.1 that accepts connections and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    thread.join()
    for connection in held:
        connection.close()
    listener.close()


def test_fetch_from_a_server_that_never_answers_times_out(root: Path, silent_server: str) -> None:
    fetch = toolset("fetch", root)
    started = time.monotonic()
    shown = call(fetch, "fetch", urls=[f"{silent_server}/page"], format="text", timeout=1)
    assert time.monotonic() - started < 6  # robots.txt, then the page: one second each
    assert shown == f"Error: {silent_server}/page: timed out"


@pytest.fixture
def endless_server() -> Iterator[str]:
    """A server on 127.0.0.1 whose pages never end: ``/trickle`` sends a byte now and then,
    ``/flood`` as fast as it can; it has no robots.txt."""
    stop = threading.Event()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/robots.txt":
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("content-type", "text/plain")
            self.end_headers()
            with contextlib.suppress(OSError):
                while not stop.is_set():
                    if self.path == "/trickle":
                        self.wfile.write(b"x")
                        self.wfile.flush()
                        time.sleep(0.1)
                    else:
                        self.wfile.write(b"y" * 65536)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    stop.set()
    server.shutdown()
    server.server_close()
    thread.join()


def test_fetch_of_a_page_that_never_ends_is_bounded(root: Path, endless_server: str) -> None:
    fetch = toolset("fetch", root)
    started = time.monotonic()
    shown = call(fetch, "fetch", urls=[f"{endless_server}/trickle"], format="text", timeout=1)
    assert time.monotonic() - started < 5
    assert shown == f"Error: {endless_server}/trickle: no complete answer within 1 seconds"
    shown, peak = peak_memory(
        lambda: call(fetch, "fetch", urls=[f"{endless_server}/flood"], format="text")
    )
    assert shown == "y" * 2**20  # the first MiB, as cagent reads it
    assert peak < 8 * 2**20
