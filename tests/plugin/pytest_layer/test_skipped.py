"""Skipped and xfailed tests: their cassettes are reported as such, never as unused."""

from __future__ import annotations

import pytest

from tests.support.inner_runs import write_tests
from tests.support.provider_server import ProviderServer


@pytest.fixture
def inner(
    pytester: pytest.Pytester, provider_server: ProviderServer, monkeypatch: pytest.MonkeyPatch
) -> pytest.Pytester:
    """A pytester whose tests reach the provider server through $PROVIDER_URL."""
    monkeypatch.setenv("PROVIDER_URL", provider_server.url)
    return pytester


NAMES = ("test_skips", "test_imports_or_skips", "test_fixture_skips", "test_xfails", "test_xpasses")

RECORDED = "".join(
    f"""
@pytest.mark.cassette
def {name}():
    ask("hello")
    ask("again")
"""
    for name in NAMES
)

REPLAYED = """
@pytest.fixture
def needs_a_gpu():
    pytest.skip("no GPU here")


@pytest.mark.cassette
def test_skips():
    ask("hello")
    pytest.skip("not today")


@pytest.mark.cassette
def test_imports_or_skips():
    pytest.importorskip("no_such_module_anywhere")


@pytest.mark.cassette
def test_fixture_skips(needs_a_gpu):
    ask("hello")


@pytest.mark.cassette
@pytest.mark.xfail(reason="the agent stops early", strict=True)
def test_xfails():
    ask("hello")
    assert False


@pytest.mark.cassette
@pytest.mark.xfail(reason="flaky", strict=False)
def test_xpasses():
    ask("hello")
    ask("again")
"""


def test_a_skipped_or_xfailed_test_s_cassette_is_not_reported_as_unused(
    inner: pytest.Pytester, provider_server: ProviderServer
) -> None:
    write_tests(inner, RECORDED)
    inner.runpytest("--record-mode=once").assert_outcomes(passed=len(NAMES))
    provider_server.stop()

    write_tests(inner, REPLAYED)
    result = inner.runpytest("-rs")
    result.assert_outcomes(skipped=3, xfailed=1, xpassed=1)
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(
        ["*- agentcassette -*", "cassettes: 1 replayed (2 interactions), 3 skipped, 1 xfailed"],
        consecutive=True,
    )
    assert "unused interactions:" not in result.outlines
    assert "nothing played" not in result.stdout.str()


def test_a_skipif_test_opens_no_cassette(
    inner: pytest.Pytester, provider_server: ProviderServer
) -> None:
    write_tests(
        inner,
        """
        @pytest.mark.cassette
        @pytest.mark.skipif(True, reason="not on this platform")
        def test_elsewhere():
            ask("hello")
        """,
    )
    result = inner.runpytest()
    result.assert_outcomes(skipped=1)
    result.stdout.no_fnmatch_line("*- agentcassette -*")


def test_a_skipped_test_under_xdist_is_reported_as_skipped(
    inner: pytest.Pytester, provider_server: ProviderServer
) -> None:
    pytest.importorskip("xdist")
    write_tests(inner, RECORDED)
    inner.runpytest("--record-mode=once").assert_outcomes(passed=len(NAMES))
    write_tests(inner, REPLAYED)
    result = inner.runpytest_subprocess("-n", "2", "-p", "no:randomly")
    result.assert_outcomes(skipped=3, xfailed=1, xpassed=1)
    result.stdout.fnmatch_lines(["cassettes: 1 replayed (2 interactions), 3 skipped, 1 xfailed"])
