"""agentcore: run cagent-format YAML agents against LLM providers over httpx.

::

    import agentcore

    team = agentcore.load("agent.yaml")
    result = team.run("Explain containers", yolo=True)
    print(result.output)

The package holds no asserts for pytest to rewrite (PYTEST_DONT_REWRITE).
"""

import agentcore.events as events
from agentcore.config import Config, load_config
from agentcore.errors import (
    AgentcoreError,
    ConfigError,
    MissingAPIKeyError,
    ProviderError,
    ToolsetError,
)
from agentcore.messages import Message, ToolCall, ToolDefinition, Usage
from agentcore.runtime import Approve, Session
from agentcore.team import Result, Team, load

__all__ = [
    "AgentcoreError",
    "Approve",
    "Config",
    "ConfigError",
    "Message",
    "MissingAPIKeyError",
    "ProviderError",
    "Result",
    "Session",
    "Team",
    "ToolCall",
    "ToolDefinition",
    "ToolsetError",
    "Usage",
    "events",
    "load",
    "load_config",
]
