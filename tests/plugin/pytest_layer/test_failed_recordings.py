"""Recordings that went wrong, through real inner pytest runs: a recording in which no
request got a response is not written, a cassette recorded while its test failed is
marked in the summary, and a replayed transport error says where it came from.
"""

from __future__ import annotations

import pytest

from tests.support.inner_runs import write_tests
from tests.support.network import NetworkCut
from tests.support.provider_server import ProviderServer

CASSETTE = "cassettes/test_chat/test_answer.yaml"


@pytest.fixture
def inner(
    pytester: pytest.Pytester, provider_server: ProviderServer, monkeypatch: pytest.MonkeyPatch
) -> pytest.Pytester:
    """A pytester whose tests reach the provider server through $PROVIDER_URL."""
    monkeypatch.setenv("PROVIDER_URL", provider_server.url)
    return pytester


CAUGHT = """
@pytest.mark.cassette
def test_answer():
    with pytest.raises(httpx.HTTPError):  # as an SDK does, before it gives up
        ask("hello")
"""


def test_a_recording_in_which_no_request_got_a_response_is_not_written(
    inner: pytest.Pytester, provider_server: ProviderServer
) -> None:
    provider_server.faults = ["hang up"]
    write_tests(inner, CAUGHT)
    result = inner.runpytest("--record-mode=once")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            f"cassette {CASSETTE} was not written: no request got a response while "
            f"recording (1 request, it met a transport error)",
            f"  cassette:    {CASSETTE} (no file was written)",
            f"  first:       POST {provider_server.url}/v1/chat/completions: "
            f"RemoteProtocolError: Server disconnected without sending a response.",
            "Is the provider reachable from here (network, proxy, base URL)? Once it is, "
            "record again:",
            "  pytest --record-mode=once test_chat.py::test_answer",
            "(to record an outage on purpose, to test the code's error path, set "
            "record_outages=True)",
            "*- agentcassette -*",
            "cassettes: 1 not written (no response)",
        ]
    )
    assert not (inner.path / CASSETTE).exists()
    assert "written (review and commit)" not in result.stdout.str()


def test_a_refused_rewrite_leaves_the_old_cassette_as_it_was(
    inner: pytest.Pytester, provider_server: ProviderServer
) -> None:
    write_tests(inner, '@pytest.mark.cassette\ndef test_answer():\n    ask("hello")\n')
    inner.runpytest("--record-mode=once").assert_outcomes(passed=1)
    before = (inner.path / CASSETTE).read_text()
    provider_server.stop()  # its port now refuses connections
    write_tests(inner, CAUGHT)
    result = inner.runpytest("--record-mode=rewrite")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            f"  cassette:    {CASSETTE} (the old file was left as it was)",
            f"  first:       POST {provider_server.url}/v1/chat/completions: ConnectError: *",
            "  pytest --record-mode=rewrite test_chat.py::test_answer",
        ]
    )
    assert (inner.path / CASSETTE).read_text() == before


FAILING = """
@pytest.mark.cassette(record_outages=True)
def test_answer():
    ask("hello")
"""


def test_an_outage_recorded_on_purpose_is_marked_and_replays_with_a_note(
    inner: pytest.Pytester, provider_server: ProviderServer, network_cut: NetworkCut
) -> None:
    provider_server.faults = ["hang up"]
    write_tests(inner, FAILING)
    recorded = inner.runpytest("--record-mode=once")
    recorded.assert_outcomes(failed=1)
    recorded.stdout.fnmatch_lines(
        [
            "*- agentcassette -*",
            "cassettes: 1 recorded",
            "recorded while the test failed (review them before you commit them):",
            f"  {CASSETTE} (1 interaction)",
            "transport errors recorded (replays meet them again; if the network, not the "
            "provider, failed, re-record):",
        ]
    )
    assert "written (review and commit)" not in recorded.stdout.str()
    provider_server.stop()

    with network_cut:
        replayed = inner.runpytest()
    replayed.assert_outcomes(failed=1)
    assert (  # the live message, whole, then the note (no fnmatch: it has brackets)
        "E           httpx.RemoteProtocolError: Server disconnected without sending a response. "
        f"[agentcassette: replayed from {CASSETTE}, interaction 0, as recorded; if the "
        "provider answers now, record it again: pytest --record-mode=rewrite "
        "test_chat.py::test_answer]"
    ) in replayed.stdout.lines
    assert network_cut.attempts == []


def test_under_xdist_a_cassette_recorded_while_its_test_failed_is_marked(
    inner: pytest.Pytester,
) -> None:
    pytest.importorskip("xdist")
    write_tests(
        inner,
        """
        @pytest.mark.cassette
        def test_answer():
            ask("hello")
            assert False, "the agent got it wrong"

        @pytest.mark.cassette
        def test_other():
            ask("other")
        """,
    )
    result = inner.runpytest_subprocess("-n", "2", "-p", "no:randomly", "--record-mode=once")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "cassettes: 2 recorded",
            "written (review and commit):",
            "  cassettes/test_chat/test_other.yaml (1 interaction)",
            "recorded while the test failed (review them before you commit them):",
            f"  {CASSETTE} (1 interaction)",
        ]
    )
