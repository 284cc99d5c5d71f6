"""Request bodies as they are compared: IDs, opaque tokens, ignored fields, regex rules."""

from __future__ import annotations

import re
from typing import Any

import pytest

from pytest_agentcassette._matching.normalize import BodyNormalizer, parse_pointer

NORMALIZE = BodyNormalizer().json


def openai_chat(call_id: str, arguments: str = '{"path":"README.md"}') -> dict[str, Any]:
    return {
        "model": "gpt-4o",
        "messages": [
            {"role": "user", "content": "Read the README"},
            {
                "role": "assistant",
                "tool_calls": [
                    {
                        "id": call_id,
                        "type": "function",
                        "function": {"name": "read_file", "arguments": arguments},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": call_id, "content": "# Title"},
        ],
        "tools": [{"type": "function", "function": {"name": "read_file", "parameters": {}}}],
    }


def responses(call_id: str, item_id: str, previous: str = "resp_1") -> dict[str, Any]:
    return {
        "model": "gpt-5",
        "previous_response_id": previous,
        "input": [
            {"role": "user", "content": "Read the README"},
            {"type": "reasoning", "id": "rs_" + item_id, "encrypted_content": item_id * 3},
            {
                "type": "function_call",
                "id": "fc_" + item_id,
                "call_id": call_id,
                "name": "read_file",
                "arguments": '{"path":"README.md"}',
            },
            {"type": "function_call_output", "call_id": call_id, "output": "# Title"},
        ],
    }


def anthropic(tool_id: str, signature: str) -> dict[str, Any]:
    return {
        "model": "claude-sonnet-4-0",
        "messages": [
            {"role": "user", "content": "Read the README"},
            {
                "role": "assistant",
                "content": [
                    {"type": "thinking", "thinking": "I should read it.", "signature": signature},
                    {
                        "type": "tool_use",
                        "id": tool_id,
                        "name": "read_file",
                        "input": {"path": "x"},
                    },
                ],
            },
            {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": tool_id, "content": "# Title"}],
            },
        ],
    }


def gemini(call_id: str, signature: str) -> dict[str, Any]:
    return {
        "contents": [
            {"role": "user", "parts": [{"text": "Read the README"}]},
            {
                "role": "model",
                "parts": [
                    {
                        "functionCall": {"id": call_id, "name": "read_file", "args": {"path": "x"}},
                        "thoughtSignature": signature,
                    }
                ],
            },
            {
                "role": "user",
                "parts": [
                    {"functionResponse": {"id": call_id, "name": "read_file", "response": {}}}
                ],
            },
        ]
    }


PAIRS = {
    "openai chat": (
        openai_chat("call_AAAAAAAAAAAAAAAAAAAAAAAA"),
        openai_chat("call_BBBBBBBBBBBBBBBBBBBBBBBB"),
    ),
    "mistral": (openai_chat("D9WYdiHxV"), openai_chat("9v45XkLNV")),
    "vllm": (openai_chat("chatcmpl-tool-1f2e"), openai_chat("chatcmpl-tool-9a8b")),
    "openai responses": (
        responses("call_x1", "aaaa", "resp_1"),
        responses("call_y2", "bbbb", "resp_2"),
    ),
    "anthropic": (anthropic("toolu_01AAAA", "sig-one"), anthropic("toolu_01BBBB", "sig-two")),
    "gemini (cagent's client ids)": (
        gemini("call_1338bc52-c261-432d-b5e5-9dfb8f9c13bb", "s1"),
        gemini("call_00000000-1111-2222-3333-444444444444", "s2"),
    ),
}


@pytest.mark.parametrize("shape", PAIRS)
def test_conversations_that_differ_only_in_ids_compare_equal(shape: str) -> None:
    first, second = PAIRS[shape]
    assert first != second
    assert NORMALIZE(first) == NORMALIZE(second)


def test_ids_become_placeholders_numbered_by_first_appearance() -> None:
    body = openai_chat("call_AAAAAAAAAAAAAAAAAAAAAAAA")
    body["messages"].append(
        {
            "role": "assistant",
            "tool_calls": [{"id": "call_second", "type": "function", "function": {"name": "ls"}}],
        }
    )
    messages = NORMALIZE(body)["messages"]
    assert messages[1]["tool_calls"][0]["id"] == "<tool-call-1>"
    assert messages[2]["tool_call_id"] == "<tool-call-1>"
    assert messages[3]["tool_calls"][0]["id"] == "<tool-call-2>"


def test_a_changed_tool_call_still_differs() -> None:
    before = openai_chat("call_AAAAAAAAAAAAAAAAAAAAAAAA", '{"path":"README.md"}')
    after = openai_chat("call_BBBBBBBBBBBBBBBBBBBBBBBB", '{"path":"setup.py"}')
    assert NORMALIZE(before) != NORMALIZE(after)


def test_swapped_tool_results_still_differ() -> None:
    def two_calls(first: str, second: str) -> dict[str, Any]:
        calls = [
            {"id": first, "type": "function", "function": {"name": "a"}},
            {"id": second, "type": "function", "function": {"name": "b"}},
        ]
        return {
            "messages": [
                {"role": "assistant", "tool_calls": calls},
                {"role": "tool", "tool_call_id": first, "content": "A"},
                {"role": "tool", "tool_call_id": second, "content": "B"},
            ]
        }

    crossed = two_calls("x1", "x2")
    crossed["messages"][1]["tool_call_id"], crossed["messages"][2]["tool_call_id"] = "x2", "x1"
    assert NORMALIZE(two_calls("y1", "y2")) == NORMALIZE(two_calls("x1", "x2"))
    assert NORMALIZE(crossed) != NORMALIZE(two_calls("x1", "x2"))


def test_known_ids_quoted_in_text_follow_their_placeholder() -> None:
    body = openai_chat("call_I1tmAsYKD7bveEpXORJwVFgs")
    body["messages"].append(
        {"role": "user", "content": "What did call_I1tmAsYKD7bveEpXORJwVFgs return?"}
    )
    assert NORMALIZE(body)["messages"][3]["content"] == "What did <tool-call-1> return?"


def test_tool_names_and_schemas_are_left_alone() -> None:
    body = {
        "tools": [
            {
                "type": "function",
                "function": {
                    "name": "call_weather_api",
                    "parameters": {
                        "type": "object",
                        "properties": {"x": {"type": ["string", "null"]}},
                    },
                },
            }
        ]
    }
    assert NORMALIZE(body) == body


def test_ignored_pointers_and_text_rules() -> None:
    normalizer = BodyNormalizer(
        ignore_json_pointers=(parse_pointer("/metadata/user_id"), parse_pointer("/messages/*/ts")),
        normalize_text=((re.compile(r"\d{4}-\d{2}-\d{2}"), "<date>"),),
    )
    body = {
        "metadata": {"user_id": "u-1", "team": "x"},
        "messages": [{"role": "system", "content": "Today is 2026-11-26.", "ts": 1}],
    }
    assert normalizer.json(body) == {
        "metadata": {"team": "x"},
        "messages": [{"content": "Today is <date>.", "role": "system"}],
    }
    assert normalizer.text("on 2026-11-26") == "on <date>"


@pytest.mark.parametrize(
    ("pointer", "tokens"),
    [
        ("", ()),
        ("/a/b", ("a", "b")),
        ("/a~1b/~0c", ("a/b", "~c")),
        ("/messages/*/id", ("messages", "*", "id")),
    ],
)
def test_json_pointers_parse_as_rfc_6901(pointer: str, tokens: tuple[str, ...]) -> None:
    assert parse_pointer(pointer) == tokens


def test_a_pointer_without_a_leading_slash_is_refused() -> None:
    with pytest.raises(ValueError, match="must start with '/'"):
        parse_pointer("metadata/user_id")


def test_ids_inside_tool_arguments_are_data_and_stay() -> None:
    def hang_up(sid: str) -> dict[str, Any]:
        return {
            "messages": [
                {
                    "role": "assistant",
                    "content": [
                        {
                            "type": "tool_use",
                            "id": "toolu_01A",
                            "name": "hang_up",
                            "input": {"call_id": sid},
                        }
                    ],
                },
                {
                    "role": "model",
                    "parts": [{"functionCall": {"name": "hang_up", "args": {"call_id": sid}}}],
                },
            ]
        }

    assert NORMALIZE(hang_up("CA111")) != NORMALIZE(hang_up("CA999"))


def test_camel_case_tool_names_are_not_taken_for_ids() -> None:
    def said(name: str) -> dict[str, Any]:
        return {"messages": [{"role": "user", "content": f"I called {name} for you"}]}

    assert NORMALIZE(said("call_getWeatherForecastNow")) != NORMALIZE(
        said("call_sendPaymentToRecipient")
    )


@pytest.mark.parametrize(
    "volatile",
    [
        {"type": "redacted_thinking", "data": "EmwKAhgBEgy3va3pzix"},
        {"type": "web_search_result", "url": "https://x", "encrypted_index": "Eo8BCioIAhgB"},
        {"type": "mcp_approval_response", "approval_request_id": "mcpr_682d498e", "approve": True},
        {"type": "item_reference", "id": "msg_67ccd3"},
        {"type": "image_generation_call", "id": "ig_123"},
    ],
)
def test_other_per_run_values_are_normalized(volatile: dict[str, Any]) -> None:
    def body(value: dict[str, Any]) -> dict[str, Any]:
        return {"input": [{"role": "user", "content": "hi"}, value]}

    changed = {
        key: (value + "-other" if key not in ("type", "url") and isinstance(value, str) else value)
        for key, value in volatile.items()
    }
    assert NORMALIZE(body(volatile)) == NORMALIZE(body(changed))


def _rpc(id_: Any, method: str, params: dict[str, Any]) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": id_, "method": method, "params": params}


def test_jsonrpc_ids_progress_tokens_and_initialize_versions_do_not_matter() -> None:
    normalize = BodyNormalizer().json
    call = {"name": "add", "arguments": {"a": 2}, "_meta": {"progressToken": 7}}
    assert normalize(_rpc(3, "tools/call", call)) == normalize(
        _rpc(30, "tools/call", {**call, "_meta": {"progressToken": 99}})
    )
    hello = {"protocolVersion": "2025-06-18", "clientInfo": {"name": "mcp", "version": "1.9"}}
    newer = {"protocolVersion": "2025-11-25", "clientInfo": {"name": "mcp", "version": "2.3"}}
    assert normalize(_rpc(0, "initialize", hello)) == normalize(_rpc(1, "initialize", newer))
    other = {**newer, "clientInfo": {"name": "another", "version": "2.3"}}
    assert normalize(_rpc(0, "initialize", hello)) != normalize(_rpc(0, "initialize", other))


def test_what_a_jsonrpc_message_asks_still_differs() -> None:
    normalize = BodyNormalizer().json
    add = _rpc(3, "tools/call", {"name": "add", "arguments": {"a": 2}})
    assert normalize(add) != normalize(
        _rpc(3, "tools/call", {"name": "add", "arguments": {"a": 5}})
    )
    assert normalize(add) != normalize(
        _rpc(3, "tools/call", {"name": "sub", "arguments": {"a": 2}})
    )
    # a tool's arguments are the user's data, even when they look like an id
    call_id = "call_" + "Ab1" * 8
    with_id = _rpc(3, "tools/call", {"name": "echo", "arguments": {"text": call_id}})
    assert normalize(with_id)["params"]["arguments"] == {"text": call_id}


def test_the_versions_newer_clients_send_with_every_request_do_not_matter() -> None:
    normalize = BodyNormalizer().json

    def discover(client: str) -> dict[str, Any]:
        meta = {
            "io.modelcontextprotocol/protocolVersion": "2026-07-28" if client > "4.2" else "x",
            "io.modelcontextprotocol/clientInfo": {"name": "fastmcp", "version": client},
        }
        return _rpc(1, "server/discover", {"_meta": meta})

    assert normalize(discover("4.2.3")) == normalize(discover("4.2.2"))
    cancelled = {"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 4}}
    moved = {**cancelled, "params": {"requestId": 40}}
    assert normalize(cancelled) == normalize(moved)
