"""The traffic of a streaming, tool-using agent: every turn re-sends the whole history.

Turn ``n`` asks the model to go on; the model streams ~60 SSE chunks of text and calls a
tool, whose result (a few hundred characters) joins the history; the last turn answers
without a tool. :func:`replies` gives the server's bytes for each turn and
:func:`run_agent` is the client: an agent loop over ``httpx`` that reads the stream, parses
the tool call and builds the next request from what it read, as a real agent does.
"""

from __future__ import annotations

import json
import random
from typing import Any

import httpx

MODEL = "gpt-4o"
PATH = "/v1/chat/completions"
SYSTEM = (
    "You are a meticulous software engineer. Read the code you are given, run the tools "
    "you need, and explain every change you make. " * 6
)
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": name,
            "description": f"{name.replace('_', ' ')} in the working directory. " * 4,
            "parameters": {
                "type": "object",
                "properties": {
                    "path": {"type": "string", "description": "A path, relative to the root."},
                    "pattern": {"type": "string", "description": "What to look for."},
                },
                "required": ["path"],
            },
        },
    }
    for name in ("read_file", "list_directory", "search_files", "write_file", "run_tests")
]
WORDS = [
    *("the", "parser", "reads", "each", "token", "then", "checks", "the", "grammar", "and"),
    *("reports", "where", "it", "fails", "so", "that", "we", "can", "fix", "the", "handler"),
    *("before", "the", "next", "release", "of", "this", "module"),
]


def _text(turn: int, words: int) -> str:
    rng = random.Random(turn)
    return " ".join(rng.choice(WORDS) for _ in range(words))


def tool_result(turn: int) -> str:
    """What the agent's tool answers at ``turn`` (deterministic, ~400 characters)."""
    return f"def handler_{turn}(request):\n" + "\n".join(
        f"    # {_text(turn * 31 + line, 8)}" for line in range(8)
    )


def _chunk(delta: dict[str, Any], turn: int, finish: str | None = None) -> bytes:
    data = {
        "id": f"chatcmpl-{turn:04d}abcdefghijklmnop",
        "object": "chat.completion.chunk",
        "created": 1_764_000_000 + turn,
        "model": MODEL,
        "system_fingerprint": "fp_benchmark",
        "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
    }
    return b"data: " + json.dumps(data, separators=(",", ":")).encode() + b"\n\n"


def reply(turn: int, last: bool) -> bytes:
    """The SSE stream of the model's answer at ``turn``: ~60 chunks."""
    events = [_chunk({"role": "assistant", "content": ""}, turn)]
    text = _text(turn, 50)
    for index in range(0, len(text), 6):
        events.append(_chunk({"content": text[index : index + 6]}, turn))
    if last:
        events.append(_chunk({}, turn, "stop"))
    else:
        call_id = f"call_{random.Random(turn).getrandbits(96):024x}"
        arguments = json.dumps({"path": f"src/module_{turn}.py", "pattern": "handler"})
        events.append(
            _chunk(
                {
                    "tool_calls": [
                        {
                            "index": 0,
                            "id": call_id,
                            "type": "function",
                            "function": {"name": "read_file", "arguments": ""},
                        }
                    ]
                },
                turn,
            )
        )
        for index in range(0, len(arguments), 12):
            piece = arguments[index : index + 12]
            events.append(
                _chunk({"tool_calls": [{"index": 0, "function": {"arguments": piece}}]}, turn)
            )
        events.append(_chunk({}, turn, "tool_calls"))
    events.append(b"data: [DONE]\n\n")
    return b"".join(events)


def replies(turns: int) -> list[bytes]:
    """The server's answers, in order, for a session of ``turns`` turns."""
    return [reply(turn, turn == turns - 1) for turn in range(turns)]


def _read_stream(response: httpx.Response) -> tuple[str, dict[str, Any] | None]:
    text, call = "", None
    for line in response.iter_lines():
        if not line.startswith("data: ") or line == "data: [DONE]":
            continue
        delta = json.loads(line[6:])["choices"][0]["delta"]
        text += delta.get("content") or ""
        for piece in delta.get("tool_calls") or []:
            if "id" in piece:
                call = {"id": piece["id"], "name": piece["function"]["name"], "arguments": ""}
            if call is not None:
                call["arguments"] += piece["function"].get("arguments", "")
    return text, call


def run_agent(client: httpx.Client, base_url: str, turns: int) -> str:
    """Drive a session of ``turns`` turns; returns the last answer."""
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": "Find why the handler fails and fix it."},
    ]
    for turn in range(turns):
        body = {"model": MODEL, "messages": messages, "tools": TOOLS, "stream": True}
        with client.stream("POST", base_url + PATH, json=body) as response:
            text, call = _read_stream(response)
        if call is None:
            return text
        messages = [
            *messages,
            {
                "role": "assistant",
                "content": text,
                "tool_calls": [
                    {
                        "id": call["id"],
                        "type": "function",
                        "function": {"name": call["name"], "arguments": call["arguments"]},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": call["id"], "content": tool_result(turn)},
        ]
    return text
