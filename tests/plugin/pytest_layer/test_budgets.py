"""Token budgets (``max_tokens``) through real inner pytest runs: recorded from the provider
server (40 tokens a reply: 31 in, 9 out), then replayed with the server stopped."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from pytest_agentcassette import (
    CassetteError,
    TokenBudgetError,
    TokenBudgetWarning,
    Usage,
    use_cassette,
)
from tests.support.inner_runs import write_tests
from tests.support.network import NetworkCut
from tests.support.provider_server import ProviderServer


@pytest.fixture
def inner(
    pytester: pytest.Pytester, provider_server: ProviderServer, monkeypatch: pytest.MonkeyPatch
) -> pytest.Pytester:
    """A pytester whose tests reach the provider server through $PROVIDER_URL."""
    monkeypatch.setenv("PROVIDER_URL", provider_server.url)
    return pytester


def _asks_twice(marker: str = "@pytest.mark.cassette") -> str:
    return f"""
    {marker}
    def test_answer():
        ask("one")
        ask("two")
    """


def _budget_failure(url: str, budget: str, state: str) -> list[str]:
    """The lines of the failure for two replies of 40 tokens each, over ``budget``."""
    turn = f"POST {url}/v1/chat/completions (gpt-4o): 40 tokens (31 in, 9 out)"
    return [
        f"Token budget exceeded: 80 tokens used, the budget is {budget} (max_tokens)",
        f"  cassette:    cassettes/test_chat/test_answer.yaml ({state})",
        "  usage:       62 in, 18 out, over 2 model responses",
        f"  costliest:   interaction 0: {turn}",
        f"  costliest:   interaction 1: {turn}",
        "If the change is intended, raise the budget: max_tokens=80 (or more) on the cassette "
        "marker, or agentcassette_max_tokens in the ini file.",
        "Otherwise, make the agent spend fewer tokens and re-record it:",
        "  pytest --record-mode=rewrite test_chat.py::test_answer",
    ]


def test_a_test_within_its_budget_records_and_replays(
    inner: pytest.Pytester, provider_server: ProviderServer, network_cut: NetworkCut
) -> None:
    write_tests(inner, _asks_twice("@pytest.mark.cassette(max_tokens=80)"))
    inner.runpytest("--record-mode=once").assert_outcomes(passed=1)
    provider_server.stop()
    with network_cut:
        inner.runpytest().assert_outcomes(passed=1)
    assert network_cut.attempts == []


def test_a_recording_over_budget_fails_with_the_costliest_turns_and_is_written(
    inner: pytest.Pytester, provider_server: ProviderServer
) -> None:
    write_tests(inner, _asks_twice("@pytest.mark.cassette(max_tokens=50)"))
    result = inner.runpytest("--record-mode=once")
    result.assert_outcomes(passed=1, errors=1)  # at teardown, once the cassette is saved
    state = "recorded, and written all the same: review it before you commit it"
    result.stdout.fnmatch_lines(
        [
            "_* ERROR at teardown of test_answer _*",
            *_budget_failure(provider_server.url, "50", state),
        ],
        consecutive=True,
    )
    result.stdout.fnmatch_lines(["  cassettes/test_chat/test_answer.yaml (2 interactions)"])
    assert (inner.path / "cassettes" / "test_chat" / "test_answer.yaml").is_file()


def test_a_replay_checks_the_recorded_usage_against_a_lowered_budget(
    inner: pytest.Pytester, provider_server: ProviderServer, network_cut: NetworkCut
) -> None:
    write_tests(inner, _asks_twice())
    inner.runpytest("--record-mode=once").assert_outcomes(passed=1)
    provider_server.stop()
    write_tests(inner, _asks_twice("@pytest.mark.cassette(max_tokens=79)"))
    with network_cut:
        result = inner.runpytest()
    result.assert_outcomes(passed=1, errors=1)
    state = "replayed: the tokens counted when it was recorded"
    result.stdout.fnmatch_lines(_budget_failure(provider_server.url, "79", state), consecutive=True)


def test_the_ini_file_sets_a_default_budget_that_the_fixture_and_the_marker_override(
    inner: pytest.Pytester,
) -> None:
    inner.makeini("[pytest]\nagentcassette_max_tokens = 1_000\n")
    inner.makeconftest(
        """
        import pytest

        @pytest.fixture
        def agent_cassette_config(request):
            return {"max_tokens": 60} if "fixture" in request.node.name else {}
        """
    )
    write_tests(
        inner,
        """
        def test_default(agent_cassette):
            assert agent_cassette.max_tokens == 1000

        @pytest.mark.cassette(max_tokens=30)
        def test_marker():
            ask("one")

        def test_fixture(agent_cassette):
            ask("one")
            ask("two")

        @pytest.mark.cassette(max_tokens=100)
        def test_fixture_and_marker():
            ask("one")
            ask("two")
        """,
    )
    result = inner.runpytest("--record-mode=once")
    result.assert_outcomes(passed=4, errors=2)
    result.stdout.fnmatch_lines(
        [
            "_* ERROR at teardown of test_marker _*",
            "Token budget exceeded: 40 tokens used, the budget is 30 (max_tokens)",
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "_* ERROR at teardown of test_fixture _*",
            "Token budget exceeded: 80 tokens used, the budget is 60 (max_tokens)",
        ]
    )
    assert "test_fixture_and_marker _" not in result.stdout.str()


def test_usage_is_there_to_assert_on_in_code(
    inner: pytest.Pytester, provider_server: ProviderServer
) -> None:
    write_tests(
        inner,
        """
        from pytest_agentcassette import Usage

        def test_answer(agent_cassette):
            assert agent_cassette.usage == Usage()
            ask("one")
            ask("two")
            assert agent_cassette.usage == Usage(62, 18, 80)
            assert agent_cassette.usage.total_tokens < 100
        """,
    )
    inner.runpytest("--record-mode=once").assert_outcomes(passed=1)
    provider_server.stop()
    inner.runpytest().assert_outcomes(passed=1)


def test_a_failed_test_is_not_also_reported_for_its_budget(inner: pytest.Pytester) -> None:
    write_tests(
        inner,
        """
        @pytest.mark.cassette(max_tokens=10)
        def test_answer():
            ask("one")
            assert False, "the agent's answer was wrong"
        """,
    )
    result = inner.runpytest("--record-mode=once")
    result.assert_outcomes(failed=1)
    assert "Token budget" not in result.stdout.str()


def test_a_budget_no_response_reported_usage_for_is_a_warning(inner: pytest.Pytester) -> None:
    write_tests(
        inner,
        """
        @pytest.mark.cassette(max_tokens=10)
        def test_streamed():
            body = {"model": "gpt-4o", "stream": True, "messages": [{"role": "user", "content": "x"}]}
            with httpx.stream("POST", URL, json=body) as response:
                response.read()
        """,
    )
    result = inner.runpytest("--record-mode=once", "-W", "default")
    result.assert_outcomes(passed=1, warnings=1)
    result.stdout.fnmatch_lines(
        [
            "*TokenBudgetWarning: max_tokens=10 was not checked: none of the 1 model response in "
            "cassettes/test_chat/test_streamed.yaml reported token usage (a streamed OpenAI chat "
            'completion reports it only with stream_options={"include_usage": True})'
        ]
    )
    strict = inner.runpytest("-W", "error::pytest_agentcassette.TokenBudgetWarning")
    strict.assert_outcomes(passed=1, errors=1)
    strict.stdout.fnmatch_lines(["max_tokens=10 was not checked: *"])


def test_a_wrong_budget_is_an_error_that_says_what_is_expected(inner: pytest.Pytester) -> None:
    write_tests(inner, '@pytest.mark.cassette(max_tokens="lots")\ndef test_answer():\n    pass\n')
    result = inner.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "@pytest.mark.cassette(...) on test_chat.py::test_answer: max_tokens is a number of "
            "tokens, for example max_tokens=20000; got 'lots'"
        ]
    )


# -- outside pytest --------------------------------------------------------------------------


def _ask_twice(server: ProviderServer, *, then_fail: bool = False) -> None:
    for text in ("one", "two"):
        body = {"model": "gpt-4o", "messages": [{"role": "user", "content": text}]}
        httpx.post(server.url + "/v1/chat/completions", json=body)
    if then_fail:
        raise KeyError("the code failed first")


def test_use_cassette_raises_when_the_budget_is_exceeded(
    tmp_path: Path, provider_server: ProviderServer
) -> None:
    path = tmp_path / "c.yaml"
    with (
        pytest.raises(TokenBudgetError) as over,
        use_cassette(path, record_mode="once", max_tokens=50),
    ):
        _ask_twice(provider_server)
    assert isinstance(over.value, CassetteError)
    assert (over.value.used, over.value.budget, over.value.path) == (80, 50, path)
    assert str(over.value).startswith("Token budget exceeded: 80 tokens used, the budget is 50")
    assert "re-record" not in str(over.value)  # no command to name outside pytest
    assert path.is_file()  # written all the same

    provider_server.stop()
    with use_cassette(path, max_tokens=80) as replay:
        _ask_twice(provider_server)
    assert replay.usage == Usage(62, 18, 80)
    with pytest.raises(KeyError), use_cassette(path, max_tokens=1):  # the block's error wins
        _ask_twice(provider_server, then_fail=True)


def test_use_cassette_takes_a_budget_only_as_a_count_of_tokens(tmp_path: Path) -> None:
    as_in_an_ini_file: Any = "1_000"
    assert use_cassette(tmp_path / "c.yaml", max_tokens=as_in_an_ini_file).max_tokens == 1000
    assert use_cassette(tmp_path / "c.yaml").max_tokens is None
    for wrong in (-1, True, 2.5, "many"):
        with pytest.raises(CassetteError, match="max_tokens is a number of tokens"):
            use_cassette(tmp_path / "c.yaml", max_tokens=wrong)  # type: ignore[arg-type]


def test_a_budget_with_no_model_exchange_passes_silently(tmp_path: Path) -> None:
    with use_cassette(tmp_path / "c.yaml", max_tokens=0) as cassette:
        pass
    assert cassette.usage == Usage()


def test_no_usage_reported_warns_rather_than_passing_in_silence(
    tmp_path: Path, provider_server: ProviderServer
) -> None:
    body = {"model": "gpt-4o", "stream": True, "messages": [{"role": "user", "content": "x"}]}
    url = provider_server.url + "/v1/chat/completions"
    with (
        pytest.warns(TokenBudgetWarning, match="max_tokens=5 was not checked"),
        use_cassette(tmp_path / "c.yaml", record_mode="once", max_tokens=5),
        httpx.stream("POST", url, json=body) as response,
    ):
        response.read()
