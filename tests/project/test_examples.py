"""examples/: the seed's code-review agent replays offline, from pytest and from the command
line, and its cassette is what ``python -m tests.support.record_example`` makes."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.cli_runs import agentcore
from tests.support.network import NetworkCut
from tests.support.provider_server import ProviderServer
from tests.support.record_example import AGENT, CASSETTE, EXAMPLES, PROMPT, record_code_review


def test_pytest_examples_replays_the_review_offline(
    pytester: pytest.Pytester, network_cut: NetworkCut, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    with network_cut:
        result = pytester.runpytest(str(EXAMPLES), "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["cassettes: 1 replayed (3 interactions)"])
    assert network_cut.attempts == []


def test_the_committed_cassette_holds_no_secret_and_no_local_address() -> None:
    text = CASSETTE.read_text()
    assert "127.0.0.1" not in text
    assert "sk-ant" not in text
    assert text.count("url: https://api.anthropic.com/v1/messages") == 3
    assert text.count("x-api-key: REDACTED") == 3


def test_the_recorder_script_makes_a_cassette_that_replays_the_same_session(
    tmp_path: Path,
    provider_server: ProviderServer,
    network_cut: NetworkCut,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fresh = tmp_path / "code-review.yaml"
    record_code_review(fresh, provider_server, tmp_path)
    provider_server.stop()
    monkeypatch.chdir(EXAMPLES.parent)
    command = ["exec", str(AGENT.relative_to(EXAMPLES.parent))]
    with network_cut:
        again = agentcore(*command, "--fake", str(fresh), PROMPT)
        committed = agentcore(*command, "--fake", str(CASSETTE), PROMPT)
    assert (again.status, again.err) == (0, "")
    assert again.out == committed.out
    assert committed.out.endswith("Fix 1 to 4 before this ships; 5 and 6 are quick wins.")


def test_the_replay_fails_clearly_when_the_code_under_review_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = tmp_path / "examples"
    (copy / "pkg" / "auth").mkdir(parents=True)
    source = (EXAMPLES / "pkg" / "auth" / "handler.go").read_text()
    (copy / "pkg" / "auth" / "handler.go").write_text(source.replace("md5", "sha256"))
    monkeypatch.chdir(tmp_path)
    run = agentcore("exec", str(AGENT), "--fake", str(CASSETTE), PROMPT)
    assert run.status == 1
    assert "replace /messages/4/content/0/content: " in run.err
    assert run.err.endswith(f"  agentcore exec {AGENT} --record={CASSETTE} '{PROMPT}'\n")
