"""Matching that is strict yet stable: IDs, key order and volatile headers do not matter;
content, tools and message order do, and a miss says what changed and where."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from pytest_agentcassette import (
    Body,
    CassetteError,
    CassetteMismatchError,
    RecordedRequest,
    use_cassette,
)
from tests.support.network import NetworkCut
from tests.support.provider_server import ProviderServer
from tests.support.wire_formats import Reply

TOOLS = [
    {"type": "function", "function": {"name": "read_file", "parameters": {"type": "object"}}},
    {"type": "function", "function": {"name": "list_dir", "parameters": {"type": "object"}}},
]


def run_agent(url: str, prompt: str, *, tools: list[dict[str, Any]] = TOOLS) -> str:
    """A two-turn tool-using agent over Chat Completions that, like cagent with Gemini, mints
    its own tool-call IDs: every run sends different IDs in its history."""
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": "You are helpful."},
        {"role": "user", "content": prompt},
    ]
    with httpx.Client() as client:
        for _ in range(3):
            body = {"model": "gpt-4o", "messages": messages, "tools": tools}
            message = client.post(url, json=body).json()["choices"][0]["message"]
            if not message.get("tool_calls"):
                return str(message["content"])
            call = message["tool_calls"][0]
            own_id = f"call_{uuid.uuid4()}"
            messages.append({"role": "assistant", "tool_calls": [{**call, "id": own_id}]})
            messages.append({"role": "tool", "tool_call_id": own_id, "content": "# Title"})
    raise AssertionError("the agent did not finish")


@pytest.fixture
def recorded_agent(tmp_path: Path, provider_server: ProviderServer) -> tuple[Path, str]:
    provider_server.script = [Reply(tool=("read_file", {"path": "README.md"})), Reply("Done.")]
    path = tmp_path / "agent.yaml"
    url = provider_server.url + "/v1/chat/completions"
    with use_cassette(path, record_mode="once"):
        assert run_agent(url, "Read the README") == "Done."
    return path, url


def test_a_rerun_whose_ids_differ_replays_without_recording_anything(
    recorded_agent: tuple[Path, str], provider_server: ProviderServer, network_cut: NetworkCut
) -> None:
    path, url = recorded_agent
    before = path.read_text()
    with network_cut, use_cassette(path, record_mode="new_episodes") as cassette:
        assert run_agent(url, "Read the README") == "Done."
    assert cassette.recorded == []
    assert len(cassette.played) == 2
    assert not cassette.saved
    assert path.read_text() == before
    assert network_cut.attempts == []


def _miss(path: Path, url: str, **changes: Any) -> CassetteMismatchError:
    command = "pytest --record-mode={mode} t.py::x"
    with use_cassette(path, record_command=command), pytest.raises(CassetteMismatchError) as caught:
        run_agent(url, **changes)
    return caught.value


def test_a_changed_prompt_fails_with_the_pointer_of_the_message(
    recorded_agent: tuple[Path, str],
) -> None:
    path, url = recorded_agent
    error = _miss(path, url, prompt="Read the LICENSE")
    assert error.patch == [
        {"op": "replace", "path": "/messages/1/content", "value": "Read the LICENSE"}
    ]
    assert error.nearest is not None
    assert error.nearest.id == 0
    assert error.reason == "same method and URL, but the body differs"
    assert error.record_command == "pytest --record-mode=rewrite t.py::x"
    assert error.details.splitlines()[-2:] == [
        "  changes from the recording to this request:",
        '    replace /messages/1/content: "Read the README" → "Read the LICENSE"',
    ]


def test_a_removed_tool_fails_naming_it(recorded_agent: tuple[Path, str]) -> None:
    path, url = recorded_agent
    error = _miss(path, url, prompt="Read the README", tools=TOOLS[:1])
    assert error.details.splitlines()[-1] == (
        '    remove /tools/1 (was {"function": {"name": "list_dir", "parameters": {"type": '
        '"object"}}, "t…)'
    )


def test_long_values_are_cut_down_around_the_change(
    tmp_path: Path, provider_server: ProviderServer
) -> None:
    path = tmp_path / "long.yaml"
    url = provider_server.url + "/v1/chat/completions"
    long_prompt = "Please " + "really " * 40 + "read the README and summarize it."
    with use_cassette(path, record_mode="once"):
        run_agent(url, long_prompt)
    with use_cassette(path), pytest.raises(CassetteMismatchError) as caught:
        run_agent(url, long_prompt.replace("README", "LICENSE"))
    assert caught.value.details.splitlines()[-1] == (
        '    replace /messages/1/content: "… really really read the README and summarize it." '
        '→ "… really really read the LICENSE and summarize it."'
    )


def test_a_long_replaced_object_is_cut_where_it_changed_never_where_both_read_alike(
    tmp_path: Path, provider_server: ProviderServer
) -> None:
    path = tmp_path / "object.yaml"
    url = provider_server.url + "/v1/chat/completions"
    described = "Read a file from the working directory and return its content, numbered"

    def send(options: Any) -> None:
        body = {"model": "gpt-4o", "messages": [], "response_format": options}
        httpx.post(url, json=body)

    with use_cassette(path, record_mode="once"):
        send({"description": described})
    with use_cassette(path), pytest.raises(CassetteMismatchError) as caught:
        send(["a list now", described])  # a new shape, the same long text
    assert caught.value.details.splitlines()[-1] == (
        '    replace /response_format: {"description": "Read a file from th…y and return its '
        'content, numbered"} → ["a list now", "Read a file from the…y and return its content, '
        'numbered"]'
    )


def test_swapped_messages_fail(tmp_path: Path, provider_server: ProviderServer) -> None:
    path = tmp_path / "order.yaml"
    url = provider_server.url + "/v1/chat/completions"
    messages = [{"role": "user", "content": "one"}, {"role": "user", "content": "two"}]
    with use_cassette(path, record_mode="once"):
        httpx.post(url, json={"messages": messages})
    with use_cassette(path), pytest.raises(CassetteMismatchError) as caught:
        httpx.post(url, json={"messages": messages[::-1]})
    assert caught.value.patch[0]["path"].startswith("/messages/")


def _post(url: str, body: Any, headers: dict[str, str]) -> httpx.Response:
    return httpx.post(url, json=body, headers=headers)


def test_volatile_headers_never_matter_and_the_others_do_when_asked(
    tmp_path: Path, provider_server: ProviderServer
) -> None:
    path = tmp_path / "headers.yaml"
    url = provider_server.url + "/v1/chat/completions"
    body = {"messages": [{"role": "user", "content": "hi"}]}
    recorded = {"user-agent": "OpenAI/Python 3.57.0", "x-stainless-retry-count": "0", "x-team": "a"}
    with use_cassette(path, record_mode="once", match_on=["method", "url", "body", "headers"]):
        _post(url, body, recorded)
    replayed = {"user-agent": "OpenAI/Python 3.60.0", "x-stainless-retry-count": "1", "x-team": "a"}
    with use_cassette(path, match_on=["method", "url", "body", "headers"]) as cassette:
        _post(url, body, {**replayed, "authorization": "Bearer another-key"})
        assert len(cassette.played) == 1
        with pytest.raises(CassetteMismatchError) as caught:
            _post(url, body, {**replayed, "x-team": "b"})
    assert caught.value.reason == "same method, URL and body, but headers differ: x-team"


def test_urls_match_whatever_the_fragment_or_the_query_order(
    tmp_path: Path, provider_server: ProviderServer
) -> None:
    path = tmp_path / "url.yaml"
    base = provider_server.url + "/v1beta/models/gemini-2.5-flash:streamGenerateContent"
    body = {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}
    with use_cassette(path, record_mode="once"):
        recorded = httpx.post(base + "?alt=sse&x=1", json=body).text
    with use_cassette(path):
        assert httpx.post(base + "?x=1&alt=sse#stream", json=body).text == recorded


def test_ignored_fields_and_text_rules_keep_a_volatile_prompt_stable(
    tmp_path: Path, provider_server: ProviderServer
) -> None:
    path = tmp_path / "volatile.yaml"
    url = provider_server.url + "/v1/chat/completions"
    options: dict[str, Any] = {
        "ignore_json_pointers": ["/metadata/user_id"],
        "normalize_text": {r"\d{4}-\d{2}-\d{2}": "<date>"},
    }

    def ask(day: str, user: str) -> str:
        system = {"role": "system", "content": f"Today is {day}."}
        body = {
            "metadata": {"user_id": user},
            "messages": [system, {"role": "user", "content": "hi"}],
        }
        return str(httpx.post(url, json=body).json()["id"])

    with use_cassette(path, record_mode="once", **options):
        first = ask("2026-11-26", "u-1")
    with use_cassette(path, **options):
        assert ask("2027-01-02", "u-2") == first
    assert "2026-11-26" in path.read_text()  # ignored for matching, never for storage


def test_repeats_serve_the_last_recorded_answer_when_allowed(
    tmp_path: Path, provider_server: ProviderServer
) -> None:
    path = tmp_path / "repeat.yaml"
    url = provider_server.url + "/v1/models"
    with use_cassette(path, record_mode="once"):
        first = httpx.get(url).json()
    with use_cassette(path, allow_playback_repeats=True) as cassette:
        assert [httpx.get(url).json() for _ in range(3)] == [first] * 3
    assert len(cassette.played) == 3
    with use_cassette(path) as strict:
        httpx.get(url)
        with pytest.raises(CassetteMismatchError) as caught:
            httpx.get(url)
    assert "allow_playback_repeats=True" in str(caught.value)
    assert len(strict.played) == 1


def test_callables_choose_among_candidates(tmp_path: Path, provider_server: ProviderServer) -> None:
    path = tmp_path / "callable.yaml"
    url = provider_server.url + "/v1/models"

    def same_tenant(live: RecordedRequest, recorded: RecordedRequest) -> bool:
        return live.header("x-tenant") == recorded.header("x-tenant")

    # A matcher of the user's may read any header: a recording made with it keeps them all.
    with use_cassette(path, record_mode="once", match_on=["method", "url", same_tenant]):
        first = httpx.get(url, headers={"x-tenant": "a"}).json()
        second = httpx.get(url, headers={"x-tenant": "b"}).json()

    with use_cassette(path, match_on=["method", "url", same_tenant]):
        assert httpx.get(url, headers={"x-tenant": "b"}).json() == second
        assert httpx.get(url, headers={"x-tenant": "a"}).json() == first


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"match_on": ["method", "uri"]}, "match_on: unknown matcher 'uri'; use method, url, body"),
        ({"match_on": ["sequential", "url"]}, 'match_on="sequential" is a mode of its own'),
        ({"ignore_json_pointers": ["metadata"]}, "must start with '/'"),
        ({"normalize_text": {"(unclosed": "x"}}, "'(unclosed' is not a valid regular expression"),
    ],
)
def test_wrong_matching_options_are_refused_up_front(
    tmp_path: Path, options: dict[str, Any], message: str
) -> None:
    with pytest.raises(CassetteError, match=message.replace("(", r"\(").replace("'", "'")):
        use_cassette(tmp_path / "x.yaml", **options)


def test_sequential_mode_replays_a_cagent_cassette_whatever_the_bodies(
    cagent_corpus: Path, network_cut: NetworkCut
) -> None:
    path = cagent_corpus / "cassettes" / "TestExec_OpenAI_ToolCall.yaml"
    url = "https://api.openai.com/v1/chat/completions"
    with network_cut, use_cassette(path, match_on="sequential") as cassette:
        first = httpx.post(url, json={"messages": ["built by another runtime"]})
        second = httpx.post(url, json={"messages": ["and different again"]})
        with pytest.raises(CassetteMismatchError) as caught:
            httpx.post(url, json={})
    assert "list_directory" in first.text
    assert second.status_code == 200
    assert [i.id for i in cassette.played] == [0, 1]
    assert "every interaction was already played (sequential mode)" in str(caught.value)


def test_sequential_mode_names_the_request_it_expected(
    cagent_corpus: Path,
) -> None:
    path = cagent_corpus / "cassettes" / "TestExec_Gemini.yaml"
    with use_cassette(path, match_on="sequential"), pytest.raises(CassetteMismatchError) as caught:
        httpx.post("https://api.openai.com/v1/chat/completions", json={})
    assert caught.value.reason == (
        "sequential mode expects POST https://generativelanguage.googleapis.com/v1beta/models/"
        "gemini-2.5-flash:streamGenerateContent?alt=sse next"
    )


def test_an_upload_matches_on_headers_despite_its_random_boundary(
    tmp_path: Path, provider_server: ProviderServer
) -> None:
    path = tmp_path / "upload.yaml"
    files = {"file": ("a.jsonl", b"{}\n", "application/jsonl")}
    on = ["method", "url", "body", "headers"]
    with use_cassette(path, record_mode="once", match_on=on):
        recorded = httpx.post(provider_server.url + "/v1/files", files=files).json()
    with use_cassette(path, match_on=on):
        assert httpx.post(provider_server.url + "/v1/files", files=files).json() == recorded


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"match_on": 5}, "match_on takes matcher names"),
        ({"match_on": True}, "match_on takes matcher names"),
        ({"normalize_text": 5}, "normalize_text takes {regex: replacement}"),
    ],
)
def test_options_of_the_wrong_type_are_refused_with_their_form(
    tmp_path: Path, options: dict[str, Any], message: str
) -> None:
    with pytest.raises(CassetteError, match=re.escape(message)):
        use_cassette(tmp_path / "x.yaml", **options)


def test_no_normalize_text_means_none(tmp_path: Path) -> None:
    assert (
        use_cassette(
            tmp_path / "x.yaml", normalize_text=None
        )._match_config.normalizer.normalize_text
        == ()
    )


def test_a_replay_with_null_is_absent_matches_a_recording_that_sent_null(
    tmp_path: Path, provider_server: ProviderServer
) -> None:
    url = provider_server.url + "/v1/chat/completions"
    recorded: dict[str, Any] = {"model": "gpt-4o", "messages": [], "user": None}
    path = tmp_path / "null.yaml"
    with use_cassette(path, record_mode="once"):
        httpx.post(url, json=recorded)
    provider_server.stop()
    live = {"model": "gpt-4o", "messages": []}
    with pytest.raises(CassetteMismatchError) as missed, use_cassette(path):
        httpx.post(url, json=live)
    assert "    remove /user (was null)" in str(missed.value)
    with use_cassette(path, null_is_absent=True):
        assert httpx.post(url, json=live).status_code == 200


def test_null_is_absent_lets_a_null_key_match_a_missing_one(tmp_path: Path) -> None:
    from pytest_agentcassette._matching import MatchConfig

    strict = MatchConfig.build(match_on=("method", "url", "body"), allow_playback_repeats=False,
                               ignore_headers=(), ignore_json_pointers=(), normalize_text=())  # fmt: skip
    lenient = MatchConfig.build(match_on=("method", "url", "body"), allow_playback_repeats=False,
                                ignore_headers=(), ignore_json_pointers=(), normalize_text=(),
                                null_is_absent=True)  # fmt: skip
    sent = Body.from_bytes(b'{"model": "m", "previous_response_id": null, "input": [null, 1]}')
    recorded = Body.from_bytes(b'{"model": "m", "input": [null, 1]}')
    assert strict.compared_body(sent) != strict.compared_body(recorded)
    assert lenient.compared_body(sent) == lenient.compared_body(recorded)
    changed = Body.from_bytes(b'{"model": "m", "input": [1]}')
    assert lenient.compared_body(changed) != lenient.compared_body(recorded)  # a list keeps it


def test_a_removed_null_says_it_was_null() -> None:
    from pytest_agentcassette._matching import render_patch

    recorded = {"model": "m", "previous_response_id": None}
    patch = [{"op": "remove", "path": "/previous_response_id"}]
    assert render_patch(patch, recorded) == ["remove /previous_response_id (was null)"]
    assert render_patch([{"op": "remove", "path": "/gone"}], recorded) == ["remove /gone"]
