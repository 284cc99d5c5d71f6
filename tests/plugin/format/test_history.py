"""Request bodies stored as JSON Patches against the previous request: an agent session's
cassette grows with the session, not with its square, reads turn by turn, and replays
byte for byte in any order."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from pytest_agentcassette import CassetteError, use_cassette
from pytest_agentcassette._format.patches import PatchError, apply_patch
from tests.support.cassettes import stored_body
from tests.support.network import NetworkCut
from tests.support.provider_server import ProviderServer

SYSTEM = {"role": "system", "content": "You are a careful engineer. " * 40}


def conversation(turns: int) -> list[dict[str, Any]]:
    """The request bodies of an agent loop: each re-sends the history and adds a turn."""
    bodies, messages = [], [SYSTEM, {"role": "user", "content": "Fix the parser."}]
    for turn in range(turns):
        bodies.append({"model": "gpt-4o", "messages": list(messages), "stream": False})
        messages += [
            {"role": "assistant", "content": f"Step {turn}: reading parser_{turn}.py " * 5},
            {"role": "user", "content": f"Here is parser_{turn}.py: " + "x = 1\n" * 30},
        ]
    return bodies


def send_all(url: str, bodies: list[dict[str, Any]]) -> list[bytes]:
    with httpx.Client() as client:
        return [client.post(url, json=body).content for body in bodies]


def test_each_request_is_stored_as_what_it_adds_to_the_one_before(
    tmp_path: Path, provider_server: ProviderServer, network_cut: NetworkCut
) -> None:
    url = provider_server.url + "/v1/chat/completions"
    bodies = conversation(20)
    path = tmp_path / "session.yaml"
    with use_cassette(path, record_mode="once"):
        recorded = send_all(url, bodies)
    stored = yaml.safe_load(path.read_text())["interactions"]
    assert "json" in stored[0]["request"]["body"]
    for position, interaction in enumerate(stored[1:], start=1):
        body = interaction["request"]["body"]
        assert body["base"] == position - 1
        assert [op["path"] for op in json.loads(body["json_patch"])] == [
            f"/messages/{2 * position}",
            f"/messages/{2 * position + 1}",
        ]
    # The requests take space in proportion to the session, not to its square.
    full = sum(len(json.dumps(b, indent=2)) for b in bodies)
    kept = sum(len(i["request"]["body"].get("json_patch", "")) for i in stored)
    assert kept + len(stored[0]["request"]["body"]["json"]) < full / 6

    provider_server.stop()
    with network_cut, use_cassette(path) as cassette:
        replayed = send_all(url, bodies)
    assert replayed == recorded
    assert [i.request.body.content for i in cassette.played] == [
        json.dumps(b, separators=(",", ":")).encode() for b in bodies
    ]


def test_requests_in_another_order_still_find_their_bodies(
    tmp_path: Path, provider_server: ProviderServer, network_cut: NetworkCut
) -> None:
    url = provider_server.url + "/v1/chat/completions"
    bodies = conversation(12)
    path = tmp_path / "session.yaml"
    with use_cassette(path, record_mode="once"):
        recorded = dict(zip(range(12), send_all(url, bodies), strict=True))
    order = list(range(12))
    random.Random(7).shuffle(order)
    provider_server.stop()
    with network_cut, use_cassette(path) as cassette:
        replayed = send_all(url, [bodies[n] for n in order])
    assert replayed == [recorded[n] for n in order]
    assert [i.id for i in cassette.played] == order


def test_new_episodes_rebuilds_the_chain_for_old_and_new_requests(
    tmp_path: Path, provider_server: ProviderServer
) -> None:
    url = provider_server.url + "/v1/chat/completions"
    bodies = conversation(8)
    path = tmp_path / "session.yaml"
    with use_cassette(path, record_mode="once"):
        send_all(url, bodies[:5])
    with use_cassette(path, record_mode="new_episodes"):
        send_all(url, bodies)
    stored = yaml.safe_load(path.read_text())["interactions"]
    assert [i["request"]["body"].get("base") for i in stored] == [None, 0, 1, 2, 3, 4, 5, 6]
    with use_cassette(path) as cassette:
        send_all(url, bodies)
    assert len(cassette.played) == 8


def test_unrelated_requests_are_stored_whole(
    tmp_path: Path, provider_server: ProviderServer
) -> None:
    url = provider_server.url + "/v1/chat/completions"
    first = {"model": "gpt-4o", "messages": [{"role": "user", "content": "a" * 500}]}
    second = {"model": "gpt-4o", "messages": [{"role": "user", "content": "b" * 500}]}
    path = tmp_path / "session.yaml"
    with use_cassette(path, record_mode="once"):
        send_all(url, [first, second])
    stored = yaml.safe_load(path.read_text())["interactions"]
    assert ["json" in i["request"]["body"] for i in stored] == [True, True]


CASSETTE = """\
version: 2
interactions:
- id: 0
  request:
    method: POST
    url: https://api.example.com/v1/chat/completions
    body:
      json: {model: gpt-4o, messages: [{role: user, content: hi}]}
  response: {status: 200 OK, code: 200, body: first}
- id: 1
  request:
    method: POST
    url: https://api.example.com/v1/chat/completions
    body:
      base: BASE
      json_patch: 'PATCH'
  response: {status: 200 OK, code: 200, body: second}
"""
GOOD_PATCH = '[{"op": "add", "path": "/messages/1", "value": {"role": "user", "content": "again"}}]'


def _cassette(tmp_path: Path, base: str = "0", patch: str = GOOD_PATCH) -> Path:
    path = tmp_path / "edited.yaml"
    path.write_text(CASSETTE.replace("BASE", base).replace("PATCH", patch))
    return path


def test_a_patch_cassette_written_by_hand_replays(tmp_path: Path) -> None:
    path = _cassette(tmp_path)
    second = {
        "model": "gpt-4o",
        "messages": [{"role": "user", "content": "hi"}, {"role": "user", "content": "again"}],
    }
    with use_cassette(path, unused_interactions="ignore"):  # the second request alone
        assert httpx.post("https://api.example.com/v1/chat/completions", json=second).text == (
            "second"
        )


@pytest.mark.parametrize(
    ("base", "message"),
    [
        ("1", "base 1 names this or a later interaction; a body can only build on an earlier"),
        ("7", "base 7 names no interaction in this file (was it removed?), so this body cannot"),
        ("-1", "base must be the id of an earlier interaction"),
        ("x", "base must be the id of an earlier interaction"),
    ],
)
def test_a_base_that_is_not_an_earlier_interaction_is_refused_at_load(
    tmp_path: Path, base: str, message: str
) -> None:
    with pytest.raises(CassetteError) as caught, use_cassette(_cassette(tmp_path, base=base)):
        pass
    assert f"line 15 (at interactions[1].request.body.base): {message}" in str(caught.value)


def test_a_base_whose_body_is_not_json_is_refused_at_load(tmp_path: Path) -> None:
    path = _cassette(tmp_path)
    path.write_text(
        path.read_text().replace(
            "      json: {model: gpt-4o, messages: [{role: user, content: hi}]}",
            "      hello",
        )
    )
    with pytest.raises(CassetteError) as caught, use_cassette(path):
        pass
    assert "(at interactions[1].request.body.base): base 0 names a request whose body is not " in (
        str(caught.value)
    )


def test_a_patch_that_no_longer_applies_names_the_place_and_the_fix(tmp_path: Path) -> None:
    patch = '[{"op": "replace", "path": "/messages/5/content", "value": "x"}]'
    path = _cassette(tmp_path, patch=patch)
    with use_cassette(path), pytest.raises(CassetteError) as caught:
        httpx.post("https://api.example.com/v1/chat/completions", json={"model": "other"})
    assert str(caught.value).startswith(
        f"cassette {path}, line 16 (at interactions[1].request.body.json_patch): json_patch "
        f"does not apply to the request body of interaction 0: index 5 is out of range (the "
        f"array has 1)."
    )
    assert "Fix it by hand, or re-record it" in str(caught.value)


@pytest.mark.parametrize(
    ("operations", "expected"),
    [
        ([{"op": "add", "path": "/a/-", "value": 3}], {"a": [1, 2, 3], "b": {"c": "d"}}),
        ([{"op": "add", "path": "/a/0", "value": 0}], {"a": [0, 1, 2], "b": {"c": "d"}}),
        ([{"op": "remove", "path": "/a/1"}], {"a": [1], "b": {"c": "d"}}),
        ([{"op": "replace", "path": "/b/c", "value": None}], {"a": [1, 2], "b": {"c": None}}),
        (
            [{"op": "add", "path": "/b/x~1y~0", "value": 1}],
            {"a": [1, 2], "b": {"c": "d", "x/y~": 1}},
        ),
        ([{"op": "move", "from": "/b/c", "path": "/e"}], {"a": [1, 2], "b": {}, "e": "d"}),
        ([{"op": "copy", "from": "/a", "path": "/f"}], {"a": [1, 2], "b": {"c": "d"}, "f": [1, 2]}),
        ([{"op": "test", "path": "/b/c", "value": "d"}], {"a": [1, 2], "b": {"c": "d"}}),
        ([{"op": "replace", "path": "", "value": [1]}], [1]),
    ],
)
def test_patches_apply_as_rfc_6902_says(operations: list[Any], expected: Any) -> None:
    assert apply_patch({"a": [1, 2], "b": {"c": "d"}}, operations) == expected


@pytest.mark.parametrize(
    "operation",
    [
        {"op": "remove", "path": "/missing"},
        {"op": "replace", "path": "/a/7", "value": 1},
        {"op": "add", "path": "/a/01", "value": 1},
        {"op": "add", "path": "/a/x", "value": 1},
        {"op": "add", "path": "/b/c/d", "value": 1},
        {"op": "test", "path": "/b/c", "value": "e"},
        {"op": "dance", "path": "/a"},
        {"op": "add", "path": "no-slash", "value": 1},
        "not an operation",
    ],
)
def test_a_patch_that_does_not_apply_raises_patch_error(operation: Any) -> None:
    with pytest.raises(PatchError):
        apply_patch({"a": [1, 2], "b": {"c": "d"}}, [operation])


def _random_value(rng: random.Random, depth: int = 0) -> Any:
    kind = rng.choice(
        ["dict", "list", "str", "int", "float", "bool", "null"] if depth < 3 else ["str", "int"]
    )
    if kind == "dict":
        return {
            f"k{rng.randrange(6)}é": _random_value(rng, depth + 1) for _ in range(rng.randrange(4))
        }
    if kind == "list":
        return [_random_value(rng, depth + 1) for _ in range(rng.randrange(4))]
    return {
        "str": "tëxt\n<&>",
        "int": rng.randrange(-5, 5),
        "float": 0.1 * rng.randrange(9),
        "bool": True,
        "null": None,
    }[kind]


def _random_pointer(rng: random.Random, value: Any, add: bool) -> str | None:
    steps: list[str] = []
    while True:
        if isinstance(value, dict) and value and rng.random() < 0.7:
            key = rng.choice(list(value))
            steps.append(key.replace("~", "~0").replace("/", "~1"))
            value = value[key]
        elif isinstance(value, list) and value and rng.random() < 0.7:
            index = rng.randrange(len(value))
            steps.append(str(index))
            value = value[index]
        else:
            break
    if add and isinstance(value, (dict, list)):
        # An append by "-" or by the next index: a kept list's text grows by what it adds.
        steps.append(rng.choice(["-", str(len(value))]) if isinstance(value, list) else "new")
    return "/" + "/".join(steps) if steps else None


@pytest.mark.parametrize("seed", range(120))
def test_a_document_patched_step_by_step_serializes_as_json_dumps_would(seed: int) -> None:
    from pytest_agentcassette._format.documents import Document

    rng = random.Random(seed)
    value = {"messages": [_random_value(rng) for _ in range(3)], "tools": [{"name": "t"}]}
    document = Document(json.loads(json.dumps(value)))
    styles = [((",", ":"), False), ((", ", ": "), False), ((",", ": "), True)]
    for _ in range(25):
        # Several operations per patch: an early one may shift what a later one reaches.
        patch = [
            {"op": "add", "path": "/messages/0", "value": {"inserted": rng.randrange(9)}}
        ] * rng.randrange(2)
        for _ in range(rng.randrange(1, 4)):
            operation = rng.choice(["add", "replace", "remove", "move"])
            pointer = _random_pointer(rng, document.value, add=operation == "add")
            if pointer is None:
                continue
            if operation == "move":
                patch.append({"op": "copy", "from": pointer, "path": "/messages/-"})
            elif operation == "remove":
                patch.append({"op": "remove", "path": pointer})
            else:
                patch.append({"op": operation, "path": pointer, "value": _random_value(rng, 2)})
        try:
            document.patch(json.loads(json.dumps(patch)))
        except PatchError:
            # A later operation no longer fits (an earlier one moved things): start again
            # from the document as it now is, as a replay would from the base.
            document = Document(json.loads(json.dumps(document.value)))
            continue
        (item, key), ascii_only = rng.choice(styles)
        expected = json.dumps(document.value, separators=(item, key), ensure_ascii=ascii_only)
        assert document.dumps(item, key, ascii_only) == expected


# Four requests of one conversation whose history was edited between turns (messages
# inserted before others, then one of those changed): a review found these replayed wrong.
EDITED_HISTORY = [
    {
        "m": [
            {"role": "user", "c": "ccccccc"},
            {"role": "assistant", "c": "bbbbb"},
            {"role": "assistant", "c": "ccccccccccccccccccccc"},
            {"role": "assistant", "c": "bbbbbbbbbbbbbbbbbbbbbb"},
            {"role": "user", "c": "dddddddddddddddddddddd"},
            {"role": "assistant", "c": "bbbbbb"},
        ]
    },
    {
        "m": [
            {"role": "user", "c": "ccccccc"},
            {"role": "assistant", "c": "bbbbb"},
            {"role": "assistant", "c": "ccccccccccccccccccccc"},
            {"role": "user", "c": "ccccc"},
            {"role": "assistant", "c": "bbbbbb"},
            {"role": "assistant", "c": "bbbbbb"},
        ]
    },
    {
        "m": [
            {"role": "user", "c": "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"},
            {"role": "user", "c": "ccccccc"},
            {"role": "assistant", "c": "bbbbb"},
            {"role": "assistant", "c": "ccccc"},
            {"role": "user", "c": "ccccc"},
            {"role": "assistant", "c": "bbbbbb"},
            {"role": "assistant", "c": "bbbbbb"},
        ]
    },
    {
        "m": [
            {"role": "user", "c": "aaaaa"},
            {"role": "user", "c": "ccccccc"},
            {"role": "assistant", "c": "bbbbb"},
            {"role": "assistant", "c": "aaaaa"},
            {"role": "user", "c": "ccccc"},
            {"role": "assistant", "c": "bbbbbb"},
            {"role": "assistant", "c": "bbbbbb"},
        ]
    },
]


def test_a_history_edited_between_turns_replays_exactly(
    tmp_path: Path, provider_server: ProviderServer, network_cut: NetworkCut
) -> None:
    url = provider_server.url + "/v1/chat/completions"
    path = tmp_path / "edited.yaml"
    with use_cassette(path, record_mode="once"):
        recorded = send_all(url, EDITED_HISTORY)
    provider_server.stop()
    with network_cut, use_cassette(path) as cassette:
        assert send_all(url, EDITED_HISTORY) == recorded
    assert [i.request.json() for i in cassette.played] == EDITED_HISTORY


def test_a_new_key_in_the_middle_keeps_the_body_readable(
    tmp_path: Path, provider_server: ProviderServer
) -> None:
    url = provider_server.url + "/v1/chat/completions"
    first = {"model": "gpt-4o", "messages": [SYSTEM], "stream": False}
    second = {"model": "gpt-4o", "tool_choice": "auto", "messages": [SYSTEM], "stream": False}
    path = tmp_path / "keys.yaml"
    with use_cassette(path, record_mode="once"):
        send_all(url, [first, second])
    stored = yaml.safe_load(path.read_text())["interactions"][1]["request"]["body"]
    # A JSON Patch would add tool_choice last: the body is stored whole instead, indented.
    assert list(stored) == ["json"]
    assert json.loads(stored["json"]) == second
    with use_cassette(path) as cassette:
        send_all(url, [first, second])
    assert len(cassette.played) == 2


def test_a_base_removed_by_hand_is_named_not_replaced_by_another(
    tmp_path: Path, provider_server: ProviderServer
) -> None:
    url = provider_server.url + "/v1/chat/completions"
    path = tmp_path / "session.yaml"
    with use_cassette(path, record_mode="once"):
        send_all(url, conversation(3))
    document = yaml.safe_load(path.read_text())
    del document["interactions"][1]  # its id (1) is the base of the next one
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    with pytest.raises(CassetteError) as caught, use_cassette(path):
        pass
    assert "(at interactions[1].request.body.base): base 1 names no interaction in this " in (
        str(caught.value)
    )


def test_hand_written_yaml_data_is_not_changed_by_the_patches_on_it(tmp_path: Path) -> None:
    path = _cassette(tmp_path)
    second = {
        "model": "gpt-4o",
        "messages": [{"role": "user", "content": "hi"}, {"role": "user", "content": "again"}],
    }
    first = {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}
    with use_cassette(path, allow_playback_repeats=True) as cassette:
        for body in (first, second, first):
            httpx.post("https://api.example.com/v1/chat/completions", json=body)
    assert cassette.interactions[0].request.json() == first
    assert [i.id for i in cassette.played] == [0, 1, 0]


def test_a_broken_patch_up_the_chain_is_reported_where_it_is(tmp_path: Path) -> None:
    broken = '[{"op": "remove", "path": "/nope"}]'
    path = _cassette(tmp_path, patch=broken)
    text = path.read_text() + (
        "- id: 2\n  request:\n    method: POST\n"
        "    url: https://api.example.com/v1/chat/completions\n"
        "    body:\n      base: 1\n      json_patch: '[]'\n"
        "  response: {status: 200 OK, code: 200, body: third}\n"
    )
    path.write_text(text)
    with use_cassette(path), pytest.raises(CassetteError) as caught:
        httpx.post("https://api.example.com/v1/chat/completions", json={"model": "x"})
    # interaction 2 is fine; the patch at fault is interaction 1's (line 16)
    assert "line 16 (at interactions[1].request.body.json_patch): json_patch does not apply" in (
        str(caught.value)
    )


def test_an_unplayed_interaction_that_cannot_be_rebuilt_is_still_summarized() -> None:
    from pytest_agentcassette import RecordedRequest
    from pytest_agentcassette._cassette.messages import request_summary

    body = stored_body({"base": 0, "json_patch": "[]"})  # never linked to its base
    summary = request_summary(RecordedRequest("POST", "https://api.example.com/", [], body))
    assert summary == "(unreadable body: json_patch has no base body to apply to)"
