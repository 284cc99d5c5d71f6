"""The ``think`` toolset: a scratchpad the model writes its reasoning to."""

from __future__ import annotations

from typing import Any

from .base import ToolError, Toolset, tool

__all__ = ["think_toolset"]

THINK_INSTRUCTION = (
    "## Think Tool\n\n"
    "Use the think tool to reason step by step before acting: list what you know, what is "
    "missing, and what to do next. It changes nothing; it returns all your thoughts so far."
)


def think_toolset() -> Toolset:
    """The ``think`` tool; it returns ``Thoughts:`` followed by every thought so far."""
    thoughts: list[str] = []

    def think(args: dict[str, Any]) -> str:
        thought = args.get("thought")
        if not isinstance(thought, str) or not thought.strip():
            raise ToolError("'thought' must be text")
        thoughts.append(thought)
        return "Thoughts:\n" + "\n".join(thoughts)

    properties = {"thought": {"description": "The thought to think about", "type": "string"}}
    description = (
        "Use the tool to think about something. It will not obtain new information or change "
        "anything; it just records the thought."
    )
    return Toolset(
        "think",
        [tool("think", description, properties, ["thought"], think, read_only=True)],
        THINK_INSTRUCTION,
    )
