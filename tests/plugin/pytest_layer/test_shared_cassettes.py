"""Tests that share a named cassette (``@pytest.mark.cassette("shared")``): each interaction
names the test that recorded it, and each test replays, records and is checked against its
own, in any order, serially or under pytest-xdist; the summary names the cassette once.
"""

from __future__ import annotations

import pytest
import yaml

from tests.support.provider_server import ProviderServer

TESTS = """
import httpx
import pytest


def ask(prompt):
    body = {{"model": "gpt-4o", "messages": [{{"role": "user", "content": prompt}}]}}
    with httpx.Client() as client:
        reply = client.post("{url}/v1/chat/completions", json=body).json()
    return reply["choices"][0]["message"]["content"]


@pytest.mark.cassette("shared")
def test_review():
    assert "{review}" in ask("{review}")


@pytest.mark.cassette("shared")
def test_summary():
    assert "summarize" in ask("summarize")
"""


def _write(pytester: pytest.Pytester, server: ProviderServer, review: str = "review") -> None:
    pytester.makepyfile(test_agent=TESTS.format(url=server.url, review=review))


def _stored(pytester: pytest.Pytester) -> dict[str, object]:
    path = pytester.path / "cassettes" / "test_agent" / "shared.yaml"
    document: dict[str, object] = yaml.safe_load(path.read_text())
    return document


def _tests_of(document: dict[str, object]) -> list[str]:
    interactions = document["interactions"]
    assert isinstance(interactions, list)
    return [interaction["test"] for interaction in interactions]


def test_two_tests_record_into_one_cassette_and_both_replay_in_either_order(
    pytester: pytest.Pytester, provider_server: ProviderServer
) -> None:
    _write(pytester, provider_server)
    result = pytester.runpytest("--record-mode=once")
    result.assert_outcomes(passed=2)
    assert len(provider_server.requests) == 2
    document = _stored(pytester)
    assert document["version"] == 4
    assert _tests_of(document) == ["test_agent.py::test_review", "test_agent.py::test_summary"]
    result.stdout.fnmatch_lines(
        [
            "cassettes: 1 recorded",
            "written (review and commit):",
            "  cassettes/test_agent/shared.yaml (2 interactions; tests: test_review, test_summary)",
        ]
    )
    provider_server.stop()
    replayed = pytester.runpytest()
    replayed.assert_outcomes(passed=2)
    replayed.stdout.fnmatch_lines(["cassettes: 1 replayed (2 interactions)"])
    pytester.runpytest("-k", "summary").assert_outcomes(passed=1, deselected=1)
    pytester.runpytest("-k", "review").assert_outcomes(passed=1, deselected=1)


def test_shared_cassettes_pass_under_xdist(
    pytester: pytest.Pytester, provider_server: ProviderServer
) -> None:
    _write(pytester, provider_server)
    pytester.runpytest("-n", "2", "--record-mode=once").assert_outcomes(passed=2)
    assert sorted(_tests_of(_stored(pytester))) == [
        "test_agent.py::test_review",
        "test_agent.py::test_summary",
    ]
    provider_server.stop()
    pytester.runpytest("-n", "2").assert_outcomes(passed=2)
    pytester.runpytest("-p", "no:xdist").assert_outcomes(passed=2)


def test_rewriting_one_test_keeps_the_other_tests_interactions(
    pytester: pytest.Pytester, provider_server: ProviderServer
) -> None:
    _write(pytester, provider_server)
    pytester.runpytest("--record-mode=once").assert_outcomes(passed=2)
    _write(pytester, provider_server, review="review again")
    failed = pytester.runpytest()
    failed.assert_outcomes(passed=1, failed=1)
    failed.stdout.fnmatch_lines(
        [
            "*No recorded interaction matches POST http://127.0.0.1:*/v1/chat/completions",
            "*  cassette:    cassettes/test_agent/shared.yaml (1 interaction, 0 played)",
            "*  pytest --record-mode=rewrite test_agent.py::test_review",
        ]
    )
    provider_server.requests.clear()
    pytester.runpytest("--record-mode=rewrite", "test_agent.py::test_review").assert_outcomes(
        passed=1
    )
    assert len(provider_server.requests) == 1
    document = _stored(pytester)
    assert _tests_of(document) == ["test_agent.py::test_review", "test_agent.py::test_summary"]
    provider_server.stop()
    pytester.runpytest().assert_outcomes(passed=2)


def test_new_episodes_leaves_each_test_its_own_interactions(
    pytester: pytest.Pytester, provider_server: ProviderServer
) -> None:
    _write(pytester, provider_server)
    pytester.runpytest("--record-mode=new_episodes").assert_outcomes(passed=2)
    pytester.runpytest("--record-mode=new_episodes").assert_outcomes(passed=2)
    assert len(provider_server.requests) == 2  # the second run replayed both
    provider_server.stop()
    pytester.runpytest().assert_outcomes(passed=2)


def test_a_test_with_nothing_in_a_shared_cassette_says_so(
    pytester: pytest.Pytester, provider_server: ProviderServer
) -> None:
    _write(pytester, provider_server)
    pytester.runpytest("--record-mode=once", "-k", "review").assert_outcomes(passed=1, deselected=1)
    result = pytester.runpytest("-k", "summary")
    result.assert_outcomes(failed=1, deselected=1)
    result.stdout.fnmatch_lines(
        [
            "*No cassette to replay POST http://127.0.0.1:*/v1/chat/completions",
            "*  cassette:    cassettes/test_agent/shared.yaml (1 interaction of other tests, "
            "none recorded by this test)",
            "*To record it, run:",
            "*  pytest --record-mode=once test_agent.py::test_summary",
        ]
    )


def test_a_cassette_named_by_one_test_only_names_it(
    pytester: pytest.Pytester, provider_server: ProviderServer
) -> None:
    pytester.makepyfile(
        test_agent=TESTS.format(url=provider_server.url, review="review").split(
            '@pytest.mark.cassette("shared")\ndef test_summary'
        )[0]
    )
    pytester.runpytest("--record-mode=once").assert_outcomes(passed=1)
    assert _tests_of(_stored(pytester)) == ["test_agent.py::test_review"]
