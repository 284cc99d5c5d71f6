"""``agentcore --record`` and ``--fake``: the sessions cagent recorded replay to what its own
tests expect, recordings are named as the seed writes them, failures say what to do, and
the installed script runs with no API key and no network."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from agentcore.cli.arguments import UsageError, parse_arguments
from tests.support.cli_runs import SCRIPT, agent_file, agentcore, agentcore_script
from tests.support.corpus import CAGENT_CORPUS
from tests.support.network import NetworkCut
from tests.support.provider_server import ProviderServer

KEY = {"OPENAI_API_KEY": "sk-test-key-123"}


def _scenarios() -> list[Any]:
    path = CAGENT_CORPUS / "scenarios.yaml"
    if not path.is_file():  # the cagent_corpus fixture skips, saying why
        return [pytest.param({}, id="cagent-corpus")]
    found = yaml.safe_load(path.read_text())["scenarios"]
    return [pytest.param(scenario, id=scenario["name"]) for scenario in found]


@pytest.mark.parametrize("scenario", _scenarios())
def test_cagents_recorded_sessions_print_what_its_tests_expect(
    scenario: dict[str, Any], cagent_corpus: Path
) -> None:
    argv = ["exec", scenario["agent"], "--fake", scenario["cassette"], "--match", "sequential"]
    if "model" in scenario:
        argv += ["--model", scenario["model"]]
    run = agentcore_script(*argv, scenario["prompt"], cwd=cagent_corpus)
    assert (run.status, run.err) == (0, "")
    expect = scenario["expect"]
    if "equals" in expect:
        assert run.out == expect["equals"]
    for part in expect.get("contains", []):
        assert part in run.out
    if "endswith" in expect:
        assert run.out.endswith(expect["endswith"])


def test_strict_matching_tells_what_cagents_request_did_differently(cagent_corpus: Path) -> None:
    run = agentcore_script(
        "exec",
        "testdata/basic.yaml",
        "--model",
        "google/gemini-2.5-flash",
        "--fake",
        "cassettes/TestExec_Gemini",
        "What's 2+2?",
        cwd=cagent_corpus,
    )
    assert run.status == 1
    assert run.out == "\n--- Agent: root ---\n"
    assert run.err.startswith(
        "agentcore: No recorded interaction matches POST https://generativelanguage.googleapis.com"
        "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse\n"
        "  cassette:    cassettes/TestExec_Gemini.yaml (1 interaction, 0 played)\n"
    )
    assert "    add /systemInstruction: " in run.err
    assert run.err.endswith(
        "If the change is intended, re-record the cassette:\n"
        "  agentcore exec testdata/basic.yaml --record=cassettes/TestExec_Gemini.yaml "
        '--model google/gemini-2.5-flash "What\'s 2+2?"\n'
    )


def test_the_installed_script_answers_help_and_version(tmp_path: Path) -> None:
    assert SCRIPT.is_file(), "pyproject.toml declares the agentcore console script"
    run = agentcore_script("--help", cwd=tmp_path)
    assert run.status == 0
    assert run.out.startswith("usage: agentcore [-h] [--version] COMMAND ...\n")
    assert "    run       run an agent; with no PROMPT, talk to it turn by turn\n" in run.out
    assert "    exec      run an agent on PROMPTs and print cagent's exec transcript\n" in run.out
    assert agentcore_script("--version", cwd=tmp_path).out.startswith("agentcore ")
    assert agentcore_script(cwd=tmp_path).status == 2


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_both_record_forms_of_the_seed_work_as_written(
    here: Path, provider_server: ProviderServer
) -> None:
    agent = agent_file(here, provider_server, name="my-agent.yaml", toolsets="[]")
    before = int(time.time())
    first = agentcore("run", "my-agent.yaml", "--record", "What is Docker?", env=KEY)
    named = agentcore("run", "my-agent.yaml", "--record", "my-test", "Explain containers", env=KEY)
    assert (first.status, named.status) == (0, 0)
    assert first.out == "\n--- Agent: root ---\nYou said: What is Docker?"
    assert named.out == "\n--- Agent: root ---\nYou said: Explain containers"
    (automatic,) = here.glob("agentcore-recording-*.yaml")
    stamp = re.fullmatch(r"agentcore-recording-(\d+)\.yaml", automatic.name)
    assert stamp is not None
    assert before <= int(stamp[1]) <= time.time()
    assert first.err == (
        f"Recording mode enabled, cassette: {automatic.name}\n"
        f"Recorded 1 interaction(s) into {automatic.name}\n"
    )
    recording = (here / "my-test.yaml").read_text()
    assert "Explain containers" in recording
    assert "sk-test-key-123" not in recording  # the key is never written
    assert sorted(p.name for p in here.iterdir()) == sorted(
        [automatic.name, "my-test.yaml", agent.name]
    )


@pytest.mark.parametrize(
    ("argv", "record", "prompts"),
    [
        (["a.yaml", "--record", "What is Docker?"], "", ["What is Docker?"]),
        (
            ["a.yaml", "--record", "my-test", "Explain containers"],
            "my-test",
            ["Explain containers"],
        ),
        (["--record", "my-test", "a.yaml", "Explain"], "my-test", ["Explain"]),
        (["--record", "a.yaml", "Explain"], "", ["Explain"]),
        (["a.yaml", "--record", "hello"], "", ["hello"]),  # a lone word stays a prompt
        (["a.yaml", "--record=hello"], "hello", []),
        (["a.yaml", "--record", "-", "x"], "", ["-", "x"]),
        (["a.yaml", "one", "--record", "--yolo", "two"], "", ["one", "two"]),
        (["a.yaml", "--record", "runs/t1", "--yolo", "go"], "runs/t1", ["go"]),
        (["a.yaml", "--agent", "x", "--record", "n", "p"], "n", ["p"]),
    ],
)
def test_what_record_takes_as_its_name(argv: list[str], record: str, prompts: list[str]) -> None:
    options = parse_arguments(["run", *argv])
    assert (options.agent_file, options.record, options.prompts) == ("a.yaml", record, prompts)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "agentcore: choose a command: run or exec"),
        (["exec", "a.yaml"], "agentcore exec: no PROMPT given"),
        (["exec", "a.yaml", "--model", "root=", "x"], "agentcore: --model 'root=': write"),
        (["exec", "a.yaml", "--record", "--fake", "f", "x"], "cannot be used together"),
        (["exec", "a.yaml", "--match", "sequential", "x"], "use it with --fake FILE"),
        (["exec", "a.yaml", "--match", "loose", "x"], "invalid choice: 'loose'"),
        (["serve", "a.yaml"], "invalid choice: 'serve' (choose from 'run', 'exec')"),
    ],
)
def test_a_wrong_command_line_exits_2_and_says_why(argv: list[str], message: str) -> None:
    with pytest.raises(UsageError, match=re.escape(message)):
        parse_arguments(argv)
    run = agentcore(*argv)
    assert run.status == 2
    assert message in run.err


def test_fake_with_a_missing_cassette_says_how_to_record_it(
    here: Path, provider_server: ProviderServer
) -> None:
    agent_file(here, provider_server)
    run = agentcore("exec", "agent.yaml", "--fake", "tests/missing", "Explain containers")
    assert run.status == 1
    assert run.err == (
        f"agentcore: cassette not found: tests/missing (looked for {here}/tests/missing.yaml).\n"
        "Record it with: agentcore exec agent.yaml --record=tests/missing.yaml 'Explain containers'\n"
    )
    assert run.out == ""


def test_a_request_the_cassette_cannot_answer_fails_with_the_plugins_diagnostic(
    here: Path, provider_server: ProviderServer, network_cut: NetworkCut
) -> None:
    agent_file(here, provider_server)
    assert agentcore("exec", "agent.yaml", "--record", "s", "Explain containers").status == 0
    with network_cut:
        run = agentcore("exec", "agent.yaml", "--fake", "s.yaml", "Explain pods")
    assert run.status == 1
    assert run.out == "\n--- Agent: root ---\n"
    assert "No recorded interaction matches POST" in run.err
    assert '    replace /messages/2/content: "Explain containers" → "Explain pods"\n' in run.err
    assert run.err.endswith("  agentcore exec agent.yaml --record=s.yaml 'Explain pods'\n")
    assert network_cut.attempts == []


def test_a_failed_recording_keeps_the_good_one_and_sets_the_new_one_aside(
    here: Path, provider_server: ProviderServer
) -> None:
    agent_file(here, provider_server)
    assert agentcore("exec", "agent.yaml", "--record", "s", "hi").status == 0
    good = (here / "s.yaml").read_text()
    provider_server.failures = [(500, {}, b'{"error":{"message":"The server had an error"}}')] * 3
    run = agentcore("exec", "agent.yaml", "--record", "s", "hi")
    assert (run.status, run.waits) == (1, [1.0, 2.0])  # two retries, then the error
    assert run.err.endswith(
        "agentcore: the run failed, so s.yaml was not written (it was left as it was); "
        "what was recorded is in s.failed.yaml\n"
        "agentcore: openai API error 500: The server had an error\n"
    )
    assert (here / "s.yaml").read_text() == good
    assert (here / "s.failed.yaml").read_text().count("status: 500") == 3
    assert sorted(p.name for p in here.iterdir()) == ["agent.yaml", "s.failed.yaml", "s.yaml"]


def test_an_agent_file_with_an_error_exits_1_naming_the_place(here: Path) -> None:
    (here / "agent.yaml").write_text("agents:\n  root:\n    model: openai/gpt-4o\n    tools: []\n")
    run = agentcore("exec", "agent.yaml", "hi")
    assert run.status == 1
    assert run.err.startswith("agentcore: agent.yaml, line 4 (at agents.root.tools): ")
    assert "toolsets" in run.err


def test_fake_replays_with_no_key_and_no_network_from_the_installed_script(
    here: Path, provider_server: ProviderServer
) -> None:
    agent_file(here, provider_server)
    assert agentcore("exec", "agent.yaml", "--record", "s", "hi", env=KEY).status == 0
    provider_server.stop()
    run = agentcore_script("exec", "agent.yaml", "--fake", "s.yaml", "hi", cwd=here)
    assert (run.status, run.out, run.err) == (0, "\n--- Agent: root ---\nYou said: hi", "")
    piped = agentcore_script("exec", "agent.yaml", "--fake", "s", "-", cwd=here, stdin="hi\n")
    assert piped.out == run.out
