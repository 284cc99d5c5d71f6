"""The ``memory`` toolset: facts the agent keeps between sessions, in a SQLite file.

The toolset's state is a :class:`Memories` database; each tool is a function of it and the
call's arguments, declared in :data:`MEMORY_TOOLS`.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from agentcore.tools.base import Arguments, ToolError, Toolset, ToolSpec, bind_tools

__all__ = ["memory_toolset"]

MEMORY_INSTRUCTION = (
    "## Memory Tools\n\n"
    "- Remember durable facts about the user and the project with add_memory\n"
    "- Look them up with get_memories or search_memories before asking again\n"
    "- Keep memories short; update or delete the ones that are no longer true"
)
_COLUMNS = "SELECT id, created_at, memory, category FROM memories"


def memory_toolset(path: Path, clock: Callable[[], datetime]) -> Toolset:
    """Memory tools over the SQLite database at ``path`` (created when missing)."""
    memories = Memories(path, clock)
    tools = bind_tools(MEMORY_TOOLS, memories)
    return Toolset("memory", tools, MEMORY_INSTRUCTION, close=memories.close)


class Memories:
    """The memory database at ``path`` (created when missing), and the clock that dates
    each new memory.
    """

    def __init__(self, path: Path, clock: Callable[[], datetime]):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.database = sqlite3.connect(str(path), check_same_thread=False)
        self.database.execute(
            "CREATE TABLE IF NOT EXISTS memories (id INTEGER PRIMARY KEY AUTOINCREMENT, "
            "created_at TEXT NOT NULL, memory TEXT NOT NULL, category TEXT NOT NULL DEFAULT '')"
        )
        self.database.commit()
        self.clock = clock

    def close(self) -> None:
        """Close the database (a closed one refuses further calls)."""
        self.database.close()

    def change(self, statement: str, parameters: tuple[Any, ...]) -> sqlite3.Cursor:
        """Run and commit one statement that changes the memories."""
        cursor = self.database.execute(statement, parameters)
        self.database.commit()
        return cursor

    def rows(self, query: str, parameters: tuple[Any, ...] = ()) -> str:
        """The memories ``query`` selects, as a JSON list."""
        found = self.database.execute(query, parameters).fetchall()
        items = [{"id": r[0], "created_at": r[1], "memory": r[2], "category": r[3]} for r in found]
        return json.dumps(items, indent=2, ensure_ascii=False)

    def existing_id(self, args: Arguments) -> int:
        """The call's ``id`` (a number, or digits), refused unless such a memory exists."""
        value = args.get("id")
        if isinstance(value, str) and value.isdigit():
            value = int(value)
        if not isinstance(value, int) or isinstance(value, bool):
            raise ToolError("'id' must be the number of a memory")
        found = self.database.execute("SELECT 1 FROM memories WHERE id = ?", (value,))
        if found.fetchone() is None:
            raise ToolError(f"memory {value} does not exist")
        return value


def _memory_text(args: Arguments) -> str:
    text = args.get("memory")
    if not isinstance(text, str) or not text.strip():
        raise ToolError("'memory' must be text")
    return text


def add_memory(memories: Memories, args: Arguments) -> str:
    """Store ``memory`` (in ``category``), dated now."""
    text = _memory_text(args)
    cursor = memories.change(
        "INSERT INTO memories (created_at, memory, category) VALUES (?, ?, ?)",
        (memories.clock().isoformat(timespec="seconds"), text, args.get("category") or ""),
    )
    return f"Memory added with ID {cursor.lastrowid}"


def get_memories(memories: Memories, args: Arguments) -> str:
    """Every memory, oldest first."""
    return memories.rows(f"{_COLUMNS} ORDER BY id")


def search_memories(memories: Memories, args: Arguments) -> str:
    """The memories that contain ``query`` (and are in ``category``, when given)."""
    query, category = args.get("query") or "", args.get("category") or ""
    return memories.rows(
        f"{_COLUMNS} WHERE memory LIKE ? AND (? = '' OR category = ?) ORDER BY id",
        (f"%{query}%", category, category),
    )


def update_memory(memories: Memories, args: Arguments) -> str:
    """Replace the text (and the category, when given) of memory ``id``."""
    number = memories.existing_id(args)
    text = _memory_text(args)
    memories.change(
        "UPDATE memories SET memory = ?, category = COALESCE(?, category) WHERE id = ?",
        (text, args.get("category"), number),
    )
    return f"Memory {number} updated"


def delete_memory(memories: Memories, args: Arguments) -> str:
    """Delete memory ``id``."""
    number = memories.existing_id(args)
    memories.change("DELETE FROM memories WHERE id = ?", (number,))
    return f"Memory {number} deleted"


def _optional(description: str) -> dict[str, Any]:
    return {"type": ["string", "null"], "description": description}


def _memory_id(description: str) -> dict[str, Any]:
    return {"description": description, "type": "integer"}


MEMORY_TOOLS: tuple[ToolSpec[Memories], ...] = (
    ToolSpec(
        "add_memory",
        "Add a new memory to the database",
        {
            "category": _optional("Optional category to group the memory"),
            "memory": {"type": "string", "description": "The memory content to store"},
        },
        ("category", "memory"),
        add_memory,
    ),
    ToolSpec("get_memories", "Retrieve all stored memories", {}, (), get_memories, read_only=True),
    ToolSpec(
        "delete_memory",
        "Delete a specific memory by ID",
        {"id": _memory_id("The ID of the memory to delete")},
        ("id",),
        delete_memory,
    ),
    ToolSpec(
        "search_memories",
        "Search memories by text and, optionally, category",
        {
            "category": _optional("Only memories in this category"),
            "query": _optional("Text the memory must contain"),
        },
        ("category", "query"),
        search_memories,
        read_only=True,
    ),
    ToolSpec(
        "update_memory",
        "Update the content (and optionally the category) of a memory",
        {
            "category": _optional("The new category"),
            "id": _memory_id("The ID of the memory to update"),
            "memory": {"type": "string", "description": "The new memory content"},
        },
        ("category", "id", "memory"),
        update_memory,
    ),
)
"""The memory tools, in the order cagent lists them."""
