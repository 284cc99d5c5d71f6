"""Exceptions raised by agentcore.

Hierarchy::

    Exception
     └── AgentcoreError            base of everything below
          ├── ConfigError           the agent YAML is wrong: file, YAML path, line, choices
          ├── MissingAPIKeyError    a provider refused a request sent without its key
          ├── ProviderError         a provider answered with an error (status, its message)
          └── ToolsetError          a toolset could not start (an MCP server): where it is
                                    written, what went wrong, what the server said on stderr
"""

from __future__ import annotations

__all__ = ["AgentcoreError", "ConfigError", "MissingAPIKeyError", "ProviderError", "ToolsetError"]


class AgentcoreError(Exception):
    """Base class of agentcore's errors."""


class ConfigError(AgentcoreError):
    """An agent file that cannot be used; the message names the file, the place and the fix.

    ``path`` is the file, ``where`` the YAML path (``agents.root.toolsets[1].type``) and
    ``line`` the 1-based line, when known.
    """

    def __init__(self, message: str, *, path: str = "", where: str = "", line: int | None = None):
        super().__init__(message)
        self.path = path
        self.where = where
        self.line = line


class ProviderError(AgentcoreError):
    """The provider answered with an error; ``status`` and the provider's own ``message``."""

    def __init__(self, provider: str, status: int, message: str, *, url: str = ""):
        # status 0: no HTTP status applies (connection failed, or the stream broke off)
        where = f"API error {status}" if status and status != 200 else "API error"
        super().__init__(f"{provider} {where}: {message}")
        self.provider = provider
        self.status = status
        self.message = message
        self.url = url


class MissingAPIKeyError(AgentcoreError):
    """A request was sent without a key, because ``variable`` is not set, and was refused."""

    def __init__(self, provider: str, variable: str, status: int):
        super().__init__(
            f"{variable} is not set, and {provider} refused the request without it "
            f"(HTTP {status}). Set {variable} in the environment (or token_key in the model "
            f"config), or replay a recorded session instead."
        )
        self.provider = provider
        self.variable = variable
        self.status = status


class ToolsetError(AgentcoreError):
    """A toolset could not be started: an MCP server that does not start, exits, does not
    answer in time or answers with an error. The message begins with where the toolset is
    written (``agent.yaml, line 12 (at agents.root.toolsets[0])``), names the server and
    ends with the last lines it wrote to stderr; ``path``, ``where`` and ``line`` say the
    same as data.
    """

    def __init__(self, message: str, *, path: str = "", where: str = "", line: int | None = None):
        super().__init__(message)
        self.path = path
        self.where = where
        self.line = line
