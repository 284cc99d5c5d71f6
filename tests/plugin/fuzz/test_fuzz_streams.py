"""Fuzzing what reads streamed replies: the SSE parsers, the plugin's reading of each
provider's wire format (text, tool calls, usage), and agentcore's providers.

A well-formed reply, cut into chunks anywhere and sprinkled with what a server may add
(comments, pings), reads back as the text and tool calls it carries; anything else raises
only the documented errors, or (the plugin's readers) nothing at all.
"""

from __future__ import annotations

import contextlib
import itertools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from agentcore.config.model import Config, ModelConfig
from agentcore.errors import ProviderError
from agentcore.messages import Message
from agentcore.providers import HttpExchange, ModelTurn, TextDelta, create_provider
from agentcore.providers.base import _retry_after, iter_sse, provider_message
from pytest_agentcassette import Body, Conversation, Interaction, RecordedRequest, RecordedResponse
from pytest_agentcassette._conversation.wire import parse_response, parse_usage
from pytest_agentcassette._format.stored_body import StoredBody
from pytest_agentcassette._located import LocatedError
from pytest_agentcassette._sse import event_sizes, events
from tests.support import wire_formats
from tests.support.fuzzing import (
    JSON,
    LATIN_1,
    SHAPED,
    SHORT_TEXT,
    TEXT,
    VOCABULARY,
    chunked,
    examples,
    sse_text,
)
from tests.support.wire_formats import Reply

PROVIDER_ERRORS = (ProviderError,)
"""All that reading a streamed answer may raise in agentcore."""

# --- server-sent events ----------------------------------------------------------------------


@examples(100)
@given(content=st.binary(max_size=60) | sse_text().map(str.encode))
def test_event_sizes_cover_the_body_or_say_none(content: bytes) -> None:
    sizes = event_sizes(content)
    if sizes is not None:
        assert sum(sizes) == len(content)
        assert all(size > 0 for size in sizes)


@examples(50)
@given(stream=sse_text())
def test_a_generated_stream_is_one_event_per_block(stream: str) -> None:
    content = stream.encode()
    blocks = stream.split("\r\n\r\n" if "\r\n" in stream else "\n\n")[:-1]
    assert event_sizes(content) == [
        len(b.encode()) + (4 if "\r\n" in stream else 2) for b in blocks
    ]
    data = [json.loads(d) for _, d in iter_sse(iter(stream.replace("\r\n", "\n").split("\n")))
            if d != "[DONE]"]  # fmt: skip
    read = [json.loads(e.data) for e in events(stream.encode()) if e.data != "[DONE]"]
    assert read == data


@examples(60)
@given(events=JSON | st.lists(st.dictionaries(SHORT_TEXT | st.just("data"), JSON, max_size=3)))
def test_legacy_sse_lists_are_checked_before_they_are_written(events: Any) -> None:
    try:
        stored = StoredBody({"sse": events})
    except LocatedError:
        return
    stored.decode()


@examples(60)
@given(lines=st.lists(TEXT | st.sampled_from(["", "data: {}", "event: x", "data:[DONE]"])))
def test_iter_sse_reads_any_lines(lines: list[str]) -> None:
    for event, data in iter_sse(iter(lines)):
        assert isinstance(event, str)
        assert isinstance(data, str)


@examples(60)
@given(body=st.binary(max_size=40) | SHAPED.map(lambda value: json.dumps(value).encode()))
def test_a_provider_error_message_is_read_from_any_error_body(body: bytes) -> None:
    assert isinstance(provider_message(body), str)


@examples(60)
@given(
    name=st.sampled_from(["retry-after", "retry-after-ms"]),
    value=LATIN_1 | st.sampled_from(["1e999", "nan", "-1", "Fri, 31 Dec 9999 23:59:59 GMT"]),
)
def test_any_retry_after_header_is_a_wait_or_nothing(name: str, value: str) -> None:
    wait = _retry_after(httpx.Response(429, headers={name.encode(): value.encode("latin-1")}))
    assert wait is None or wait >= 0


# --- well-formed replies, cut anywhere ---------------------------------------------------

ARGUMENTS = st.dictionaries(SHORT_TEXT, JSON, max_size=3)
REPLIES = st.builds(
    Reply, TEXT, st.none() | st.tuples(st.from_regex(r"[a-z_]{1,12}", fullmatch=True), ARGUMENTS)
).filter(lambda reply: bool(reply.text or reply.tool))

# api: (plugin URL, agentcore provider and model, wire format)
APIS = {
    "openai-chat": ("https://api.openai.com/v1/chat/completions", ("openai", "gpt-4o")),
    "mistral": ("https://api.mistral.ai/v1/chat/completions", ("mistral", "mistral-small")),
    "openai-responses": ("https://api.openai.com/v1/responses", ("openai", "gpt-5")),
    "anthropic": ("https://api.anthropic.com/v1/messages", ("anthropic", "claude-sonnet-4-0")),
    "gemini": (
        "https://generativelanguage.googleapis.com/v1beta/models/g:streamGenerateContent?alt=sse",
        ("google", "gemini-2.5-flash"),
    ),
}
NOISE = [b": keep-alive\n\n", b'event: ping\ndata: {"type": "ping"}\n\n', b":\n\n"]


def _events(api: str, reply: Reply) -> list[bytes]:
    body = {"stream": True, "stream_options": {"include_usage": True}}
    if api == "openai-chat":
        wire = wire_formats.openai_chat(body, reply)
    elif api == "mistral":
        wire = wire_formats.openai_chat(body, reply, mistral=True)
    elif api == "openai-responses":
        wire = wire_formats.openai_responses(body, reply)
    elif api == "anthropic":
        wire = wire_formats.anthropic(body, reply)
    else:
        wire = wire_formats.gemini(body, reply, stream=True)
    return list(wire.events or [])


@st.composite
def streams(draw: st.DrawFn) -> tuple[str, Reply, bytes, list[int] | None]:
    """``(api, reply, the reply's SSE bytes with noise, chunk sizes)``."""
    api, reply = draw(st.sampled_from(sorted(APIS))), draw(REPLIES)
    events = _events(api, reply)
    for _ in range(draw(st.integers(0, 2))):
        noise = draw(st.sampled_from(NOISE))
        if api == "gemini":
            noise = noise.replace(b"\n", b"\r\n")
        events.insert(draw(st.integers(0, len(events))), noise)
    content = b"".join(events)
    return api, reply, content, chunked(content, draw(st.lists(st.integers(1, 10**6))))


def _calls(reply: Reply) -> list[tuple[str, Any]]:
    return [reply.tool] if reply.tool else []


@examples(60)
@given(stream=streams())
def test_the_plugin_reads_text_and_tool_calls_from_every_provider_stream(
    stream: tuple[str, Reply, bytes, list[int] | None],
) -> None:
    api, reply, content, sizes = stream
    request = RecordedRequest("POST", APIS[api][0])
    parsed = parse_response(request, RecordedResponse(200, body=Body.from_bytes(content, sizes)))
    assert parsed.text == reply.text
    assert [(name, json.loads(args) if isinstance(args, str) else args)
            for _, name, args in parsed.tool_calls] == _calls(reply)  # fmt: skip
    assert parsed.usage is not None


class _Chunks(httpx.SyncByteStream):
    def __init__(self, chunks: list[bytes]):
        self.chunks = chunks

    def __iter__(self) -> Iterator[bytes]:
        yield from self.chunks


def _agentcore_read(api: str, content: bytes, sizes: list[int] | None) -> list[Any]:
    """What agentcore's provider for ``api`` yields for a 200 answer streamed in chunks."""
    chunks = [content]
    if sizes is not None:
        edges = [sum(sizes[:i]) for i in range(len(sizes) + 1)]
        chunks = [content[a:b] for a, b in itertools.pairwise(edges)]

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, stream=_Chunks(chunks))

    provider, model = APIS[api][1]
    config = ModelConfig(name="m", provider=provider, model=model)
    whole = Config(Path("agent.yaml"), "2", {}, {"m": config})
    with httpx.Client(transport=httpx.MockTransport(answer)) as client:
        made = create_provider(config, whole, HttpExchange(client, sleep=lambda _: None), {})
        return list(made.stream([Message("user", "hi")], []))


@examples(60)
@given(stream=streams())
def test_agentcore_reads_text_and_tool_calls_from_every_provider_stream(
    stream: tuple[str, Reply, bytes, list[int] | None],
) -> None:
    api, reply, content, sizes = stream
    items = _agentcore_read(api, content, sizes)
    turn = items[-1]
    assert isinstance(turn, ModelTurn)
    assert "".join(item.text for item in items[:-1] if isinstance(item, TextDelta)) == reply.text
    assert turn.text == reply.text
    assert [(c.name, c.parsed_arguments()) for c in turn.tool_calls] == _calls(reply)
    assert turn.finish_reason == ("tool_calls" if reply.tool else "stop")


# --- garbage ------------------------------------------------------------------------------


def _leaves(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield path
    if isinstance(value, (dict, list)):
        for key, item in value.items() if isinstance(value, dict) else enumerate(value):
            yield from _leaves(item, (*path, key))


def _mutated(draw: st.DrawFn, event: bytes) -> bytes:
    """``event`` with one value of its JSON data replaced by any other."""
    head, _, data = event.partition(b"data: ")
    document = json.loads(data)
    path = draw(st.sampled_from(list(_leaves(document))))
    if not path:
        return head + b"data: " + json.dumps(draw(SHAPED)).encode() + b"\n\n"
    parent = document
    for step in path[:-1]:
        parent = parent[step]
    parent[path[-1]] = draw(SHAPED)
    return head + b"data: " + json.dumps(document).encode() + b"\n\n"


@st.composite
def garbage_streams(draw: st.DrawFn) -> tuple[str, bytes, list[int] | None]:
    api = draw(st.sampled_from(sorted(APIS)))
    events = _events(api, draw(REPLIES))
    for _ in range(draw(st.integers(0, 3))):
        index = draw(st.integers(0, len(events) - 1))
        if b"[DONE]" not in events[index]:
            events[index] = _mutated(draw, events[index])
    for _ in range(draw(st.integers(0, 2))):
        document = json.dumps(draw(SHAPED | st.dictionaries(VOCABULARY, SHAPED, max_size=4)))
        kind = draw(st.sampled_from(["", "event: " + draw(VOCABULARY) + "\n"]))
        junk = draw(st.sampled_from([f"{kind}data: {document}\n\n", "data: {\n\n", "data\n\n"]))
        events.insert(draw(st.integers(0, len(events))), junk.encode())
    if draw(st.booleans()):
        events = events[: draw(st.integers(0, len(events)))]
    content = b"".join(events)
    if draw(st.booleans()):
        content += draw(st.binary(max_size=20))
    return api, content, chunked(content, draw(st.lists(st.integers(1, 10**6))))


@examples(100)
@given(stream=garbage_streams())
def test_the_plugin_reads_any_stream_without_raising(
    stream: tuple[str, bytes, list[int] | None],
) -> None:
    api, content, sizes = stream
    request = RecordedRequest("POST", APIS[api][0])
    response = RecordedResponse(200, body=Body.from_bytes(content, sizes))
    parse_response(request, response)
    parse_usage(request, response)
    Conversation.of([Interaction(request, response)] * 2)


@examples(100)
@given(stream=garbage_streams())
def test_agentcore_reads_any_stream_or_raises_a_provider_error(
    stream: tuple[str, bytes, list[int] | None],
) -> None:
    api, content, sizes = stream
    with contextlib.suppress(*PROVIDER_ERRORS):
        _agentcore_read(api, content, sizes)


# --- what the fuzzing found, kept fixed -------------------------------------------------------


def _sse(*documents: Any) -> bytes:
    return b"".join(b"data: " + json.dumps(d).encode() + b"\n\n" for d in documents)


def test_the_plugin_reads_calls_with_odd_ids_and_indexes_and_huge_counts() -> None:
    chat, messages = APIS["openai-chat"][0], APIS["anthropic"][0]
    odd = [
        (chat, _sse({"choices": [{"delta": {"tool_calls": [{"index": [0], "id": {}}]}}]})),
        (chat, _sse({"choices": [], "usage": {"prompt_tokens": 1e999, "completion_tokens": 2}})),
        (messages, _sse({"type": "content_block_start", "index": {}, "content_block": {}})),
        (chat, _sse({"choices": [{"delta": {"content": [None, 3, {"text": "a"}]}}]})),
        (messages, _sse({"type": "content_block_start", "content_block": {"type": "tool_use",
                                                                         "id": ["x"]}})),
    ]  # fmt: skip
    for url, content in odd:
        request, response = RecordedRequest("POST", url), RecordedResponse(200)
        response.body = Body.from_bytes(content)
        Conversation.of([Interaction(request, response)] * 2)
    usage = parse_response(RecordedRequest("POST", chat), RecordedResponse(200, body=Body.from_bytes(odd[1][1]))).usage  # fmt: skip
    assert usage == (0, 2, 2)


def test_agentcore_names_an_answer_in_another_shape_as_a_provider_error() -> None:
    for api, content in [
        ("openai-chat", b"data: null\n\n"),
        ("anthropic", b'data: {"type": "message_start", "message": "x"}\n\n'),
        ("gemini", b'data: {"usageMetadata": {"promptTokenCount": 1e999}}\n\n'),
        ("openai-responses", b'data: ["response.completed"]\n\n'),
    ]:
        with pytest.raises(ProviderError, match=r"an event is not in .*'s format .* base_url"):
            _agentcore_read(api, content, None)


_TRANSCRIPT_URLS = [url for url, _ in APIS.values()] + [
    "wss://api.openai.com/v1/realtime?model=gpt-realtime",
    "stdio:python server.py",
    "http://[::1/v1/chat/completions",
]


@examples(100)
@given(
    requests=st.lists(
        st.tuples(
            st.sampled_from(_TRANSCRIPT_URLS),
            SHAPED.map(lambda value: json.dumps(value).encode()) | st.binary(max_size=40),
            st.binary(max_size=60),
        ),
        min_size=1,
        max_size=4,
    )
)
def test_any_conversation_reads_as_a_transcript_without_raising(
    requests: list[tuple[str, bytes, bytes]],
) -> None:
    from pytest_agentcassette._conversation.transcript import Transcript
    from pytest_agentcassette._report.terminal import as_data, render

    interactions = [
        Interaction(
            RecordedRequest("POST", url, body=Body.from_bytes(sent)),
            RecordedResponse(200, body=Body.from_bytes(answer)),
            position,
        )
        for position, (url, sent, answer) in enumerate(requests)
    ]
    transcript = Transcript.of(interactions)
    json.dumps(as_data("c.yaml", transcript))
    render("c.yaml", transcript, colour=True, full=False)
