"""Checking an agent's ``toolsets``: the type, the ``tools:`` filter against the type's
tool names, and each type's own options with their types (``mcp`` toolsets: config/mcp.py).
"""

from __future__ import annotations

from typing import Any

import yaml

from agentcore.config.mcp import MCP_KEYS, McpDefinition, mcp_toolset
from agentcore.config.model import ToolsetConfig
from agentcore.config.nodes import (
    Document,
    check_keys,
    free_mapping,
    mapping,
    name_list,
    suggest,
    text,
    typed,
)
from agentcore.tools.names import TOOL_NAMES

__all__ = ["TOOLSET_TYPES", "toolset"]

TOOLSET_COMMON = ("type", "tools", "instruction")
TOOLSET_NOT_SUPPORTED_KEYS = ("toon", "model", "defer")
TOOLSET_TYPES: dict[str, tuple[str, ...]] = {
    "filesystem": ("ignore_vcs",),
    "shell": ("env",),
    "think": (),
    "todo": ("shared",),
    "memory": ("path",),
    "fetch": ("timeout",),
    "mcp": tuple(key for key in MCP_KEYS if key not in TOOLSET_COMMON),
}
"""The toolset types agentcore implements, with the options each takes besides the common ones."""
TOOLSET_NOT_SUPPORTED = (
    "tasks",
    "script",
    "api",
    "a2a",
    "lsp",
    "user_prompt",
    "openapi",
    "model_picker",
    "background_agents",
)


def toolset(
    doc: Document,
    node: yaml.Node,
    where: str,
    definitions: dict[str, McpDefinition] | None = None,
) -> ToolsetConfig:
    """One entry of an agent's ``toolsets``, checked (``definitions``: the file's ``mcps:``)."""
    entries = mapping(doc, node, where)
    given = [name for name, _, _ in entries]
    if "type" not in given:
        raise doc.error(node, where, f"missing 'type'; valid types: {', '.join(TOOLSET_TYPES)}")
    type_node = next(value for name, _, value in entries if name == "type")
    kind = text(doc, type_node, f"{where}.type")
    if kind in TOOLSET_NOT_SUPPORTED:
        raise doc.error(
            type_node, f"{where}.type", f"toolset type '{kind}' is not supported yet by agentcore"
        )
    if kind not in TOOLSET_TYPES:
        raise doc.error(
            type_node,
            f"{where}.type",
            f"unknown toolset type '{kind}'; valid types: {', '.join(TOOLSET_TYPES)}."
            f"{suggest(kind, tuple(TOOLSET_TYPES))}",
        )
    if kind == "mcp":
        return mcp_toolset(doc, node, entries, where, definitions or {})
    keys = check_keys(
        doc, entries, where, (*TOOLSET_COMMON, *TOOLSET_TYPES[kind]), TOOLSET_NOT_SUPPORTED_KEYS
    )
    tools = None
    if "tools" in keys:
        listed = name_list(doc, keys["tools"], f"{where}.tools")
        valid = TOOL_NAMES[kind]
        for index, (tool_name, item) in enumerate(listed):
            if tool_name not in valid:
                raise doc.error(
                    item,
                    f"{where}.tools[{index}]",
                    f"unknown tool '{tool_name}' for toolset type {kind}; its tools: "
                    f"{', '.join(valid)}.{suggest(tool_name, valid)}",
                )
        tools = tuple(name for name, _ in listed)
    instruction = (
        text(doc, keys["instruction"], f"{where}.instruction") if "instruction" in keys else None
    )
    options = {
        key: _option(doc, key, value, f"{where}.{key}")
        for key, value in keys.items()
        if key not in TOOLSET_COMMON
    }
    return ToolsetConfig(kind, tools, instruction, options)


def _option(doc: Document, key: str, node: yaml.Node, where: str) -> Any:
    """A toolset's own option, checked for its type."""
    if key in ("ignore_vcs", "shared"):
        return typed(doc, node, where, bool, "true or false")
    if key == "path":
        return text(doc, node, where)
    if key == "timeout":
        seconds = typed(doc, node, where, float, "a number of seconds")
        if not 0 < seconds <= 300:
            raise doc.error(node, where, "must be between 1 and 300 seconds")
        return seconds
    # env: NAME: value
    variables = free_mapping(doc, node, where)
    for name, value in variables.items():
        if isinstance(value, (dict, list)) or value is None:
            raise doc.error(node, f"{where}.{name}", "an environment variable needs a text value")
    return {str(name): str(value) for name, value in variables.items()}
