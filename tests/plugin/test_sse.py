"""The SSE reader's event sizes: a replay hands a stream over one event per chunk, and only a
whole stream of events has them."""

from __future__ import annotations

import pytest

from pytest_agentcassette._sse import event_sizes


@pytest.mark.parametrize(
    ("content", "sizes"),
    [
        (b'data: {"a":1}\n\ndata: [DONE]\n\n', [15, 14]),
        (b"event: message_start\ndata: {}\n\nevent: ping\ndata: {}\n\n", [31, 22]),
        (b"data: x\r\n\r\ndata: y\r\n\r\n", [11, 11]),
        (b"data: line one\ndata: line two\n\n", [31]),
        (b": keep-alive\n\n", [14]),
        ("data: café\n\n".encode(), [13]),  # bytes, not characters
    ],
)
def test_events_are_found_where_their_blank_line_ends(content: bytes, sizes: list[int]) -> None:
    assert event_sizes(content) == sizes
    assert sum(sizes) == len(content)


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b'data: {"a":1}\n',  # cut off before the blank line
        b'data: {"a":1}\n\ndata: partial',  # cut off mid-event
        b"data: x\n\n\n\ndata: y\n\n",  # an empty event
        b'{"not": "sse"}\n\n',
        b"hello: x\n\n",  # not an SSE field
    ],
)
def test_what_is_not_a_whole_stream_of_events_has_no_event_sizes(content: bytes) -> None:
    assert event_sizes(content) is None
