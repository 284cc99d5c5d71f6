from __future__ import annotations

import pytest

from pytest_agentcassette.sse import parse_events, render_events


@pytest.mark.parametrize(
    ("text", "events", "ending"),
    [
        ('data: {"a":1}\n\ndata: [DONE]\n\n', [{"data": '{"a":1}'}, {"data": "[DONE]"}], "lf"),
        (
            "event: message_start\ndata: {}\n\nevent: ping\ndata: {}\n\n",
            [{"event": "message_start", "data": "{}"}, {"event": "ping", "data": "{}"}],
            "lf",
        ),
        ("data: x\r\n\r\ndata: y\r\n\r\n", [{"data": "x"}, {"data": "y"}], "crlf"),
        ("data: line one\ndata: line two\n\n", [{"data": "line one\nline two"}], "lf"),
        (": keep-alive\n\n", [{"comment": " keep-alive"}], "lf"),
        ("id: 7\nretry: 1000\ndata: x\n\n", [{"id": "7", "retry": "1000", "data": "x"}], "lf"),
        ("data: \n\n", [{"data": ""}], "lf"),
    ],
)
def test_events_round_trip_exactly(text: str, events: list[dict[str, str]], ending: str) -> None:
    assert parse_events(text) == (events, ending)
    assert render_events(events, ending) == text


@pytest.mark.parametrize(
    "text",
    [
        "",
        'data: {"a":1}\n',  # cut off before the blank line
        "data: x\n\n\ndata: y\n\n",  # an extra blank line
        "data: x\r\n\ndata: y\n\n",  # mixed line endings
        "data:x\n\n",  # no space after the colon
        "data: a\nevent: e\ndata: b\n\n",  # data lines split by another field
        "event: a\nevent: b\ndata: x\n\n",  # a repeated field
        "hello: x\n\n",  # not an SSE field
        "data: x\rdata: y\n\n",  # a bare CR
    ],
)
def test_bodies_that_would_not_round_trip_are_refused(text: str) -> None:
    assert parse_events(text) is None
