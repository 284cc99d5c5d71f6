"""The ``filesystem`` toolset, with cagent's tool names, parameters and output formats,
confined to the working directory: ``..``, absolute paths elsewhere and symlinks that lead
out are refused with a tool error (the agent hears it and carries on).
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
from pathlib import Path
from typing import Any

from .base import Tool, ToolError, Toolset, tool

__all__ = ["FILESYSTEM_INSTRUCTION", "Sandbox", "filesystem_toolset"]

FILESYSTEM_INSTRUCTION = (
    "## Filesystem Tools\n\n"
    '- Relative paths resolve from the working directory; absolute paths and ".." work as '
    "expected\n"
    "- Prefer read_multiple_files over sequential read_file calls\n"
    "- Use search_files_content to locate code or text across files\n"
    "- Use exclude patterns in searches and max_depth in directory_tree to limit output"
)
_VCS = frozenset({".git", ".hg", ".svn", ".bzr"})
_MAX_OUTPUT = 30_000


def _string(description: str) -> dict[str, Any]:
    return {"description": description, "type": "string"}


def _strings(description: str) -> dict[str, Any]:
    return {"description": description, "items": {"type": "string"}, "type": ["null", "array"]}


def _flag(description: str) -> dict[str, Any]:
    return {"description": description, "type": ["boolean", "null"]}


class Sandbox:
    """Resolves tool paths inside ``root`` and refuses any that lead out of it."""

    def __init__(self, root: Path, *, ignore_vcs: bool = True):
        self.root = Path(os.path.realpath(root))
        self.ignore_vcs = ignore_vcs

    def path(self, given: Any, *, argument: str = "path") -> Path:
        """The real path of ``given`` (relative to the root, or absolute); refused if outside."""
        if not isinstance(given, str) or not given:
            raise ToolError(f"'{argument}' must be a non-empty path")
        resolved = Path(os.path.realpath(self.root / given))
        if resolved != self.root and self.root not in resolved.parents:
            raise ToolError(
                f"path '{given}' is outside the working directory {self.root} and cannot be used"
            )
        return resolved

    def shown(self, path: Path) -> str:
        """``path`` as the model should see it: relative to the root."""
        relative = path.relative_to(self.root)
        return str(relative) if str(relative) != "." else "."

    def inside(self, path: Path) -> bool:
        """Whether ``path`` (a symlink is followed) stays below the root."""
        resolved = Path(os.path.realpath(path))
        return resolved == self.root or self.root in resolved.parents

    def entries(self, directory: Path) -> list[Path]:
        """The entries of ``directory`` by name, without VCS folders when asked."""
        try:
            children = sorted(directory.iterdir(), key=lambda p: p.name)
        except FileNotFoundError:
            raise ToolError(f"directory '{self.shown(directory)}' does not exist") from None
        except NotADirectoryError:
            raise ToolError(f"'{self.shown(directory)}' is not a directory") from None
        return [c for c in children if not (self.ignore_vcs and c.name in _VCS)]


def _truncate(text: str) -> str:
    if len(text) <= _MAX_OUTPUT:
        return text
    return text[:_MAX_OUTPUT] + f"\n[output truncated at {_MAX_OUTPUT} characters]"


def _path_list(args: dict[str, Any], key: str, *, required: bool = True) -> list[str]:
    value = args.get(key) or []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ToolError(f"'{key}' must be a list of paths, got {value!r}")
    if required and not value:
        raise ToolError(f"'{key}' must not be empty")
    return value


def _read(sandbox: Sandbox, given: Any) -> str:
    path = sandbox.path(given)
    if path.is_dir():
        raise ToolError(f"'{given}' is a directory; use list_directory")
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ToolError(f"file '{given}' does not exist") from None
    except UnicodeDecodeError:
        raise ToolError(f"file '{given}' is not UTF-8 text") from None


def filesystem_toolset(root: Path, options: dict[str, Any]) -> Toolset:
    """The filesystem tools, reading and writing below ``root``."""
    sandbox = Sandbox(root, ignore_vcs=bool(options.get("ignore_vcs", True)))

    def directory_tree(args: dict[str, Any]) -> str:
        def tree(directory: Path) -> list[dict[str, Any]]:
            items: list[dict[str, Any]] = []
            for child in sandbox.entries(directory):
                if child.is_dir() and not child.is_symlink():
                    items.append({"name": child.name, "type": "directory", "children": tree(child)})
                else:
                    items.append({"name": child.name, "type": "file"})
            return items

        return _truncate(json.dumps(tree(sandbox.path(args.get("path"))), indent=2))

    def list_directory(args: dict[str, Any]) -> str:
        lines = []
        for child in sandbox.entries(sandbox.path(args.get("path"))):
            lines.append(f"{'DIR ' if child.is_dir() else 'FILE'} {child.name}\n")
        return _truncate("".join(lines))

    def read_file(args: dict[str, Any]) -> str:
        return _truncate(_read(sandbox, args.get("path")))

    def read_multiple_files(args: dict[str, Any]) -> str:
        results = []
        for given in _path_list(args, "paths"):
            try:
                results.append({"path": given, "content": _read(sandbox, given)})
            except ToolError as error:
                results.append({"path": given, "error": str(error)})
        if args.get("json"):
            return _truncate(json.dumps(results, indent=2))
        parts = [
            f"=== {r['path']} ===\n" + (r["content"] if "content" in r else f"Error: {r['error']}")
            for r in results
        ]
        return _truncate("\n\n".join(parts))

    def search_files_content(args: dict[str, Any]) -> str:
        start = sandbox.path(args.get("path"))
        query = args.get("query")
        if not isinstance(query, str) or not query:
            raise ToolError("'query' must be non-empty text")
        try:
            pattern = re.compile(query if args.get("is_regex") else re.escape(query))
        except re.error as error:
            raise ToolError(f"invalid regular expression {query!r}: {error}") from None
        excluded = list(_path_list(args, "excludePatterns", required=False))
        matches = []
        for directory, names, files in os.walk(start):
            names[:] = sorted(n for n in names if not (sandbox.ignore_vcs and n in _VCS))
            for name in sorted(files):
                path = Path(directory) / name
                if not sandbox.inside(path):
                    continue  # a symlink that leads out of the working directory
                shown = sandbox.shown(path)
                if any(fnmatch.fnmatch(shown, p) or fnmatch.fnmatch(name, p) for p in excluded):
                    continue
                try:
                    text = path.read_text(encoding="utf-8")
                except (UnicodeDecodeError, OSError):
                    continue
                for number, line in enumerate(text.splitlines(), 1):
                    found = pattern.search(line)
                    if found:
                        matches.append(f"{shown}:{number}:{found.start() + 1}: {line.strip()}")
        return _truncate("\n".join(matches) if matches else "No matches found")

    def write_file(args: dict[str, Any]) -> str:
        path = sandbox.path(args.get("path"))
        content = args.get("content")
        if not isinstance(content, str):
            raise ToolError("'content' must be text")
        if not path.parent.is_dir():
            raise ToolError(f"directory '{sandbox.shown(path.parent)}' does not exist")
        if path.is_dir():
            raise ToolError(f"'{args.get('path')}' is a directory")
        path.write_text(content, encoding="utf-8")
        return f"Successfully wrote {len(content.encode('utf-8'))} bytes to {sandbox.shown(path)}"

    def edit_file(args: dict[str, Any]) -> str:
        path = sandbox.path(args.get("path"))
        text = _read(sandbox, args.get("path"))
        edits = args.get("edits") or []
        if not isinstance(edits, list) or not edits:
            raise ToolError("'edits' must be a non-empty list of {oldText, newText}")
        for number, edit in enumerate(edits, 1):
            if not isinstance(edit, dict):
                raise ToolError(f"edit {number} must be an object with oldText and newText")
            old, new = edit.get("oldText"), edit.get("newText")
            if not isinstance(old, str) or not isinstance(new, str) or not old:
                raise ToolError(f"edit {number} needs oldText and newText")
            if old not in text:
                raise ToolError(
                    f"edit {number}: the text to replace was not found in {args['path']}"
                )
            text = text.replace(old, new, 1)
        path.write_text(text, encoding="utf-8")
        return f"Successfully applied {len(edits)} edit(s) to {sandbox.shown(path)}"

    def create_directory(args: dict[str, Any]) -> str:
        created = []
        for given in _path_list(args, "paths"):
            path = sandbox.path(given)
            if path.exists() and not path.is_dir():
                raise ToolError(f"'{given}' exists and is not a directory")
            path.mkdir(parents=True, exist_ok=True)
            created.append(sandbox.shown(path))
        return f"Successfully created directories: {', '.join(created)}"

    def remove_directory(args: dict[str, Any]) -> str:
        removed = []
        for given in _path_list(args, "paths"):
            path = sandbox.path(given)
            if path == sandbox.root:
                raise ToolError("the working directory itself cannot be removed")
            try:
                path.rmdir()
            except OSError as error:
                raise ToolError(f"cannot remove '{given}': {error.strerror}") from None
            removed.append(sandbox.shown(path))
        return f"Successfully removed directories: {', '.join(removed)}"

    tools: list[Tool] = [
        tool(
            "directory_tree",
            "Get a recursive tree view of files and directories as a JSON structure.",
            {"path": _string("The directory path to traverse (relative to working directory)")},
            ["path"],
            directory_tree,
            read_only=True,
        ),
        tool(
            "edit_file",
            "Make line-based edits to a text file. Each edit replaces exact line sequences "
            "with new content.",
            {
                "edits": {
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
                },
                "path": _string("The file path to edit"),
            },
            ["edits", "path"],
            edit_file,
        ),
        tool(
            "list_directory",
            "Get a detailed listing of all files and directories in a specified path.",
            {"path": _string("The directory path to list")},
            ["path"],
            list_directory,
            read_only=True,
        ),
        tool(
            "read_file",
            "Read the complete contents of a file from the file system. Supports text files and "
            "images (jpg, png, gif, webp). Images are returned as image content that you can "
            "view directly.",
            {"path": _string("The file path to read")},
            ["path"],
            read_file,
            read_only=True,
        ),
        tool(
            "read_multiple_files",
            "Read the contents of multiple files simultaneously.",
            {
                "json": _flag("Whether to return the result as JSON"),
                "paths": _strings("Array of file paths to read"),
            },
            ["json", "paths"],
            read_multiple_files,
            read_only=True,
        ),
        tool(
            "search_files_content",
            "Searches for text or regex patterns in the content of files matching a GLOB pattern.",
            {
                "excludePatterns": _strings("Patterns to exclude from search"),
                "is_regex": _flag("If true, treat query as regex; otherwise literal text"),
                "path": _string("The starting directory path"),
                "query": _string("The text or regex pattern to search for"),
            },
            ["excludePatterns", "is_regex", "path", "query"],
            search_files_content,
            read_only=True,
        ),
        tool(
            "write_file",
            "Create a new file or completely overwrite an existing file with new content.",
            {
                "content": _string("The content to write to the file"),
                "path": _string("The file path to write"),
            },
            ["content", "path"],
            write_file,
        ),
        tool(
            "create_directory",
            "Create one or more new directories or nested directory structures.",
            {"paths": _strings("Array of directory paths to create")},
            ["paths"],
            create_directory,
        ),
        tool(
            "remove_directory",
            "Remove one or more empty directories.",
            {"paths": _strings("Array of directory paths to remove")},
            ["paths"],
            remove_directory,
        ),
    ]
    return Toolset("filesystem", tools, FILESYSTEM_INSTRUCTION)
