"""Agent files in cagent's YAML format, loaded and checked strictly."""

from .loader import TOOLSET_TYPES, load_config
from .model import AgentConfig, Config, ModelConfig, ProviderConfig, ToolsetConfig

__all__ = [
    "TOOLSET_TYPES",
    "AgentConfig",
    "Config",
    "ModelConfig",
    "ProviderConfig",
    "ToolsetConfig",
    "load_config",
]
