"""The ``filesystem`` toolset, with cagent's tool names, parameters and output formats,
confined to the working directory: ``..``, absolute paths elsewhere and symlinks that lead
out are refused with a tool error (the agent hears it and carries on).

The toolset's state is its :class:`~agentcore.tools.sandbox.Sandbox`; each tool is a
function of the sandbox and the call's arguments, declared in :data:`FILESYSTEM_TOOLS`.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import json
import math
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from agentcore.config.parts.script import PostEdit
from agentcore.prompts import MAX_TOOL_OUTPUT
from agentcore.tools.base import (
    Arguments,
    Tool,
    ToolError,
    ToolFailed,
    Toolset,
    ToolSpec,
    bind_tools,
)
from agentcore.tools.builtin.shell import exit_error, run_command
from agentcore.tools.sandbox import VCS, Sandbox

__all__ = ["filesystem_toolset"]

FILESYSTEM_INSTRUCTION = (
    "## Filesystem Tools\n\n"
    '- Relative paths resolve from the working directory; absolute paths and ".." work as '
    "expected\n"
    "- Prefer read_multiple_files over sequential read_file calls\n"
    "- Use search_files_content to locate code or text across files\n"
    "- Use exclude patterns in searches and max_depth in directory_tree to limit output"
)
_MAX_TREE_ENTRIES = 1_000  # more than 30,000 characters of JSON: the model sees no more
_MAX_TREE_DEPTH = 100
_MAX_SEARCHED = 20_000  # files, as cagent bounds its own file walks


def filesystem_toolset(root: Path, options: dict[str, Any]) -> Toolset:
    """The filesystem tools, reading and writing below ``root``; ``write_file`` and
    ``edit_file`` run the ``post_edit`` commands whose pattern matches the file's name.
    """
    sandbox = Sandbox(root, ignore_vcs=bool(options.get("ignore_vcs", True)))
    tools = bind_tools(FILESYSTEM_TOOLS, sandbox)
    post_edits: tuple[PostEdit, ...] = tuple(options.get("post_edit") or ())
    if post_edits:
        tools = [
            _with_post_edits(tool, sandbox, post_edits) if tool.name in _EDITING else tool
            for tool in tools
        ]
    return Toolset("filesystem", tools, FILESYSTEM_INSTRUCTION)


_EDITING = {"write_file": "written", "edit_file": "edited"}


def _with_post_edits(tool: Tool, sandbox: Sandbox, post_edits: tuple[PostEdit, ...]) -> Tool:
    """``tool``, then the commands of ``post_edits`` that match the file it changed, as
    cagent runs them: ``/bin/sh -c cmd`` in the working directory with ``$path`` (the
    file's absolute path), until one fails; the failure is the tool's error result.
    """

    def handler(args: Arguments) -> str:
        output = tool.handler(args)
        path = sandbox.path(args.get("path"))
        for post_edit in post_edits:
            if not fnmatch.fnmatchcase(path.name, post_edit.path):
                continue
            env = {**os.environ, "path": str(path)}
            _, status = run_command(post_edit.cmd, sandbox.root, env, math.inf)
            if status:
                raise ToolFailed(
                    f"File {_EDITING[tool.name]} successfully but post-edit command failed: "
                    f"post-edit command failed for {path}: {exit_error(status)}"
                )
        return output

    return dataclasses.replace(tool, handler=handler)


# -- arguments and files -------------------------------------------------------------------


def _path_list(args: Arguments, key: str, *, required: bool = True) -> list[str]:
    value = args.get(key) or []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ToolError(f"'{key}' must be a list of paths, got {value!r}")
    if required and not value:
        raise ToolError(f"'{key}' must not be empty")
    return value


def _read(sandbox: Sandbox, given: Any, *, whole: bool = False) -> str:
    path = sandbox.path(given)
    if path.is_dir():
        raise ToolError(f"'{given}' is a directory; use list_directory")
    try:
        return sandbox.read(path, whole=whole)
    except FileNotFoundError:
        raise ToolError(f"file '{given}' does not exist") from None


def _files(sandbox: Sandbox, start: Path) -> Iterator[tuple[Path, Path]]:
    """The files below ``start`` in order, each with its real path; none that leads out."""
    for directory, names, files in os.walk(start):
        names[:] = sorted(n for n in names if not (sandbox.ignore_vcs and n in VCS))
        for name in sorted(files):
            path = Path(directory) / name
            real = Path(os.path.realpath(path))
            if sandbox.contains(real):  # not a symlink that leads out of the working directory
                yield path, real


class _Tree:
    """One ``directory_tree`` walk: nested entries, at most :data:`_MAX_TREE_ENTRIES`."""

    def __init__(self, sandbox: Sandbox):
        self.sandbox = sandbox
        self.seen = 0

    @property
    def cut(self) -> bool:
        """Whether the walk stopped at the entry limit."""
        return self.seen > _MAX_TREE_ENTRIES

    def items(self, directory: Path, depth: int) -> list[dict[str, Any]]:
        """The entries of ``directory`` (at ``depth``), each directory with its children."""
        items: list[dict[str, Any]] = []
        for child in self.sandbox.entries(directory):
            self.seen += 1
            if self.cut:
                break
            if child.is_dir() and not child.is_symlink() and depth < _MAX_TREE_DEPTH:
                children = self.items(child, depth + 1)
                items.append({"name": child.name, "type": "directory", "children": children})
            else:
                items.append({"name": child.name, "type": "file"})
        return items


def _search_pattern(args: Arguments) -> re.Pattern[str]:
    """The ``query`` of ``search_files_content``, literal unless ``is_regex``."""
    query = args.get("query")
    if not isinstance(query, str) or not query:
        raise ToolError("'query' must be non-empty text")
    try:
        return re.compile(query if args.get("is_regex") else re.escape(query))
    except re.error as error:
        raise ToolError(f"invalid regular expression {query!r}: {error}") from None


def _apply_edit(text: str, number: int, edit: Any, given: Any) -> str:
    """``text`` with the ``number``-th edit applied: its first ``oldText`` replaced."""
    if not isinstance(edit, dict):
        raise ToolError(f"edit {number} must be an object with oldText and newText")
    old, new = edit.get("oldText"), edit.get("newText")
    if not isinstance(old, str) or not isinstance(new, str) or not old:
        raise ToolError(f"edit {number} needs oldText and newText")
    if old not in text:
        raise ToolError(f"edit {number}: the text to replace was not found in {given}")
    return text.replace(old, new, 1)


# -- the tools -------------------------------------------------------------------------------


def directory_tree(sandbox: Sandbox, args: Arguments) -> str:
    """The tree below ``path`` as JSON, cut after :data:`_MAX_TREE_ENTRIES` entries."""
    tree = _Tree(sandbox)
    found = json.dumps(tree.items(sandbox.path(args.get("path")), 1), indent=2)
    if tree.cut:
        found += f"\n[directory_tree stopped after {_MAX_TREE_ENTRIES} entries]"
    return found


def list_directory(sandbox: Sandbox, args: Arguments) -> str:
    """One ``DIR``/``FILE`` line per entry of ``path``."""
    lines = []
    for child in sandbox.entries(sandbox.path(args.get("path"))):
        lines.append(f"{'DIR ' if child.is_dir() else 'FILE'} {child.name}\n")
    return "".join(lines)


def read_file(sandbox: Sandbox, args: Arguments) -> str:
    """The text of the file at ``path``."""
    return _read(sandbox, args.get("path"))


def read_multiple_files(sandbox: Sandbox, args: Arguments) -> str:
    """Each file of ``paths`` (or its error), as sections or as JSON; stops once the model
    would see no more.
    """
    results = []
    size = 0
    for given in _path_list(args, "paths"):
        if size > MAX_TOOL_OUTPUT:
            break  # the model would not see the rest
        try:
            results.append({"path": given, "content": _read(sandbox, given)})
        except ToolError as error:
            results.append({"path": given, "error": str(error)})
        size += sum(len(value) for value in results[-1].values())
    if args.get("json"):
        return json.dumps(results, indent=2)
    parts = [
        f"=== {r['path']} ===\n" + (r["content"] if "content" in r else f"Error: {r['error']}")
        for r in results
    ]
    return "\n\n".join(parts)


def search_files_content(sandbox: Sandbox, args: Arguments) -> str:
    """``path:line:column: line`` for each line below ``path`` that matches ``query``."""
    start = sandbox.path(args.get("path"))
    pattern = _search_pattern(args)
    excluded = list(_path_list(args, "excludePatterns", required=False))
    matches: list[str] = []
    searched = size = 0
    for path, real in _files(sandbox, start):
        shown = sandbox.shown(path)
        if any(fnmatch.fnmatch(shown, p) or fnmatch.fnmatch(path.name, p) for p in excluded):
            continue
        searched += 1
        if searched > _MAX_SEARCHED or size > MAX_TOOL_OUTPUT:
            break  # the model would not see more
        try:  # binary, not UTF-8, over 10 MiB, a FIFO, gone: not searched
            text = sandbox.read(real, whole=True)
        except (ToolError, OSError):
            continue
        for number, line in enumerate(text.splitlines(), 1):
            found = pattern.search(line)
            if found:
                matches.append(f"{shown}:{number}:{found.start() + 1}: {line.strip()}")
                size += len(matches[-1]) + 1
    if searched > _MAX_SEARCHED:
        matches.append(f"[search stopped after {_MAX_SEARCHED} files]")
    return "\n".join(matches) if matches else "No matches found"


def write_file(sandbox: Sandbox, args: Arguments) -> str:
    """Create or replace the file at ``path`` with ``content``."""
    path = sandbox.path(args.get("path"))
    content = args.get("content")
    if not isinstance(content, str):
        raise ToolError("'content' must be text")
    if not path.parent.is_dir():
        raise ToolError(f"directory '{sandbox.shown(path.parent)}' does not exist")
    if path.is_dir():
        raise ToolError(f"'{args.get('path')}' is a directory")
    sandbox.write(path, content)
    return f"Successfully wrote {len(content.encode('utf-8'))} bytes to {sandbox.shown(path)}"


def edit_file(sandbox: Sandbox, args: Arguments) -> str:
    """Apply ``edits`` in order to the file at ``path``; all of them, or none."""
    path = sandbox.path(args.get("path"))
    text = _read(sandbox, args.get("path"), whole=True)
    edits = args.get("edits") or []
    if not isinstance(edits, list) or not edits:
        raise ToolError("'edits' must be a non-empty list of {oldText, newText}")
    for number, edit in enumerate(edits, 1):
        text = _apply_edit(text, number, edit, args["path"])
    sandbox.write(path, text)
    return f"Successfully applied {len(edits)} edit(s) to {sandbox.shown(path)}"


def create_directory(sandbox: Sandbox, args: Arguments) -> str:
    """Create each directory of ``paths``, with its parents."""
    created = []
    for given in _path_list(args, "paths"):
        path = sandbox.path(given)
        if path.exists() and not path.is_dir():
            raise ToolError(f"'{given}' exists and is not a directory")
        sandbox.make_directories(path, given)  # one level at a time, following no symlink
        created.append(sandbox.shown(path))
    return f"Successfully created directories: {', '.join(created)}"


def remove_directory(sandbox: Sandbox, args: Arguments) -> str:
    """Remove each empty directory of ``paths``; never the working directory itself."""
    removed = []
    for given in _path_list(args, "paths"):
        if sandbox.path(given) == sandbox.root:
            raise ToolError("the working directory itself cannot be removed")
        path = sandbox.remove_directory(given)  # the link itself if a symlink: refused
        removed.append(sandbox.shown(path))
    return f"Successfully removed directories: {', '.join(removed)}"


# -- what the model is told ------------------------------------------------------------------


def _string(description: str) -> dict[str, Any]:
    return {"description": description, "type": "string"}


def _strings(description: str) -> dict[str, Any]:
    return {"description": description, "items": {"type": "string"}, "type": ["null", "array"]}


def _flag(description: str) -> dict[str, Any]:
    return {"description": description, "type": ["boolean", "null"]}


_EDITS = {
    "description": "Array of edit operations",
    "items": {
        "additionalProperties": False,
        "properties": {
            "newText": _string("The replacement text"),
            "oldText": _string("The exact text to replace"),
        },
        "required": ["newText", "oldText"],
        "type": "object",
    },
    "type": ["null", "array"],
}

FILESYSTEM_TOOLS: tuple[ToolSpec[Sandbox], ...] = (
    ToolSpec(
        "directory_tree",
        "Get a recursive tree view of files and directories as a JSON structure.",
        {"path": _string("The directory path to traverse (relative to working directory)")},
        ("path",),
        directory_tree,
        read_only=True,
    ),
    ToolSpec(
        "edit_file",
        "Make line-based edits to a text file. Each edit replaces exact line sequences "
        "with new content.",
        {"edits": _EDITS, "path": _string("The file path to edit")},
        ("edits", "path"),
        edit_file,
    ),
    ToolSpec(
        "list_directory",
        "Get a detailed listing of all files and directories in a specified path.",
        {"path": _string("The directory path to list")},
        ("path",),
        list_directory,
        read_only=True,
    ),
    ToolSpec(
        "read_file",
        "Read the complete contents of a file from the file system. Supports text files and "
        "images (jpg, png, gif, webp). Images are returned as image content that you can "
        "view directly.",
        {"path": _string("The file path to read")},
        ("path",),
        read_file,
        read_only=True,
    ),
    ToolSpec(
        "read_multiple_files",
        "Read the contents of multiple files simultaneously.",
        {
            "json": _flag("Whether to return the result as JSON"),
            "paths": _strings("Array of file paths to read"),
        },
        ("json", "paths"),
        read_multiple_files,
        read_only=True,
    ),
    ToolSpec(
        "search_files_content",
        "Searches for text or regex patterns in the content of files matching a GLOB pattern.",
        {
            "excludePatterns": _strings("Patterns to exclude from search"),
            "is_regex": _flag("If true, treat query as regex; otherwise literal text"),
            "path": _string("The starting directory path"),
            "query": _string("The text or regex pattern to search for"),
        },
        ("excludePatterns", "is_regex", "path", "query"),
        search_files_content,
        read_only=True,
    ),
    ToolSpec(
        "write_file",
        "Create a new file or completely overwrite an existing file with new content.",
        {
            "content": _string("The content to write to the file"),
            "path": _string("The file path to write"),
        },
        ("content", "path"),
        write_file,
    ),
    ToolSpec(
        "create_directory",
        "Create one or more new directories or nested directory structures.",
        {"paths": _strings("Array of directory paths to create")},
        ("paths",),
        create_directory,
    ),
    ToolSpec(
        "remove_directory",
        "Remove one or more empty directories.",
        {"paths": _strings("Array of directory paths to remove")},
        ("paths",),
        remove_directory,
    ),
)
"""The filesystem tools, in the order cagent lists them."""
