"""``--record-mode=verify``: each request is sent to the live API and its response compared
by shape with the recording (status, JSON keys and types, event types in order; never the
text), against a loopback provider that can rename a field or add an event type.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.drifting_provider import DriftingProvider, drifting_provider

TESTS = """
import httpx
import pytest

URL = "{url}"


@pytest.mark.cassette
def test_chat():
    body = {{"model": "gpt-4o", "messages": [{{"role": "user", "content": "{prompt}"}}]}}
    assert httpx.post(URL + "/v1/chat/completions", json=body).status_code == 200


@pytest.mark.cassette
def test_stream():
    body = {{"model": "claude", "stream": True, "messages": []}}
    with httpx.stream("POST", URL + "/v1/messages", json=body) as response:
        assert response.status_code == 200
        assert list(response.iter_lines())
"""


@pytest.fixture
def provider() -> Iterator[DriftingProvider]:
    with drifting_provider() as server:
        yield server


def _recorded(pytester: pytest.Pytester, provider: DriftingProvider) -> dict[str, bytes]:
    """Record both tests; the cassettes' bytes, to show that verify leaves them as they are."""
    pytester.makepyfile(test_drift=TESTS.format(url=provider.url, prompt="hello"))
    pytester.runpytest("--record-mode=once").assert_outcomes(passed=2)
    folder = pytester.path / "cassettes" / "test_drift"
    return {path.name: path.read_bytes() for path in folder.iterdir()}


def _unchanged(pytester: pytest.Pytester, cassettes: dict[str, bytes]) -> bool:
    folder = pytester.path / "cassettes" / "test_drift"
    return {path.name: path.read_bytes() for path in folder.iterdir()} == cassettes


def test_new_text_and_ids_in_the_same_shape_verify(
    pytester: pytest.Pytester, provider: DriftingProvider
) -> None:
    cassettes = _recorded(pytester, provider)
    result = pytester.runpytest("--record-mode=verify")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["cassettes: 2 verified against the live API"])
    assert _unchanged(pytester, cassettes)


def test_a_renamed_field_fails_with_what_changed_and_the_command_that_re_records(
    pytester: pytest.Pytester, provider: DriftingProvider
) -> None:
    cassettes = _recorded(pytester, provider)
    provider.renamed = True
    result = pytester.runpytest("--record-mode=verify", "-k", "chat")
    result.assert_outcomes(passed=1, errors=1, deselected=1)
    url = provider.url + "/v1/chat/completions"
    result.stdout.fnmatch_lines(
        [
            "The live API no longer answers as recorded (record mode verify: every request "
            "was sent for real, and the cassette was left as it was)",
            "  cassette:    cassettes/test_drift/test_chat.yaml",
            f"  interaction 0 (POST {url}):",
            "    body /usage/input_tokens: new (number)",
            "    body /usage/prompt_tokens: gone (was number)",
            "If the change is expected, record the cassette again:",
            "  pytest --record-mode=rewrite test_drift.py::test_chat",
        ],
        consecutive=True,
    )
    result.stdout.fnmatch_lines(["cassettes: 1 no longer as the live API answers"])
    assert _unchanged(pytester, cassettes)


def test_a_new_event_type_in_a_stream_fails_with_the_events_before_and_after(
    pytester: pytest.Pytester, provider: DriftingProvider
) -> None:
    _recorded(pytester, provider)
    provider.new_event = True
    result = pytester.runpytest("--record-mode=verify", "-k", "stream")
    result.assert_outcomes(passed=1, errors=1, deselected=1)
    result.stdout.fnmatch_lines(
        [
            "    events: message_start, content_block_delta, message_stop → message_start, "
            "content_block_delta, citations_delta, message_stop",
            "    body citations_delta: new (object)",
        ],
        consecutive=True,
    )


def test_a_request_that_changed_is_named_as_having_nothing_to_compare_with(
    pytester: pytest.Pytester, provider: DriftingProvider
) -> None:
    _recorded(pytester, provider)
    url = provider.url
    pytester.makepyfile(test_drift=TESTS.format(url=url, prompt="hello again"))
    result = pytester.runpytest("--record-mode=verify", "-k", "chat")
    result.assert_outcomes(passed=1, errors=1, deselected=1)
    result.stdout.fnmatch_lines(
        [
            f"  request 1 (POST {url}/v1/chat/completions): no recorded interaction matches "
            f"it (the request changed, or was never recorded)",
        ]
    )
