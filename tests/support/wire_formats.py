"""Replies in each provider's wire format, as the scripted server sends them: OpenAI Chat
Completions, OpenAI Responses, Anthropic Messages, Gemini and Mistral, whole or streamed as
server-sent events, with fresh random ids and timestamps each time (shapes as documented in
../shared/reference/providers.md)."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any


@dataclass
class Reply:
    """What the model answers: some text, then optionally one tool call (name, arguments)."""

    text: str = ""
    tool: tuple[str, dict[str, Any]] | None = None
    thinking: str = ""
    """Anthropic: a thinking block (with a signature) before the text, if the request
    enables thinking."""


@dataclass
class Wire:
    """A reply on the wire: a JSON body, or a list of SSE events to stream."""

    content_type: str
    body: bytes = b""
    events: list[bytes] | None = None


def compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def words(text: str) -> list[str]:
    pieces = text.split(" ")
    return [piece + (" " if i < len(pieces) - 1 else "") for i, piece in enumerate(pieces)]


def _json(value: Any) -> Wire:
    return Wire("application/json", compact(value).encode())


def _sse(events: Iterator[bytes]) -> Wire:
    return Wire("text/event-stream", events=list(events))


def openai_chat(body: dict[str, Any], reply: Reply, *, mistral: bool = False) -> Wire:
    """Chat Completions; ``mistral`` gives Mistral's dialect (9-character call ids, whole
    calls in one chunk, usage on the last chunk, hex completion ids)."""
    completion_id = secrets.token_hex(16) if mistral else f"chatcmpl-{secrets.token_urlsafe(21)}"
    created, model = int(time.time()), body.get("model", "gpt-4o")
    call_id = secrets.token_urlsafe(9)[:9].replace("-", "a").replace("_", "b")
    call_id = call_id if mistral else f"call_{secrets.token_hex(12)}"
    usage = {"prompt_tokens": 31, "completion_tokens": 9, "total_tokens": 40}
    call: dict[str, Any] | None = None
    if reply.tool:
        name, arguments = reply.tool
        call = {
            "id": call_id,
            "type": "function",
            "function": {"name": name, "arguments": compact(arguments)},
        }
    finish = "tool_calls" if call else "stop"
    if not body.get("stream"):
        message: dict[str, Any] = {"role": "assistant", "content": reply.text or None}
        if call:
            message["tool_calls"] = [call]
        return _json(
            {
                "id": completion_id,
                "object": "chat.completion",
                "created": created,
                "model": model,
                "choices": [{"index": 0, "message": message, "finish_reason": finish}],
                "usage": usage,
            }
        )

    def chunk(delta: dict[str, Any], finish_reason: str | None = None, **extra: Any) -> bytes:
        data = {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
            **extra,
        }
        return f"data: {compact(data)}\n\n".encode()

    def events() -> Iterator[bytes]:
        yield chunk({"role": "assistant", "content": ""})
        for word in words(reply.text) if reply.text else []:
            yield chunk({"content": word})
        if call and mistral:
            yield chunk({"tool_calls": [{**call, "index": 0}]})
        elif call:
            arguments = call["function"]["arguments"]
            head = {
                "index": 0,
                **call,
                "function": {"name": call["function"]["name"], "arguments": ""},
            }
            yield chunk({"tool_calls": [head]})
            for start in range(0, len(arguments), 7):
                piece = arguments[start : start + 7]
                yield chunk({"tool_calls": [{"index": 0, "function": {"arguments": piece}}]})
        if mistral:
            yield chunk({}, finish, usage=usage)
        else:
            yield chunk({}, finish)
            if (body.get("stream_options") or {}).get("include_usage"):
                data: dict[str, Any] = {"id": completion_id, "object": "chat.completion.chunk"}
                data.update(created=created, model=model, choices=[], usage=usage)
                yield f"data: {compact(data)}\n\n".encode()
        yield b"data: [DONE]\n\n"

    return _sse(events())


def openai_responses(body: dict[str, Any], reply: Reply) -> Wire:
    """The Responses API: output items, and typed events when streamed."""
    response_id = f"resp_{secrets.token_hex(24)}"
    message_id, call_item_id = f"msg_{secrets.token_hex(24)}", f"fc_{secrets.token_hex(24)}"
    output: list[dict[str, Any]] = []
    if reply.text:
        text_part = {"type": "output_text", "text": reply.text, "annotations": []}
        output.append(
            {
                "id": message_id,
                "type": "message",
                "status": "completed",
                "role": "assistant",
                "content": [text_part],
            }
        )
    if reply.tool:
        name, arguments = reply.tool
        output.append(
            {
                "id": call_item_id,
                "type": "function_call",
                "status": "completed",
                "call_id": f"call_{secrets.token_hex(12)}",
                "name": name,
                "arguments": compact(arguments),
            }
        )
    response = {
        "id": response_id,
        "object": "response",
        "created_at": int(time.time()),
        "status": "completed",
        "model": body.get("model", "gpt-5"),
        "output": output,
        "usage": {"input_tokens": 31, "output_tokens": 9, "total_tokens": 40},
    }
    if not body.get("stream"):
        return _json(response)

    def event(kind: str, **data: Any) -> bytes:
        return f"event: {kind}\ndata: {compact({'type': kind, **data})}\n\n".encode()

    def events() -> Iterator[bytes]:
        in_progress = {**response, "status": "in_progress", "output": [], "usage": None}
        yield event("response.created", response=in_progress)
        for index, item in enumerate(output):
            yield event(
                "response.output_item.added",
                output_index=index,
                item={**item, "status": "in_progress"},
            )
            if item["type"] == "message":
                for word in words(reply.text):
                    yield event(
                        "response.output_text.delta",
                        item_id=item["id"],
                        output_index=index,
                        content_index=0,
                        delta=word,
                    )
                yield event(
                    "response.output_text.done",
                    item_id=item["id"],
                    output_index=index,
                    content_index=0,
                    text=reply.text,
                )
            else:
                yield event(
                    "response.function_call_arguments.delta",
                    item_id=item["id"],
                    output_index=index,
                    delta=item["arguments"],
                )
                yield event(
                    "response.function_call_arguments.done",
                    item_id=item["id"],
                    output_index=index,
                    arguments=item["arguments"],
                )
            yield event("response.output_item.done", output_index=index, item=item)
        yield event("response.completed", response=response)

    return _sse(events())


def anthropic(body: dict[str, Any], reply: Reply) -> Wire:
    """Messages: content blocks, and typed events (with ``event:`` lines) when streamed."""
    message_id = f"msg_01{secrets.token_urlsafe(18)[:22]}"
    tool_id = f"toolu_01{secrets.token_urlsafe(18)[:22]}"
    blocks: list[dict[str, Any]] = []
    if reply.thinking and body.get("thinking"):
        signature = f"sig-{secrets.token_hex(4)}"
        blocks.append({"type": "thinking", "thinking": reply.thinking, "signature": signature})
    if reply.text:
        blocks.append({"type": "text", "text": reply.text})
    if reply.tool:
        blocks.append(
            {"type": "tool_use", "id": tool_id, "name": reply.tool[0], "input": reply.tool[1]}
        )
    stop = "tool_use" if reply.tool else "end_turn"
    message = {
        "id": message_id,
        "type": "message",
        "role": "assistant",
        "model": body.get("model", "claude-sonnet-4-0"),
        "content": blocks,
        "stop_reason": stop,
        "stop_sequence": None,
        "usage": {"input_tokens": 31, "output_tokens": 9},
    }
    if not body.get("stream"):
        return _json(message)

    def event(kind: str, **data: Any) -> bytes:
        return f"event: {kind}\ndata: {compact({'type': kind, **data})}\n\n".encode()

    def events() -> Iterator[bytes]:
        start = {
            **message,
            "content": [],
            "stop_reason": None,
            "usage": {"input_tokens": 31, "output_tokens": 1},
        }
        yield event("message_start", message=start)
        yield b'event: ping\ndata: {"type": "ping"}\n\n'
        for index, block in enumerate(blocks):
            if block["type"] == "text":
                yield event(
                    "content_block_start", index=index, content_block={"type": "text", "text": ""}
                )
                for word in words(block["text"]):
                    yield event(
                        "content_block_delta",
                        index=index,
                        delta={"type": "text_delta", "text": word},
                    )
            elif block["type"] == "thinking":
                thinking = {"type": "thinking", "thinking": ""}
                yield event("content_block_start", index=index, content_block=thinking)
                for piece in (
                    {"type": "thinking_delta", "thinking": block["thinking"]},
                    {"type": "signature_delta", "signature": block["signature"]},
                ):
                    yield event("content_block_delta", index=index, delta=piece)
            else:
                opening = {**block, "input": {}}
                yield event("content_block_start", index=index, content_block=opening)
                arguments = compact(block["input"])
                for cut in range(0, len(arguments), 9):
                    delta = {"type": "input_json_delta", "partial_json": arguments[cut : cut + 9]}
                    yield event("content_block_delta", index=index, delta=delta)
            yield event("content_block_stop", index=index)
        yield event(
            "message_delta",
            delta={"stop_reason": stop, "stop_sequence": None},
            usage={"output_tokens": 9},
        )
        yield event("message_stop")

    return _sse(events())


def gemini(body: dict[str, Any], reply: Reply, *, stream: bool) -> Wire:
    """generateContent / streamGenerateContent?alt=sse (CRLF events, ``": "`` after keys)."""
    response_id = secrets.token_urlsafe(16)
    parts: list[dict[str, Any]] = (
        [{"text": word} for word in words(reply.text)] if reply.text else []
    )
    if reply.tool:
        parts.append({"functionCall": {"name": reply.tool[0], "args": reply.tool[1]}})
    usage = {"promptTokenCount": 31, "candidatesTokenCount": 9, "totalTokenCount": 40}

    def document(chunk: list[dict[str, Any]], last: bool) -> dict[str, Any]:
        candidate: dict[str, Any] = {"content": {"parts": chunk, "role": "model"}, "index": 0}
        data: dict[str, Any] = {
            "candidates": [candidate],
            "modelVersion": "gemini-2.5-flash",
            "responseId": response_id,
        }
        if last:
            candidate["finishReason"] = "STOP"
            data["usageMetadata"] = usage
        return data

    if not stream:
        joined = [{"text": reply.text}] if reply.text else []
        joined += [part for part in parts if "functionCall" in part]
        return Wire("application/json", json.dumps(document(joined, True), indent=2).encode())

    def events() -> Iterator[bytes]:
        for index, part in enumerate(parts):
            data = document([part], index == len(parts) - 1)
            yield f"data: {json.dumps(data, separators=(',', ': '))}\r\n\r\n".encode()

    return _sse(events())
