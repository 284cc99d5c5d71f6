"""Agent files in cagent's YAML format, loaded and checked strictly."""

from agentcore.config.loader import load_config
from agentcore.config.model import (
    AgentConfig,
    Config,
    McpServerConfig,
    ModelConfig,
    Place,
    ProviderConfig,
    RemoteServer,
    ToolsetConfig,
)
from agentcore.config.toolsets import TOOLSET_TYPES

__all__ = [
    "TOOLSET_TYPES",
    "AgentConfig",
    "Config",
    "McpServerConfig",
    "ModelConfig",
    "Place",
    "ProviderConfig",
    "RemoteServer",
    "ToolsetConfig",
    "load_config",
]
