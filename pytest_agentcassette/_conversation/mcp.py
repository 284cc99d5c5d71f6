"""MCP tool calls read from a conversation's interactions: a ``tools/call`` the code sent to
an MCP server (over stdio or HTTP) and what the server answered, whatever the transport.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pytest_agentcassette._model import (
    NOT_JSON,
    STDIO_SCHEME,
    Interaction,
    json_value,
    may_be_jsonrpc,
)
from pytest_agentcassette._sse import events

__all__ = ["McpCall", "is_jsonrpc", "mcp_call", "stream_answers"]


@dataclass(frozen=True)
class McpCall:
    """A tool call sent to an MCP server, and the server's answer.

    ``server`` is the server's command line (stdio) or URL; ``result`` joins the text of the
    answer's content (or is the JSON-RPC error's message); ``is_error`` is set for a tool
    error and for a JSON-RPC error.
    """

    server: str
    name: str
    arguments: Any
    result: str
    is_error: bool


def is_jsonrpc(interaction: Interaction) -> bool:
    """Whether the request is a JSON-RPC message (MCP, over stdio or HTTP)."""
    if not may_be_jsonrpc(interaction.request.body):
        return False
    value = json_value(interaction.request.body)
    return isinstance(value, dict) and "jsonrpc" in value


def _answers(interaction: Interaction) -> list[Any]:
    content = interaction.response.body.content
    if interaction.request.url.startswith(STDIO_SCHEME):
        texts = content.decode("utf-8", errors="replace").split("\n")
    elif content.lstrip().startswith((b"data:", b"event:", b"id:", b":")):
        texts = [event.data for event in events(content)]
    else:
        texts = [content.decode("utf-8", errors="replace")]
    answers = []
    for text in texts:
        try:
            answers.append(json.loads(text))
        except ValueError:
            continue
    return answers


def _outcome(answer: dict[str, Any]) -> tuple[str, bool]:
    if isinstance(answer.get("error"), dict):
        return str(answer["error"].get("message", "")), True
    result = answer.get("result")
    if not isinstance(result, dict):
        return "", False
    parts = result.get("content")
    texts = [
        str(part.get("text", ""))
        for part in (parts if isinstance(parts, list) else [])
        if isinstance(part, dict) and part.get("type") == "text"
    ]
    return "\n".join(texts), bool(result.get("isError"))


def stream_answers(interactions: list[Interaction]) -> list[Any]:
    """The answers that came on event streams the client held open (MCP's SSE transport
    sends every answer on its ``GET`` stream), for calls whose own response is empty.
    """
    return [
        answer
        for interaction in interactions
        if interaction.request.method == "GET"
        for answer in _answers(interaction)
        if isinstance(answer, dict) and "method" not in answer
    ]


def mcp_call(interaction: Interaction, elsewhere: Sequence[Any] = ()) -> McpCall | None:
    """The MCP tool call ``interaction`` holds, or ``None`` if it holds none; its answer is
    in its response, else among ``elsewhere`` (see :func:`stream_answers`).
    """
    if not is_jsonrpc(interaction):
        return None
    request = json_value(interaction.request.body)
    if request is NOT_JSON or request.get("method") != "tools/call":
        return None
    params = request.get("params") if isinstance(request.get("params"), dict) else {}
    answer = next(
        (
            a
            for a in [*_answers(interaction), *elsewhere]
            if isinstance(a, dict) and a.get("id") == request.get("id") and "method" not in a
        ),
        None,
    )
    result, is_error = _outcome(answer) if answer is not None else ("", False)
    server = interaction.request.url.removeprefix(STDIO_SCHEME)
    return McpCall(server, str(params.get("name", "")), params.get("arguments"), result, is_error)
