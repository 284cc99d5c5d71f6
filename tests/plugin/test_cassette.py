"""The engine without pytest glue: record from a real server on 127.0.0.1, then replay with
the server stopped and every socket connect refused."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

import httpx
import httpx2
import pytest
import yaml

from pytest_agentcassette import CassetteError, CassetteMismatchError, use_cassette
from tests.support.clients import CLIENT_KINDS, send
from tests.support.network import NetworkCut
from tests.support.provider_server import BINARY_BODY, ProviderServer

CHAT = {"model": "gpt-4o", "stream": True, "messages": [{"role": "user", "content": "Hi there"}]}
ENDPOINTS = {
    "openai-stream": ("/v1/chat/completions", CHAT),
    "openai-json": ("/v1/chat/completions", {**CHAT, "stream": False}),
    "anthropic-stream": ("/v1/messages", {**CHAT, "model": "claude-sonnet-4-0"}),
    "gemini-stream": (
        "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse",
        {"contents": [{"role": "user", "parts": [{"text": "Hi there"}]}]},
    ),
}


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("kind", CLIENT_KINDS)
def test_replays_what_the_client_received_byte_for_byte_with_the_server_gone(
    kind: str,
    endpoint: str,
    tmp_path: Path,
    provider_server: ProviderServer,
    network_cut: NetworkCut,
) -> None:
    path, body = ENDPOINTS[endpoint]
    url = provider_server.url + path
    cassette_file = tmp_path / "session.yaml"
    with use_cassette(cassette_file, record_mode="once") as recording:
        recorded = send(kind, "POST", url, json=body)
    assert recording.saved
    assert len(provider_server.requests) == 1
    provider_server.stop()

    with network_cut, use_cassette(cassette_file) as cassette:
        replayed = send(kind, "POST", url, json=body)

    assert network_cut.attempts == []
    assert [interaction.id for interaction in cassette.played] == [0]
    assert replayed.status == recorded.status
    assert replayed.reason == recorded.reason
    assert replayed.chunks == recorded.chunks  # same bytes, same chunk boundaries
    assert replayed.headers == recorded.headers
    if endpoint.endswith("stream"):
        assert len(recorded.chunks) > 3  # one chunk per event, as the server flushed them


@pytest.mark.parametrize("kind", CLIENT_KINDS)
def test_recording_hands_each_event_on_before_the_server_sends_the_last(
    kind: str, tmp_path: Path, provider_server: ProviderServer
) -> None:
    module = httpx2 if kind.startswith("httpx2") else httpx
    seen_before_release: list[tuple[bytes, int]] = []

    def on_first_chunk(chunk: bytes) -> None:
        # The server now waits for the gate: it cannot have finished the stream.
        seen_before_release.append((chunk, provider_server.streams_finished))
        provider_server.gate.set()

    chunks: list[bytes]
    with use_cassette(tmp_path / "slow.yaml", record_mode="once"):
        if kind.endswith("async"):

            async def main() -> list[bytes]:
                async with (
                    module.AsyncClient() as client,
                    client.stream("POST", provider_server.url + "/v1/slow") as r,
                ):
                    received: list[bytes] = []
                    async for chunk in r.aiter_bytes():
                        if not received:
                            on_first_chunk(chunk)
                        received.append(chunk)
                    return received

            chunks = asyncio.run(main())
        else:
            with (
                module.Client() as client,
                client.stream("POST", provider_server.url + "/v1/slow") as r,
            ):
                chunks = []
                for chunk in r.iter_bytes():
                    if not chunks:
                        on_first_chunk(chunk)
                    chunks.append(chunk)

    assert seen_before_release == [(chunks[0], 0)]
    assert chunks[0].startswith(b'data: {"n":0,')
    assert len(chunks) == 4
    assert provider_server.streams_finished == 1


SECRETS = {
    "authorization": "Bearer sk-test-AUTHORIZATION-0001",
    "x-api-key": "sk-ant-XAPIKEY-0002",
    "x-goog-api-key": "AIza-GOOG-0003",
    "api-key": "azure-APIKEY-0004",
    "cookie": "session=COOKIE-0005",
    "proxy-authorization": "Basic PROXYAUTH-0006",
    "x-custom-token": "CUSTOM-0007",
}
QUERY_SECRETS = {"key": "QUERYKEY-0008", "api_key": "QUERYAPIKEY-0009", "access_token": "AT-0010"}


@pytest.mark.parametrize("kind", CLIENT_KINDS)
def test_no_credential_reaches_the_cassette(
    kind: str, tmp_path: Path, provider_server: ProviderServer
) -> None:
    query = "&".join(f"{name}={value}" for name, value in QUERY_SECRETS.items())
    path = "/v1beta/models/gemini-2.5-flash:streamGenerateContent"
    url = f"{provider_server.url}{path}?alt=sse&{query}"
    body = ENDPOINTS["gemini-stream"][1]
    cassette_file = tmp_path / "secrets.yaml"
    with use_cassette(
        cassette_file, record_mode="once", redact_headers=["X-Custom-Token"], request_headers="all"
    ):
        send(kind, "POST", url, json=body, headers=SECRETS)
        cookie = send(kind, "GET", provider_server.url + "/cookie")
    sent = provider_server.requests[0]
    assert sent.headers["x-api-key"] == SECRETS["x-api-key"]  # the real request had them
    set_cookie = dict(cookie.headers)["set-cookie"]

    text = cassette_file.read_text()
    for secret in [*SECRETS.values(), *QUERY_SECRETS.values(), set_cookie.split("=")[1]]:
        assert secret not in text
    assert "alt=sse&key=REDACTED&api_key=REDACTED&access_token=REDACTED" in text
    assert "x-api-key: REDACTED" in text

    # A replay sends other credentials: the URL still matches once they are redacted.
    provider_server.stop()
    other = url.replace("QUERYKEY-0008", "another-key")
    with use_cassette(cassette_file, unused_interactions="ignore") as cassette:  # not the cookie
        send(kind, "POST", other, json=body, headers={"x-api-key": "other"})
    assert len(cassette.played) == 1


def test_compressed_bodies_are_stored_decoded_and_replay_as_the_client_saw_them(
    tmp_path: Path, provider_server: ProviderServer, network_cut: NetworkCut
) -> None:
    cassette_file = tmp_path / "gzip.yaml"
    with use_cassette(cassette_file, record_mode="once"):
        recorded = httpx.get(provider_server.url + "/gzip")
    stored = cassette_file.read_text()
    assert "content-encoding" not in stored.lower()
    assert 'json: |\n        {\n          "id": ' in stored  # decoded, indented JSON
    assert recorded.json()["items"] == list(range(50))

    with network_cut, use_cassette(cassette_file):
        replayed = httpx.get(provider_server.url + "/gzip")
    assert replayed.content == recorded.content
    assert replayed.headers["content-length"] == str(len(recorded.content))
    assert "content-encoding" not in replayed.headers


def test_binary_bodies_are_stored_as_base64_and_replay_exactly(
    tmp_path: Path, provider_server: ProviderServer, network_cut: NetworkCut
) -> None:
    cassette_file = tmp_path / "binary.yaml"
    with use_cassette(cassette_file, record_mode="once"):
        assert httpx2.get(provider_server.url + "/binary").content == BINARY_BODY
    assert "base64: |" in cassette_file.read_text()
    with network_cut, use_cassette(cassette_file):
        assert httpx2.get(provider_server.url + "/binary").content == BINARY_BODY


def _chat(server: ProviderServer, text: str, **extra: object) -> str:
    body = {"model": "gpt-4o", "messages": [{"role": "user", "content": text}], **extra}
    response = httpx.post(server.url + "/v1/chat/completions", json=body)
    return str(response.json()["id"])


def test_none_mode_without_a_cassette_sends_nothing_and_says_how_to_record(
    tmp_path: Path, provider_server: ProviderServer
) -> None:
    cassette_file = tmp_path / "missing.yaml"
    with use_cassette(cassette_file), pytest.raises(CassetteMismatchError) as caught:
        _chat(provider_server, "hello")
    assert provider_server.requests == []
    assert not cassette_file.exists()
    assert str(caught.value).splitlines() == [
        f"No cassette to replay POST {provider_server.url}/v1/chat/completions",
        f"  cassette:    {cassette_file} (not found)",
        "  record mode: none (replay only; nothing was sent to the network)",
        "To record it, use record_mode='once' (records once, then replays).",
    ]


def test_once_records_a_missing_cassette_then_only_replays(
    tmp_path: Path, provider_server: ProviderServer
) -> None:
    cassette_file = tmp_path / "once.yaml"
    with use_cassette(cassette_file, record_mode="once") as first:
        ids = [_chat(provider_server, "one"), _chat(provider_server, "two")]
    assert first.is_recording
    assert first.saved
    with use_cassette(cassette_file, record_mode="once") as second:
        assert [_chat(provider_server, "one"), _chat(provider_server, "two")] == ids
        with pytest.raises(CassetteMismatchError) as caught:
            _chat(provider_server, "three")
    assert not second.is_recording
    assert not second.saved
    assert len(provider_server.requests) == 2
    assert "record mode: once (the cassette exists, so it only replays" in str(caught.value)
    assert "nearest:     interaction 0 " in str(caught.value)


def test_new_episodes_replays_what_matches_and_adds_the_rest(
    tmp_path: Path, provider_server: ProviderServer
) -> None:
    cassette_file = tmp_path / "episodes.yaml"
    with use_cassette(cassette_file, record_mode="once"):
        first_id = _chat(provider_server, "one")
    with use_cassette(cassette_file, record_mode="new_episodes") as cassette:
        assert _chat(provider_server, "one") == first_id
        second_id = _chat(provider_server, "two")
    assert [len(cassette.played), len(cassette.recorded)] == [1, 1]
    assert len(provider_server.requests) == 2
    with use_cassette(cassette_file) as replay:
        assert [_chat(provider_server, "one"), _chat(provider_server, "two")] == [
            first_id,
            second_id,
        ]
    assert len(replay.interactions) == 2


@pytest.mark.parametrize("mode", ["all", "rewrite"])
def test_all_rewrites_the_cassette_instead_of_appending(
    mode: str, tmp_path: Path, provider_server: ProviderServer
) -> None:
    cassette_file = tmp_path / "all.yaml"
    with use_cassette(cassette_file, record_mode="once"):
        _chat(provider_server, "old")
    with use_cassette(cassette_file, record_mode=mode) as cassette:
        new_id = _chat(provider_server, "new")
        again_id = _chat(provider_server, "new")
    assert new_id != again_id  # nothing replayed in "all"
    assert len(provider_server.requests) == 3
    assert [i.request.json()["messages"][0]["content"] for i in cassette.interactions] == [
        "new",
        "new",
    ]
    assert "old" not in cassette_file.read_text()


def test_all_with_no_requests_empties_a_stale_cassette(
    tmp_path: Path, provider_server: ProviderServer
) -> None:
    cassette_file = tmp_path / "stale.yaml"
    with use_cassette(cassette_file, record_mode="once"):
        _chat(provider_server, "old")
    with use_cassette(cassette_file, record_mode="all"):
        pass
    assert cassette_file.read_text() == "version: 2\ninteractions: []\n"


def test_identical_requests_replay_in_recorded_order_and_each_plays_once(
    tmp_path: Path, provider_server: ProviderServer
) -> None:
    cassette_file = tmp_path / "repeat.yaml"
    with use_cassette(cassette_file, record_mode="once"):
        ids = [_chat(provider_server, "same") for _ in range(3)]
    assert len(set(ids)) == 3
    with use_cassette(cassette_file):
        assert [_chat(provider_server, "same") for _ in range(3)] == ids
        with pytest.raises(CassetteMismatchError, match="it matches, but was already played"):
            _chat(provider_server, "same")


def test_json_bodies_match_as_data_whatever_the_key_order_or_spacing(
    tmp_path: Path, provider_server: ProviderServer
) -> None:
    cassette_file = tmp_path / "order.yaml"
    with use_cassette(cassette_file, record_mode="once"):
        recorded_id = _chat(provider_server, "hi", temperature=0.5)
    content = (
        b'{ "temperature": 0.5, "messages": [{"content": "hi", "role": "user"}], '
        b'"model": "gpt-4o" }'
    )
    with use_cassette(cassette_file):
        response = httpx.post(provider_server.url + "/v1/chat/completions", content=content)
    assert response.json()["id"] == recorded_id


def test_concurrent_requests_each_find_their_own_interaction(
    tmp_path: Path, provider_server: ProviderServer
) -> None:
    cassette_file = tmp_path / "gather.yaml"
    prompts = [f"question {n}" for n in range(6)]

    async def ask_all(order: list[str]) -> dict[str, str]:
        async with httpx.AsyncClient() as client:

            async def ask(prompt: str) -> tuple[str, str]:
                body = {"model": "gpt-4o", "messages": [{"role": "user", "content": prompt}]}
                r = await client.post(provider_server.url + "/v1/chat/completions", json=body)
                return prompt, r.json()["choices"][0]["message"]["content"] + r.json()["id"]

            return dict(await asyncio.gather(*(ask(p) for p in order)))

    with use_cassette(cassette_file, record_mode="once"):
        recorded = asyncio.run(ask_all(prompts))
    with use_cassette(cassette_file):
        replayed = asyncio.run(ask_all(list(reversed(prompts))))
    assert replayed == recorded


def test_requests_from_worker_threads_use_the_cassette(
    tmp_path: Path, provider_server: ProviderServer
) -> None:
    cassette_file = tmp_path / "threads.yaml"
    results: dict[str, str] = {}

    def worker(text: str) -> None:
        results[text] = _chat(provider_server, text)

    for mode in ("once", "none"):
        with use_cassette(cassette_file, record_mode=mode) as cassette:
            threads = [threading.Thread(target=worker, args=(t,)) for t in ("a", "b")]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        if mode == "once":
            recorded = dict(results)
    assert results == recorded
    assert len(cassette.played) == 2
    assert len(provider_server.requests) == 2


def test_a_stream_left_open_is_stored_as_far_as_it_was_read(
    tmp_path: Path, provider_server: ProviderServer
) -> None:
    cassette_file = tmp_path / "open.yaml"
    client = httpx.Client()
    with use_cassette(cassette_file, record_mode="once") as cassette:
        response = client.send(
            client.build_request("POST", provider_server.url + "/v1/chat/completions", json=CHAT),
            stream=True,
        )
        first = next(response.iter_bytes())
    assert cassette.saved
    assert cassette.interactions[0].response.body.content == first
    response.close()
    client.close()


def test_a_cassette_cannot_be_entered_twice_at_once(tmp_path: Path) -> None:
    cassette = use_cassette(tmp_path / "x.yaml")
    with cassette, pytest.raises(CassetteError, match="is already in use"):
        cassette.__enter__()


def test_requests_made_after_the_cassette_closed_are_not_intercepted(
    tmp_path: Path, provider_server: ProviderServer
) -> None:
    with use_cassette(tmp_path / "x.yaml"):
        pass
    _chat(provider_server, "after")
    assert len(provider_server.requests) == 1


SDK_HEADERS = {
    "Authorization": "Bearer sk-test-123",
    "User-Agent": "OpenAI/Python 2.8.1",
    "x-stainless-lang": "python",
    "x-stainless-retry-count": "0",
    "OpenAI-Beta": "assistants=v2",
}


@pytest.mark.parametrize(
    ("options", "kept"),
    [
        ({}, ["Content-Type"]),
        ({"match_on": ["method", "url", "body", "headers"], "ignore_headers": ["x-stainless-*"]},
         ["Accept", "Content-Type", "OpenAI-Beta"]),
        ({"request_headers": "all"},
         ["Host", "Accept", "Accept-Encoding", "Connection", "Authorization", "User-Agent",
          "x-stainless-lang", "x-stainless-retry-count", "OpenAI-Beta", "Content-Length",
          "Content-Type"]),
    ],
)  # fmt: skip
def test_a_recording_keeps_the_request_headers_matching_can_compare(
    tmp_path: Path, provider_server: ProviderServer, options: dict[str, Any], kept: list[str]
) -> None:
    path = tmp_path / "quiet.yaml"
    url = provider_server.url + "/v1/chat/completions"
    body = {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}
    with use_cassette(path, record_mode="once", **options) as recording:
        httpx.post(url, json=body, headers=SDK_HEADERS)
    stored = yaml.safe_load(path.read_text())["interactions"][0]["request"]["headers"]
    assert sorted(stored) == sorted(kept)
    assert [name for name, _ in recording.recorded[0].request.headers] == list(stored)
    assert "sk-test-123" not in path.read_text()
    with use_cassette(path, **options) as replay:
        httpx.post(url, json=body, headers=SDK_HEADERS)
    assert len(replay.played) == 1
