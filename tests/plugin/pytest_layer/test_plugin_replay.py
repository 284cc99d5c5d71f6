"""What a replaying test run reports: unused interactions, the session summary, assertions
on the conversation, and matching options from the ini file."""

from __future__ import annotations

import pytest

from tests.support.inner_runs import line_of, write_tests
from tests.support.provider_server import ProviderServer
from tests.support.wire_formats import Reply


@pytest.fixture
def inner(
    pytester: pytest.Pytester, provider_server: ProviderServer, monkeypatch: pytest.MonkeyPatch
) -> pytest.Pytester:
    monkeypatch.setenv("PROVIDER_URL", provider_server.url)
    return pytester


def _record_three_then_send(inner: pytest.Pytester, sent: str, marker: str = "") -> None:
    write_tests(
        inner,
        f"""
        @pytest.mark.cassette{marker}
        def test_agent():
            for text in ("plan the trip", "book the hotel", "book the train"):
                ask(text)
        """,
    )
    inner.runpytest("--record-mode=once").assert_outcomes(passed=1)
    write_tests(
        inner,
        f"""
        @pytest.mark.cassette{marker}
        def test_agent():
            for text in {sent}:
                ask(text)
        """,
    )


def test_an_agent_that_stops_early_fails_naming_what_it_did_not_send(
    inner: pytest.Pytester, provider_server: ProviderServer
) -> None:
    _record_three_then_send(inner, '("plan the trip",)')
    result = inner.runpytest()
    result.assert_outcomes(passed=1, errors=1)  # checked at teardown, as pytest does
    url = provider_server.url + "/v1/chat/completions"
    result.stdout.fnmatch_lines(
        [
            "_* ERROR at teardown of test_agent _*",
            "2 recorded interactions were never played: the code sent fewer or other requests "
            "than when the cassette was recorded",
            "  cassette:    cassettes/test_chat/test_agent.yaml (3 interactions, 1 played)",
            f"  unused:      interaction 1: POST {url} 'book the hotel'",
            f"  unused:      interaction 2: POST {url} 'book the train'",
            "If the change is intended, re-record the cassette:",
            "  pytest --record-mode=rewrite test_chat.py::test_agent",
            '(or set unused_interactions="warn" to only warn about it)',
        ],
        consecutive=True,
    )


def test_requests_sent_by_fixture_teardowns_count_as_played(
    inner: pytest.Pytester, provider_server: ProviderServer
) -> None:
    write_tests(
        inner,
        """
        @pytest.fixture
        def session(agent_cassette):
            ask("open a session")
            yield
            ask("close the session")

        def test_agent(session):
            ask("work")
        """,
    )
    inner.runpytest("--record-mode=once").assert_outcomes(passed=1)
    provider_server.stop()
    result = inner.runpytest()
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["cassettes: 1 replayed (3 interactions)"])


def test_unused_interactions_can_be_a_warning(inner: pytest.Pytester) -> None:
    _record_three_then_send(inner, '("plan the trip",)', '(unused_interactions="warn")')
    # (this suite turns warnings into errors; a default project shows them)
    result = inner.runpytest("-W", "default::pytest_agentcassette.UnusedInteractionsWarning")
    result.assert_outcomes(passed=1, warnings=1)
    result.stdout.fnmatch_lines(
        [
            "*UnusedInteractionsWarning: 2 recorded interactions were never played*",
            "-* agentcassette -*",
            "cassettes: 1 replayed (1 interaction)",
            "*",
            "unused interactions:",
            "  cassettes/test_chat/test_agent.yaml (2 of 3)",
        ]
    )


def test_a_failing_test_is_not_blamed_for_unused_interactions(inner: pytest.Pytester) -> None:
    _record_three_then_send(inner, '("plan the trip",)')
    write_tests(
        inner,
        """
        @pytest.mark.cassette
        def test_agent():
            ask("plan the trip")
            assert False, "the agent gave up"
        """,
    )
    result = inner.runpytest()
    result.assert_outcomes(failed=1)
    assert "never played" not in result.stdout.str()
    result.stdout.fnmatch_lines(["*AssertionError: the agent gave up"])


def test_the_summary_counts_what_replay_saved(
    inner: pytest.Pytester, provider_server: ProviderServer
) -> None:
    write_tests(
        inner,
        """
        @pytest.mark.cassette
        def test_one():
            ask("one")
            ask("two")

        @pytest.mark.cassette
        def test_two():
            ask("three")
        """,
    )
    inner.runpytest("--record-mode=once").assert_outcomes(passed=2)
    provider_server.stop()
    result = inner.runpytest()
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        [
            "-* agentcassette -*",
            "cassettes: 2 replayed (3 interactions)",
            "replay saved 120 provider tokens*",
        ],
        consecutive=True,
    )


def test_the_test_can_assert_on_the_tool_calls_it_replayed(
    inner: pytest.Pytester, provider_server: ProviderServer
) -> None:
    provider_server.script = [Reply(tool=("read_file", {"path": "README.md"}))]
    write_tests(
        inner,
        """
        def test_agent(agent_cassette):
            ask("Read the README")
            (call,) = agent_cassette.tool_calls
            assert call.name == "read_file"
            assert call.arguments == {"path": "README.md"}
            assert call.id == "tool-call-1"
        """,
    )
    inner.runpytest("--record-mode=once").assert_outcomes(passed=1)
    provider_server.stop()
    inner.runpytest().assert_outcomes(passed=1)


def test_matching_options_come_from_the_ini_file(
    inner: pytest.Pytester, provider_server: ProviderServer
) -> None:
    inner.makeini(
        """
        [pytest]
        agentcassette_match_on = method url body
        agentcassette_ignore_json_pointers = /metadata/run_id
        agentcassette_normalize_text =
            \\d{4}-\\d{2}-\\d{2} => <date>
        """
    )
    test_file = write_tests(
        inner,
        """
        import uuid, datetime

        @pytest.mark.cassette
        def test_agent():
            body = {
                "metadata": {"run_id": str(uuid.uuid4())},
                "messages": [{"role": "system", "content": f"Today is {datetime.date.today()}"}],
            }
            httpx.post(URL, json=body)
        """,
    )
    inner.runpytest("--record-mode=once").assert_outcomes(passed=1)
    test_file.write_text(test_file.read_text().replace("datetime.date.today()", "'1999-12-31'"))
    inner.runpytest().assert_outcomes(passed=1)
    assert len(provider_server.requests) == 1


def test_a_wrong_ini_rule_names_the_ini_file(inner: pytest.Pytester) -> None:
    inner.makeini("[pytest]\nagentcassette_normalize_text =\n    no arrow here\n")
    test_file = write_tests(inner, "def test_agent(agent_cassette):\n    pass\n")
    result = inner.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "ini option agentcassette_normalize_text in */tox.ini: 'no arrow here' should read "
            "'regex => replacement'"
        ]
    )
    assert line_of(test_file, "def test_agent") > 0
