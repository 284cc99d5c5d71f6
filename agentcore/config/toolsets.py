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
from agentcore.config.parts.api import read_api_config
from agentcore.config.parts.script import post_edits, script_commands
from agentcore.tools.names import TOOL_NAMES

__all__ = ["TOOLSET_TYPES", "toolset"]

TOOLSET_COMMON = ("type", "tools", "instruction")
TOOLSET_NOT_SUPPORTED_KEYS = ("toon", "sandbox")  # sandbox: versions 3 to 5 only
TOOLSET_MODEL = "model"  # every type but mcp: the model of the turn after its results
TOOLSET_DEFER = "defer"  # every type but mcp: true, or the names of the tools to defer
TOOLSET_TYPES: dict[str, tuple[str, ...]] = {
    "filesystem": ("ignore_vcs", "post_edit"),
    "shell": ("env",),
    "think": (),
    "todo": ("shared",),
    "memory": ("path",),
    "fetch": ("timeout",),
    "script": ("shell", "env"),
    "user_prompt": (),
    "model_picker": ("models",),
    "api": ("api_config",),
    "mcp": tuple(key for key in MCP_KEYS if key not in TOOLSET_COMMON),
}
"""The toolset types agentcore implements, with the options each takes besides the common ones."""
TOOLSET_NOT_SUPPORTED = (
    "tasks",
    "a2a",
    "lsp",
    "openapi",
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
        doc,
        entries,
        where,
        (*TOOLSET_COMMON, *TOOLSET_TYPES[kind], TOOLSET_DEFER, TOOLSET_MODEL),
        TOOLSET_NOT_SUPPORTED_KEYS,
    )
    if kind in _REQUIRED and _REQUIRED[kind][0] not in keys:
        raise doc.error(node, where, f"missing '{_REQUIRED[kind][0]}' ({_REQUIRED[kind][1]})")
    options = {
        key: _option(doc, key, value, f"{where}.{key}")
        for key, value in keys.items()
        if key not in (*TOOLSET_COMMON, TOOLSET_DEFER, TOOLSET_MODEL)
    }
    valid = _valid_names(kind, options)
    tools = (
        _tool_names(doc, keys["tools"], f"{where}.tools", kind, valid) if "tools" in keys else None
    )
    if TOOLSET_DEFER in keys:
        node = keys[TOOLSET_DEFER]
        at = f"{where}.{TOOLSET_DEFER}"
        options[TOOLSET_DEFER] = (
            typed(doc, node, at, bool, "true, or a list of tool names")
            if isinstance(node, yaml.ScalarNode)
            else _tool_names(doc, node, at, kind, valid)
        )
    instruction = (
        text(doc, keys["instruction"], f"{where}.instruction") if "instruction" in keys else None
    )
    model = None
    if TOOLSET_MODEL in keys:
        model = text(doc, keys[TOOLSET_MODEL], f"{where}.{TOOLSET_MODEL}")
    return ToolsetConfig(kind, tools, instruction, options, model=model)


_REQUIRED = {
    "script": ("shell", "the script's tools: name: {cmd: ...}"),
    "api": ("api_config", "the tool: name, endpoint, method..."),
    "model_picker": ("models", "the models the agent may switch to"),
}


def _valid_names(kind: str, options: dict[str, Any]) -> tuple[str, ...]:
    """The tool names a toolset of type ``kind`` has (``tools:`` and ``defer:`` pick some)."""
    if kind == "script":
        return tuple(options["shell"])
    if kind == "api":
        return (options["api_config"].name,)
    return TOOL_NAMES[kind]


def _tool_names(
    doc: Document, node: yaml.Node, where: str, kind: str, valid: tuple[str, ...]
) -> tuple[str, ...]:
    """A list of the toolset's tool names (``tools:``, ``defer:``), each checked."""
    listed = name_list(doc, node, where)
    for index, (tool_name, item) in enumerate(listed):
        if tool_name not in valid:
            raise doc.error(
                item,
                f"{where}[{index}]",
                f"unknown tool '{tool_name}' for toolset type {kind}; its tools: "
                f"{', '.join(valid)}.{suggest(tool_name, valid)}",
            )
    return tuple(name for name, _ in listed)


def _option(doc: Document, key: str, node: yaml.Node, where: str) -> Any:
    """A toolset's own option, checked for its type."""
    if key in ("ignore_vcs", "shared"):
        return typed(doc, node, where, bool, "true or false")
    if key == "path":
        return text(doc, node, where)
    if key == "shell":
        return script_commands(doc, node, where)
    if key == "post_edit":
        return post_edits(doc, node, where)
    if key == "api_config":
        return read_api_config(doc, node, where)
    if key == "models":
        models = tuple(name for name, _ in name_list(doc, node, where))
        if not models:
            raise doc.error(node, where, "list at least one model to switch to")
        return models
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
