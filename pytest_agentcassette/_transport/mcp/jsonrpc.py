"""JSON-RPC (MCP) messages in replay: the id a live request carries may differ from the
recorded one (another SDK version, another order), and a client only takes an answer that
carries its own request's id. So a replayed answer is given the live id wherever it
answers the recorded request, whether it is a JSON body, a stream of server-sent events
(MCP over streamable HTTP) or lines of JSON (MCP over stdio).
"""

from __future__ import annotations

import json
from typing import Any

from pytest_agentcassette._model import NOT_JSON, Body, json_value, may_be_jsonrpc
from pytest_agentcassette._sse import events

__all__ = [
    "answer_id",
    "code_answer_id",
    "parsed",
    "question_id",
    "reanswered",
    "request_id",
]


def request_id(body: Body) -> tuple[Any] | None:
    """``(id,)`` when ``body`` is one JSON-RPC request (a method and an id), else ``None``."""
    if not may_be_jsonrpc(body):  # an LLM request is not parsed again for nothing
        return None
    value = json_value(body)
    if value is NOT_JSON or not isinstance(value, dict) or "jsonrpc" not in value:
        return None
    if "method" not in value or "id" not in value:
        return None
    return (value["id"],)


def parsed(text: str | bytes) -> Any:
    """One JSON-RPC message's JSON, or ``None`` for a line that is not JSON."""
    try:
        return json.loads(text)
    except ValueError:
        return None


def answer_id(message: Any) -> tuple[Any] | None:
    """``(id,)`` when ``message`` answers a request (a result or an error), else ``None``."""
    if not isinstance(message, dict) or "method" in message or "id" not in message:
        return None
    return (message["id"],) if "result" in message or "error" in message else None


def question_id(message: Any) -> tuple[Any] | None:
    """``(id,)`` when ``message`` is a request (from the server: an elicitation, a sampling
    request, a roots listing), else ``None``.
    """
    if isinstance(message, dict) and "method" in message and "id" in message:
        return (message["id"],)
    return None


def code_answer_id(body: Body) -> tuple[Any] | None:
    """``(id,)`` when ``body`` is the code's answer to a request of the server's (a JSON-RPC
    response the client sends, to an elicitation or a sampling request), else ``None``.
    """
    if not may_be_jsonrpc(body):
        return None
    value = json_value(body)
    if value is NOT_JSON or not isinstance(value, dict) or "jsonrpc" not in value:
        return None
    if "method" in value or "id" not in value or not ("result" in value or "error" in value):
        return None
    return (value["id"],)


def _answering(message: Any, recorded: Any) -> bool:
    found = answer_id(message)
    return found is not None and found[0] == recorded and type(found[0]) is type(recorded)


def _progress_of(message: Any, recorded: Any) -> bool:
    """Whether ``message`` reports the progress of the recorded request (the SDK makes the
    request's id its progress token).
    """
    if not isinstance(message, dict) or message.get("method") != "notifications/progress":
        return False
    params = message.get("params")
    token = params.get("progressToken") if isinstance(params, dict) else None
    return token == recorded and type(token) is type(recorded)


def _with_id(text: str, recorded: Any, live: Any) -> str | None:
    """``text`` (one JSON message) answering ``live`` instead (or reporting its progress),
    or ``None`` if unchanged.
    """
    message = parsed(text)
    if _answering(message, recorded):
        message = {**message, "id": live}
    elif _progress_of(message, recorded):
        message = {**message, "params": {**message["params"], "progressToken": live}}
    else:
        return None
    return json.dumps(message, separators=(",", ":"), ensure_ascii=False)


def _lines(content: bytes, recorded: Any, live: Any) -> bytes:
    out = []
    for line in content.decode("utf-8").split("\n"):
        changed = _with_id(line, recorded, live) if line.strip() else None
        out.append(line if changed is None else changed)
    return "\n".join(out).encode("utf-8")


def _stream(content: bytes, recorded: Any, live: Any) -> bytes:
    """Each event's data rewritten where it answers the recorded request."""
    pieces, position = [], 0
    for event in events(content):
        if len(event.data_spans) != 1:
            continue
        start, end = event.data_spans[0]
        changed = _with_id(event.data, recorded, live)
        if changed is not None:
            pieces += [content[position:start], changed.encode("utf-8")]
            position = end
    pieces.append(content[position:])
    return b"".join(pieces)


def reanswered(content: bytes, recorded: Any, live: Any, *, lines: bool = False) -> bytes:
    """``content`` (a JSON body, an SSE stream, or with ``lines`` JSON lines) with the
    answers to request ``recorded`` given id ``live``, and its progress reported for ``live``.
    """
    if recorded == live and type(recorded) is type(live):
        return content
    if lines:
        return _lines(content, recorded, live)
    if content.lstrip().startswith((b"data:", b"event:", b"id:", b":")):
        return _stream(content, recorded, live)
    changed = _with_id(content.decode("utf-8", errors="replace"), recorded, live)
    return content if changed is None else changed.encode("utf-8")
