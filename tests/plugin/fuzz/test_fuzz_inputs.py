"""Fuzzing the matcher, the body normalizer and the agent file loader.

Normalizing any JSON never raises and a second pass changes nothing; a request whose body
is a recorded one, however its JSON is spaced or its keys ordered, finds that interaction;
matching options are refused with a :class:`CassetteError` or work on any body. Any agent
file, and any change to a real one, loads or raises a :class:`ConfigError`.
"""

from __future__ import annotations

import json
import random
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import example, given
from hypothesis import strategies as st

from agentcore.config import load_config
from agentcore.errors import ConfigError
from pytest_agentcassette import (
    Body,
    CassetteError,
    Interaction,
    RecordedRequest,
    RecordedResponse,
    use_cassette,
)
from pytest_agentcassette._matching import MatchConfig, MatchIndex, normalize_url
from pytest_agentcassette._matching.normalize import BodyNormalizer
from tests.support.corpus import CAGENT_CORPUS
from tests.support.fuzzing import JSON, SHAPED, TEXT, examples

OPTION_ERRORS = (CassetteError,)
"""All that building matching options may raise."""
CONFIG_ERRORS = (ConfigError,)
"""All that loading an agent file may raise."""


@pytest.fixture(scope="module")
def folder() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as name:
        yield Path(name)


# --- normalizer and matcher ----------------------------------------------------------------

BODIES = SHAPED | JSON | st.lists(st.dictionaries(st.sampled_from(["id", "type"]), SHAPED))


@examples(150)
@given(value=BODIES)
@example(value=[{"id": ["call_abcdefghijklmnopqrstuvw1"], "type": {"tool_call_id": "type"}}])
def test_normalizing_any_json_is_idempotent(value: Any) -> None:
    normalizer = BodyNormalizer(normalize_text=((re.compile(r"\d{4}-\d\d-\d\d"), "<date>"),))
    once = normalizer.json(value)
    assert normalizer.json(once) == once
    json.dumps(once)


def _reordered(value: Any, chooser: random.Random) -> Any:
    if isinstance(value, dict):
        items = list(value.items())
        chooser.shuffle(items)
        return {key: _reordered(item, chooser) for key, item in items}
    if isinstance(value, list):
        return [_reordered(item, chooser) for item in value]
    return value


@examples(100)
@given(
    recorded=st.lists(BODIES.filter(lambda v: isinstance(v, (dict, list))), min_size=1, max_size=4),
    pick=st.integers(0, 3),
    seed=st.integers(0, 2**32),
    spaced=st.booleans(),
)
def test_a_request_with_a_recorded_body_finds_it(
    recorded: list[Any], pick: int, seed: int, spaced: bool
) -> None:
    url = "https://api.openai.com/v1/chat/completions"
    interactions = [
        Interaction(
            RecordedRequest("POST", url, body=Body.from_bytes(json.dumps(value).encode())),
            RecordedResponse(200),
            id=index,
        )
        for index, value in enumerate(recorded)
    ]
    wanted = recorded[pick % len(recorded)]
    separators = (", ", ": ") if spaced else (",", ":")
    live_body = json.dumps(_reordered(wanted, random.Random(seed)), separators=separators)
    live = RecordedRequest("POST", url.upper().replace("/V1/", "/v1/").replace("/CHAT/COMPLETIONS", "/chat/completions"), body=Body.from_bytes(live_body.encode()))  # fmt: skip
    found = MatchIndex(interactions, MatchConfig()).take(live)
    assert found is not None
    config = MatchConfig()
    assert config.compared_body(found.request.body) == config.compared_body(live.body)


@examples(60)
@given(
    pointers=st.lists(TEXT | st.sampled_from(["/*/id", "/messages/0", "/a~1b", "/~2"]), max_size=3),
    rules=st.dictionaries(TEXT | st.sampled_from(["(a", r"\d+", "(x)"]),
                          TEXT | st.sampled_from([r"\1", r"\g<x>", "<n>", "\\"]), max_size=2),
    bodies=st.lists(st.binary(max_size=30) | JSON.map(lambda v: json.dumps(v).encode())),
)  # fmt: skip
@example(pointers=[], rules={"a": r"\1"}, bodies=[b'{"a": "a"}'])
@example(pointers=[], rules={"a": "\\"}, bodies=[b"a"])
def test_matching_options_are_refused_or_work_on_any_body(
    pointers: list[str], rules: dict[str, str], bodies: list[bytes]
) -> None:
    try:
        cassette = use_cassette("x.yaml", ignore_json_pointers=pointers, normalize_text=rules)
        config = cassette._match_config
    except OPTION_ERRORS:
        return
    for content in bodies:
        config.compared_body(Body.from_bytes(content))


@examples(100)
@given(url=TEXT | st.from_regex(r"[a-zA-Z]{2,5}://[^/?#]{0,12}(/[^?#]{0,8})?(\?[^#]{0,8})?"))
def test_a_url_normalizes_the_same_twice_or_is_refused(url: str) -> None:
    try:
        once = normalize_url(url)
    except ValueError:
        return  # what MatchIndex reports as an unusable recorded URL
    assert normalize_url(once) == once


# --- agent files ---------------------------------------------------------------------------

EXAMPLES = Path(__file__).parents[3] / "examples"
AGENT_FILES = sorted(EXAMPLES.glob("*.yaml")) + sorted((CAGENT_CORPUS / "testdata").glob("*.yaml"))
YAML_VALUES: st.SearchStrategy[Any] = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 400) | st.floats(allow_nan=False) | TEXT
    | st.sampled_from(["openai/gpt-4o", "filesystem", "shell", "root", "fetch", "2", "auto"]),
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(TEXT | st.sampled_from(["type", "model", "env", "<<"]), inner, max_size=3),
    max_leaves=8,
)  # fmt: skip
SNIPPETS = [
    "<<: *a", "&a", "*a", "!!int x", "!foo", "? [a]\n: b", "- ", ": ", "{", "'", "\t", "%YAML 1.1",
    "---", "...", "\ufeff", "\x00", "\x85", "!!binary AAAA", "!!timestamp 2024-01-01", "~",
]  # fmt: skip


def _load(folder: Path, data: bytes) -> None:
    path = folder / "agent.yaml"
    path.write_bytes(data)
    message = "agent.yaml"
    try:
        load_config(path)
    except CONFIG_ERRORS as error:
        message = str(error)
    assert "agent.yaml" in message  # the message names the file


@examples(60)
@given(data=st.binary(max_size=100) | TEXT.map(str.encode) | YAML_VALUES.map(
    lambda value: yaml.safe_dump(value, allow_unicode=True).encode()))  # fmt: skip
@example(data=b"agents: &a\n  root:\n    model: openai/gpt-4o\n  <<: *a\n")
@example(data=b"agents:\n  root: &r\n    model: openai/gpt-4o\n    x: {<<: *r}\n")
def test_any_yaml_loads_as_an_agent_file_or_raises_a_config_error(
    folder: Path, data: bytes
) -> None:
    _load(folder, data)


def _mutations(document: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(document, dict):
        for key, item in document.items():
            yield (*path, key)
            yield from _mutations(item, (*path, key))
    elif isinstance(document, list):
        for index, item in enumerate(document):
            yield (*path, index)
            yield from _mutations(item, (*path, index))


@examples(120)
@given(
    which=st.integers(0, 100),
    how=st.sampled_from(["delete", "replace", "truncate", "flip", "insert"]),
    seed=st.integers(0, 2**32),
    replacement=YAML_VALUES,
)
def test_changed_agent_files_load_or_raise_a_config_error(
    folder: Path, which: int, how: str, seed: int, replacement: Any
) -> None:
    original = AGENT_FILES[which % len(AGENT_FILES)].read_bytes()
    chooser = random.Random(seed)
    if how == "truncate":
        data = original[: chooser.randrange(len(original) + 1)]
    elif how == "flip":
        mutable = bytearray(original)
        for _ in range(chooser.randint(1, 3)):
            mutable[chooser.randrange(len(mutable))] = chooser.randrange(256)
        data = bytes(mutable)
    elif how == "insert":
        at = chooser.randrange(len(original) + 1)
        data = original[:at] + chooser.choice(SNIPPETS).encode() + original[at:]
    else:
        document = yaml.safe_load(original)
        path = chooser.choice(list(_mutations(document)))
        parent = document
        for step in path[:-1]:
            parent = parent[step]
        if how == "delete":
            del parent[path[-1]]
        else:
            parent[path[-1]] = replacement
        data = yaml.safe_dump(document, allow_unicode=True).encode()
    _load(folder, data)


# --- what the fuzzing found, kept fixed -------------------------------------------------------


def test_a_replacement_that_is_no_template_is_refused_with_the_options() -> None:
    for replacement in (r"\1", "\\", r"\g<name>"):
        with pytest.raises(CassetteError, match=r"is not a valid re\.sub template"):
            use_cassette("x.yaml", normalize_text={"a": replacement})


def test_a_merge_key_that_brings_in_its_own_mapping_is_a_config_error(folder: Path) -> None:
    path = folder / "agent.yaml"
    path.write_text("agents: &a\n  root:\n    model: openai/gpt-4o\n  <<: *a\n")
    with pytest.raises(ConfigError, match=r"line 4 \(at agents\): this merge key"):
        load_config(path)
