"""The OpenAI Responses API (``POST {base}/responses``), which cagent uses for gpt-4.1*,
o1/o3/o4*, gpt-5* and codex models, streamed as typed events.
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

__all__ = ["OpenAIResponses", "responses_input"]


def responses_input(messages: list[Message]) -> list[dict[str, Any]]:
    """The conversation as Responses input items (cagent's shapes)."""
    items: list[dict[str, Any]] = []
    for message in messages:
        if message.role == "system":
            content = [{"text": message.content, "type": "input_text"}]
            items.append({"content": content, "role": "system"})
        elif message.role == "tool":
            output = {"call_id": message.tool_call_id, "output": message.content}
            items.append({"type": "function_call_output", **output})
        elif message.role == "assistant":
            if message.content:
                items.append({"content": message.content, "role": "assistant"})
            for call in message.tool_calls:
                items.append(
                    {
                        "type": "function_call",
                        "call_id": call.id,
                        "name": call.name,
                        "arguments": call.arguments,
                    }
                )
        else:
            items.append({"content": message.content, "role": message.role})
    return items


class OpenAIResponses(Provider):
    """Streams ``response.*`` events: text deltas, function-call items, then completion."""

    def request(
        self, messages: list[Message], tools: list[ToolDefinition]
    ) -> tuple[str, dict[str, Any], dict[str, str]]:
        """The URL, JSON body and headers of the streaming call."""
        model = self.model
        body: dict[str, Any] = {"input": responses_input(messages), "model": model.model}
        if model.max_tokens is not None:
            body["max_output_tokens"] = model.max_tokens
        for key in ("temperature", "top_p"):
            if getattr(model, key) is not None:
                body[key] = getattr(model, key)
        if model.parallel_tool_calls is not None and tools:
            body["parallel_tool_calls"] = model.parallel_tool_calls
        effort = budget_for(model, "openai", self.thinking)
        if effort is not None and is_openai_reasoning(model.model):
            reasoning = {"effort": effort} if isinstance(effort, str) else {}
            body["reasoning"] = {**reasoning, "summary": "detailed"}
        body["stream"] = True
        output = self.structured_output
        if output is not None:
            body["text"] = {
                "format": {
                    "name": output.name,
                    "schema": output.schema,
                    "description": output.description,
                    "strict": output.strict,
                    "type": "json_schema",
                }
            }
        if tools:
            body["tools"] = [
                {
                    "type": "function",
                    "name": tool.name,
                    "description": tool.description,
                    "parameters": tool.parameters,
                }
                for tool in tools
            ]
        headers = {"authorization": f"Bearer {self.key}"} if self.key else {}
        return f"{self.base_url}/responses", body, headers

    def read(self, response: httpx.Response) -> Iterator[TextDelta | ModelTurn]:
        """Text deltas as they stream, then the whole turn."""
        turn = ModelTurn()
        finished = False
        arguments: dict[str, str] = {}  # streamed call arguments, by item id
        for event, data in iter_sse(response.iter_lines()):
            if data.strip() == "[DONE]":  # some compatible servers end like Chat Completions
                continue
            document = json.loads(data)
            kind = document.get("type", event)
            if kind == "response.output_text.delta":
                delta = str(document.get("delta", ""))
                turn.text += delta
                yield TextDelta(delta)
            elif kind == "response.output_item.done":
                item = document.get("item") or {}
                if item.get("type") == "function_call":
                    turn.tool_calls.append(_function_call(item, item.get("arguments", "")))
            elif kind == "response.function_call_arguments.delta":
                item_id = str(document.get("item_id", ""))
                arguments[item_id] = arguments.get(item_id, "") + str(document.get("delta", ""))
            elif kind in ("response.completed", "response.incomplete"):
                finished = True
                _complete(turn, document.get("response") or {}, arguments)
                if kind == "response.incomplete":
                    turn.finish_reason = "length"
            elif kind in ("error", "response.failed"):
                error = document.get("error") or (document.get("response") or {}).get("error") or {}
                message = (
                    error.get("message", json.dumps(document))
                    if isinstance(error, dict)
                    else str(error)
                )
                raise ProviderError(self.name, response.status_code, message)
        if not finished:
            raise self.unfinished()
        if not turn.finish_reason:
            turn.finish_reason = "tool_calls" if turn.tool_calls else "stop"
        yield turn


def _function_call(item: dict[str, Any], arguments: Any) -> ToolCall:
    """The tool call of a ``function_call`` output item, with these ``arguments``."""
    return ToolCall(
        id=str(item.get("call_id", "")),
        name=str(item.get("name", "")),
        arguments=str(arguments),
        extra={"item_id": item.get("id")},
    )


def _complete(turn: ModelTurn, final: dict[str, Any], arguments: dict[str, str]) -> None:
    """Complete ``turn`` from the final response: its calls, if they were not announced item
    by item (their arguments from the response, else as streamed), and the usage.
    """
    if not turn.tool_calls:
        for item in final.get("output") or []:
            if item.get("type") == "function_call":
                streamed = arguments.get(str(item.get("id")), "")
                turn.tool_calls.append(_function_call(item, item.get("arguments") or streamed))
    usage = final.get("usage") or {}
    if usage:
        turn.usage = Usage(
            int(usage.get("input_tokens") or 0), int(usage.get("output_tokens") or 0)
        )
