"""What an MCP server answers, as plain data (the SDK's types stay inside
:mod:`agentcore.mcp.client`), and how it fails.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Listing", "ServerFailure", "ToolInfo", "ToolResult", "seconds"]


def seconds(value: float) -> str:
    """``1 second``, ``0.5 seconds``, ``30 seconds``."""
    return f"{value:g} second{'' if value == 1 else 's'}"


@dataclass(frozen=True)
class ToolInfo:
    """A tool the server offers: its name, description, input schema and whether its
    annotations say it only reads (``readOnlyHint``).
    """

    name: str
    description: str
    input_schema: dict[str, Any]
    read_only: bool = False


@dataclass(frozen=True)
class Listing:
    """A started server: its tools, and the instructions it gave when initialized."""

    tools: list[ToolInfo] = field(default_factory=list)
    instructions: str = ""


@dataclass(frozen=True)
class ToolResult:
    """A tool call's answer: its text as cagent makes it, and whether it is an error."""

    text: str
    is_error: bool = False


class ServerFailure(Exception):
    """What the server did wrong, worded to follow ``MCP server 'NAME'`` (``closed the
    connection before it answered 'initialize' (did it exit?)``); ``gone``: the server
    can answer nothing more.
    """

    def __init__(self, problem: str, *, gone: bool = False):
        super().__init__(problem)
        self.problem = problem
        self.gone = gone
