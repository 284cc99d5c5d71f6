"""Deferred tools (a toolset's ``defer:``), as cagent's ``deferred.go`` offers them: the
model is not shown them at first, but ``search_tool`` finds them by name or description
and ``add_tool`` makes one available from the next model call on.

``defer: true`` defers every tool of its toolset (whose instruction is then left out, as
cagent leaves the toolset out); ``defer: [names]`` only those.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from agentcore.config.model import ToolsetConfig
from agentcore.tools.base import (
    Arguments,
    Tool,
    ToolFailed,
    Toolset,
    ToolSpec,
    bind_tools,
    go_json,
)

__all__ = ["defer_tools"]

DEFERRED_INSTRUCTION = """## Deferred Tools

Use search_tool to discover additional tools by keyword (e.g., "remote", "read", "write"). \
Use add_tool to activate a discovered tool."""


class Deferred:
    """The deferred tools by name (in the order their toolsets list them) and the toolset
    that offers the ones activated so far.
    """

    def __init__(self) -> None:
        self.pending: dict[str, Tool] = {}
        self.toolset = Toolset("deferred", instruction=DEFERRED_INSTRUCTION)


def defer_tools(configs: Sequence[ToolsetConfig], toolsets: list[Toolset]) -> list[Toolset]:
    """``toolsets`` (built from ``configs``) without their deferred tools, plus the toolset
    of ``search_tool`` and ``add_tool`` when any toolset defers some.
    """
    deferred = Deferred()
    sources = 0
    for config, toolset in zip(configs, toolsets, strict=True):
        chosen: Any = config.options.get("defer")
        if not chosen:
            continue
        sources += 1
        names = {t.name for t in toolset.tools} if chosen is True else set(chosen)
        for tool in toolset.tools:
            if tool.name in names:
                deferred.pending.setdefault(tool.name, tool)
        toolset.tools = [t for t in toolset.tools if t.name not in names]
        if chosen is True:
            toolset.instruction = ""
    if not sources:
        return toolsets
    deferred.toolset.tools = bind_tools(DEFERRED_TOOLS, deferred)
    return [*toolsets, deferred.toolset]


def search_tool(deferred: Deferred, args: Arguments) -> str:
    """The deferred tools whose name or description contains ``query`` (any case), as JSON."""
    query = str(args.get("query") or "")
    found = [
        {"name": name, "description": tool.definition.description}
        for name, tool in deferred.pending.items()
        if query.lower() in name.lower() or query.lower() in tool.definition.description.lower()
    ]
    if not found:
        raise ToolFailed(f"No deferred tools found matching '{query}'")
    return f"Found {len(found)} deferred tool(s):\n{_ordered_json(found)}"


def _ordered_json(found: list[dict[str, str]]) -> str:
    """``[{"name":...,"description":...}]`` with the keys in that order, as Go writes a struct."""
    return (
        "["
        + ",".join(
            '{"name":' + go_json(r["name"]) + ',"description":' + go_json(r["description"]) + "}"
            for r in found
        )
        + "]"
    )


def add_tool(deferred: Deferred, args: Arguments) -> str:
    """Make the deferred tool ``name`` available to the model."""
    name = str(args.get("name") or "")
    if any(tool.name == name for tool in deferred.toolset.tools[len(DEFERRED_TOOLS) :]):
        return f"Tool '{name}' is already active"
    tool = deferred.pending.pop(name, None)
    if tool is None:
        raise ToolFailed(f"Tool '{name}' not found.")
    deferred.toolset.tools.append(tool)
    return (
        f"Tool '{name}' has been activated and is now available for use.\n\n"
        f"Description: {tool.definition.description}"
    )


DEFERRED_TOOLS: tuple[ToolSpec[Deferred], ...] = (
    ToolSpec(
        "search_tool",
        "Search for available deferred tools by name or description. Use this to discover "
        "tools that can be activated.",
        {
            "query": {
                "description": "Search query to find tools by name or description "
                "(case-insensitive)",
                "type": "string",
            }
        },
        ("query",),
        search_tool,
        read_only=True,
    ),
    ToolSpec(
        "add_tool",
        "Activate a deferred tool by name, making it available for use. Use search_tool "
        "first to find available tools.",
        {"name": {"description": "The name of the tool to activate", "type": "string"}},
        ("name",),
        add_tool,
        read_only=True,
    ),
)
"""search_tool and add_tool, in cagent's order."""
