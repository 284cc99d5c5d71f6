"""Toolsets with cagent's tool names, parameters and output formats."""

from __future__ import annotations

from pathlib import Path

from agentcore.config.model import ToolsetConfig
from agentcore.mcp.toolset import mcp_toolset
from agentcore.tools.base import Tool, ToolError, ToolFailed, Toolset
from agentcore.tools.context import ToolContext
from agentcore.tools.fetch import fetch_toolset
from agentcore.tools.filesystem import filesystem_toolset
from agentcore.tools.memory import memory_toolset
from agentcore.tools.shell import shell_toolset
from agentcore.tools.think import think_toolset
from agentcore.tools.todo import todo_toolset

__all__ = ["Tool", "ToolContext", "ToolError", "ToolFailed", "Toolset", "build_toolset"]

ORIGINAL = "{ORIGINAL_INSTRUCTIONS}"


def _memory_path(config: ToolsetConfig, context: ToolContext) -> Path:
    given = config.options.get("path")
    if given:
        path = Path(str(given)).expanduser()
        return path if path.is_absolute() else context.working_dir / path
    return Path.home() / ".agentcore" / "memory" / context.config_path.stem / "memory.db"


def build_toolset(config: ToolsetConfig, context: ToolContext) -> Toolset:
    """The toolset ``config`` describes, filtered by ``tools:``, with its instruction (an
    MCP toolset's server starts now, if it is not running yet).
    """
    kind = config.type
    if kind == "filesystem":
        toolset = filesystem_toolset(context.working_dir, config.options)
    elif kind == "shell":
        toolset = shell_toolset(context.working_dir, config.options, context.env)
    elif kind == "think":
        toolset = think_toolset()
    elif kind == "todo":
        toolset = todo_toolset()
    elif kind == "memory":
        toolset = memory_toolset(_memory_path(config, context), context.clock)
    elif kind == "fetch":
        toolset = fetch_toolset(context.client, config.options)
    elif kind == "mcp":
        toolset = mcp_toolset(config, context)
    else:  # the config loader refuses other types
        raise ValueError(f"unknown toolset type {kind!r}")
    if config.tools is not None:
        toolset.tools = [t for t in toolset.tools if t.name in config.tools]
    if config.instruction is not None:
        toolset.instruction = config.instruction.replace(ORIGINAL, toolset.instruction)
    return toolset
