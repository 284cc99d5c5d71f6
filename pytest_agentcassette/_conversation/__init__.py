"""What a conversation said, whatever the provider: the exchanges with the model, its
text, its tool calls and the tokens it counted (:mod:`.conversation`), read from each
provider's wire format (:mod:`.wire`), and the tool calls sent to MCP servers (:mod:`.mcp`).
"""

from pytest_agentcassette._conversation.conversation import Conversation, Exchange, ToolCall, Usage
from pytest_agentcassette._conversation.mcp import McpCall

__all__ = ["Conversation", "Exchange", "McpCall", "ToolCall", "Usage"]
