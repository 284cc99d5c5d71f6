"""Fuzzing the cassette file: whatever the file holds, loading it and replaying from it
raises nothing but a :class:`CassetteError`, and what the plugin saves it loads back exactly.
"""

from __future__ import annotations

import contextlib
import copy
import json
import random
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpcore
import httpx
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from pytest_agentcassette import (
    Body,
    Cassette,
    CassetteError,
    Interaction,
    RecordedRequest,
    RecordedResponse,
    TransportError,
)
from pytest_agentcassette._format import save_cassette
from pytest_agentcassette._format.yaml import dump_yaml, load_yaml
from pytest_agentcassette._located import LocatedError
from pytest_agentcassette._transport.faults import ReplayedTransportError
from tests.support.cassettes import load_cassette
from tests.support.corpus import CAGENT_CORPUS
from tests.support.fuzzing import (
    JSON,
    LATIN_1,
    TEXT,
    chunked,
    examples,
    json_text,
    sse_text,
)
from tests.support.replayed_faults import without_note

LOAD_ERRORS = (CassetteError,)
"""All that reading a cassette file may raise."""


@pytest.fixture(scope="module")
def folder() -> Iterator[Path]:
    # One folder for the module: hypothesis runs each test many times within one fixture.
    with tempfile.TemporaryDirectory() as name:
        yield Path(name)


# --- generated interactions ---------------------------------------------------------------

METHODS = st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH"]) | st.from_regex(
    r"[A-Z]{1,10}", fullmatch=True
)
URLS = st.one_of(
    st.builds(
        "{}://{}{}{}".format,
        st.sampled_from(["http", "https"]),
        st.sampled_from(["api.openai.com", "localhost:8080", "127.0.0.1", "[::1]:9"]),
        st.from_regex(r"(/[a-z0-9:._-]{0,12}){0,3}", fullmatch=True),
        st.sampled_from(["", "?alt=sse", "?b=2&a=1", "#frag"]),
    ),
    TEXT,
)
HEADER_NAMES = st.sampled_from(["content-type", "x-a", "X-Ünïcode", "set-cookie", "a"]) | (
    st.from_regex(r"[A-Za-z0-9-]{1,12}", fullmatch=True)
)
HEADERS = st.lists(st.tuples(HEADER_NAMES, LATIN_1 | TEXT), max_size=5)


MESSAGES = st.fixed_dictionaries(
    {"role": st.sampled_from(["user", "assistant", "tool"]), "content": TEXT}
)
CONVERSATIONS = st.fixed_dictionaries(
    {"model": st.just("gpt-4o"), "messages": st.lists(MESSAGES, min_size=6, max_size=9)},
    optional={"stream": st.booleans(), "tools": st.lists(JSON, max_size=2)},
)
"""An agent's request: the whole conversation so far."""


@st.composite
def bodies(draw: st.DrawFn) -> Body:
    """Any body a client or a provider may send, split into chunks as it may arrive."""
    content = draw(
        st.one_of(
            st.just(b""),
            json_text().map(str.encode),
            json_text(CONVERSATIONS).map(str.encode),
            sse_text().map(str.encode),
            TEXT.map(str.encode),
            st.binary(max_size=40),
            st.text(st.sampled_from('ab \r\n\t{}[]":,\\é€\x00\x85\u2028'), max_size=30).map(
                str.encode
            ),
        )
    )
    sizes = chunked(content, draw(st.lists(st.integers(1, 10**6), max_size=4)))
    if draw(st.booleans()):
        sizes = None
    return Body.from_bytes(content, sizes)


def _next_turn(draw: st.DrawFn, previous: Body) -> Body | None:
    """The request an agent sends next: the previous conversation plus a message or two, so
    that the cassette stores it as a JSON Patch to the previous one.
    """
    try:
        value = json.loads(previous.content)
    except ValueError:
        return None
    if not isinstance(value, dict):
        return None
    messages = value.get("messages")
    previous_messages = messages if isinstance(messages, list) else []
    value["messages"] = [*previous_messages, *draw(st.lists(MESSAGES, min_size=1, max_size=2))]
    if draw(st.booleans()):
        value[draw(st.sampled_from(["model", "stream", "tools"]))] = draw(JSON)
    separators = draw(st.sampled_from([(",", ":"), (", ", ": ")]))
    text = json.dumps(value, separators=separators, ensure_ascii=draw(st.booleans()))
    return Body.from_bytes(text.encode())


@st.composite
def interactions(draw: st.DrawFn) -> list[Interaction]:
    result: list[Interaction] = []
    for index in range(draw(st.integers(0, 4))):
        method, url = draw(METHODS), draw(URLS)
        body = draw(bodies())
        if not result and draw(st.booleans()):  # the start of an agent session
            body = Body.from_bytes(draw(json_text(CONVERSATIONS)).encode())
        if draw(st.integers(0, 3)) and result:  # the next request of a session: same endpoint
            method, url = result[-1].request.method, result[-1].request.url
            body = _next_turn(draw, result[-1].request.body) or body
        request = RecordedRequest(method, url, draw(HEADERS), body)
        duration = draw(st.none() | st.integers(0, 10**7).map(lambda ms: ms / 1000))
        fault = draw(st.none() | TRANSPORT_ERRORS)
        if fault is not None and draw(st.booleans()):  # no response came at all
            response = RecordedResponse(0, duration=duration, error=fault)
        else:
            response = RecordedResponse(
                draw(st.integers(100, 599)),
                draw(st.sampled_from(["", "OK", "Too Many Requests"]) | LATIN_1),
                draw(HEADERS),
                draw(bodies()),
                http_version=draw(st.sampled_from(["HTTP/1.1", "HTTP/2", "HTTP/1.0"])),
                duration=duration,
                error=fault,  # met after the body's chunks
            )
        result.append(Interaction(request, response, id=index))
    return result


def _grouped(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Headers in the order a cassette keeps them: by name (go-vcr's map of lists)."""
    names = list(dict.fromkeys(name for name, _ in headers))
    return [(name, value) for key in names for name, value in headers if name == key]


TRANSPORT_ERRORS = st.builds(
    TransportError,
    st.sampled_from(["ConnectError", "ReadTimeout", "RemoteProtocolError", "ReadError"]),
    TEXT,
)


def _facts(interaction: Interaction) -> tuple[Any, ...]:
    request, response = interaction.request, interaction.response
    return (
        request.method,
        request.url,
        _grouped(request.headers),
        request.body.content,
        request.body.chunks,
        response.status_code,
        response.reason,
        _grouped(response.headers),
        response.body.content,
        response.body.chunks,
        response.http_version,
        response.duration,
        response.error,
    )


# Deeper than a body can be rebuilt: Python's json refuses it (3.11), or reads it but the
# rebuild, a Python function per level, does not (3.12 and later read deeper in C).
DEEP = b'{"a":' * 2000 + b"1" + b"}" * 2000


def _one(request: Body, response: Body, reason: str = "OK") -> list[Interaction]:
    return [
        Interaction(
            RecordedRequest("POST", "https://api.openai.com/v1/responses", [], request),
            RecordedResponse(200, reason, [], response),
        )
    ]


@examples(40)
@given(recorded=interactions())
@example(recorded=_one(Body.from_bytes(b""), Body.from_bytes(b""), reason="\x0c"))
@example(recorded=_one(Body.from_bytes(b"{}"), Body.from_bytes(b"OK "), reason="OK "))
@example(recorded=_one(Body.from_bytes(DEEP), Body.from_bytes(DEEP, [3, len(DEEP) - 3])))
def test_save_load_save_is_the_identity(folder: Path, recorded: list[Interaction]) -> None:
    expected = [_facts(interaction) for interaction in recorded]
    first, second = folder / "first.yaml", folder / "second.yaml"
    save_cassette(first, copy.deepcopy(recorded))
    loaded = load_cassette(first, fix_hint="")
    assert [_facts(interaction) for interaction in loaded] == expected
    save_cassette(second, loaded)
    assert second.read_text(encoding="utf-8") == first.read_text(encoding="utf-8")


# --- arbitrary and mutated files ------------------------------------------------------------


def _replay_all(path: Path) -> None:
    """Open the cassette as a test would and send every recorded request to it."""
    cassette = Cassette(path, record_mode="none")
    cassette._open()
    for interaction in cassette._loaded:
        request = interaction.request
        try:
            content = request.body.content
        except LocatedError:
            content = b"{}"  # the live request is the user's own
        try:
            live = httpx.Request(request.method, request.url, content=content)
        except (httpx.InvalidURL, ValueError, UnicodeError):
            continue  # no client could send this request
        try:
            cassette._answer_http(live).read()
        except ReplayedTransportError as met:  # no response came: the recorded error
            fault = met.fault  # as recorded, with the note that says it was replayed
            recorded = [i.response.error for i in cassette._loaded if i.response.error]
            assert (fault.kind, without_note(fault.message)) in [
                (error.kind, error.message) for error in recorded
            ]
        except (httpcore.NetworkError, httpcore.ProtocolError, httpcore.TimeoutException):
            # The body broke off as recorded (the interception raises it as the client's).
            assert any(i.response.error for i in cassette._loaded)
    if cassette._loaded:  # a request with nothing recorded: the nearest one is described
        first = cassette._loaded[0].request
        with contextlib.suppress(httpx.InvalidURL, ValueError, UnicodeError):
            live = httpx.Request(first.method, first.url, content=b'{"unrecorded": [1]}')
            with pytest.raises(CassetteError):
                cassette._answer_http(live)


def _check_file(folder: Path, data: bytes) -> None:
    path = folder / "fuzzed.yaml"
    path.write_bytes(data)
    messages = []
    try:
        load_cassette(path, fix_hint="FIX")
    except LOAD_ERRORS as error:
        messages.append(str(error))
        assert messages[0].endswith("FIX")  # the message ends with the fix
    try:
        _replay_all(path)
    except LOAD_ERRORS as error:
        messages.append(str(error))
    assert all("fuzzed.yaml" in message for message in messages)  # the message names the file


def _cassette_text(request_body: str, response_body: str) -> bytes:
    return (
        "version: 2\ninteractions:\n"
        f"- request: {{method: POST, url: 'http://a/', body: {request_body}}}\n"
        f"  response: {{code: 200, body: {response_body}}}\n"
    ).encode()


@examples(60)
@given(data=st.binary(max_size=200) | TEXT.map(str.encode))
@example(data=_cassette_text("{json: '" + "[" * 5000 + "]" * 5000 + "'}", "x"))
@example(data=_cassette_text("x", f"{{json: '{DEEP.decode()}'}}"))
@example(data=_cassette_text("{json: '[]'}", "{json: '[]'}") + b"- {request: {method: POST, "
         b"url: 'http://a/', body: {base: 0, json_patch: '%s'}}, response: {code: 200}}\n"
         % (b"[" * 5000 + b"]" * 5000))  # fmt: skip
def test_arbitrary_bytes_load_or_raise_a_cassette_error(folder: Path, data: bytes) -> None:
    _check_file(folder, data)


YAML_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 700), st.floats(allow_nan=False), TEXT
)
ANY_YAML: st.SearchStrategy[Any] = st.recursive(
    YAML_SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=8,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every path to a value below ``value`` (keys and indexes)."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield (*prefix, key)
            yield from _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield (*prefix, index)
            yield from _paths(item, (*prefix, index))


def _mutate(document: Any, path: tuple[Any, ...], how: str, replacement: Any) -> None:
    parent = document
    for step in path[:-1]:
        parent = parent[step]
    if how == "delete":
        del parent[path[-1]]
    else:
        parent[path[-1]] = replacement


CORPUS = sorted((CAGENT_CORPUS / "cassettes").glob("*.yaml"))
"""cagent's cassettes (go-vcr's writing), when ../shared is there."""


@examples(50)
@given(
    recorded=interactions(),
    cagent=st.none() | (st.sampled_from(CORPUS) if CORPUS else st.none()),
    how=st.sampled_from(["delete", "replace", "truncate", "flip"]),
    seed=st.integers(0, 2**32),
    replacement=ANY_YAML,
)
def test_mutated_cassettes_load_or_raise_a_cassette_error(
    folder: Path,
    recorded: list[Interaction],
    cagent: Path | None,
    how: str,
    seed: int,
    replacement: Any,
) -> None:
    path = folder / "valid.yaml"
    save_cassette(path, recorded)
    text = cagent.read_bytes() if cagent is not None else path.read_bytes()
    chooser = random.Random(seed)
    if how == "truncate":
        data = text[: chooser.randrange(len(text) + 1)]
    elif how == "flip":
        mutable = bytearray(text)
        for _ in range(chooser.randint(1, 3)):
            mutable[chooser.randrange(len(mutable))] = chooser.randrange(256)
        data = bytes(mutable)
    else:
        document = load_yaml(text)
        paths = list(_paths(document))
        _mutate(document, chooser.choice(paths), how, replacement)
        data = dump_yaml(document).encode()
    _check_file(folder, data)


# --- what the fuzzing found, kept fixed -------------------------------------------------------


def test_a_json_body_too_deep_to_rebuild_is_saved_as_text_and_replays(folder: Path) -> None:
    path = folder / "deep.yaml"
    save_cassette(path, _one(Body.from_bytes(DEEP), Body.from_bytes(DEEP)))
    assert "json:" not in path.read_text(encoding="utf-8")
    [loaded] = load_cassette(path, fix_hint="")
    assert loaded.request.body.content == loaded.response.body.content == DEEP


def test_a_json_style_that_is_no_name_is_a_cassette_error(folder: Path) -> None:
    path = folder / "style.yaml"
    path.write_bytes(_cassette_text("x", "{text: a, json_style: [1]}"))
    with pytest.raises(CassetteError, match=r"line 4 .*json_style must be one of compact"):
        load_cassette(path, fix_hint="")


def test_a_recorded_json_body_too_deep_to_rebuild_is_a_cassette_error(folder: Path) -> None:
    path = folder / "deep.yaml"
    path.write_bytes(_cassette_text("x", f"{{json: '{DEEP.decode()}'}}"))
    cassette = Cassette(path, record_mode="none")
    cassette._open()
    with pytest.raises(CassetteError) as caught:
        cassette._answer_http(httpx.Request("POST", "http://a/", content=b"x"))
    assert "deep.yaml, line 4 (at interactions[0].response.body)" in str(caught.value)
    assert "nests too deeply to be rebuilt; store this body as text" in str(caught.value)


def test_a_json_patch_too_deep_to_rebuild_says_so_not_that_it_is_invalid(folder: Path) -> None:
    path = folder / "deep-patch.yaml"
    operations = b'[{"op": "add", "path": "/deep", "value": %s}]' % DEEP
    path.write_bytes(
        _cassette_text("{json: '{}'}", "x")
        + b"- {request: {method: POST, url: 'http://a/', body: {base: 0, json_patch: '%s'}}, "
        b"response: {code: 200, body: y}}\n" % operations
    )
    cassette = Cassette(path, record_mode="none")
    cassette._open()
    cassette._answer_http(httpx.Request("POST", "http://a/", content=b"{}"))
    with pytest.raises(CassetteError) as caught:
        cassette._answer_http(httpx.Request("POST", "http://a/", content=b"x"))
    assert "nests too deeply to be rebuilt; store this body as text" in str(caught.value)
    assert "not valid JSON" not in str(caught.value)
