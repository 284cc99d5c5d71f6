"""``--record-mode=update``: a session replays while its requests still match the recording,
is sent for real from the first one that changed, and the cassette keeps what was replayed
followed by what was recorded; ``new_episodes`` keeps everything, stale interactions
included.
"""

from __future__ import annotations

import pytest
import yaml

from tests.support.provider_server import ProviderServer

SESSION = """
import httpx
import pytest


def converse(prompts):
    messages = []
    with httpx.Client() as client:
        for prompt in prompts:
            messages.append({{"role": "user", "content": prompt}})
            body = {{"model": "gpt-4o", "messages": messages}}
            answer = client.post("{url}/v1/chat/completions", json=body).json()
            messages.append(answer["choices"][0]["message"])
    return messages


@pytest.mark.cassette
def test_session():
    prompts = [f"step {{n}}" for n in range(1, 11)]
    prompts[6] = "{seventh}"
    assert len(converse(prompts)) == 20
"""


def _write(pytester: pytest.Pytester, server: ProviderServer, seventh: str) -> None:
    pytester.makepyfile(test_agent=SESSION.format(url=server.url, seventh=seventh))


def test_a_changed_seventh_prompt_re_records_four_requests_and_the_next_run_passes(
    pytester: pytest.Pytester, provider_server: ProviderServer
) -> None:
    _write(pytester, provider_server, "step 7")
    pytester.runpytest("--record-mode=once").assert_outcomes(passed=1)
    assert len(provider_server.requests) == 10
    _write(pytester, provider_server, "step seven, reworded")
    pytester.runpytest().assert_outcomes(failed=1)  # the change is caught in replay
    provider_server.requests.clear()
    result = pytester.runpytest("--record-mode=update")
    result.assert_outcomes(passed=1)
    assert len(provider_server.requests) == 4  # turns 7 to 10, not the whole session
    cassette = pytester.path / "cassettes" / "test_agent" / "test_session.yaml"
    interactions = yaml.safe_load(cassette.read_text())["interactions"]
    assert len(interactions) == 10
    provider_server.stop()
    pytester.runpytest().assert_outcomes(passed=1)  # replays whole, nothing left unused


def test_the_mismatch_message_offers_update(
    pytester: pytest.Pytester, provider_server: ProviderServer
) -> None:
    _write(pytester, provider_server, "step 7")
    pytester.runpytest("--record-mode=once").assert_outcomes(passed=1)
    _write(pytester, provider_server, "step seven")
    result = pytester.runpytest()
    result.stdout.fnmatch_lines(
        [
            "If the change is intended, re-record the cassette:",
            "  pytest --record-mode=rewrite test_agent.py::test_session",
            "(or --record-mode=update to replay what still matches and record again from the "
            "first change)",
        ],
        consecutive=True,
    )


def test_new_episodes_keeps_the_stale_interactions_and_says_so_in_the_next_run(
    pytester: pytest.Pytester, provider_server: ProviderServer
) -> None:
    _write(pytester, provider_server, "step 7")
    pytester.runpytest("--record-mode=once").assert_outcomes(passed=1)
    _write(pytester, provider_server, "step seven")
    pytester.runpytest("--record-mode=new_episodes").assert_outcomes(passed=1)
    cassette = pytester.path / "cassettes" / "test_agent" / "test_session.yaml"
    assert len(yaml.safe_load(cassette.read_text())["interactions"]) == 14
    result = pytester.runpytest()
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        ["4 recorded interactions were never played*", "*(14 interactions, 10 played)"]
    )


def test_update_with_nothing_changed_sends_nothing_and_leaves_the_file_as_it_was(
    pytester: pytest.Pytester, provider_server: ProviderServer
) -> None:
    _write(pytester, provider_server, "step 7")
    pytester.runpytest("--record-mode=once").assert_outcomes(passed=1)
    cassette = pytester.path / "cassettes" / "test_agent" / "test_session.yaml"
    before = cassette.read_bytes()
    provider_server.requests.clear()
    pytester.runpytest("--record-mode=update").assert_outcomes(passed=1)
    assert provider_server.requests == []
    assert cassette.read_bytes() == before
