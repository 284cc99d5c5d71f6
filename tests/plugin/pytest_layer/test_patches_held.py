"""Between two tests that both use a cassette the clients stay patched (patching them for
each test is all cost); a test that uses none finds them as they were, and so does the
code that runs after the session."""

from __future__ import annotations

import pytest

from tests.support.inner_runs import write_tests
from tests.support.provider_server import ProviderServer

CONFTEST = """
import httpcore
import pytest

from pytest_agentcassette._transport import interception

ORIGINAL = httpcore.ConnectionPool.handle_request
PATCHINGS = []
_patch_all = interception.patch_all


def _counted():
    PATCHINGS.append(1)
    _patch_all()


interception.patch_all = _counted


@pytest.fixture
def unpatched():
    assert httpcore.ConnectionPool.handle_request is ORIGINAL


def pytest_unconfigure(config):
    patched = httpcore.ConnectionPool.handle_request is not ORIGINAL
    print(f"clients patched {len(PATCHINGS)} times; patched after the session: {patched}")
"""

TESTS = """
@pytest.mark.cassette
def test_a():
    ask("a")


@pytest.mark.cassette
def test_b():
    ask("b")


def test_with_the_fixture(agent_cassette):
    ask("fixture")


def test_plain(unpatched):
    pass


@pytest.mark.cassette
def test_c():
    ask("c")
"""


@pytest.fixture
def inner(
    pytester: pytest.Pytester, provider_server: ProviderServer, monkeypatch: pytest.MonkeyPatch
) -> pytest.Pytester:
    monkeypatch.setenv("PROVIDER_URL", provider_server.url)
    pytester.makeconftest(CONFTEST)
    write_tests(pytester, TESTS)
    return pytester


@pytest.mark.parametrize("mode", ["once", "none"], ids=["recording", "replaying"])
def test_consecutive_cassettes_share_one_patching(inner: pytest.Pytester, mode: str) -> None:
    if mode == "none":
        inner.runpytest_subprocess("--record-mode=once", "-p", "no:randomly")
    result = inner.runpytest_subprocess(f"--record-mode={mode}", "-s", "-p", "no:randomly")
    result.assert_outcomes(passed=5)
    result.stdout.fnmatch_lines(["clients patched 2 times; patched after the session: False"])


def test_an_interrupted_run_leaves_nothing_patched(inner: pytest.Pytester) -> None:
    """^C in a test whose cassette the one before held the patches for: they go."""
    inner.makepyfile(
        test_stop="""
import pytest


@pytest.mark.cassette
def test_first():
    pass


@pytest.mark.cassette
def test_interrupted():
    raise KeyboardInterrupt
"""
    )
    result = inner.runpytest_subprocess("-s", "-p", "no:randomly", "test_stop.py")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["*clients patched 1 times; patched after the session: False"])
