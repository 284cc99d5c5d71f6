"""Reading responses of every provider, including the shapes that trip naive readers."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pytest_agentcassette import (
    Body,
    Conversation,
    Interaction,
    RecordedRequest,
    RecordedResponse,
    ToolCall,
    Usage,
)
from pytest_agentcassette._matching.nearest import render_patch


def exchange(path: str, body: str | Any) -> Conversation:
    text = body if isinstance(body, str) else json.dumps(body)
    request = RecordedRequest("POST", "https://api.example.test" + path)
    response = RecordedResponse(200, "OK", [], Body.from_bytes(text.encode()))
    return Conversation.of([Interaction(request, response)])


def sse(*documents: Any) -> str:
    return "".join(f"data: {json.dumps(d)}\n\n" for d in documents)


def chunk(delta: dict[str, Any], index: int = 0) -> dict[str, Any]:
    return {"choices": [{"index": index, "delta": delta}]}


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/rooms/7/messages", {"type": "message", "content": "hello"}),  # not Anthropic
        ("/v1beta/models/g:generateContent", {"usageMetadata": {"promptTokenCount": None}}),
        ("/v1/chat/completions", {"choices": {"0": "x"}}),
        ("/v1/responses", {"object": "response", "output": ["a", None]}),
        (
            "/v1/messages",
            sse(
                {
                    "type": "content_block_delta",
                    "delta": {"type": "input_json_delta", "partial_json": None},
                }
            ),
        ),
        (
            "/v1/messages",
            {"type": "error", "error": {"type": "overloaded_error", "message": "busy"}},
        ),
        ("/v1/chat/completions", "not json at all"),
        ("/v1/chat/completions", ""),
    ],
)
def test_unexpected_shapes_are_read_without_raising(path: str, body: Any) -> None:
    conversation = exchange(path, body)
    assert conversation.tool_calls == []


def test_an_error_body_reports_no_usage() -> None:
    error = {"type": "error", "error": {"type": "overloaded_error", "message": "busy"}}
    assert exchange("/v1/messages", error).exchanges[0].usage is None


def test_only_the_first_of_several_choices_is_the_conversation() -> None:
    body = sse(
        chunk({"content": "Hello"}, 0),
        chunk({"content": "Goodbye"}, 1),
        chunk({"content": " there"}, 0),
    )
    assert exchange("/v1/chat/completions", body).exchanges[0].text == "Hello there"


def test_parallel_calls_that_share_an_index_stay_apart() -> None:
    first = {
        "index": 0,
        "id": "call_A",
        "function": {"name": "weather", "arguments": '{"city":"Paris"}'},
    }
    second = {
        "index": 0,
        "id": "call_B",
        "function": {"name": "weather", "arguments": '{"city":"London"}'},
    }
    body = sse(chunk({"tool_calls": [first]}), chunk({"tool_calls": [second]}))
    assert exchange("/v1/chat/completions", body).tool_calls == [
        ToolCall("weather", {"city": "Paris"}, "tool-call-1"),
        ToolCall("weather", {"city": "London"}, "tool-call-2"),
    ]


def test_custom_tools_are_tool_calls() -> None:
    chat = {
        "choices": [
            {
                "index": 0,
                "message": {
                    "tool_calls": [
                        {
                            "id": "call_1",
                            "type": "custom",
                            "custom": {"name": "sql", "input": "SELECT 1"},
                        }
                    ]
                },
            }
        ]
    }
    responses = {
        "object": "response",
        "output": [
            {"type": "custom_tool_call", "call_id": "call_2", "name": "sql", "input": "SELECT 1"}
        ],
    }
    expected = [ToolCall("sql", "SELECT 1", "tool-call-1")]
    assert exchange("/v1/chat/completions", chat).tool_calls == expected
    assert exchange("/v1/responses", responses).tool_calls == expected


def test_mistral_content_parts_are_text() -> None:
    parts = [
        {"type": "thinking", "thinking": [{"type": "text", "text": "hmm"}]},
        {"type": "text", "text": "The answer is 4."},
    ]
    body = {"choices": [{"index": 0, "message": {"role": "assistant", "content": parts}}]}
    assert exchange("/v1/chat/completions", body).exchanges[0].text == "The answer is 4."


def test_gemini_streams_without_sse_are_a_json_array() -> None:
    documents = [
        {"candidates": [{"content": {"parts": [{"text": "Hi "}]}}]},
        {
            "candidates": [{"content": {"parts": [{"text": "there"}]}}],
            "usageMetadata": {"promptTokenCount": 3, "candidatesTokenCount": 2},
        },
    ]
    conversation = exchange("/v1beta/models/g:streamGenerateContent", documents)
    assert conversation.exchanges[0].text == "Hi there"
    assert conversation.usage == Usage(3, 2, 5)


def test_anthropic_cached_prompt_tokens_count_as_input() -> None:
    usage = {
        "input_tokens": 12,
        "cache_read_input_tokens": 48000,
        "cache_creation_input_tokens": 0,
        "output_tokens": 20,
    }
    message = {"type": "message", "content": [{"type": "text", "text": "ok"}], "usage": usage}
    assert exchange("/v1/messages", message).usage == Usage(48012, 20, 48032)


def test_each_change_is_shown_against_the_document_as_the_earlier_changes_left_it() -> None:
    recorded = {
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "It is sunny in Paris today."},
            {"role": "user", "content": "And tomorrow in Paris?"},
        ]
    }
    patch = [
        {"op": "remove", "path": "/messages/0"},
        {"op": "replace", "path": "/messages/1/content", "value": "And tomorrow in London?"},
    ]
    assert render_patch(patch, recorded) == [
        'remove /messages/0 (was {"role": "system", "content": "Be brief."})',
        'replace /messages/1/content: "And tomorrow in Paris?" → "And tomorrow in London?"',
    ]
