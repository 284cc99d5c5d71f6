"""Orphaned cassettes: files in the cassette folder of a test module that ran whole which no
test of the module uses, listed in the session summary (or failing the session)."""

from __future__ import annotations

import shutil

import pytest

from tests.support.inner_runs import write_tests
from tests.support.provider_server import ProviderServer


@pytest.fixture
def inner(
    pytester: pytest.Pytester, provider_server: ProviderServer, monkeypatch: pytest.MonkeyPatch
) -> pytest.Pytester:
    """A pytester whose tests reach the provider server through $PROVIDER_URL, with
    cassettes/test_chat/ holding the cassettes of TESTS and test_old_name.yaml, which no
    test uses any more.
    """
    monkeypatch.setenv("PROVIDER_URL", provider_server.url)
    write_tests(pytester, TESTS)
    pytester.runpytest("--record-mode=once", "-p", "no:randomly").assert_outcomes(passed=7)
    folder = pytester.path / "cassettes" / "test_chat"
    shutil.copy(folder / "test_answer.yaml", folder / "test_old_name.yaml")
    return pytester


TESTS = """
@pytest.mark.cassette
def test_answer():
    ask("hello")


@pytest.mark.cassette
@pytest.mark.parametrize("n", [1, 2])
def test_numbers(n):
    ask(f"question {n}")


class TestShared:
    @pytest.mark.cassette("nested/shared")
    def test_one(self):
        ask("shared")

    @pytest.mark.cassette("nested/shared", allow_playback_repeats=True)
    def test_two(self):
        ask("shared")


def test_with_the_fixture(agent_cassette):
    ask("fixture")


@pytest.mark.cassette
@pytest.mark.skipif("os.environ.get('SKIP_ME')", reason="asked to")
def test_skipped_sometimes():
    ask("sometimes")
"""

SECTION = [
    "*- agentcassette -*",
    "cassettes: *",
    "orphaned cassettes (no test of their module uses them; remove them or rename them to a test):",
    "  cassettes/test_chat/test_old_name.yaml",
]


def _orphans_listed(result: pytest.RunResult) -> list[str]:
    return [line for line in result.outlines if line.endswith("test_old_name.yaml")]


def test_a_cassette_no_test_of_its_module_uses_is_listed(
    inner: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SKIP_ME", "1")  # a skipped test still uses its cassette
    result = inner.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=6, skipped=1)
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(SECTION)
    assert _orphans_listed(result) == ["  cassettes/test_chat/test_old_name.yaml"]
    assert "the session fails" not in result.stdout.str()


@pytest.mark.parametrize(
    "narrowing",
    [
        ["-k", "answer"],
        ["test_chat.py::test_answer"],
        ["-m", "not cassette"],
        ["--deselect", "test_chat.py::test_answer"],
    ],
    ids=["-k", "node id", "-m", "--deselect"],
)
def test_a_module_that_did_not_run_whole_lists_no_orphan(
    inner: pytest.Pytester, narrowing: list[str]
) -> None:
    result = inner.runpytest("-p", "no:randomly", *narrowing)
    assert result.ret == pytest.ExitCode.OK
    assert _orphans_listed(result) == []
    result.stdout.no_fnmatch_line("orphaned cassettes*")


def test_fail_fails_the_session_and_says_so(inner: pytest.Pytester) -> None:
    result = inner.runpytest("-p", "no:randomly", "--orphaned-cassettes=fail")
    result.assert_outcomes(passed=7)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [*SECTION, "the session fails: 1 orphaned cassette (orphaned_cassettes = fail)"]
    )


def test_the_ini_key_sets_it_and_the_command_line_wins(inner: pytest.Pytester) -> None:
    inner.makeini("[pytest]\nagentcassette_orphaned_cassettes = fail\n")
    assert inner.runpytest("-p", "no:randomly").ret == pytest.ExitCode.TESTS_FAILED
    result = inner.runpytest("-p", "no:randomly", "--orphaned-cassettes=ignore")
    assert result.ret == pytest.ExitCode.OK
    assert _orphans_listed(result) == []


def test_a_wrong_value_is_a_usage_error(inner: pytest.Pytester) -> None:
    result = inner.runpytest("--orphaned-cassettes=fial")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "*the command line: --orphaned-cassettes must be one of warn, fail, ignore, got 'fial'."
            " Did you mean 'fail'?"
        ]
    )


def test_an_xdist_run_lists_each_orphan_once(inner: pytest.Pytester) -> None:
    pytest.importorskip("xdist")
    result = inner.runpytest_subprocess("-n", "2", "-p", "no:randomly")
    result.assert_outcomes(passed=7)
    result.stdout.fnmatch_lines(SECTION)
    assert _orphans_listed(result) == ["  cassettes/test_chat/test_old_name.yaml"]
    narrowed = inner.runpytest_subprocess("-n", "2", "-p", "no:randomly", "-k", "answer")
    assert _orphans_listed(narrowed) == []


def test_a_cassette_a_test_opens_with_use_cassette_is_no_orphan(
    pytester: pytest.Pytester, provider_server: ProviderServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PROVIDER_URL", provider_server.url)
    write_tests(
        pytester,
        """
        from pathlib import Path

        from pytest_agentcassette import use_cassette

        FOLDER = Path(__file__).parent / "cassettes" / "test_chat"


        def test_by_hand():
            with use_cassette(FOLDER / "by_hand.yaml", record_mode="once"):
                ask("by hand")
        """,
    )
    pytester.runpytest("--record-mode=once").assert_outcomes(passed=1)
    folder = pytester.path / "cassettes" / "test_chat"
    shutil.copy(folder / "by_hand.yaml", folder / "test_old_name.yaml")
    for workers in ("0", "2"):
        result = pytester.runpytest("-n", workers)
        result.assert_outcomes(passed=1)
        assert _orphans_listed(result) == ["  cassettes/test_chat/test_old_name.yaml"]
        result.stdout.no_fnmatch_line("*by_hand.yaml*")


def test_a_cassette_file_that_is_a_link_is_used_by_its_test(inner: pytest.Pytester) -> None:
    """A test's cassette may be a link to a file kept elsewhere: the folder's listing shows
    the link, and the test that names it uses it (it is not listed as an orphan).
    """
    folder = inner.path / "cassettes" / "test_chat"
    kept = inner.path / "kept"
    kept.mkdir()
    (folder / "test_answer.yaml").rename(kept / "answer.yaml")
    (folder / "test_answer.yaml").symlink_to(kept / "answer.yaml")
    result = inner.runpytest_subprocess("-p", "no:randomly")  # paths resolved afresh
    result.assert_outcomes(passed=7)
    assert _orphans_listed(result) == ["  cassettes/test_chat/test_old_name.yaml"]
    result.stdout.no_fnmatch_line("*test_answer.yaml*")
