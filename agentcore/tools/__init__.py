"""Toolsets with cagent's tool names, parameters and output formats."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import httpx

from agentcore.config.model import ToolsetConfig
from agentcore.tools.base import Tool, ToolError, Toolset
from agentcore.tools.fetch import fetch_toolset
from agentcore.tools.filesystem import filesystem_toolset
from agentcore.tools.memory import memory_toolset
from agentcore.tools.shell import shell_toolset
from agentcore.tools.think import think_toolset
from agentcore.tools.todo import todo_toolset

__all__ = ["Tool", "ToolContext", "ToolError", "Toolset", "build_toolset"]

ORIGINAL = "{ORIGINAL_INSTRUCTIONS}"


@dataclass(frozen=True)
class ToolContext:
    """What tools may touch: the working directory, the environment, the HTTP client, the
    clock, and where the agent file lives (for the default memory database).
    """

    working_dir: Path
    env: Mapping[str, str]
    client: httpx.Client
    clock: Callable[[], datetime]
    config_path: Path


def _memory_path(config: ToolsetConfig, context: ToolContext) -> Path:
    given = config.options.get("path")
    if given:
        path = Path(str(given)).expanduser()
        return path if path.is_absolute() else context.working_dir / path
    return Path.home() / ".agentcore" / "memory" / context.config_path.stem / "memory.db"


def build_toolset(config: ToolsetConfig, context: ToolContext) -> Toolset:
    """The toolset ``config`` describes, filtered by ``tools:``, with its instruction."""
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
    else:  # the config loader refuses other types
        raise ValueError(f"unknown toolset type {kind!r}")
    if config.tools is not None:
        toolset.tools = [t for t in toolset.tools if t.name in config.tools]
    if config.instruction is not None:
        toolset.instruction = config.instruction.replace(ORIGINAL, toolset.instruction)
    return toolset
