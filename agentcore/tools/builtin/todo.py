"""The ``todo`` toolset: a task list the agent keeps while it works.

The toolset's state is a :class:`TodoList`; each tool is a function of it and the call's
arguments, declared in :data:`TODO_TOOLS`.
"""

from __future__ import annotations

import functools
import threading
from typing import Any

from agentcore.tools.base import Arguments, ToolError, Toolset, ToolSpec, bind_tools

__all__ = ["todo_toolset"]

STATUSES = ("pending", "in-progress", "completed")
TODO_INSTRUCTION = (
    "## Todo Tools\n\n"
    "- Break multi-step work into todos with create_todo or create_todos\n"
    "- Mark each todo in-progress when you start it and completed when it is done\n"
    "- Use list_todos to see what remains"
)


def todo_toolset(*, shared: bool = False) -> Toolset:
    """``create_todo``, ``create_todos``, ``update_todos`` and ``list_todos``, on a list of
    their own, or (``shared``) on the one list of the process, which every agent with a
    ``shared: true`` todo toolset sees (cagent's ``NewSharedTodoTool``).
    """
    todos = shared_todo_list() if shared else TodoList()
    return Toolset("todo", bind_tools(TODO_TOOLS, todos), TODO_INSTRUCTION)


class TodoList:
    """The todos so far, by id (``todo_1``, ``todo_2``...), each a description and a status."""

    def __init__(self) -> None:
        self.todos: dict[str, dict[str, str]] = {}
        self.lock = threading.Lock()  # a shared list is used by sessions on other threads

    def add(self, description: Any) -> str:
        """Add a pending todo; the line that reports it."""
        if not isinstance(description, str) or not description.strip():
            raise ToolError("a todo needs a description")
        with self.lock:
            key = f"todo_{len(self.todos) + 1}"
            self.todos[key] = {"description": description, "status": "pending"}
        return f"Created todo [{key}]: {description}"

    def update(self, update: Any) -> str:
        """Set the status of the todo ``update`` names; the line that reports it."""
        key, status = (update or {}).get("id"), (update or {}).get("status")
        if key not in self.todos:
            raise ToolError(
                f"todo '{key}' does not exist; todos: {', '.join(self.todos) or 'none'}"
            )
        if status not in STATUSES:
            raise ToolError(f"status must be one of {', '.join(STATUSES)}, got {status!r}")
        self.todos[key]["status"] = status
        return f"Updated todo [{key}] to {status}"


@functools.cache
def shared_todo_list() -> TodoList:
    """The process's one shared todo list, made when first needed."""
    return TodoList()


def create_todo(todos: TodoList, args: Arguments) -> str:
    """Add one todo."""
    return todos.add(args.get("description"))


def create_todos(todos: TodoList, args: Arguments) -> str:
    """Add a todo per description, in order."""
    descriptions = args.get("descriptions") or []
    if not isinstance(descriptions, list) or not descriptions:
        raise ToolError("'descriptions' must be a non-empty list")
    return "\n".join(todos.add(description) for description in descriptions)


def update_todos(todos: TodoList, args: Arguments) -> str:
    """Apply each ``{id, status}`` update, in order."""
    lines = [todos.update(update) for update in args.get("updates") or []]
    if not lines:
        raise ToolError("'updates' must be a non-empty list of {id, status}")
    return "\n".join(lines)


def list_todos(todos: TodoList, args: Arguments) -> str:
    """Every todo with its status, or ``No todos``."""
    if not todos.todos:
        return "No todos"
    return "\n".join(
        f"[{key}] ({todo['status']}) {todo['description']}"
        for key, todo in dict(todos.todos).items()
    )


_UPDATES = {
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

TODO_TOOLS: tuple[ToolSpec[TodoList], ...] = (
    ToolSpec(
        "create_todo",
        "Create a new todo item with a description",
        {"description": {"description": "Description of the todo item", "type": "string"}},
        ("description",),
        create_todo,
        read_only=True,
    ),
    ToolSpec(
        "create_todos",
        "Create a list of new todo items with descriptions",
        {
            "descriptions": {
                "description": "Descriptions of the todo items",
                "items": {"type": "string"},
                "type": ["null", "array"],
            }
        },
        ("descriptions",),
        create_todos,
        read_only=True,
    ),
    ToolSpec(
        "update_todos",
        "Update the status of one or more todo items",
        {"updates": _UPDATES},
        ("updates",),
        update_todos,
        read_only=True,
    ),
    ToolSpec(
        "list_todos",
        "List all current todos with their status",
        {},
        (),
        list_todos,
        read_only=True,
    ),
)
"""The todo tools, in the order cagent lists them."""
