"""The same two-turn, tool-using conversation over each provider API, with raw httpx: ask,
receive a tool call, send its result back, receive the final text.

Reads the tool call out of the response with its own few lines (not the plugin's parser),
so that the tests of the plugin's conversation view do not check the parser against itself.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

PROMPT = "Read the README"
APIS = ["openai-chat", "openai-responses", "anthropic", "gemini", "mistral"]


def _documents(response: httpx.Response) -> list[Any]:
    if "event-stream" not in response.headers.get("content-type", ""):
        return [response.json()]
    documents = []
    for line in response.text.replace("\r\n", "\n").split("\n"):
        if line.startswith("data: {"):
            documents.append(json.loads(line[6:]))
    return documents


def _call(value: Any) -> dict[str, Any] | None:
    """The first object naming the tool read_file, searched depth first."""
    if isinstance(value, dict):
        if value.get("name") == "read_file":
            return value
        for item in value.values():
            found = _call(item)
            if found is not None:
                return found
    if isinstance(value, list):
        for item in value:
            found = _call(item)
            if found is not None:
                return found
    return None


def _request(api: str, stream: bool, turn: list[Any]) -> tuple[str, dict[str, Any]]:
    if api in ("openai-chat", "mistral"):
        path = "/v1/chat/completions" if api == "openai-chat" else "/mistral/v1/chat/completions"
        body: dict[str, Any] = {"model": "m", "stream": stream, "messages": turn}
        if stream and api == "openai-chat":
            body["stream_options"] = {"include_usage": True}
        return path, body
    if api == "openai-responses":
        return "/v1/responses", {"model": "gpt-5", "stream": stream, "input": turn}
    if api == "anthropic":
        return "/v1/messages", {
            "model": "claude",
            "stream": stream,
            "max_tokens": 64,
            "messages": turn,
        }
    method = "streamGenerateContent?alt=sse" if stream else "generateContent"
    return f"/v1beta/models/gemini-2.5-flash:{method}", {"contents": turn}


def _follow_up(api: str, call: dict[str, Any]) -> list[Any]:
    if api in ("openai-chat", "mistral"):
        call_id = call.get("id") or "missing"
        function = {"name": "read_file", "arguments": '{"path":"README.md"}'}
        return [
            {
                "role": "assistant",
                "tool_calls": [{"id": call_id, "type": "function", "function": function}],
            },
            {"role": "tool", "tool_call_id": call_id, "content": "# Title"},
        ]
    if api == "openai-responses":
        return [
            {
                "type": "function_call",
                "call_id": call["call_id"],
                "name": "read_file",
                "arguments": call["arguments"],
            },
            {"type": "function_call_output", "call_id": call["call_id"], "output": "# Title"},
        ]
    if api == "anthropic":
        use = {
            "type": "tool_use",
            "id": call["id"],
            "name": "read_file",
            "input": {"path": "README.md"},
        }
        result = {"type": "tool_result", "tool_use_id": call["id"], "content": "# Title"}
        return [{"role": "assistant", "content": [use]}, {"role": "user", "content": [result]}]
    response = {"name": "read_file", "response": {"content": "# Title"}}
    return [
        {"role": "model", "parts": [{"functionCall": call}]},
        {"role": "user", "parts": [{"functionResponse": response}]},
    ]


def run_conversation(base_url: str, api: str, *, stream: bool) -> None:
    """Run the conversation; the server must be scripted to answer a tool call, then text."""
    if api == "gemini":
        turn: list[Any] = [{"role": "user", "parts": [{"text": PROMPT}]}]
    else:
        turn = [{"role": "user", "content": PROMPT}]
    with httpx.Client(base_url=base_url) as client:
        path, body = _request(api, stream, turn)
        first = client.post(path, json=body)
        call = _call(_documents(first))
        if call is None:
            raise AssertionError(f"no tool call in {first.text[:300]}")
        path, body = _request(api, stream, turn + _follow_up(api, call))
        client.post(path, json=body).raise_for_status()
