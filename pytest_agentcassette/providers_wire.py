"""Reading LLM provider responses: text, tool calls and usage from each wire format, whole
or streamed as server-sent events. Used by :mod:`.conversation` and the session report.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from .model import RecordedRequest, RecordedResponse

__all__ = ["ParsedResponse", "parse_response", "request_prompt", "sse_documents"]

RawCall = tuple[str | None, str, Any]  # (provider id, name, arguments as sent)


@dataclass
class ParsedResponse:
    """What a response says, read from its wire format."""

    api: str
    text: str = ""
    tool_calls: list[RawCall] = field(default_factory=list)
    usage: tuple[int, int, int] | None = None


def sse_documents(text: str) -> list[tuple[str, Any]]:
    """``(event name, JSON data)`` of each event of an SSE body whose data is JSON."""
    documents = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        name, data = "", []
        for line in block.split("\n"):
            field_name, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if field_name == "event":
                name = value
            elif field_name == "data":
                data.append(value)
        if data:
            try:
                documents.append((name, json.loads("\n".join(data))))
            except ValueError:
                continue
    return documents


def _documents(response: RecordedResponse) -> list[Any]:
    text = response.text
    stripped = text.lstrip()
    if stripped.startswith(("data:", "event:", ":")):
        return [document for _, document in sse_documents(text)]
    try:
        return [json.loads(text)]
    except ValueError:
        return []


def _api(request: RecordedRequest, documents: list[Any]) -> str:
    path = request.url.partition("?")[0].partition("#")[0]
    if path.endswith("/chat/completions"):
        return "openai-chat"
    if path.endswith("/responses"):
        return "openai-responses"
    if path.endswith("/messages"):
        return "anthropic"
    if ":generateContent" in path or ":streamGenerateContent" in path:
        return "gemini"
    first = next((d for d in documents if isinstance(d, dict)), {})
    if "choices" in first:
        return "openai-chat"
    if "candidates" in first:
        return "gemini"
    if str(first.get("type", "")).startswith(("response.", "message")) or "output" in first:
        return "openai-responses" if "output" in first or "response" in first else "anthropic"
    return "unknown"


def parse_response(request: RecordedRequest, response: RecordedResponse) -> ParsedResponse:
    """Text, tool calls and usage of ``response``, whatever the provider."""
    documents = [d for d in _documents(response) if isinstance(d, dict)]
    api = _api(request, documents)
    parsed = ParsedResponse(api)
    reader = _READERS.get(api)
    if reader is not None:
        reader(documents, parsed)
    return parsed


def _usage(input_tokens: Any, output_tokens: Any, total: Any = None) -> tuple[int, int, int]:
    given = [int(n) if isinstance(n, (int, float)) else 0 for n in (input_tokens, output_tokens)]
    total_tokens = int(total) if isinstance(total, (int, float)) else sum(given)
    return given[0], given[1], total_tokens


def _openai_chat(documents: list[dict[str, Any]], parsed: ParsedResponse) -> None:
    calls: dict[int, dict[str, Any]] = {}
    for document in documents:
        choices = document.get("choices") or []
        for choice in choices[:1]:
            message = choice.get("message") or choice.get("delta") or {}
            content = message.get("content")
            if isinstance(content, str):
                parsed.text += content
            for position, call in enumerate(message.get("tool_calls") or []):
                index = call.get("index", position) if "delta" in choice else len(calls)
                entry = calls.setdefault(index, {"id": None, "name": "", "arguments": ""})
                entry["id"] = call.get("id") or entry["id"]
                function = call.get("function") or {}
                entry["name"] = function.get("name") or entry["name"]
                arguments = function.get("arguments")
                if isinstance(arguments, str) and isinstance(entry["arguments"], str):
                    entry["arguments"] += arguments
                elif arguments is not None:
                    entry["arguments"] = arguments  # Mistral may send an object
        usage = document.get("usage")
        if isinstance(usage, dict):
            parsed.usage = _usage(
                usage.get("prompt_tokens"),
                usage.get("completion_tokens"),
                usage.get("total_tokens"),
            )
    parsed.tool_calls = [(c["id"], c["name"], c["arguments"]) for _, c in sorted(calls.items())]


def _openai_responses(documents: list[dict[str, Any]], parsed: ParsedResponse) -> None:
    final = None
    streamed_calls: list[RawCall] = []
    for document in documents:
        kind = document.get("type", "")
        if document.get("object") == "response":
            final = document
        elif kind in ("response.completed", "response.incomplete", "response.failed"):
            final = document.get("response")
        elif kind == "response.output_text.delta":
            parsed.text += str(document.get("delta", ""))
        elif kind == "response.output_item.done":
            item = document.get("item") or {}
            if item.get("type") == "function_call":
                streamed_calls.append(
                    (item.get("call_id"), item.get("name", ""), item.get("arguments"))
                )
    if isinstance(final, dict):
        text = ""
        calls: list[RawCall] = []
        for item in final.get("output") or []:
            if item.get("type") == "message":
                for part in item.get("content") or []:
                    if part.get("type") == "output_text":
                        text += str(part.get("text", ""))
            elif item.get("type") == "function_call":
                calls.append((item.get("call_id"), item.get("name", ""), item.get("arguments")))
        parsed.text = text or parsed.text
        parsed.tool_calls = calls or streamed_calls
        usage = final.get("usage")
        if isinstance(usage, dict):
            parsed.usage = _usage(
                usage.get("input_tokens"), usage.get("output_tokens"), usage.get("total_tokens")
            )
    else:
        parsed.tool_calls = streamed_calls


def _anthropic(documents: list[dict[str, Any]], parsed: ParsedResponse) -> None:
    blocks: dict[int, dict[str, Any]] = {}
    input_tokens = output_tokens = 0
    for document in documents:
        kind = document.get("type")
        if kind == "message":  # not streamed
            for index, block in enumerate(document.get("content") or []):
                blocks[index] = dict(block)
            usage = document.get("usage") or {}
            input_tokens = usage.get("input_tokens", 0)
            output_tokens = usage.get("output_tokens", 0)
        elif kind == "message_start":
            usage = (document.get("message") or {}).get("usage") or {}
            input_tokens = usage.get("input_tokens", 0)
            output_tokens = usage.get("output_tokens", 0)
        elif kind == "content_block_start":
            block = dict(document.get("content_block") or {})
            block["partial_json"] = ""
            blocks[document.get("index", len(blocks))] = block
        elif kind == "content_block_delta":
            block = blocks.setdefault(document.get("index", 0), {"type": "text", "text": ""})
            delta = document.get("delta") or {}
            if delta.get("type") == "text_delta":
                block["text"] = block.get("text", "") + str(delta.get("text", ""))
            elif delta.get("type") == "input_json_delta":
                block["partial_json"] = block.get("partial_json", "") + delta.get(
                    "partial_json", ""
                )
        elif kind == "message_delta":
            output_tokens = (document.get("usage") or {}).get("output_tokens", output_tokens)
    for _, block in sorted(blocks.items()):
        if block.get("type") == "text":
            parsed.text += str(block.get("text", ""))
        elif block.get("type") == "tool_use":
            arguments = block.get("partial_json") or block.get("input", {})
            parsed.tool_calls.append((block.get("id"), block.get("name", ""), arguments))
    if documents:
        parsed.usage = _usage(input_tokens, output_tokens)


def _gemini(documents: list[dict[str, Any]], parsed: ParsedResponse) -> None:
    for document in documents:
        for candidate in (document.get("candidates") or [])[:1]:
            for part in (candidate.get("content") or {}).get("parts") or []:
                if isinstance(part.get("text"), str) and not part.get("thought"):
                    parsed.text += part["text"]
                call = part.get("functionCall") or part.get("function_call")
                if isinstance(call, dict):
                    parsed.tool_calls.append(
                        (call.get("id"), call.get("name", ""), call.get("args"))
                    )
        usage = document.get("usageMetadata")
        if isinstance(usage, dict):
            output = usage.get("candidatesTokenCount", 0) + usage.get("thoughtsTokenCount", 0)
            parsed.usage = _usage(
                usage.get("promptTokenCount"), output, usage.get("totalTokenCount")
            )


_READERS = {
    "openai-chat": _openai_chat,
    "openai-responses": _openai_responses,
    "anthropic": _anthropic,
    "gemini": _gemini,
}


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(t for t in (_text_of(part) for part in content) if t)
    if isinstance(content, dict) and content.get("type") not in (
        "tool_result",
        "function_call_output",
    ):
        for key in ("text", "content", "parts"):
            if key in content:
                return _text_of(content[key])
    return ""


def request_prompt(body: Any) -> str | None:
    """The text of the last user message in a request body of any of the four APIs."""
    if not isinstance(body, dict):
        return None
    if isinstance(body.get("input"), str):
        return str(body["input"])
    for key in ("messages", "input", "contents"):
        messages = body.get(key)
        if not isinstance(messages, list):
            continue
        for message in reversed(messages):
            if isinstance(message, dict) and message.get("role") == "user":
                text = _text_of(message.get("content", message.get("parts")))
                if text:
                    return text
    return None
