"""Bodies in their stored forms: each body is stored in its most readable exact form and
decodes to the same bytes and chunks; a malformed stored body is refused with the reason."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import pytest

from pytest_agentcassette import Body
from pytest_agentcassette._format.yaml import dump_yaml, load_yaml
from pytest_agentcassette._located import LocatedError
from pytest_agentcassette._model import NOT_JSON, json_value
from tests.support.cassettes import stored_body, stored_form


def _through_yaml(body: Body) -> Body:
    """Store, write as YAML, read back: what a replay gets."""
    return stored_body(load_yaml(dump_yaml({"body": stored_form(body)}))["body"])


CASES: dict[str, tuple[bytes, list[int] | None, Any]] = {
    "empty": (b"", None, ""),
    "text": (b"plain text\nsecond line", None, "plain text\nsecond line"),
    "json compact": (
        b'{"b":1,"a":[1,2.5,null,true]}',
        None,
        {"json": '{\n  "b": 1,\n  "a": [\n    1,\n    2.5,\n    null,\n    true\n  ]\n}\n'},
    ),
    "json spaced": (
        b'{"a": 1, "b": "x"}',
        None,
        {"json": '{\n  "a": 1,\n  "b": "x"\n}\n', "json_style": "spaced"},
    ),
    "json ascii": (
        b'{"t":"caf\\u00e9"}',
        None,
        {"json": '{\n  "t": "café"\n}\n', "json_ascii": True},
    ),
    "json unicode": ('{"t":"café ☕"}'.encode(), None, {"json": '{\n  "t": "café ☕"\n}\n'}),
    "json pretty": (b'{\n  "a": 1\n}\n', None, '{\n  "a": 1\n}\n'),
    "json padded": (b'{"a":1}   ', None, '{"a":1}   '),
    "json scalar": (b'"just a string"', None, '"just a string"'),
    "json chunked": (b'{"a":1}', [3, 4], {"json": '{\n  "a": 1\n}\n', "chunks": [3, 4]}),
    "sse": (
        b'data: {"a":1}\n\ndata: [DONE]\n\n',
        [15, 14],
        'data: {"a":1}\n\ndata: [DONE]\n\n',
    ),
    "sse regrouped": (
        b'data: {"a":1}\n\ndata: [DONE]\n\n',
        [10, 19],
        {"text": 'data: {"a":1}\n\ndata: [DONE]\n\n', "chunks": [10, 19]},
    ),
    "sse crlf gemini": (
        b'data: {"a": [1],"b": 2}\r\n\r\n',
        [27],
        {"text": 'data: {"a": [1],"b": 2}\n\n', "line_ending": "crlf"},
    ),
    "sse crlf regrouped": (
        b"data: 1\r\n\r\ndata: 2\r\n\r\n",
        [22],
        {"text": "data: 1\n\ndata: 2\n\n", "line_ending": "crlf", "chunks": [22]},
    ),
    "text that parses as sse but came in one chunk": (
        b"data: a\n\ndata: b\n\n",
        [18],
        {"text": "data: a\n\ndata: b\n\n", "chunks": [18]},
    ),
    "text with a lone carriage return": (b"a\rb\n", None, "a\rb\n"),
    "binary": (bytes(range(256)), None, {"base64": base64.encodebytes(bytes(range(256))).decode()}),
}


@pytest.mark.parametrize("case", CASES)
def test_each_body_is_stored_in_its_readable_form_and_decodes_exactly(case: str) -> None:
    content, sizes, stored = CASES[case]
    body = Body.from_bytes(content, sizes)
    assert stored_form(body) == stored
    again = _through_yaml(body)
    assert again.content == content
    assert again.chunks == body.chunks


def test_cagent_raw_sse_text_replays_one_event_per_chunk() -> None:
    text = "event: a\ndata: {}\n\nevent: b\ndata: {}\n\n"
    assert stored_body(text).chunks == [b"event: a\ndata: {}\n\n", b"event: b\ndata: {}\n\n"]


def test_json_is_read_from_the_stored_text_or_data_or_parsed_from_bytes() -> None:
    assert stored_body({"json": '{"a": [1]}'}).json() == {"a": [1]}
    assert stored_body({"json": {"a": [1]}}).json() == {"a": [1]}  # written by hand
    assert stored_body({"json": {"a": [1]}}).content == b'{"a":[1]}'
    assert Body.from_bytes(b'  {"a": 2}').json() == {"a": 2}
    assert json_value(Body.from_bytes(b"{not json")) is NOT_JSON
    assert json_value(Body.from_bytes(b"text")) is NOT_JSON
    with pytest.raises(ValueError, match="the body is not a JSON document"):
        Body.from_bytes(b"text").json()


@pytest.mark.parametrize(
    ("stored", "message"),
    [
        (12, "expected a string or a mapping with one of json, json_patch, text, base64, got int"),
        ({"jsn": {}}, "unknown key 'jsn'; a body has one of json, json_patch, text, base64"),
        ({"json": {}, "text": "x"}, "a body needs exactly one of json, json_patch, text, base64"),
        ({"json": 3}, "json must be JSON text (or YAML data), got int"),
        ({"text": ["x"]}, "text must be a string, got list"),
        ({"sse": {"data": "x"}}, "sse must be a list of events, got dict"),
        ({"sse": [{"dta": "x"}]}, "unknown SSE field 'dta'; expected one of event, data, id"),
        ({"sse": [{"data": 3}]}, "SSE field 'data' must be a string"),
        ({"text": "x", "chunks": [0]}, "chunks must be a list of positive byte counts"),
        ({"text": "x", "line_ending": "cr"}, "line_ending must be one of lf, crlf"),
        ({"json": {}, "json_style": "pretty"}, "json_style must be one of compact, spaced"),
    ],
)
def test_malformed_stored_bodies_are_refused_with_the_reason(stored: Any, message: str) -> None:
    with pytest.raises(LocatedError) as caught:
        stored_body(stored)
    assert message in str(caught.value)


def test_chunk_sizes_that_do_not_add_up_are_refused_on_use() -> None:
    body = stored_body({"text": "abc", "chunks": [1, 1]})
    with pytest.raises(LocatedError, match="chunks add up to 2 bytes but the body has 3"):
        body.content  # noqa: B018


def test_json_text_that_is_not_json_is_refused_on_use() -> None:
    with pytest.raises(
        LocatedError, match=re.escape("json is not valid JSON: line 1, column 2, near '{nope'")
    ):
        stored_body({"json": "{nope"}).content  # noqa: B018


def test_invalid_base64_is_refused_on_use() -> None:
    with pytest.raises(LocatedError, match="base64 is not valid base64: its 3 characters"):
        stored_body({"base64": "abc"}).content  # noqa: B018


def test_json_data_survives_yaml_with_its_types() -> None:
    value = {
        "s": ["yes", "no", "on", "1_000", "0x10", "1e5", "null", ""],
        "n": [1, 1.5, 1e-7, 10**30],
    }
    content = json.dumps(value, separators=(",", ":")).encode()
    assert _through_yaml(Body.from_bytes(content)).content == content


def test_the_sse_list_of_earlier_versions_still_replays() -> None:
    stored = {
        "sse": [
            {"event": "ping", "data": {"a": [1], "b": 2}},
            {"data": "[DONE]"},
            {"comment": "x"},
        ],
        "json_style": "key_spaced",
        "line_ending": "crlf",
    }
    body = _through_yaml(stored_body(stored))
    assert body.content == (
        b'event: ping\r\ndata: {"a": [1],"b": 2}\r\n\r\ndata: [DONE]\r\n\r\n:x\r\n\r\n'
    )
    assert len(body.chunks) == 3
