"""What a conversation said, whatever the provider: the exchanges with the model, its
text, its tool calls and the tokens it counted (:mod:`.conversation`), read from each
provider's wire format (:mod:`.wire`).
"""

from pytest_agentcassette._conversation.conversation import Conversation, Exchange, ToolCall, Usage

__all__ = ["Conversation", "Exchange", "ToolCall", "Usage"]
