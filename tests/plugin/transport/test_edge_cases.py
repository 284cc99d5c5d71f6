"""What a recorder meets in the wild: odd headers, broken streams, uploads, other mockers,
threads, reuse. Each case records from the scripted server and replays offline."""

from __future__ import annotations

import asyncio
import contextvars
import threading
from pathlib import Path

import httpx
import httpx2
import pytest
import respx

from pytest_agentcassette import CassetteError, use_cassette
from tests.support.network import NetworkCut
from tests.support.provider_server import ProviderServer
from tests.support.replayed_faults import without_note


def test_a_latin1_header_replays_as_it_was_received(
    tmp_path: Path, provider_server: ProviderServer, network_cut: NetworkCut
) -> None:
    path = tmp_path / "latin1.yaml"
    with use_cassette(path, record_mode="once"):
        recorded = httpx.get(provider_server.url + "/latin1")
    with network_cut, use_cassette(path):
        replayed = httpx.get(provider_server.url + "/latin1")
    assert replayed.headers.raw == recorded.headers.raw
    assert dict(replayed.headers.raw)[b"x-note"] == b"caf\xe9"


def test_a_response_that_breaks_off_is_recorded_with_its_error_and_breaks_off_again(
    tmp_path: Path, provider_server: ProviderServer, network_cut: NetworkCut
) -> None:
    path = tmp_path / "broken.yaml"
    with use_cassette(path, record_mode="once") as cassette:
        with pytest.raises(httpx.RemoteProtocolError) as recorded:
            httpx.get(provider_server.url + "/truncated")
        httpx.get(provider_server.url + "/v1/models")  # a retry would land here
    assert [i.request.url.rsplit("/", 1)[1] for i in cassette.interactions] == [
        "truncated",
        "models",
    ]
    error = cassette.interactions[0].response.error
    assert error is not None
    assert error.kind == "RemoteProtocolError"
    provider_server.stop()
    with network_cut, use_cassette(path) as replay:
        with pytest.raises(httpx.RemoteProtocolError) as replayed:
            httpx.get(provider_server.url + "/truncated")
        httpx.get(provider_server.url + "/v1/models")
    assert without_note(replayed.value) == str(recorded.value)
    assert len(replay.played) == 2


@pytest.mark.parametrize("module", [httpx, httpx2], ids=["httpx", "httpx2"])
def test_multipart_uploads_match_despite_their_random_boundary(
    module: object, tmp_path: Path, provider_server: ProviderServer, network_cut: NetworkCut
) -> None:
    path = tmp_path / "upload.yaml"
    files = {"file": ("notes.jsonl", b'{"a": 1}\n', "application/jsonl")}

    def upload() -> object:
        with module.Client() as client:  # type: ignore[attr-defined]
            reply = client.post(
                provider_server.url + "/v1/files", files=files, data={"purpose": "batch"}
            )
            return reply.json()

    with use_cassette(path, record_mode="once"):
        recorded = upload()
    with network_cut, use_cassette(path):
        assert upload() == recorded


def test_head_and_not_modified_responses_keep_their_entity_headers(
    tmp_path: Path, provider_server: ProviderServer
) -> None:
    path = tmp_path / "head.yaml"
    with use_cassette(path, record_mode="once"):
        recorded = httpx.head(provider_server.url + "/gzip")
    with use_cassette(path):
        replayed = httpx.head(provider_server.url + "/gzip")
    assert replayed.headers["content-encoding"] == recorded.headers["content-encoding"] == "gzip"
    assert replayed.headers["content-length"] == "77"


def test_a_lone_surrogate_in_json_is_stored_exactly(tmp_path: Path) -> None:
    body = b'{"delta":"\\ud83d"}'  # half an emoji, split across two stream deltas
    with respx.mock(assert_all_called=False) as outer:
        outer.get("https://api.example.test/x").respond(content=body)
        with use_cassette(tmp_path / "s.yaml", record_mode="once") as cassette:
            httpx.get("https://api.example.test/x")
    assert cassette.saved
    with use_cassette(tmp_path / "s.yaml"):
        assert httpx.get("https://api.example.test/x").content == body


def test_respx_and_a_cassette_nest_the_innermost_answers_first(
    tmp_path: Path, provider_server: ProviderServer
) -> None:
    mocked = provider_server.url + "/mocked"
    models = provider_server.url + "/v1/models"
    # A cassette inside respx: it sees every request first, and records what respx (its
    # "network") answers for the mocked route.
    with respx.mock(assert_all_called=False) as router:
        router.get(mocked).respond(json={"from": "respx"})
        router.route().pass_through()
        with use_cassette(tmp_path / "a.yaml", record_mode="once") as inner_cassette:
            assert httpx.get(mocked).json() == {"from": "respx"}
            httpx.get(models)
    assert [i.request.url for i in inner_cassette.recorded] == [mocked, models]
    assert len(provider_server.requests) == 1

    # respx inside a cassette (the usual order: the cassette fixture is set up first): the
    # mocked route never reaches the cassette; pass-through requests are recorded.
    with (
        use_cassette(tmp_path / "b.yaml", record_mode="once") as outer_cassette,
        respx.mock(assert_all_called=False) as router,
    ):
        route = router.get(mocked).respond(json={"from": "respx"})
        router.route().pass_through()
        assert httpx.get(mocked).json() == {"from": "respx"}
        httpx.get(models)
        assert route.call_count == 1
    assert [i.request.url for i in outer_cassette.recorded] == [models]


def test_a_cassette_object_can_be_used_again_and_as_a_decorator(
    tmp_path: Path, provider_server: ProviderServer
) -> None:
    path = tmp_path / "reuse.yaml"
    cassette = use_cassette(path, record_mode="all")

    @cassette
    def ask(text: str) -> None:
        httpx.post(
            provider_server.url + "/v1/chat/completions",
            json={"messages": [{"role": "user", "content": text}]},
        )

    @cassette
    async def ask_async(text: str) -> None:
        async with httpx.AsyncClient() as client:
            await client.post(
                provider_server.url + "/v1/chat/completions",
                json={"messages": [{"role": "user", "content": text}]},
            )

    ask("first")
    asyncio.run(ask_async("second"))
    assert [i.request.json()["messages"][0]["content"] for i in cassette.interactions] == ["second"]
    assert ask.__name__ == "ask"


def test_a_thread_without_a_cassette_is_refused_when_two_threads_have_one(
    tmp_path: Path, provider_server: ProviderServer
) -> None:
    errors: list[BaseException] = []
    both_open = threading.Barrier(2)
    done = threading.Barrier(2)

    def test_in_thread(name: str) -> None:
        with use_cassette(tmp_path / f"{name}.yaml", record_mode="once"):
            both_open.wait()
            if name == "a":
                worker = threading.Thread(target=lambda: _get(provider_server, errors))
                worker.start()
                worker.join()
            done.wait()

    threads = [threading.Thread(target=test_in_thread, args=(n,)) for n in "ab"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(errors) == 1
    assert "a request came from a thread that entered no cassette while 2 cassettes" in str(
        errors[0]
    )
    assert provider_server.requests == []


def _get(server: ProviderServer, errors: list[BaseException]) -> None:
    try:
        httpx.get(server.url + "/v1/models")
    except CassetteError as error:
        errors.append(error)


def test_a_context_that_outlived_its_cassette_uses_the_open_one(
    tmp_path: Path, provider_server: ProviderServer
) -> None:
    with use_cassette(tmp_path / "old.yaml", record_mode="once"):
        stale = contextvars.copy_context()
    with use_cassette(tmp_path / "new.yaml", record_mode="once") as current:
        stale.run(httpx.get, provider_server.url + "/v1/models")
    assert len(current.recorded) == 1


def test_a_record_command_may_hold_braces(tmp_path: Path) -> None:
    cassette = use_cassette(tmp_path / "x.yaml", record_command="MODE={mode} make test ${T}")
    with cassette, pytest.raises(CassetteError) as caught:
        httpx.get("https://api.example.test/")
    assert caught.value.args[0].endswith("To record it, run:\n  MODE=once make test ${T}")
