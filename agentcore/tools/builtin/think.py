"""The ``think`` toolset: a scratchpad the model writes its reasoning to."""

from __future__ import annotations

from agentcore.tools.base import Arguments, ToolError, Toolset, ToolSpec, bind_tools

__all__ = ["think_toolset"]

THINK_INSTRUCTION = (
    "## Think Tool\n\n"
    "Use the think tool to reason step by step before acting: list what you know, what is "
    "missing, and what to do next. It changes nothing; it returns all your thoughts so far."
)


def think_toolset() -> Toolset:
    """The ``think`` tool; it returns ``Thoughts:`` followed by every thought so far."""
    thoughts: list[str] = []
    return Toolset("think", bind_tools(THINK_TOOLS, thoughts), THINK_INSTRUCTION)


def think(thoughts: list[str], args: Arguments) -> str:
    """Record ``thought``; every thought so far."""
    thought = args.get("thought")
    if not isinstance(thought, str) or not thought.strip():
        raise ToolError("'thought' must be text")
    thoughts.append(thought)
    return "Thoughts:\n" + "\n".join(thoughts)


THINK_TOOLS: tuple[ToolSpec[list[str]], ...] = (
    ToolSpec(
        "think",
        "Use the tool to think about something. It will not obtain new information or change "
        "anything; it just records the thought.",
        {"thought": {"description": "The thought to think about", "type": "string"}},
        ("thought",),
        think,
        read_only=True,
    ),
)
"""The think tool."""
