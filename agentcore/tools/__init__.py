"""Toolsets with cagent's tool names, parameters and output formats."""

from __future__ import annotations

from pathlib import Path

from agentcore.config.model import ToolsetConfig
from agentcore.mcp.toolset import mcp_toolset
from agentcore.tools.base import Tool, ToolError, ToolFailed, Toolset
from agentcore.tools.builtin.api import api_toolset
from agentcore.tools.builtin.fetch import fetch_toolset
from agentcore.tools.builtin.filesystem import filesystem_toolset
from agentcore.tools.builtin.memory import memory_toolset
from agentcore.tools.builtin.model_picker import model_picker_toolset
from agentcore.tools.builtin.script import script_toolset
from agentcore.tools.builtin.shell import shell_toolset
from agentcore.tools.builtin.think import think_toolset
from agentcore.tools.builtin.todo import todo_toolset
from agentcore.tools.builtin.user_prompt import user_prompt_toolset
from agentcore.tools.context import ToolContext

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
        toolset = todo_toolset(shared=bool(config.options.get("shared")))
    elif kind == "memory":
        toolset = memory_toolset(_memory_path(config, context), context.clock)
    elif kind == "fetch":
        toolset = fetch_toolset(context.client, config.options)
    elif kind == "script":
        toolset = script_toolset(context.working_dir, config.options, context.env)
    elif kind == "user_prompt":
        toolset = user_prompt_toolset(context.agent, context.ask)
    elif kind == "model_picker":
        toolset = model_picker_toolset(tuple(config.options["models"]))
    elif kind == "api":
        toolset = api_toolset(config.options["api_config"], context.client, context.env)
    elif kind == "mcp":
        toolset = mcp_toolset(config, context)
    else:  # the config loader refuses other types
        raise ValueError(f"unknown toolset type {kind!r}")
    if config.tools is not None:
        toolset.tools = [t for t in toolset.tools if t.name in config.tools]
    if config.instruction is not None:
        toolset.instruction = config.instruction.replace(ORIGINAL, toolset.instruction)
    return toolset
