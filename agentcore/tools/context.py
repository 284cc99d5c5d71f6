"""What a team's tools may touch."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import httpx

from agentcore.mcp.servers import McpServers
from agentcore.tools.builtin.user_prompt import Ask

__all__ = ["ToolContext"]


@dataclass(frozen=True)
class ToolContext:
    """What tools may touch: the working directory, the environment, the HTTP client, the
    clock, where the agent file lives (for the default memory database), and the team's
    MCP servers (started on first need, stopped with the team); a session adds the agent
    whose tools these are and ``ask``, who answers its ``user_prompt`` questions.
    """

    working_dir: Path
    env: Mapping[str, str]
    client: httpx.Client
    clock: Callable[[], datetime]
    config_path: Path
    servers: McpServers = field(default_factory=McpServers)
    agent: str = ""
    ask: Ask | None = None
