"""What a conversation said, whatever the provider: the exchanges with the model, its
text, its tool calls and the tokens it counted (:mod:`.conversation`), read from each
provider's wire format (:mod:`.wire`), and the tool calls sent to MCP servers (:mod:`.mcp`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pytest_agentcassette._lazy import lazy_attributes

if TYPE_CHECKING:
    from pytest_agentcassette._conversation.conversation import (
        Conversation,
        Exchange,
        ToolCall,
        Usage,
    )
    from pytest_agentcassette._conversation.mcp import McpCall

__all__ = ["Conversation", "Exchange", "McpCall", "ToolCall", "Usage"]

# Imported on first use: reading a response's usage (:mod:`.wire`) needs none of them.
__getattr__ = lazy_attributes(
    __name__,
    {
        **dict.fromkeys(("Conversation", "Exchange", "ToolCall", "Usage"), "conversation"),
        "McpCall": "mcp",
    },
)
