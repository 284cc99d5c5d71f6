"""Reading LLM provider responses: text, tool calls and usage from each wire format, whole
or streamed as server-sent events; and the prompt of a request. Used by the conversation
view (:mod:`pytest_agentcassette._conversation.conversation`), the session summary (tokens)
and the messages about a request that was not replayed (what it asked).

Readers never raise on an unexpected shape (a chat backend whose path happens to end in
``/messages`` is not Anthropic): what they cannot read, they leave out.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from pytest_agentcassette._conversation.shapes import as_dict as _d
from pytest_agentcassette._conversation.shapes import as_int as _n
from pytest_agentcassette._conversation.shapes import as_list as _l
from pytest_agentcassette._conversation.shapes import as_str as _s
from pytest_agentcassette._model import RecordedRequest, RecordedResponse, is_websocket
from pytest_agentcassette._sse import events

__all__ = ["ParsedResponse", "parse_response", "parse_usage", "request_prompt"]

RawCall = tuple[str | None, str, Any]  # (provider id, name, arguments as sent)


class ParsedResponse:
    """What a response says, read from its wire format."""

    __slots__ = ("api", "text", "tool_calls", "usage")

    def __init__(self, api: str) -> None:
        self.api = api
        self.text = ""
        self.tool_calls: list[RawCall] = []
        self.usage: tuple[int, int, int] | None = None


def _id(value: Any) -> str | None:
    """A provider's call id: a non-empty string, or ``None``."""
    return value if isinstance(value, str) and value else None


def _index(value: Any, default: Any) -> Any:
    """A position in a stream (an int, or a string some servers send), else ``default``."""
    return value if isinstance(value, (int, str)) else default


def _documents(response: RecordedResponse, mentioning: bytes = b"") -> list[dict[str, Any]]:
    """The JSON objects a response holds: one per SSE event whose data is JSON (only the
    events whose text contains ``mentioning``, when given), else the body's own.
    """
    if response.websocket is not None:
        return _messages(response)
    content = response.body.content
    if content.lstrip().startswith((b"data:", b"event:", b":")):
        found = []
        for event in events(content, mentioning=mentioning):
            try:
                found.append(json.loads(event.data))
            except ValueError:
                continue
    else:
        try:
            value = json.loads(content)
        except ValueError:
            return []
        found = value if isinstance(value, list) else [value]  # Gemini streams without SSE
    return [document for document in found if isinstance(document, dict)]


def _messages(response: RecordedResponse) -> list[dict[str, Any]]:
    """The JSON objects a WebSocket server sent after a request's message."""
    found = []
    for frame in response.websocket.received if response.websocket else []:
        try:
            value = json.loads(frame.data)
        except ValueError:
            continue
        if isinstance(value, dict):
            found.append(value)
    return found


def _realtime_api(path: str, documents: list[dict[str, Any]]) -> str:
    if "BidiGenerateContent" in path or any(
        "serverContent" in d or "toolCall" in d or "setupComplete" in d for d in documents
    ):
        return "gemini-live"
    if path.endswith("/realtime") or any(_s(d.get("type")) for d in documents):
        return "openai-realtime"
    return "unknown"


def _api(request: RecordedRequest, documents: list[dict[str, Any]]) -> str:
    path = request.url.partition("?")[0].partition("#")[0]
    if is_websocket(request.url):
        return _realtime_api(path, documents)
    if path.endswith("/chat/completions"):
        return "openai-chat"
    if path.endswith("/responses"):
        return "openai-responses"
    if path.endswith("/messages"):
        return "anthropic"
    if ":generateContent" in path or ":streamGenerateContent" in path:
        return "gemini"
    first = documents[0] if documents else {}
    if "choices" in first:
        return "openai-chat"
    if "candidates" in first:
        return "gemini"
    if first.get("object") == "response" or _s(first.get("type")).startswith("response."):
        return "openai-responses"
    if first.get("type") in ("message", "message_start"):
        return "anthropic"
    return "unknown"


def parse_usage(
    request: RecordedRequest, response: RecordedResponse
) -> tuple[int, int, int] | None:
    """The usage ``response`` reports, read from the events that mention it only."""
    if response.websocket is None and not response.body.mentions(b"sage"):  # not reported
        return None
    documents = _documents(response, mentioning=b"sage")
    parsed = ParsedResponse(_api(request, documents))
    reader = _READERS.get(parsed.api)
    if reader is not None:
        reader(documents, parsed)
    return parsed.usage


def parse_response(request: RecordedRequest, response: RecordedResponse) -> ParsedResponse:
    """Text, tool calls and usage of ``response``, whatever the provider."""
    documents = _documents(response)
    api = _api(request, documents)
    parsed = ParsedResponse(api)
    reader = _READERS.get(api)
    if reader is not None:
        reader(documents, parsed)
    return parsed


def _content_text(content: Any) -> str:
    """Message content as text: a string, or typed parts (Mistral's reasoning models)."""
    if isinstance(content, str):
        return content
    return "".join(
        _s(_d(part).get("text")) for part in _l(content) if _d(part).get("type", "text") == "text"
    )


def _openai_chat(documents: list[dict[str, Any]], parsed: ParsedResponse) -> None:
    calls: list[dict[str, Any]] = []
    by_index: dict[Any, dict[str, Any]] = {}
    for document in documents:
        for choice in _l(document.get("choices")):
            choice = _d(choice)
            if choice.get("index", 0) != 0:
                continue  # n > 1: the first choice is the conversation
            streamed = "delta" in choice
            message = _d(choice.get("delta") if streamed else choice.get("message"))
            parsed.text += _content_text(message.get("content"))
            for call in _l(message.get("tool_calls")):
                call = _d(call)
                index = _index(call.get("index"), len(calls)) if streamed else object()
                entry = by_index.get(index)
                if entry is None or (call.get("id") and entry["id"] not in (None, call["id"])):
                    # a new call; some servers give parallel calls the same index
                    entry = {"id": None, "name": "", "arguments": ""}
                    by_index[index] = entry
                    calls.append(entry)
                entry["id"] = _id(call.get("id")) or entry["id"]
                function = _d(call.get("function") or call.get("custom"))
                entry["name"] = _s(function.get("name")) or entry["name"]
                arguments = function.get("arguments", function.get("input"))
                if isinstance(arguments, str) and isinstance(entry["arguments"], str):
                    entry["arguments"] += arguments
                elif arguments is not None:
                    entry["arguments"] = arguments  # Mistral may send an object
        usage = _d(document.get("usage"))
        if usage:
            parsed.usage = (
                _n(usage.get("prompt_tokens")),
                _n(usage.get("completion_tokens")),
                _n(usage.get("total_tokens"))
                or _n(usage.get("prompt_tokens")) + _n(usage.get("completion_tokens")),
            )
    parsed.tool_calls = [(c["id"], c["name"], c["arguments"]) for c in calls]


_RESPONSES_CALLS = ("function_call", "custom_tool_call")


def _responses_call(item: dict[str, Any]) -> RawCall:
    arguments = item.get("arguments", item.get("input"))
    return _id(item.get("call_id")), _s(item.get("name")), arguments


def _openai_responses(documents: list[dict[str, Any]], parsed: ParsedResponse) -> None:
    final: dict[str, Any] | None = None
    streamed_calls: list[RawCall] = []
    for document in documents:
        kind = _s(document.get("type"))
        if document.get("object") == "response":
            final = document
        elif kind in ("response.completed", "response.incomplete", "response.failed"):
            final = _d(document.get("response"))
        elif kind == "response.output_text.delta":
            parsed.text += _s(document.get("delta"))
        elif kind == "response.output_item.done":
            item = _d(document.get("item"))
            if item.get("type") in _RESPONSES_CALLS:
                streamed_calls.append(_responses_call(item))
    if final is None:
        parsed.tool_calls = streamed_calls
        return
    text = ""
    calls: list[RawCall] = []
    for item in _l(final.get("output")):
        item = _d(item)
        if item.get("type") == "message":
            for part in _l(item.get("content")):
                if _d(part).get("type") == "output_text":
                    text += _s(part.get("text"))
        elif item.get("type") in _RESPONSES_CALLS:
            calls.append(_responses_call(item))
    parsed.text = text or parsed.text
    parsed.tool_calls = calls or streamed_calls
    usage = _d(final.get("usage"))
    if usage:
        input_tokens, output_tokens = _n(usage.get("input_tokens")), _n(usage.get("output_tokens"))
        total = _n(usage.get("total_tokens")) or input_tokens + output_tokens
        parsed.usage = (input_tokens, output_tokens, total)


def _anthropic_input(usage: dict[str, Any]) -> int:
    """Input tokens, cached ones included (Anthropic counts cache reads and writes apart)."""
    keys = ("input_tokens", "cache_read_input_tokens", "cache_creation_input_tokens")
    return sum(_n(usage.get(key)) for key in keys)


def _anthropic(documents: list[dict[str, Any]], parsed: ParsedResponse) -> None:
    blocks: dict[Any, dict[str, Any]] = {}
    usage: tuple[int, int] | None = None
    for document in documents:
        kind = document.get("type")
        if kind == "message":  # not streamed
            for index, block in enumerate(_l(document.get("content"))):
                blocks[index] = dict(_d(block))
            numbers = _d(document.get("usage"))
            usage = (_anthropic_input(numbers), _n(numbers.get("output_tokens")))
        elif kind == "message_start":
            numbers = _d(_d(document.get("message")).get("usage"))
            usage = (_anthropic_input(numbers), _n(numbers.get("output_tokens")))
        elif kind == "content_block_start":
            block = dict(_d(document.get("content_block")))
            block["partial_json"] = ""
            blocks[_index(document.get("index"), len(blocks))] = block
        elif kind == "content_block_delta":
            index = _index(document.get("index"), 0)
            block = blocks.setdefault(index, {"type": "text", "text": ""})
            delta = _d(document.get("delta"))
            if delta.get("type") == "text_delta":
                block["text"] = _s(block.get("text")) + _s(delta.get("text"))
            elif delta.get("type") == "input_json_delta":
                block["partial_json"] = _s(block.get("partial_json")) + _s(
                    delta.get("partial_json")
                )
        elif kind == "message_delta" and usage is not None:
            output = _d(document.get("usage")).get("output_tokens")
            usage = (usage[0], _n(output) if output is not None else usage[1])
    for block in blocks.values():
        if block.get("type") == "text":
            parsed.text += _s(block.get("text"))
        elif block.get("type") == "tool_use":
            arguments = block.get("partial_json") or block.get("input", {})
            parsed.tool_calls.append((_id(block.get("id")), _s(block.get("name")), arguments))
    if usage is not None:
        parsed.usage = (usage[0], usage[1], usage[0] + usage[1])


def _gemini(documents: list[dict[str, Any]], parsed: ParsedResponse) -> None:
    for document in documents:
        for candidate in _l(document.get("candidates"))[:1]:
            for part in _l(_d(_d(candidate).get("content")).get("parts")):
                part = _d(part)
                if isinstance(part.get("text"), str) and not part.get("thought"):
                    parsed.text += part["text"]
                call = _d(part.get("functionCall") or part.get("function_call"))
                if call:
                    parsed.tool_calls.append(
                        (_id(call.get("id")), _s(call.get("name")), call.get("args"))
                    )
        usage = _d(document.get("usageMetadata"))
        if usage:
            prompt = _n(usage.get("promptTokenCount"))
            output = _n(usage.get("candidatesTokenCount")) + _n(usage.get("thoughtsTokenCount"))
            parsed.usage = (prompt, output, _n(usage.get("totalTokenCount")) or prompt + output)


_REALTIME_TEXT = (
    "response.output_text.delta",
    "response.output_audio_transcript.delta",
    "response.text.delta",
    "response.audio_transcript.delta",
)


def _openai_realtime(documents: list[dict[str, Any]], parsed: ParsedResponse) -> None:
    """OpenAI's Realtime API: text and transcript deltas; calls and usage in
    ``response.done``.
    """
    for document in documents:
        kind = _s(document.get("type"))
        if kind in _REALTIME_TEXT:
            parsed.text += _s(document.get("delta"))
        elif kind == "response.done":
            response = _d(document.get("response"))
            for item in _l(response.get("output")):
                item = _d(item)
                if item.get("type") == "function_call":
                    parsed.tool_calls.append(
                        (_id(item.get("call_id")), _s(item.get("name")), item.get("arguments"))
                    )
            usage = _d(response.get("usage"))
            if usage:
                prompt, output = _n(usage.get("input_tokens")), _n(usage.get("output_tokens"))
                parsed.usage = (prompt, output, _n(usage.get("total_tokens")) or prompt + output)


def _gemini_live(documents: list[dict[str, Any]], parsed: ParsedResponse) -> None:
    """Gemini's Live API: ``serverContent`` text parts, ``toolCall`` function calls."""
    for document in documents:
        turn = _d(_d(document.get("serverContent")).get("modelTurn"))
        parsed.text += "".join(_s(_d(part).get("text")) for part in _l(turn.get("parts")))
        for call in _l(_d(document.get("toolCall")).get("functionCalls")):
            call = _d(call)
            parsed.tool_calls.append((_id(call.get("id")), _s(call.get("name")), call.get("args")))
        usage = _d(document.get("usageMetadata"))
        if usage:
            prompt = _n(usage.get("promptTokenCount"))
            output = _n(usage.get("responseTokenCount"))
            parsed.usage = (prompt, output, _n(usage.get("totalTokenCount")) or prompt + output)


_READERS: dict[str, Callable[[list[dict[str, Any]], ParsedResponse], None]] = {
    "openai-realtime": _openai_realtime,
    "gemini-live": _gemini_live,
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
        for message in reversed(_l(body.get(key))):
            if isinstance(message, dict) and message.get("role") == "user":
                text = _text_of(message.get("content", message.get("parts")))
                if text:
                    return text
    return None
