"""A provider-neutral view of the exchanges in a cassette: what was asked, the text the model
answered, the tool calls it made and the tokens it counted.

Understands OpenAI Chat Completions (and the APIs that copy it: Mistral, xAI, Nebius...),
OpenAI Responses, Anthropic Messages and Gemini, streamed or not; and over WebSockets,
OpenAI's Realtime API and Gemini's Live API (each message the code sent, read with the
server's messages that followed it). The API is told by the
URL path, else by the shape of the response.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pytest_agentcassette._conversation.mcp import McpCall, is_jsonrpc, mcp_call, stream_answers
from pytest_agentcassette._conversation.shapes import parse_arguments
from pytest_agentcassette._conversation.wire import parse_response, request_prompt
from pytest_agentcassette._model import Interaction, RecordedRequest, RecordedResponse

__all__ = ["Conversation", "Exchange", "McpCall", "ToolCall", "Usage"]


@dataclass(frozen=True)
class ToolCall:
    """A tool call the model made: ``name``, ``arguments`` as data, and a normalized ``id``.

    ``id`` is ``tool-call-N``, numbered in the order the calls were made, so the same
    conversation gives equal tool calls whichever provider minted the IDs; the provider's
    own ID is ``raw_id`` (not compared).
    """

    name: str
    arguments: Any
    id: str
    raw_id: str | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Usage:
    """Tokens a provider counted for one response (or summed over several)."""

    input_tokens: int = 0
    output_tokens: int = 0
    total_tokens: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.input_tokens + other.input_tokens,
            self.output_tokens + other.output_tokens,
            self.total_tokens + other.total_tokens,
        )


@dataclass(frozen=True)
class Exchange:
    """One request to the model and its response, read as a conversation turn."""

    api: str
    """``openai-chat``, ``openai-responses``, ``anthropic``, ``gemini``, ``openai-realtime``,
    ``gemini-live``, ``mcp`` (a message to an MCP server) or ``unknown``."""
    request: RecordedRequest
    response: RecordedResponse
    text: str
    """The text the model answered (streamed deltas joined); for an MCP tool call, the text
    the server answered."""
    tool_calls: list[ToolCall]
    usage: Usage | None

    @property
    def prompt(self) -> str | None:
        """The last user message's text in the request, if there is one."""
        return request_prompt(_json_or_none(self.request))


def _json_or_none(request: RecordedRequest) -> Any:
    try:
        return request.json()
    except ValueError:
        return None


@dataclass(frozen=True)
class Conversation:
    """Exchanges in the order they happened, and the tool calls sent to MCP servers."""

    exchanges: list[Exchange]
    mcp_calls: list[McpCall] = field(default_factory=list)
    """The ``tools/call`` requests the code sent to MCP servers, with their answers."""

    @classmethod
    def of(cls, interactions: Iterable[Interaction]) -> Conversation:
        """Read ``interactions`` (typically a cassette's ``exchanges``) as a conversation."""
        numbering: dict[str, str] = {}
        count = 0
        exchanges, mcp_calls = [], []
        interactions = list(interactions)
        elsewhere = stream_answers(interactions)
        for interaction in interactions:
            if is_jsonrpc(interaction):  # a message to an MCP server, not to the model
                call = mcp_call(interaction, elsewhere)
                mcp_calls += [call] if call is not None else []
                text = call.result if call is not None else ""
                exchanges.append(
                    Exchange("mcp", interaction.request, interaction.response, text, [], None)
                )
                continue
            parsed = parse_response(interaction.request, interaction.response)
            calls = []
            for raw_id, name, arguments in parsed.tool_calls:
                if raw_id is None or raw_id not in numbering:
                    count += 1
                    normalized = f"tool-call-{count}"
                    if raw_id is not None:
                        numbering[raw_id] = normalized
                else:
                    normalized = numbering[raw_id]
                calls.append(ToolCall(name, parse_arguments(arguments), normalized, raw_id))
            usage = Usage(*parsed.usage) if parsed.usage is not None else None
            exchanges.append(
                Exchange(
                    parsed.api, interaction.request, interaction.response, parsed.text, calls, usage
                )
            )
        return cls(exchanges, mcp_calls)

    @property
    def tool_calls(self) -> list[ToolCall]:
        """Every tool call, in order."""
        return [call for exchange in self.exchanges for call in exchange.tool_calls]

    @property
    def usage(self) -> Usage:
        """Tokens over all exchanges that reported usage."""
        total = Usage()
        for exchange in self.exchanges:
            if exchange.usage is not None:
                total = total + exchange.usage
        return total
