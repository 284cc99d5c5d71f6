"""The provider-neutral conversation: messages, tool calls, tool definitions, usage.

Each provider converts these to and from its own wire format; provider-specific details
that must travel back to the same provider (a Gemini ``thoughtSignature``, a Responses item
id) ride in ``extra``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Message", "ToolCall", "ToolDefinition", "Usage"]


@dataclass
class ToolCall:
    """A call the model asked for: ``arguments`` is the JSON text as the model wrote it."""

    id: str
    name: str
    arguments: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def parsed_arguments(self) -> Any:
        """The arguments as data (``{}`` when empty); raises ``ValueError`` if not JSON."""
        return json.loads(self.arguments) if self.arguments.strip() else {}


@dataclass
class Message:
    """One conversation item: ``system``, ``user``, ``assistant`` or ``tool`` (a tool result)."""

    role: str
    content: str = ""
    tool_calls: list[ToolCall] = field(default_factory=list)
    tool_call_id: str | None = None
    name: str | None = None
    """For a tool result, the tool's name (Gemini answers calls by name)."""
    agent: str | None = None
    """For an assistant message, the agent that wrote it."""


@dataclass(frozen=True)
class ToolDefinition:
    """A tool as the model sees it: name, description and a JSON schema of its arguments."""

    name: str
    description: str
    parameters: dict[str, Any]
    read_only: bool = False


@dataclass(frozen=True)
class Usage:
    """Tokens a provider counted for one model call."""

    input_tokens: int = 0
    output_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        """Input plus output tokens."""
        return self.input_tokens + self.output_tokens
