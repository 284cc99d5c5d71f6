"""The fast reader of a cassette file (blocks cut out of the bytes, the rest read without a
node tree) gives exactly what YAML's safe loader gives, type for type, for every file the
plugin writes and for any edit of one; where it cannot, it hands the file to the parser.
"""

from __future__ import annotations

import random
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import example, given
from hypothesis import strategies as st

from pytest_agentcassette._format import save_cassette
from pytest_agentcassette._format.yaml import BlockText, load_with_blocks, load_yaml
from pytest_agentcassette._format.yaml import codec as yaml_codec
from pytest_agentcassette._format.yaml.blocks import cut_blocks
from pytest_agentcassette._format.yaml.plain import UNDECIDED, plain_scalar
from pytest_agentcassette._model import Interaction
from tests.plugin.fuzz.test_fuzz_cassettes import interactions
from tests.support.fuzzing import examples


@pytest.fixture(scope="module")
def folder() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as name:
        yield Path(name)


def exactly(value: Any) -> Any:
    """``value`` with every scalar's type beside it (``1``, ``1.0`` and ``True`` differ)."""
    if isinstance(value, BlockText):
        return ("str", repr(value.text()))
    if isinstance(value, dict):
        return ("map", [(exactly(k), exactly(v)) for k, v in value.items()])
    if isinstance(value, list):
        return ("seq", [exactly(item) for item in value])
    return (type(value).__name__, repr(value))


def outcome(load: Any, data: bytes) -> Any:
    try:
        return exactly(load(data))
    except yaml.YAMLError as error:
        return ("error", type(error).__name__, str(error))


@examples(60)
@given(recorded=interactions())
def test_a_saved_cassette_reads_as_yaml_reads_it(folder: Path, recorded: list[Interaction]) -> None:
    path = folder / "saved.yaml"
    save_cassette(path, recorded)
    data = path.read_bytes()
    assert outcome(load_with_blocks, data) == outcome(load_yaml, data)


EDITS = [" ", "  ", "-", "- ", ":", ": ", "#", " #", "'", '"', "|", "|-", ">", "\t", "\n", "!",
         "&a ", "*a", "[", "]", "{", "}", ",", "?", "%", "x", "1", "\\", "\r", "\u2028", "\xa0",
         "---\n", "...\n", "\n  ", "\n- ", "<<: ", "~", "''", "\ufeff"]  # fmt: skip


@examples(150)
@given(
    recorded=interactions(),
    seed=st.integers(0, 2**32),
    edits=st.lists(st.sampled_from(EDITS), min_size=1, max_size=3),
)
@example(recorded=[], seed=0, edits=["\n  "])
def test_an_edited_cassette_reads_as_yaml_reads_it_or_goes_to_the_parser(
    folder: Path, recorded: list[Interaction], seed: int, edits: list[str]
) -> None:
    path = folder / "edited.yaml"
    save_cassette(path, recorded)
    text = bytearray(path.read_bytes())
    chooser = random.Random(seed)
    for edit in edits:
        at = chooser.randrange(len(text) + 1)
        if chooser.random() < 0.3:  # at a line's start, where YAML's structure is
            at = text.rfind(b"\n", 0, at) + 1
        removed = chooser.choice([0, 0, 1, 2])
        text[at : at + removed] = edit.encode()
    data = bytes(text)
    assert outcome(load_with_blocks, data) == outcome(load_yaml, data)


def agent_session() -> bytes:
    """A cassette as the plugin writes an agent's session: JSON requests, SSE responses."""
    lines = ["version: 2", "interactions:"]
    for turn in range(3):
        lines += [
            f"- id: {turn}",
            "  request:",
            "    method: POST",
            "    url: https://api.openai.com/v1/chat/completions",
            "    headers:",
            "      Content-Type: application/json",
            "      X-Count: '2'",
            "    body:",
            "      json: |",
            "        {",
            f'          "turn": {turn}',
            "        }",
            "  response:",
            "    status: 200 OK",
            "    code: 200",
            "    headers:",
            "      content-type: text/event-stream",
            "      set-cookie: ['a=1; Path=/', b=2]",
            "    body: |+",
            '      data: {"x": "  |  "}',
            "",
            "      data: [DONE]",
            "",
            "",
            "    duration: 0.5s",
        ]
    return ("\n".join(lines) + "\n").encode()


def test_an_agent_session_is_read_without_the_yaml_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    data = agent_session()
    expected = outcome(load_yaml, data)
    cut = cut_blocks(data)
    assert cut is not None
    assert len(cut.blocks) == 6

    def refused(raw: bytes) -> Any:
        raise AssertionError("the fast reader handed the file to the parser")

    monkeypatch.setattr(yaml_codec, "load_yaml", refused)
    loaded = load_with_blocks(data)
    assert exactly(loaded) == expected
    body = loaded["interactions"][0]["response"]["body"]
    assert isinstance(body, BlockText)  # read from the file's bytes when first used
    assert body.utf8() == b'data: {"x": "  |  "}\n\ndata: [DONE]\n\n\n'


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("a: |\n  x\r\n", "a CR, which YAML reads as a line break"),
        ("a: |2\n   x\n", "an indentation indicator"),
        ("a: >\n  x\n", "a folded block"),
        ("a: | # note\n  x\n", "a comment after the indicator"),
        ("a: &x |\n  x\n", "an anchor"),
        ("a: |\n\n  x\n", "a blank line first"),
        ("a: |\n  x", "no line break at the end"),
    ],
)
def test_what_the_cut_does_not_read_goes_to_the_parser(text: str, why: str) -> None:
    data = text.encode()
    assert cut_blocks(data) is None, why
    assert outcome(load_with_blocks, data) == outcome(load_yaml, data)


# Characters of every YAML 1.1 notation that is not a string (numbers in all their bases,
# booleans, nulls, .inf and .nan, merge keys), and a few that end such a reading.
_WORDISH = st.text(st.sampled_from("0123456789+-._:eExXbBoOinfINFaAsyYtTrRuUlL~<=# "), max_size=8)
_WORDS = [
    "200", "0", "-0", "+7", "00", "08", "017", "0x1f", "0X1F", "0b101", "0o17", "1_000",
    "1:30", "190:20:30", "1.", "1.5", "-1.5", "+1.5", "00.5", ".5", "-.5", "1e5", "1.0e+5",
    "1.5e3", ".inf", "-.Inf", ".NaN", "nan", "inf", "yes", "Yes", "YES", "y", "n", "no",
    "On", "OFF", "true", "TRUE", "tRUE", "null", "Null", "~", "<<", "=", "0.004s",
    "200 OK", "2026-12-05", "2026-12-05T10:00:00Z", "-foo", ".git", "e", "E1",
]  # fmt: skip


@examples(300)
@given(word=st.one_of(st.sampled_from(_WORDS), _WORDISH))
def test_a_plain_word_reads_as_the_safe_loader_reads_it_or_is_left_to_it(word: str) -> None:
    if not word or word != word.strip() or " #" in word or (word[0] in "#-" and word[1:2] in " "):
        return  # not one plain scalar: the skeleton reader never asks for it
    value = plain_scalar(word)
    if value is UNDECIDED:
        return
    expected = yaml_codec._plain_value(yaml_codec._Loader(""), word)
    assert (type(value), value) == (type(expected), expected)
