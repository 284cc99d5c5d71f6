"""Google Gemini (Developer API): ``POST {base}v1beta/models/<model>:streamGenerateContent
?alt=sse``, the path cagent uses, with the key in ``x-goog-api-key``.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import httpx

from agentcore.config.parts.thinking import is_gemini3
from agentcore.errors import ProviderError
from agentcore.messages import Message, ToolCall, ToolDefinition, Usage
from agentcore.providers.base import ModelTurn, Provider, TextDelta, iter_sse
from agentcore.providers.thinking import budget_for

__all__ = ["Gemini", "gemini_contents", "gemini_schema"]

_FINISH = {"STOP": "stop", "MAX_TOKENS": "length"}
_SCHEMA_KEYS = (
    "type",
    "format",
    "description",
    "nullable",
    "enum",
    "properties",
    "required",
    "items",
)


def gemini_schema(schema: Any) -> Any:
    """A JSON schema in the OpenAPI subset Gemini accepts: no ``additionalProperties``, and
    ``type: ["null", "array"]`` written as ``type: array, nullable: true``.
    """
    if not isinstance(schema, dict):
        return schema
    result: dict[str, Any] = {}
    for key, value in schema.items():
        if key not in _SCHEMA_KEYS:
            continue
        if key == "type" and isinstance(value, list):
            kinds = [kind for kind in value if kind != "null"]
            result["type"] = kinds[0] if kinds else "string"
            if "null" in value:
                result["nullable"] = True
        elif key == "properties" and isinstance(value, dict):
            result[key] = {name: gemini_schema(item) for name, item in value.items()}
        elif key == "items":
            result[key] = gemini_schema(value)
        else:
            result[key] = value
    return result


def _args(call: ToolCall) -> Any:
    try:
        return call.parsed_arguments()
    except ValueError:
        return {}


def gemini_contents(messages: list[Message]) -> list[dict[str, Any]]:
    """User and model turns; tool results become ``functionResponse`` parts of one turn."""
    contents: list[dict[str, Any]] = []
    provider_ids = {
        call.id: call.extra["provider_id"]
        for message in messages
        for call in message.tool_calls
        if call.extra.get("provider_id")
    }
    for message in messages:
        if message.role == "system":
            continue
        if message.role == "tool":
            part: dict[str, Any] = {
                "functionResponse": {
                    "name": message.name or "",
                    "response": {"output": message.content},
                }
            }
            if message.tool_call_id in provider_ids:  # answer the call the model numbered
                part["functionResponse"]["id"] = provider_ids[message.tool_call_id]
            previous = contents[-1] if contents else None
            if previous and previous.get("function_responses"):
                previous["parts"].append(part)
            else:
                contents.append({"parts": [part], "role": "user", "function_responses": True})
            continue
        parts: list[dict[str, Any]] = []
        if message.content:
            parts.append({"text": message.content})
        for call in message.tool_calls:
            function_call: dict[str, Any] = {"name": call.name, "args": _args(call)}
            if call.extra.get("provider_id"):
                function_call["id"] = call.extra["provider_id"]
            part = {"functionCall": function_call}
            if call.extra.get("thought_signature"):
                part["thoughtSignature"] = call.extra["thought_signature"]
            parts.append(part)
        contents.append(
            {"parts": parts, "role": "model" if message.role == "assistant" else "user"}
        )
    for content in contents:
        content.pop("function_responses", None)
    return contents


def _thinking_config(model: str, thinking: bool, budget: int | str | None) -> dict[str, Any] | None:
    """``thinkingConfig`` as cagent sends it: off (budget 0, or level LOW on Gemini 3, which
    cannot stop thinking) without thinking; else the budget, or the level on Gemini 3 (none
    for a model that has no default budget, such as gemini-2.0-flash).
    """
    gemini3 = is_gemini3(model)
    if not thinking:
        off: dict[str, Any] = {"thinkingLevel": "LOW"} if gemini3 else {"thinkingBudget": 0}
        return {"includeThoughts": False, **off}
    if budget is None:
        return None
    if gemini3 and isinstance(budget, str):
        return {"includeThoughts": True, "thinkingLevel": budget.upper()}
    return {"includeThoughts": True, "thinkingBudget": budget if isinstance(budget, int) else 0}


class Gemini(Provider):
    """Streams ``GenerateContentResponse`` chunks; calls arrive whole, without ids (the
    client mints ``call_<uuid>`` ids, as cagent does).
    """

    def request(
        self, messages: list[Message], tools: list[ToolDefinition]
    ) -> tuple[str, dict[str, Any], dict[str, str]]:
        """The URL, JSON body and headers of the streaming call."""
        model = self.model
        body: dict[str, Any] = {"contents": gemini_contents(messages)}
        system = [{"text": m.content} for m in messages if m.role == "system"]
        if system:
            body["systemInstruction"] = {"parts": system}
        if tools:
            declarations: list[dict[str, Any]] = [
                {"name": t.name, "description": t.description}
                | (
                    # Gemini refuses an object schema without properties: leave it out.
                    {"parameters": gemini_schema(t.parameters)}
                    if t.parameters.get("properties")
                    else {}
                )
                for t in tools
            ]
            body["tools"] = [{"functionDeclarations": declarations}]
        generation: dict[str, Any] = {}
        for key, name in (
            ("max_tokens", "maxOutputTokens"),
            ("temperature", "temperature"),
            ("top_p", "topP"),
        ):
            if getattr(model, key) is not None:
                generation[name] = getattr(model, key)
        thinking = _thinking_config(
            model.model, self.thinking, budget_for(model, "google", self.thinking)
        )
        if thinking is not None:
            generation["thinkingConfig"] = thinking
        if self.structured_output is not None:
            generation["responseMimeType"] = "application/json"
            generation["responseJsonSchema"] = self.structured_output.schema
        body["generationConfig"] = generation
        headers = {"x-goog-api-key": self.key} if self.key else {}
        url = f"{self.base_url}/v1beta/models/{model.model}:streamGenerateContent?alt=sse"
        return url, body, headers

    def read(self, response: httpx.Response) -> Iterator[TextDelta | ModelTurn]:
        """Text deltas as they stream, then the whole turn."""
        turn = ModelTurn()
        for _, data in iter_sse(response.iter_lines()):
            document = json.loads(data)
            if "error" in document:
                error = document["error"]
                raise ProviderError(
                    self.name, response.status_code, str(error.get("message", error))
                )
            for candidate in (document.get("candidates") or [])[:1]:
                for part in (candidate.get("content") or {}).get("parts") or []:
                    if isinstance(part.get("text"), str) and not part.get("thought"):
                        turn.text += part["text"]
                        yield TextDelta(part["text"])
                    call = part.get("functionCall")
                    if isinstance(call, dict):
                        extra: dict[str, Any] = {}
                        if call.get("id"):
                            extra["provider_id"] = call["id"]
                        if part.get("thoughtSignature"):
                            extra["thought_signature"] = part["thoughtSignature"]
                        turn.tool_calls.append(
                            ToolCall(
                                id=str(call.get("id") or f"call_{uuid.uuid4()}"),
                                name=str(call.get("name", "")),
                                arguments=json.dumps(call.get("args") or {}, separators=(",", ":")),
                                extra=extra,
                            )
                        )
                reason = candidate.get("finishReason")
                if reason:
                    turn.finish_reason = _FINISH.get(reason, reason.lower())
            usage = document.get("usageMetadata")
            if isinstance(usage, dict):
                output = int(usage.get("candidatesTokenCount") or 0) + int(
                    usage.get("thoughtsTokenCount") or 0
                )
                turn.usage = Usage(int(usage.get("promptTokenCount") or 0), output)
        if not turn.finish_reason:
            raise self.unfinished()
        if turn.tool_calls and turn.finish_reason == "stop":
            turn.finish_reason = "tool_calls"
        yield turn
