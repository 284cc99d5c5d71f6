"""Anthropic Messages (``POST {base}/v1/messages``), streamed as typed events."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx

from agentcore.errors import ProviderError
from agentcore.messages import Message, ToolCall, ToolDefinition, Usage
from agentcore.providers.base import ModelTurn, Provider, TextDelta, iter_sse
from agentcore.providers.thinking import budget_for, interleaved

__all__ = ["DEFAULT_MAX_TOKENS", "Anthropic", "anthropic_messages"]

ANTHROPIC_VERSION = "2023-06-01"
DEFAULT_MAX_TOKENS = 8192
"""Anthropic requires ``max_tokens``; every current Claude model accepts 8192."""
_STOP = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "tool_use": "tool_calls",
}
_CACHE = {"type": "ephemeral"}
INTERLEAVED_BETAS = "interleaved-thinking-2025-05-14,fine-grained-tool-streaming-2025-05-14"
"""The beta header cagent sends with interleaved thinking."""
STRUCTURED_OUTPUTS_BETA = "structured-outputs-2025-11-13"
"""Added to the beta header with a ``structured_output`` (which goes through the beta API)."""


def _input(call: ToolCall) -> Any:
    try:
        return call.parsed_arguments()
    except ValueError:
        return {}


def anthropic_messages(messages: list[Message]) -> list[dict[str, Any]]:
    """User/assistant turns with content blocks; tool results become ``tool_result`` blocks
    of one user message, as the API requires.
    """
    result: list[dict[str, Any]] = []
    for message in messages:
        if message.role == "system":
            continue
        if message.role == "tool":
            block = {
                "type": "tool_result",
                "tool_use_id": message.tool_call_id,
                "content": message.content,
            }
            previous = result[-1] if result else None
            if previous and previous["role"] == "user" and previous.get("tool_results"):
                previous["content"].append(block)
            else:
                result.append({"content": [block], "role": "user", "tool_results": True})
            continue
        blocks: list[dict[str, Any]] = []
        thought = message.tool_calls[0].extra if message.tool_calls else {}
        if thought.get("signature"):  # the model's thinking goes back with its calls
            blocks.append(
                {
                    "signature": thought["signature"],
                    "thinking": thought.get("thinking", ""),
                    "type": "thinking",
                }
            )
        if message.content.strip():  # Anthropic refuses blank text blocks
            blocks.append({"text": message.content, "type": "text"})
        for call in message.tool_calls:
            blocks.append(
                {"type": "tool_use", "id": call.id, "name": call.name, "input": _input(call)}
            )
        result.append({"content": blocks, "role": message.role})
    for item in result:
        item.pop("tool_results", None)
    if result and result[-1]["content"]:
        # Cache the conversation so far, as cagent does (prompt caching).
        result[-1]["content"][-1] = {**result[-1]["content"][-1], "cache_control": _CACHE}
    return result


class Anthropic(Provider):
    """Streams ``message_start``, content blocks and ``message_delta`` events."""

    def request(
        self, messages: list[Message], tools: list[ToolDefinition]
    ) -> tuple[str, dict[str, Any], dict[str, str]]:
        """The URL, JSON body and headers of the streaming call."""
        model = self.model
        budget = budget_for(model, "anthropic", self.thinking)
        tokens = budget if isinstance(budget, int) else 0
        output = self.structured_output
        beta = interleaved(model, self.thinking) or output is not None
        max_tokens = model.max_tokens or DEFAULT_MAX_TOKENS
        if tokens >= max_tokens and model.max_tokens is None:
            max_tokens = tokens + DEFAULT_MAX_TOKENS  # cagent's room for the answer
        body: dict[str, Any] = {
            "max_tokens": max_tokens,
            "messages": anthropic_messages(messages),
            "model": model.model,
        }
        if output is not None:
            body["output_config"] = {"format": {"schema": output.schema, "type": "json_schema"}}
        system: list[dict[str, Any]] = [
            {"text": m.content, "type": "text"} for m in messages if m.role == "system"
        ]
        if system:
            system[-1]["cache_control"] = _CACHE
            body["system"] = system
        if 1024 <= tokens < max_tokens:
            body["thinking"] = {"budget_tokens": tokens, "type": "enabled"}
        for key in ("temperature", "top_p"):
            if getattr(model, key) is not None and "thinking" not in body and not beta:
                body[key] = getattr(model, key)
        body["tools"] = [
            {"name": tool.name, "description": tool.description, "input_schema": tool.parameters}
            for tool in tools
        ]
        body["stream"] = True
        headers = {"anthropic-version": ANTHROPIC_VERSION}
        if beta:
            headers["anthropic-beta"] = INTERLEAVED_BETAS
            if output is not None:
                headers["anthropic-beta"] += f",{STRUCTURED_OUTPUTS_BETA}"
        if self.key:
            headers["x-api-key"] = self.key
        return f"{self.base_url}/v1/messages{'?beta=true' if beta else ''}", body, headers

    def read(self, response: httpx.Response) -> Iterator[TextDelta | ModelTurn]:
        """Text deltas as they stream, then the whole turn."""
        turn = ModelTurn()
        blocks: dict[int, ToolCall] = {}  # the tool calls, by content block index
        thought = {"thinking": "", "signature": ""}
        finished = False
        input_tokens = output_tokens = 0
        for event, data in iter_sse(response.iter_lines()):
            document = json.loads(data)
            kind = document.get("type", event)
            if kind == "message_start":
                usage = (document.get("message") or {}).get("usage") or {}
                input_tokens = _input_tokens(usage)
                output_tokens = int(usage.get("output_tokens") or 0)
            elif kind in ("content_block_start", "content_block_delta"):
                text = (
                    _block_start(document, turn, blocks)
                    if kind == "content_block_start"
                    else _block_delta(document, blocks, thought)
                )
                if text:
                    turn.text += text
                    yield TextDelta(text)
            elif kind == "message_stop":
                finished = True
            elif kind == "message_delta":
                reason = (document.get("delta") or {}).get("stop_reason")
                if reason:
                    turn.finish_reason = _STOP.get(reason, reason)
                output_tokens = int(
                    (document.get("usage") or {}).get("output_tokens") or output_tokens
                )
            elif kind == "error":
                error = document.get("error") or {}
                raise ProviderError(
                    self.name, response.status_code, str(error.get("message", data))
                )
        if not finished and not turn.finish_reason:
            raise self.unfinished()
        if turn.tool_calls and thought["signature"]:
            turn.tool_calls[0].extra.update(thought)
        turn.usage = Usage(input_tokens, output_tokens)
        yield turn


def _input_tokens(usage: dict[str, Any]) -> int:
    """The input tokens of ``message_start``: those read from the prompt cache and those
    written to it count too.
    """
    return sum(
        int(usage.get(key) or 0)
        for key in ("input_tokens", "cache_read_input_tokens", "cache_creation_input_tokens")
    )


def _block_start(document: dict[str, Any], turn: ModelTurn, blocks: dict[int, ToolCall]) -> Any:
    """``content_block_start``: a tool call opens (and joins the turn), or text begins;
    returns the text to stream, if any.
    """
    block = document.get("content_block") or {}
    if block.get("type") == "tool_use":
        call = ToolCall(id=str(block.get("id", "")), name=str(block.get("name", "")))
        blocks[int(document.get("index", 0))] = call
        turn.tool_calls.append(call)
    elif block.get("type") == "text" and block.get("text"):
        return block["text"]
    return None


def _block_delta(
    document: dict[str, Any], blocks: dict[int, ToolCall], thought: dict[str, str]
) -> Any:
    """``content_block_delta``: more text (returned, to stream), a piece of the JSON
    arguments of an open tool call, or of the model's thinking and its signature.
    """
    delta = document.get("delta") or {}
    if delta.get("type") in ("thinking_delta", "signature_delta"):
        key = "thinking" if delta["type"] == "thinking_delta" else "signature"
        thought[key] += str(delta.get(key) or "")
        return None
    if delta.get("type") == "text_delta" and delta.get("text"):
        return delta["text"]
    if delta.get("type") == "input_json_delta":
        open_call = blocks.get(int(document.get("index", 0)))
        if open_call is not None:
            open_call.arguments += str(delta.get("partial_json") or "")
    return None
