"""Parallel runs: tests spread over pytest-xdist workers share one cassette folder, and
concurrent requests inside one test replay deterministically."""

from __future__ import annotations

import asyncio
import json
import random
import threading
from pathlib import Path

import httpx
import pytest

from pytest_agentcassette import use_cassette
from tests.support.cassettes import load_cassette
from tests.support.inner_runs import write_tests
from tests.support.network import NetworkCut
from tests.support.provider_server import ProviderServer

pytest.importorskip("xdist", reason="pytest-xdist is not installed (pip install -e '.[test]')")


@pytest.fixture
def inner(
    pytester: pytest.Pytester, provider_server: ProviderServer, monkeypatch: pytest.MonkeyPatch
) -> pytest.Pytester:
    """A pytester whose tests reach the provider server through $PROVIDER_URL."""
    monkeypatch.setenv("PROVIDER_URL", provider_server.url)
    return pytester


SHARED_FOLDER_TESTS = """
@pytest.mark.cassette
@pytest.mark.parametrize("n", range(6))
def test_answer(n):
    assert ask(f"question {n}").json()["choices"][0]["message"]["content"] == f"You said: question {n}"


class TestNamed:
    @pytest.mark.cassette("shared-name-one")
    def test_one(self):
        assert ask("one").status_code == 200

    @pytest.mark.cassette("nested/shared-name-two")
    def test_two(self):
        assert ask("two").status_code == 200
"""


def test_tests_spread_over_workers_record_and_replay_in_one_cassette_folder(
    inner: pytest.Pytester, provider_server: ProviderServer
) -> None:
    write_tests(inner, SHARED_FOLDER_TESTS)
    recorded = inner.runpytest_subprocess("-n", "2", "--record-mode=once", "-p", "no:randomly")
    recorded.assert_outcomes(passed=8)
    folder = inner.path / "cassettes" / "test_chat"
    names = sorted(str(p.relative_to(folder)) for p in folder.rglob("*.yaml"))
    assert names == [
        "nested/shared-name-two.yaml",
        "shared-name-one.yaml",
        *(f"test_answer[{n}].yaml" for n in range(6)),
    ]
    for path in folder.rglob("*"):
        assert not path.name.endswith(".tmp")
        if path.is_file():
            assert len(load_cassette(path, fix_hint="")) == 1
    recorded.stdout.fnmatch_lines(["*- agentcassette -*", "cassettes: 8 recorded"])

    provider_server.stop()
    replayed = inner.runpytest_subprocess("-n", "2", "-p", "no:randomly")
    replayed.assert_outcomes(passed=8)
    replayed.stdout.fnmatch_lines(["cassettes: 8 replayed (8 interactions)"])


def test_concurrent_requests_in_one_test_replay_each_its_own_answer(
    tmp_path: Path, provider_server: ProviderServer, network_cut: NetworkCut
) -> None:
    url = provider_server.url + "/v1/chat/completions"
    questions = [f"question {n}" for n in range(12)]

    async def ask_all(order: list[str]) -> dict[str, str]:
        async def ask(client: httpx.AsyncClient, text: str) -> tuple[str, str]:
            await asyncio.sleep(random.random() / 100)  # arrive in no particular order
            body = {"model": "gpt-4o", "messages": [{"role": "user", "content": text}]}
            reply = await client.post(url, json=body)
            return text, reply.json()["choices"][0]["message"]["content"]

        async with httpx.AsyncClient() as client:
            return dict(await asyncio.gather(*(ask(client, text) for text in order)))

    path = tmp_path / "concurrent.yaml"
    with use_cassette(path, record_mode="once"):
        recorded = asyncio.run(ask_all(questions))
    provider_server.stop()
    assert recorded == {text: f"You said: {text}" for text in questions}

    for seed in range(3):
        order = questions[:]
        random.Random(seed).shuffle(order)
        with network_cut, use_cassette(path) as replay:
            assert asyncio.run(ask_all(order)) == recorded
        assert len(replay.played) == len(questions)
    assert network_cut.attempts == []
    # Each request met the interaction recorded for its own body.
    for interaction in load_cassette(path, fix_hint=""):
        asked = interaction.request.json()["messages"][0]["content"]
        assert json.loads(interaction.response.text)["choices"][0]["message"]["content"] == (
            f"You said: {asked}"
        )


def test_two_recordings_of_one_cassette_at_once_keep_both(
    tmp_path: Path, provider_server: ProviderServer, network_cut: NetworkCut
) -> None:
    url = provider_server.url + "/v1/chat/completions"
    path = tmp_path / "shared.yaml"
    both_open = threading.Barrier(2)
    first_saved = threading.Event()

    def record(text: str, *, save_first: bool) -> None:
        with use_cassette(path, record_mode="once"):
            both_open.wait()  # neither found the file: both record
            httpx.post(url, json={"messages": [{"role": "user", "content": text}]})
            if not save_first:
                first_saved.wait(5)
        if save_first:
            first_saved.set()

    threads = [
        threading.Thread(target=record, args=("from the first",), kwargs={"save_first": True}),
        threading.Thread(target=record, args=("from the second",), kwargs={"save_first": False}),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    asked = [i.request.json()["messages"][0]["content"] for i in load_cassette(path, fix_hint="")]
    assert asked == ["from the first", "from the second"]  # the first save is kept
    provider_server.stop()
    with network_cut, use_cassette(path) as replay:
        for text in ("from the second", "from the first"):
            httpx.post(url, json={"messages": [{"role": "user", "content": text}]})
    assert len(replay.played) == 2


SHARED_CASSETTE_TESTS = """
import time


@pytest.mark.cassette("shared", unused_interactions="warn")  # each plays its own part
@pytest.mark.parametrize("n", range(4))
def test_shares_one_cassette(n):
    assert ask(f"question {n}").status_code == 200
    time.sleep(0.5)  # the workers record the same cassette at the same time
"""


def test_workers_recording_one_cassette_at_once_keep_every_interaction(
    inner: pytest.Pytester, provider_server: ProviderServer
) -> None:
    write_tests(inner, SHARED_CASSETTE_TESTS)
    # new_episodes: each test adds what it asks to what the cassette holds when it starts.
    inner.runpytest_subprocess(
        "-n", "2", "--record-mode=new_episodes", "-p", "no:randomly"
    ).assert_outcomes(passed=4)
    shared = load_cassette(inner.path / "cassettes" / "test_chat" / "shared.yaml", fix_hint="")
    asked = sorted(i.request.json()["messages"][0]["content"] for i in shared)
    assert asked == [f"question {n}" for n in range(4)]
    provider_server.stop()
    inner.runpytest_subprocess("-n", "2", "-p", "no:randomly").assert_outcomes(passed=4)
