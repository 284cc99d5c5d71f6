"""What a team's tools may touch."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import httpx

from agentcore.mcp.servers import McpServers

__all__ = ["ToolContext"]


@dataclass(frozen=True)
class ToolContext:
    """What tools may touch: the working directory, the environment, the HTTP client, the
    clock, where the agent file lives (for the default memory database), and the team's
    MCP servers (started on first need, stopped with the team).
    """

    working_dir: Path
    env: Mapping[str, str]
    client: httpx.Client
    clock: Callable[[], datetime]
    config_path: Path
    servers: McpServers = field(default_factory=McpServers)
