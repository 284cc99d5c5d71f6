"""What a tool is, and how toolsets are described to the model."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from agentcore.messages import ToolDefinition

__all__ = ["Tool", "ToolError", "Toolset", "object_schema"]


class ToolError(Exception):
    """A tool failed in a way the model should hear about: it becomes the tool result
    ``Error calling tool: <message>``, and the agent carries on.
    """


@dataclass(frozen=True)
class Tool:
    """A callable tool: its definition, and a handler from parsed arguments to text."""

    definition: ToolDefinition
    handler: Callable[[dict[str, Any]], str]

    @property
    def name(self) -> str:
        """The tool's name, as the model calls it."""
        return self.definition.name


@dataclass
class Toolset:
    """A toolset of an agent: its tools, and the system message that explains them."""

    type: str
    tools: list[Tool] = field(default_factory=list)
    instruction: str = ""


def object_schema(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    """A JSON schema object in the form cagent sends (keys sorted as Go's encoder sorts them)."""
    return {
        "additionalProperties": False,
        "properties": dict(sorted(properties.items())),
        "required": sorted(required),
        "type": "object",
    }


def tool(
    name: str,
    description: str,
    properties: dict[str, Any],
    required: list[str],
    handler: Callable[[dict[str, Any]], str],
    *,
    read_only: bool = False,
) -> Tool:
    """Shorthand to build a :class:`Tool`."""
    return Tool(
        ToolDefinition(name, description, object_schema(properties, required), read_only), handler
    )
