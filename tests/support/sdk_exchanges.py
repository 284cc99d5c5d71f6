"""A two-turn, tool-using exchange through each official SDK, sync or async, streamed or not.

Turn one asks for the weather; the model answers with some text and a ``get_weather``
call; the client runs the tool and sends its result back; turn two gets the final answer.
Each exchange returns what the SDK handed to the code (its objects, dumped), so that a
recording and its replay can be compared.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

QUESTION = "What's the weather in Paris?"
TOOL_RESULT = "Sunny, 21°C"
PARAMETERS = {
    "type": "object",
    "properties": {"city": {"type": "string", "description": "The city"}},
    "required": ["city"],
}

Dump = Any
Call = dict[str, Any]  # id, name, arguments (a JSON string)


def _dump(value: Any) -> Dump:
    return value.model_dump(mode="json")


def _run(client: Any, turn: Callable[[Any], Any], is_async: bool) -> list[Dump]:
    """Two turns with ``client``, closed afterwards (its sockets with it)."""
    if not is_async:
        with client:
            return [turn(client), turn(client)]

    async def both() -> list[Dump]:
        async with client:
            return [await turn(client), await turn(client)]

    return asyncio.run(both())


def _chat_call(chunks_or_message: Any, stream: bool) -> tuple[str, Call | None]:
    """Text and tool call of a Chat Completions answer (dumped), Mistral's included."""
    if not stream:
        message = chunks_or_message["choices"][0]["message"]
        calls = message.get("tool_calls") or []
        call = calls[0] if calls else None
        text = message.get("content") or ""
        return text, ({"id": call["id"], **call["function"]} if call is not None else None)
    text, call = "", None
    for chunk in chunks_or_message:
        chunk = chunk.get("data", chunk)  # Mistral wraps each chunk
        for choice in chunk.get("choices") or []:
            delta = choice.get("delta") or {}
            text += delta.get("content") or ""
            for piece in delta.get("tool_calls") or []:
                function = piece.get("function") or {}
                if piece.get("id"):
                    call = {"id": piece["id"], "name": function.get("name"), "arguments": ""}
                if call is not None:
                    call["arguments"] += function.get("arguments") or ""
    return text, call


def openai_chat(base_url: str, *, stream: bool, is_async: bool) -> list[Dump]:
    import openai

    tools = [{"type": "function", "function": {"name": "get_weather", "parameters": PARAMETERS}}]
    messages: list[dict[str, Any]] = [{"role": "user", "content": QUESTION}]
    options = {"base_url": base_url + "/v1", "api_key": "sk-test", "max_retries": 0}

    def follow(answer: Dump) -> Dump:
        text, call = _chat_call(answer, stream)
        if call is not None:
            messages.append(
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
                }
            )
            messages.append({"role": "tool", "tool_call_id": call["id"], "content": TOOL_RESULT})
        return answer

    def request() -> dict[str, Any]:
        return {"model": "gpt-4o", "messages": list(messages), "tools": tools}

    async def turn_async(client: Any) -> Dump:
        if stream:
            chunks = await client.chat.completions.create(**request(), stream=True)
            return follow([_dump(c) async for c in chunks])
        return follow(_dump(await client.chat.completions.create(**request())))

    def turn(client: Any) -> Dump:
        if stream:
            return follow(
                [_dump(c) for c in client.chat.completions.create(**request(), stream=True)]
            )
        return follow(_dump(client.chat.completions.create(**request())))

    if is_async:
        return _run(openai.AsyncOpenAI(**options), turn_async, True)  # type: ignore[arg-type]
    return _run(openai.OpenAI(**options), turn, False)  # type: ignore[arg-type]


def openai_responses(base_url: str, *, stream: bool, is_async: bool) -> list[Dump]:
    import openai

    tools = [{"type": "function", "name": "get_weather", "parameters": PARAMETERS}]
    items: list[dict[str, Any]] = [{"role": "user", "content": QUESTION}]
    options = {"base_url": base_url + "/v1", "api_key": "sk-test", "max_retries": 0}

    def follow(answer: Dump) -> Dump:
        final = answer[-1]["response"] if stream else answer
        for item in final["output"]:
            if item["type"] == "function_call":
                items.append(
                    {
                        "type": "function_call",
                        "call_id": item["call_id"],
                        "name": item["name"],
                        "arguments": item["arguments"],
                    }
                )
                items.append(
                    {
                        "type": "function_call_output",
                        "call_id": item["call_id"],
                        "output": TOOL_RESULT,
                    }
                )
        return answer

    def request() -> dict[str, Any]:
        return {"model": "gpt-5", "input": list(items), "tools": tools}

    async def turn_async(client: Any) -> Dump:
        if stream:
            events = await client.responses.create(**request(), stream=True)
            return follow([_dump(e) async for e in events])
        return follow(_dump(await client.responses.create(**request())))

    def turn(client: Any) -> Dump:
        if stream:
            return follow([_dump(e) for e in client.responses.create(**request(), stream=True)])
        return follow(_dump(client.responses.create(**request())))

    if is_async:
        return _run(openai.AsyncOpenAI(**options), turn_async, True)  # type: ignore[arg-type]
    return _run(openai.OpenAI(**options), turn, False)  # type: ignore[arg-type]


def anthropic_messages(base_url: str, *, stream: bool, is_async: bool) -> list[Dump]:
    import anthropic

    tools = [{"name": "get_weather", "description": "Weather", "input_schema": PARAMETERS}]
    messages: list[dict[str, Any]] = [{"role": "user", "content": QUESTION}]
    options = {"base_url": base_url, "api_key": "sk-ant-test", "max_retries": 0}

    def follow(answer: Dump) -> Dump:
        blocks: list[dict[str, Any]] = []
        if stream:
            for event in answer:
                if event["type"] == "content_block_start":
                    blocks.append(dict(event["content_block"], partial=""))
                elif event["type"] == "content_block_delta":
                    delta = event["delta"]
                    if delta["type"] == "text_delta":
                        blocks[-1]["text"] += delta["text"]
                    elif delta["type"] == "input_json_delta":
                        blocks[-1]["partial"] += delta["partial_json"]
            for block in blocks:
                partial = block.pop("partial")
                if block["type"] == "tool_use":
                    block["input"] = json.loads(partial or "{}")
        else:
            blocks = answer["content"]
        content = [
            {"type": "text", "text": b["text"]}
            if b["type"] == "text"
            else {"type": "tool_use", "id": b["id"], "name": b["name"], "input": b["input"]}
            for b in blocks
        ]
        calls = [b for b in content if b["type"] == "tool_use"]
        if calls:
            messages.append({"role": "assistant", "content": content})
            results = [
                {"type": "tool_result", "tool_use_id": c["id"], "content": TOOL_RESULT}
                for c in calls
            ]
            messages.append({"role": "user", "content": results})
        return answer

    def request() -> dict[str, Any]:
        return {
            "model": "claude-sonnet-4-0",
            "max_tokens": 512,
            "messages": list(messages),
            "tools": tools,
        }

    async def turn_async(client: Any) -> Dump:
        if stream:
            events = await client.messages.create(**request(), stream=True)
            return follow([_dump(e) async for e in events])
        return follow(_dump(await client.messages.create(**request())))

    def turn(client: Any) -> Dump:
        if stream:
            return follow([_dump(e) for e in client.messages.create(**request(), stream=True)])
        return follow(_dump(client.messages.create(**request())))

    if is_async:
        return _run(anthropic.AsyncAnthropic(**options), turn_async, True)  # type: ignore[arg-type]
    return _run(anthropic.Anthropic(**options), turn, False)  # type: ignore[arg-type]


def google_genai(base_url: str, *, stream: bool, is_async: bool) -> list[Dump]:
    import httpx2
    from google import genai
    from google.genai import types

    declaration = types.FunctionDeclaration(
        name="get_weather",
        description="Weather",
        parameters=PARAMETERS,  # type: ignore[arg-type]
    )
    config = types.GenerateContentConfig(tools=[types.Tool(function_declarations=[declaration])])
    contents: list[Any] = [types.Content(role="user", parts=[types.Part(text=QUESTION)])]
    # With aiohttp installed, google-genai sends async calls through it (recorded too, see
    # test_network_guard.py): an httpx2 client keeps these exchanges on httpx2.
    async_client = httpx2.AsyncClient() if is_async else None
    options = types.HttpOptions(base_url=base_url, httpx_async_client=async_client)
    client = genai.Client(api_key="test-key", http_options=options)

    def follow(answer: Dump) -> Dump:
        responses = answer if stream else [answer]
        parts = [
            part
            for response in responses
            for candidate in response.get("candidates") or []
            for part in (candidate.get("content") or {}).get("parts") or []
        ]
        for part in parts:
            call = part.get("function_call")
            if call:
                contents.append(
                    types.Content(
                        role="model",
                        parts=[types.Part(function_call=types.FunctionCall(**call))],
                    )
                )
                response = types.FunctionResponse(
                    name=call["name"], response={"output": TOOL_RESULT}
                )
                contents.append(
                    types.Content(role="user", parts=[types.Part(function_response=response)])
                )
        return answer

    request = {"model": "gemini-2.5-flash", "config": config}

    async def turn_async(aio: Any) -> Dump:
        if stream:
            chunks = await aio.models.generate_content_stream(contents=list(contents), **request)
            return follow([_dump(c) async for c in chunks])
        return follow(_dump(await aio.models.generate_content(contents=list(contents), **request)))

    def turn(client: Any) -> Dump:
        models = client.models
        if stream:
            answer = models.generate_content_stream(contents=list(contents), **request)
            return follow([_dump(c) for c in answer])
        return follow(_dump(models.generate_content(contents=list(contents), **request)))

    if async_client is not None:

        async def both() -> list[Dump]:
            async with async_client, client.aio as aio:
                return [await turn_async(aio), await turn_async(aio)]

        try:
            return asyncio.run(both())
        finally:
            client.close()
    return _run(client, turn, False)


def mistral_chat(base_url: str, *, stream: bool, is_async: bool) -> list[Dump]:
    from mistralai.client import Mistral

    tools = [{"type": "function", "function": {"name": "get_weather", "parameters": PARAMETERS}}]
    messages: list[dict[str, Any]] = [{"role": "user", "content": QUESTION}]

    def follow(answer: Dump) -> Dump:
        text, call = _chat_call(answer, stream)
        if call is not None:
            messages.append(
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
                }
            )
            messages.append(
                {
                    "role": "tool",
                    "tool_call_id": call["id"],
                    "name": call["name"],
                    "content": TOOL_RESULT,
                }
            )
        return answer

    def request() -> dict[str, Any]:
        return {"model": "mistral-small-latest", "messages": list(messages), "tools": tools}

    async def turn_async(client: Any) -> Dump:
        if stream:
            events = await client.chat.stream_async(**request())
            return follow([_dump(e) async for e in events])
        return follow(_dump(await client.chat.complete_async(**request())))

    def turn(client: Any) -> Dump:
        if stream:
            return follow([_dump(e) for e in client.chat.stream(**request())])
        return follow(_dump(client.chat.complete(**request())))

    client = Mistral(api_key="test-key", server_url=base_url + "/mistral")
    return _run(client, turn_async if is_async else turn, is_async)


EXCHANGES: dict[str, Callable[..., list[Dump]]] = {
    "openai-chat": openai_chat,
    "openai-responses": openai_responses,
    "anthropic": anthropic_messages,
    "google-genai": google_genai,
    "mistralai": mistral_chat,
}
