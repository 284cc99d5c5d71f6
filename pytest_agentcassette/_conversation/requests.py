"""The messages a request to a model sends, whatever the provider: its system prompt, the
user's and the assistant's turns, the tool calls and the tool results, read from OpenAI's
Chat Completions, Responses and Realtime formats, Anthropic's Messages, Gemini's and
Gemini Live's.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pytest_agentcassette._conversation.shapes import as_dict as _d
from pytest_agentcassette._conversation.shapes import as_list as _l
from pytest_agentcassette._conversation.shapes import as_str as _s

__all__ = ["SentCall", "SentMessage", "sent_messages"]


@dataclass(frozen=True)
class SentCall:
    """A tool call as a request repeats it: the provider's id, the name, the arguments."""

    raw_id: str | None
    name: str
    arguments: Any


@dataclass(frozen=True)
class SentMessage:
    """A message of a request's conversation: ``role`` is ``system``, ``user``,
    ``assistant`` or ``tool`` (a tool's result, answering ``raw_id``, named ``name``).
    """

    role: str
    text: str = ""
    calls: tuple[SentCall, ...] = ()
    raw_id: str | None = None
    name: str | None = None


def _text(content: Any) -> str:
    """Text of a message's content: a string, or the text of its typed parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, dict):
        return _s(content.get("text")) or _s(content.get("transcript"))
    return "\n".join(t for t in (_text(part) for part in _l(content)) if t)


def _result(value: Any) -> str:
    """A tool's result as text: a string as it is, anything else as compact JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(part, dict) for part in value):
        return _text(value)
    return json.dumps(value, ensure_ascii=False)


def _chat_call(call: dict[str, Any]) -> SentCall:
    function = _d(call.get("function"))
    return SentCall(_s(call.get("id")) or None, _s(function.get("name")), function.get("arguments"))


def _openai_chat(body: dict[str, Any]) -> list[SentMessage]:
    messages = []
    for message in map(_d, _l(body.get("messages"))):
        role = _s(message.get("role"))
        role = "system" if role == "developer" else role
        if role == "tool":
            messages.append(SentMessage("tool", _result(message.get("content")),
                                        raw_id=_s(message.get("tool_call_id")) or None,
                                        name=_s(message.get("name")) or None))  # fmt: skip
            continue
        calls = tuple(_chat_call(call) for call in map(_d, _l(message.get("tool_calls"))))
        messages.append(SentMessage(role, _text(message.get("content")), calls))
    return messages


def _responses_item(item: dict[str, Any]) -> SentMessage | None:
    kind = _s(item.get("type"))
    if kind in ("function_call", "custom_tool_call"):
        call = SentCall(_s(item.get("call_id")) or None, _s(item.get("name")),
                        item.get("arguments", item.get("input")))  # fmt: skip
        return SentMessage("assistant", calls=(call,))
    if kind in ("function_call_output", "custom_tool_call_output"):
        return SentMessage("tool", _result(item.get("output")),
                           raw_id=_s(item.get("call_id")) or None)  # fmt: skip
    if kind in ("message", "") and "role" in item:
        role = _s(item.get("role"))
        return SentMessage("system" if role == "developer" else role, _text(item.get("content")))
    return None


def _openai_responses(body: dict[str, Any]) -> list[SentMessage]:
    messages = []
    if _s(body.get("instructions")):
        messages.append(SentMessage("system", _s(body.get("instructions"))))
    given = body.get("input")
    if isinstance(given, str):
        return [*messages, SentMessage("user", given)]
    for item in map(_d, _l(given)):
        message = _responses_item(item)
        if message is not None:
            messages.append(message)
    return messages


def _anthropic_blocks(role: str, content: Any) -> list[SentMessage]:
    if isinstance(content, str):
        return [SentMessage(role, content)]
    messages, texts, calls = [], [], []
    for block in map(_d, _l(content)):
        kind = _s(block.get("type"))
        if kind == "text":
            texts.append(_s(block.get("text")))
        elif kind == "tool_use":
            calls.append(SentCall(_s(block.get("id")) or None, _s(block.get("name")),
                                  block.get("input")))  # fmt: skip
        elif kind == "tool_result":
            messages.append(SentMessage("tool", _result(block.get("content")),
                                        raw_id=_s(block.get("tool_use_id")) or None))  # fmt: skip
    if texts or calls:
        messages.insert(0, SentMessage(role, "\n".join(texts), tuple(calls)))
    return messages


def _anthropic(body: dict[str, Any]) -> list[SentMessage]:
    system = body.get("system")
    messages = [SentMessage("system", _text(system))] if system else []
    for message in map(_d, _l(body.get("messages"))):
        messages += _anthropic_blocks(_s(message.get("role")), message.get("content"))
    return messages


def _gemini_parts(role: str, parts: list[Any]) -> list[SentMessage]:
    messages, texts, calls = [], [], []
    for part in map(_d, parts):
        if "text" in part and not part.get("thought"):
            texts.append(_s(part.get("text")))
        elif "functionCall" in part:
            call = _d(part["functionCall"])
            calls.append(SentCall(_s(call.get("id")) or None, _s(call.get("name")),
                                  call.get("args")))  # fmt: skip
        elif "functionResponse" in part:
            answer = _d(part["functionResponse"])
            messages.append(SentMessage("tool", _result(answer.get("response")),
                                        raw_id=_s(answer.get("id")) or None,
                                        name=_s(answer.get("name")) or None))  # fmt: skip
    if texts or calls:
        messages.insert(0, SentMessage(role, "\n".join(texts), tuple(calls)))
    return messages


def _gemini(body: dict[str, Any]) -> list[SentMessage]:
    system = _d(body.get("systemInstruction") or body.get("system_instruction"))
    messages = [SentMessage("system", _text(system.get("parts")))] if system else []
    for content in map(_d, _l(body.get("contents"))):
        role = "assistant" if content.get("role") == "model" else "user"
        messages += _gemini_parts(role, _l(content.get("parts")))
    return messages


def _realtime(body: dict[str, Any]) -> list[SentMessage]:
    """A client event of OpenAI's Realtime API or Gemini's Live API."""
    kind = _s(body.get("type"))
    if kind == "session.update":
        instructions = _s(_d(body.get("session")).get("instructions"))
        return [SentMessage("system", instructions)] if instructions else []
    if kind == "conversation.item.create":
        item = _d(body.get("item"))
        if item.get("type") == "function_call_output":
            return [SentMessage("tool", _result(item.get("output")),
                                raw_id=_s(item.get("call_id")) or None)]  # fmt: skip
        return [SentMessage(_s(item.get("role")) or "user", _text(item.get("content")))]
    live = _d(body.get("clientContent") or body.get("client_content"))
    if live:
        return [m for turn in map(_d, _l(live.get("turns")))
                for m in _gemini_parts("user", _l(turn.get("parts")))]  # fmt: skip
    text = _s(_d(body.get("realtimeInput") or body.get("realtime_input")).get("text"))
    return [SentMessage("user", text)] if text else []


_READERS = {
    "openai-chat": _openai_chat,
    "openai-responses": _openai_responses,
    "anthropic": _anthropic,
    "gemini": _gemini,
    "openai-realtime": _realtime,
    "gemini-live": _realtime,
}


def sent_messages(api: str, body: Any) -> list[SentMessage]:
    """The conversation a request to ``api`` (as :mod:`.wire` names it) sends."""
    reader = _READERS.get(api)
    if reader is None or not isinstance(body, dict):
        return []
    return reader(body)
