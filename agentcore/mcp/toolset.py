"""A ``type: mcp`` toolset: the tools of its server as agentcore tools.

Each tool keeps the server's name (after the toolset's ``name_`` prefix, if it has a
``name``), description and input schema; a tool whose annotations say ``readOnlyHint``
runs without approval, as cagent's read-only tools do. A call drops arguments the model
set to null (cagent does: servers may refuse them), and its result is the text cagent
makes of the server's content: the result of an ``isError`` answer reaches the model as
written, flagged as an error; a server that fails to answer gives a tool error naming the
toolset and the server, and the run goes on. The toolset's instruction is what the
server's ``initialize`` answer says (``instructions``).
"""

from __future__ import annotations

import copy
import functools
from typing import Any

from agentcore.config.model import ToolsetConfig
from agentcore.mcp.answers import ToolInfo
from agentcore.mcp.connection import Connection
from agentcore.messages import ToolDefinition
from agentcore.tools.base import Arguments, Tool, ToolFailed, Toolset
from agentcore.tools.context import ToolContext

__all__ = ["mcp_toolset"]


def _call(connection: Connection, name: str, arguments: Arguments) -> str:
    kept: dict[str, Any] = {key: value for key, value in arguments.items() if value is not None}
    result = connection.call(name, kept)
    if result.is_error:
        raise ToolFailed(result.text)
    return result.text


def _tool(connection: Connection, info: ToolInfo, prefix: str) -> Tool:
    schema = copy.deepcopy(info.input_schema)
    definition = ToolDefinition(prefix + info.name, info.description, schema, info.read_only)
    return Tool(definition, functools.partial(_call, connection, info.name), limits_output=False)


def mcp_toolset(config: ToolsetConfig, context: ToolContext) -> Toolset:
    """The toolset of ``config``'s server, which starts now if it is not running (a
    :class:`~agentcore.errors.ToolsetError` if it does not).
    """
    connection = context.servers.connection(config, context.env, context.working_dir)
    listing = connection.start()
    prefix = f"{config.mcp.name}_" if config.mcp is not None and config.mcp.name else ""
    tools = [_tool(connection, info, prefix) for info in listing.tools]
    return Toolset("mcp", tools, listing.instructions)
