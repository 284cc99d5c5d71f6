"""The MCP servers of a team: each started when its tools are first needed, shared by the
team's sessions, and stopped when the team closes (or, for a team nobody closed, when the
interpreter exits).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from pathlib import Path

from agentcore.config.model import ToolsetConfig
from agentcore.mcp.connection import Connection, Timeouts

__all__ = ["McpServers", "Timeouts"]


class McpServers:
    """One :class:`Connection` per ``type: mcp`` toolset of a team (two agents that use
    the same server each have their own, as in cagent); ``timeouts`` bound each of them.
    """

    def __init__(self, timeouts: Timeouts | None = None):
        self.timeouts = timeouts or Timeouts()
        self._connections: dict[int, tuple[ToolsetConfig, Connection]] = {}
        self._lock = threading.Lock()

    def connection(
        self, config: ToolsetConfig, env: Mapping[str, str], working_dir: Path
    ) -> Connection:
        """The connection of toolset ``config`` (made, not started, the first time)."""
        with self._lock:
            found = self._connections.get(id(config))
            if found is None or found[0] is not config:
                found = (config, Connection(config, env, working_dir, self.timeouts))
                self._connections[id(config)] = found
            return found[1]

    def close(self) -> None:
        """Stop every server that runs, and wait until each has stopped."""
        with self._lock:
            connections = [connection for _, connection in self._connections.values()]
            self._connections.clear()
        for connection in connections:
            connection.close()
