"""The ``todo`` toolset: a task list the agent keeps while it works."""

from __future__ import annotations

from typing import Any

from .base import ToolError, Toolset, tool

__all__ = ["todo_toolset"]

STATUSES = ("pending", "in-progress", "completed")
TODO_INSTRUCTION = (
    "## Todo Tools\n\n"
    "- Break multi-step work into todos with create_todo or create_todos\n"
    "- Mark each todo in-progress when you start it and completed when it is done\n"
    "- Use list_todos to see what remains"
)


def todo_toolset() -> Toolset:
    """``create_todo``, ``create_todos``, ``update_todos`` and ``list_todos``."""
    todos: dict[str, dict[str, str]] = {}

    def add(description: Any) -> str:
        if not isinstance(description, str) or not description.strip():
            raise ToolError("a todo needs a description")
        key = f"todo_{len(todos) + 1}"
        todos[key] = {"description": description, "status": "pending"}
        return f"Created todo [{key}]: {description}"

    def create_todo(args: dict[str, Any]) -> str:
        return add(args.get("description"))

    def create_todos(args: dict[str, Any]) -> str:
        descriptions = args.get("descriptions") or []
        if not isinstance(descriptions, list) or not descriptions:
            raise ToolError("'descriptions' must be a non-empty list")
        return "\n".join(add(description) for description in descriptions)

    def update_todos(args: dict[str, Any]) -> str:
        lines = []
        for update in args.get("updates") or []:
            key, status = (update or {}).get("id"), (update or {}).get("status")
            if key not in todos:
                raise ToolError(f"todo '{key}' does not exist; todos: {', '.join(todos) or 'none'}")
            if status not in STATUSES:
                raise ToolError(f"status must be one of {', '.join(STATUSES)}, got {status!r}")
            todos[key]["status"] = status
            lines.append(f"Updated todo [{key}] to {status}")
        if not lines:
            raise ToolError("'updates' must be a non-empty list of {id, status}")
        return "\n".join(lines)

    def list_todos(args: dict[str, Any]) -> str:
        if not todos:
            return "No todos"
        return "\n".join(f"[{key}] ({t['status']}) {t['description']}" for key, t in todos.items())

    updates = {
        "description": "List of todo updates",
        "items": {
            "additionalProperties": False,
            "properties": {
                "id": {"description": "ID of the todo item", "type": "string"},
                "status": {
                    "description": "New status (pending, in-progress, completed)",
                    "type": "string",
                },
            },
            "required": ["id", "status"],
            "type": "object",
        },
        "type": ["null", "array"],
    }
    tools = [
        tool(
            "create_todo",
            "Create a new todo item with a description",
            {"description": {"description": "Description of the todo item", "type": "string"}},
            ["description"],
            create_todo,
            read_only=True,
        ),
        tool(
            "create_todos",
            "Create a list of new todo items with descriptions",
            {
                "descriptions": {
                    "description": "Descriptions of the todo items",
                    "items": {"type": "string"},
                    "type": ["null", "array"],
                }
            },
            ["descriptions"],
            create_todos,
            read_only=True,
        ),
        tool(
            "update_todos",
            "Update the status of one or more todo items",
            {"updates": updates},
            ["updates"],
            update_todos,
            read_only=True,
        ),
        tool(
            "list_todos",
            "List all current todos with their status",
            {},
            [],
            list_todos,
            read_only=True,
        ),
    ]
    return Toolset("todo", tools, TODO_INSTRUCTION)
