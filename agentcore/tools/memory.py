"""The ``memory`` toolset: facts the agent keeps between sessions, in a SQLite file."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from .base import ToolError, Toolset, tool

__all__ = ["memory_toolset"]

MEMORY_INSTRUCTION = (
    "## Memory Tools\n\n"
    "- Remember durable facts about the user and the project with add_memory\n"
    "- Look them up with get_memories or search_memories before asking again\n"
    "- Keep memories short; update or delete the ones that are no longer true"
)


def memory_toolset(path: Path, clock: Callable[[], datetime]) -> Toolset:
    """Memory tools over the SQLite database at ``path`` (created when missing)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    database = sqlite3.connect(str(path), check_same_thread=False)
    database.execute(
        "CREATE TABLE IF NOT EXISTS memories (id INTEGER PRIMARY KEY AUTOINCREMENT, "
        "created_at TEXT NOT NULL, memory TEXT NOT NULL, category TEXT NOT NULL DEFAULT '')"
    )
    database.commit()

    def rows(query: str, parameters: tuple[Any, ...] = ()) -> str:
        found = database.execute(query, parameters).fetchall()
        items = [{"id": r[0], "created_at": r[1], "memory": r[2], "category": r[3]} for r in found]
        return json.dumps(items, indent=2, ensure_ascii=False)

    def memory_id(args: dict[str, Any]) -> int:
        value = args.get("id")
        if isinstance(value, str) and value.isdigit():
            value = int(value)
        if not isinstance(value, int) or isinstance(value, bool):
            raise ToolError("'id' must be the number of a memory")
        if database.execute("SELECT 1 FROM memories WHERE id = ?", (value,)).fetchone() is None:
            raise ToolError(f"memory {value} does not exist")
        return value

    def add_memory(args: dict[str, Any]) -> str:
        text = args.get("memory")
        if not isinstance(text, str) or not text.strip():
            raise ToolError("'memory' must be text")
        cursor = database.execute(
            "INSERT INTO memories (created_at, memory, category) VALUES (?, ?, ?)",
            (clock().isoformat(timespec="seconds"), text, args.get("category") or ""),
        )
        database.commit()
        return f"Memory added with ID {cursor.lastrowid}"

    def get_memories(args: dict[str, Any]) -> str:
        return rows("SELECT id, created_at, memory, category FROM memories ORDER BY id")

    def search_memories(args: dict[str, Any]) -> str:
        query, category = args.get("query") or "", args.get("category") or ""
        return rows(
            "SELECT id, created_at, memory, category FROM memories "
            "WHERE memory LIKE ? AND (? = '' OR category = ?) ORDER BY id",
            (f"%{query}%", category, category),
        )

    def update_memory(args: dict[str, Any]) -> str:
        number = memory_id(args)
        text = args.get("memory")
        if not isinstance(text, str) or not text.strip():
            raise ToolError("'memory' must be text")
        database.execute(
            "UPDATE memories SET memory = ?, category = COALESCE(?, category) WHERE id = ?",
            (text, args.get("category"), number),
        )
        database.commit()
        return f"Memory {number} updated"

    def delete_memory(args: dict[str, Any]) -> str:
        number = memory_id(args)
        database.execute("DELETE FROM memories WHERE id = ?", (number,))
        database.commit()
        return f"Memory {number} deleted"

    text = {"type": "string"}
    optional = {"type": ["string", "null"]}
    tools = [
        tool(
            "add_memory",
            "Add a new memory to the database",
            {
                "category": {**optional, "description": "Optional category to group the memory"},
                "memory": {**text, "description": "The memory content to store"},
            },
            ["category", "memory"],
            add_memory,
        ),
        tool("get_memories", "Retrieve all stored memories", {}, [], get_memories, read_only=True),
        tool(
            "delete_memory",
            "Delete a specific memory by ID",
            {"id": {"description": "The ID of the memory to delete", "type": "integer"}},
            ["id"],
            delete_memory,
        ),
        tool(
            "search_memories",
            "Search memories by text and, optionally, category",
            {
                "category": {**optional, "description": "Only memories in this category"},
                "query": {**optional, "description": "Text the memory must contain"},
            },
            ["category", "query"],
            search_memories,
            read_only=True,
        ),
        tool(
            "update_memory",
            "Update the content (and optionally the category) of a memory",
            {
                "category": {**optional, "description": "The new category"},
                "id": {"description": "The ID of the memory to update", "type": "integer"},
                "memory": {**text, "description": "The new memory content"},
            },
            ["category", "id", "memory"],
            update_memory,
        ),
    ]
    return Toolset("memory", tools, MEMORY_INSTRUCTION)
