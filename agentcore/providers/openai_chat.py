"""OpenAI Chat Completions, streamed; also Mistral, xAI, Nebius and custom OpenAI-compatible
endpoints, which speak the same format (``POST {base}/chat/completions``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx

from agentcore.config.parts.thinking import is_openai_reasoning
from agentcore.errors import ProviderError
from agentcore.messages import Message, ToolCall, ToolDefinition, Usage
from agentcore.providers.base import ModelTurn, Provider, TextDelta, iter_sse
from agentcore.providers.thinking import budget_for

__all__ = ["OpenAIChat", "chat_messages", "chat_tools"]

_FINISH = {
    "stop": "stop",
    "length": "length",
    "tool_calls": "tool_calls",
    "function_call": "tool_calls",
}


def chat_messages(messages: list[Message]) -> list[dict[str, Any]]:
    """The conversation in Chat Completions form (keys in cagent's order)."""
    result: list[dict[str, Any]] = []
    for message in messages:
        if message.role == "tool":
            result.append(
                {"content": message.content, "tool_call_id": message.tool_call_id, "role": "tool"}
            )
        elif message.role == "assistant" and message.tool_calls:
            item: dict[str, Any] = {}
            if message.content:
                item["content"] = message.content
            item["tool_calls"] = [
                {
                    "id": call.id,
                    "function": {"arguments": call.arguments, "name": call.name},
                    "type": "function",
                }
                for call in message.tool_calls
            ]
            item["role"] = "assistant"
            result.append(item)
        else:
            result.append({"content": message.content, "role": message.role})
    return result


def chat_tools(tools: list[ToolDefinition]) -> list[dict[str, Any]]:
    """Tool definitions in Chat Completions form."""
    return [
        {
            "function": {
                "name": tool.name,
                "description": tool.description,
                "parameters": tool.parameters,
            },
            "type": "function",
        }
        for tool in tools
    ]


class OpenAIChat(Provider):
    """``POST {base}/chat/completions`` with ``stream: true`` and usage in the stream."""

    def request(
        self, messages: list[Message], tools: list[ToolDefinition]
    ) -> tuple[str, dict[str, Any], dict[str, str]]:
        """The URL, JSON body and headers of the streaming call."""
        model = self.model
        body: dict[str, Any] = {"messages": chat_messages(messages), "model": model.model}
        for key in ("max_tokens", "temperature", "top_p", "frequency_penalty", "presence_penalty"):
            value = getattr(model, key)
            if value is not None:
                body[key] = value
        if model.parallel_tool_calls is not None and tools:
            body["parallel_tool_calls"] = model.parallel_tool_calls
        effort = budget_for(model, "openai", self.thinking)
        if isinstance(effort, str) and is_openai_reasoning(model.model):
            body["reasoning_effort"] = effort
        output = self.structured_output
        if output is not None:  # as openai-go writes ResponseFormatJSONSchemaParam
            body["response_format"] = {
                "json_schema": {
                    "name": output.name,
                    "description": output.description,
                    "schema": output.schema,
                    "strict": output.strict,
                },
                "type": "json_schema",
            }
        body["stream_options"] = {"include_usage": True}
        if tools:
            body["tools"] = chat_tools(tools)
        body["stream"] = True
        headers = {"authorization": f"Bearer {self.key}"} if self.key else {}
        return f"{self.base_url}/chat/completions", body, headers

    def read(self, response: httpx.Response) -> Iterator[TextDelta | ModelTurn]:
        """Text deltas as they stream, then the whole turn."""
        turn = ModelTurn()
        calls: list[ToolCall] = []
        by_index: dict[Any, ToolCall] = {}
        done = False
        for _, data in iter_sse(response.iter_lines()):
            if data.strip() == "[DONE]":
                done = True
                break
            chunk = json.loads(data)
            if "error" in chunk:
                error = chunk["error"]
                message = (
                    error.get("message", str(error)) if isinstance(error, dict) else str(error)
                )
                raise ProviderError(self.name, response.status_code, message)
            for choice in chunk.get("choices") or []:
                if choice.get("index", 0) != 0:
                    continue
                delta = choice.get("delta") or {}
                content = delta.get("content")
                if isinstance(content, list):  # Mistral's typed chunks
                    content = "".join(
                        part.get("text", "") for part in content if part.get("type") == "text"
                    )
                if content:
                    turn.text += content
                    yield TextDelta(content)
                for fragment in delta.get("tool_calls") or []:
                    self._add_fragment(fragment, calls, by_index)
                if choice.get("finish_reason"):
                    reason = choice["finish_reason"]
                    turn.finish_reason = _FINISH.get(reason, reason)
            usage = chunk.get("usage")
            if usage:
                turn.usage = Usage(
                    int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0)
                )
        if not done and not turn.finish_reason:
            raise self.unfinished()
        turn.tool_calls = calls
        if calls and turn.finish_reason in ("", "stop"):
            turn.finish_reason = turn.finish_reason or "tool_calls"
        yield turn

    @staticmethod
    def _add_fragment(
        fragment: dict[str, Any], calls: list[ToolCall], by_index: dict[Any, ToolCall]
    ) -> None:
        index = fragment.get("index", len(calls))
        call = by_index.get(index)
        new_id = fragment.get("id")
        if call is None or (new_id and call.id and new_id != call.id):
            # A new call; some servers give parallel calls the same index.
            call = ToolCall(id=new_id or "", name="")
            by_index[index] = call
            calls.append(call)
        if new_id:
            call.id = new_id
        function = fragment.get("function") or {}
        if function.get("name"):
            call.name = function["name"]
        arguments = function.get("arguments")
        if isinstance(arguments, str):
            call.arguments += arguments
        elif arguments is not None:  # Mistral may send the whole object
            call.arguments = json.dumps(arguments, separators=(",", ":"))
