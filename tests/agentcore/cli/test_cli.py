"""``agentcore exec`` and ``run``: cagent's transcript byte for byte, approval, --json,
delegation, turns and the interactive loop (in-process; see test_cli_sessions for the
installed script, recordings and replays)."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.support.cli_runs import TEAM, agent_file, agentcore
from tests.support.network import NetworkCut
from tests.support.provider_server import ProviderServer
from tests.support.wire_formats import Reply

KEY = {"OPENAI_API_KEY": "sk-test-key", "ANTHROPIC_API_KEY": "sk-ant-test-key"}
HEADER = "\n--- Agent: root ---\n"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The current directory; the tools work in its ``work`` folder, which holds a README."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "work").mkdir()
    (tmp_path / "work" / "README.md").write_text("# Notes\n")
    return tmp_path


def look_then_answer() -> list[Reply]:
    return [
        Reply("Let me look.", tool=("list_directory", {"path": "."})),
        Reply("There is 1 file."),
    ]


def test_exec_prints_cagents_transcript_and_the_replay_prints_it_again(
    project: Path, provider_server: ProviderServer, network_cut: NetworkCut
) -> None:
    agent = agent_file(project, provider_server)
    provider_server.script = look_then_answer()
    recorded = agentcore(
        "exec", str(agent), "--working-dir", "work", "--record", "files", "How many files?", env=KEY
    )
    assert recorded.status == 0, recorded.err
    assert recorded.out == (
        f"{HEADER}Let me look.\n"
        'Calling list_directory(path: ".")\n'
        "\n"
        'list_directory response → "FILE README.md\\n"\n'
        "There is 1 file."
    )
    provider_server.stop()
    with network_cut:
        replayed = agentcore(
            "exec", str(agent), "--working-dir", "work", "--fake", "files", "How many files?"
        )
    assert (replayed.status, replayed.out, replayed.err) == (0, recorded.out, "")
    assert network_cut.attempts == []


def test_a_replay_that_asks_less_than_was_recorded_is_no_error(
    project: Path, provider_server: ProviderServer, network_cut: NetworkCut
) -> None:
    agent = agent_file(project, provider_server)
    provider_server.script = [*look_then_answer(), Reply("You are welcome.")]
    argv = ["exec", str(agent), "--working-dir", "work"]
    recorded = agentcore(*argv, "--record", "s", "How many files?", "Thanks!", env=KEY)
    assert recorded.status == 0, recorded.err
    provider_server.stop()
    with network_cut:
        replayed = agentcore(*argv, "--fake", "s", "How many files?")  # one turn of two
    assert (replayed.status, replayed.err) == (
        0,
        "agentcore: note: 1 recorded interaction(s) in s.yaml were not replayed\n",
    )
    assert recorded.out.startswith(replayed.out)
    assert replayed.out.endswith("There is 1 file.")


@pytest.mark.parametrize(
    ("model", "path"),
    [
        ("gpt5", "/v1/responses"),
        ("claude", "/v1/messages"),
        ("gemini", "/v1beta/models/gemini-2.5-flash:streamGenerateContent"),
        ("mistral", "/mistral/v1/chat/completions"),
    ],
)
def test_every_api_prints_the_same_transcript_and_replays_it(
    project: Path, provider_server: ProviderServer, network_cut: NetworkCut, model: str, path: str
) -> None:
    agent = agent_file(project, provider_server)
    provider_server.script = look_then_answer()
    argv = ["exec", str(agent), "--model", model, "--working-dir", "work"]
    recorded = agentcore(*argv, "--record", "s", "How many files?", env=KEY)
    assert recorded.status == 0, recorded.err
    assert recorded.out == (
        f"{HEADER}Let me look.\n"
        'Calling list_directory(path: ".")\n'
        "\n"
        'list_directory response → "FILE README.md\\n"\n'
        "There is 1 file."
    )
    assert {urlsplit(r.path).path for r in provider_server.requests} == {path}
    provider_server.stop()
    with network_cut:
        replayed = agentcore(*argv, "--fake", "s", "How many files?")
    assert (replayed.status, replayed.out) == (0, recorded.out)


def test_hide_tool_calls_leaves_the_headers_and_the_text(
    project: Path, provider_server: ProviderServer
) -> None:
    agent = agent_file(project, provider_server)
    provider_server.script = [
        Reply(tool=("list_directory", {"path": "."})),
        Reply("2"),
    ]
    run = agentcore("exec", str(agent), "--hide-tool-calls", "How many files?")
    assert (run.status, run.out) == (0, f"{HEADER}2")


def test_a_tool_needing_approval_is_asked_about_and_rejected_without_a_terminal(
    project: Path, provider_server: ProviderServer
) -> None:
    agent = agent_file(project, provider_server)
    provider_server.script = [
        Reply(tool=("write_file", {"path": "out.txt", "content": "hi"})),
        Reply("I was not allowed to write it."),
    ]
    run = agentcore("exec", str(agent), "Write hi to out.txt")
    assert run.status == 0
    assert run.out == (
        f"{HEADER}"
        "\n🛠️ Tool call requires confirmation 🛠️\n"
        '\nCalling write_file(\n  path: "out.txt"\n  content: "hi"\n)\n'
        "\nCan I run this tool? ([y]es/[a]ll/[n]o): "
        '\nwrite_file response → "The user rejected the tool call."\n'
        "I was not allowed to write it."
    )
    assert "no terminal to ask whether write_file may run" in run.err
    assert "--yolo" in run.err
    assert not (project / "out.txt").exists()


@pytest.mark.parametrize(
    ("answers", "questions", "written"),
    [
        ("y\ny\n", 2, ["one.txt", "two.txt"]),
        ("a\n", 1, ["one.txt", "two.txt"]),  # all: the second write is not asked about
        ("n\ny\n", 2, ["two.txt"]),
        ("maybe\nyes\n", 2, ["two.txt"]),  # as cagent: an unclear answer rejects
    ],
)
def test_with_a_terminal_the_answer_decides(
    project: Path,
    provider_server: ProviderServer,
    answers: str,
    questions: int,
    written: list[str],
) -> None:
    agent = agent_file(project, provider_server)
    provider_server.script = [
        Reply(tool=("write_file", {"path": "one.txt", "content": "1"})),
        Reply(tool=("write_file", {"path": "two.txt", "content": "2"})),
        Reply("Done."),
    ]
    run = agentcore("run", str(agent), "Write two files", stdin=answers, interactive=True)
    assert run.status == 0, run.err
    assert run.out.count("Can I run this tool? ([y]es/[a]ll/[n]o): ") == questions
    assert sorted(p.name for p in project.glob("*.txt")) == written
    # An approved call is shown once, in the question, not again when it runs.
    assert run.out.count('Calling write_file(\n  path: "one.txt"') == 1


def test_yolo_runs_tools_without_asking(project: Path, provider_server: ProviderServer) -> None:
    agent = agent_file(project, provider_server)
    provider_server.script = [
        Reply(tool=("write_file", {"path": "out.txt", "content": "hi"})),
        Reply("Written."),
    ]
    run = agentcore("exec", str(agent), "--yolo", "Write hi to out.txt")
    assert run.status == 0
    assert "Can I run" not in run.out
    assert (project / "out.txt").read_text() == "hi"


def test_json_prints_one_event_per_line_and_rejects_approvals(
    project: Path, provider_server: ProviderServer
) -> None:
    agent = agent_file(project, provider_server)
    provider_server.script = [
        Reply("Writing.", tool=("write_file", {"path": "out.txt", "content": "hi"})),
        Reply("Not allowed."),
    ]
    run = agentcore("exec", str(agent), "--json", "Write hi")
    assert run.status == 0
    lines = [json.loads(line) for line in run.out.splitlines()]
    assert [line["type"] for line in lines] == [
        "agent_started",
        "text",
        "usage",
        "tool_result",
        "text",
        "text",
        "usage",
    ]
    assert {line["agent"] for line in lines} == {"root"}
    result = lines[3]
    assert result["name"] == "write_file"
    assert json.loads(result["arguments"]) == {"path": "out.txt", "content": "hi"}
    assert (result["rejected"], result["output"]) == (True, "The user rejected the tool call.")
    assert "".join(line["text"] for line in lines if line["type"] == "text") == (
        "Writing.Not allowed."
    )
    assert not (project / "out.txt").exists()


def test_a_run_that_fails_in_json_ends_with_an_error_event(
    project: Path, provider_server: ProviderServer
) -> None:
    agent = agent_file(project, provider_server)
    provider_server.failures = [(400, {}, b'{"error":{"message":"Unknown model gpt-4o"}}')]
    run = agentcore("exec", str(agent), "--json", "hi")
    assert run.status == 1
    last = json.loads(run.out.splitlines()[-1])
    assert last == {"type": "error", "message": "openai API error 400: Unknown model gpt-4o"}
    assert run.err == "agentcore: openai API error 400: Unknown model gpt-4o\n"


def test_delegation_prints_a_header_each_time_the_speaking_agent_changes(
    project: Path, provider_server: ProviderServer
) -> None:
    agent = agent_file(project, provider_server, TEAM)
    task = {"agent": "weather", "task": "Weather in Paris?", "expected_output": "One sentence."}
    provider_server.script = [
        Reply("Asking the expert.", tool=("transfer_task", task)),
        Reply("Sunny, 21°C."),
        Reply("It is sunny in Paris."),
        # second turn: the root answers alone
        Reply("You're welcome."),
    ]
    run = agentcore("exec", str(agent), "What's the weather in Paris?", "Thanks!")
    assert run.status == 0, run.err
    assert run.out == (
        f"{HEADER}Asking the expert.\n"
        "Calling transfer_task(\n"
        '  agent: "weather"\n'
        '  task: "Weather in Paris?"\n'
        '  expected_output: "One sentence."\n'
        ")\n"
        "\n\n--- Agent: weather ---\n"
        "Sunny, 21°C."
        "\n\n--- Agent: root ---\n"
        '\ntransfer_task response → "Sunny, 21°C."\n'
        "It is sunny in Paris."
        # each turn starts with the header again, as cagent prints it
        f"{HEADER}You're welcome."
    )
    # The sub-agent really ran on its own model (Anthropic's API on the scripted server).
    assert [r.path for r in provider_server.requests] == [
        "/v1/chat/completions",
        "/v1/messages",
        "/v1/chat/completions",
        "/v1/chat/completions",
    ]


def test_several_prompts_are_turns_of_one_conversation(
    project: Path, provider_server: ProviderServer
) -> None:
    agent = agent_file(project, provider_server)
    run = agentcore("exec", str(agent), "one", "  ", "two")  # a blank prompt is skipped
    assert run.out == f"{HEADER}You said: one{HEADER}You said: two"
    second = json.loads(provider_server.requests[1].body)["messages"]
    assert [m["content"] for m in second if m["role"] != "system"] == [
        "one",
        "You said: one",
        "two",
    ]


def test_run_without_a_prompt_reads_one_turn_per_line(
    project: Path, provider_server: ProviderServer
) -> None:
    agent = agent_file(project, provider_server)
    run = agentcore("run", str(agent), stdin="hello\n\nagain\nexit\nnever sent\n")
    assert run.status == 0
    assert run.out == (
        "\n------- Welcome to agentcore! -------\n(Ctrl+C to stop the agent and exit)\n\n"
        f"> {HEADER}You said: hello\n\n> \n\n> {HEADER}You said: again\n\n> "
    )
    assert len(provider_server.requests) == 2


def test_a_dash_reads_the_prompt_from_stdin(project: Path, provider_server: ProviderServer) -> None:
    agent = agent_file(project, provider_server)
    run = agentcore("exec", str(agent), "-", stdin="Explain containers\n")
    assert run.out == f"{HEADER}You said: Explain containers"


def test_model_overrides_apply_to_all_agents_or_to_one(
    project: Path, provider_server: ProviderServer
) -> None:
    agent = agent_file(project, provider_server, TEAM)
    assert agentcore("exec", str(agent), "--model", "claude", "hi").status == 0
    assert agentcore("exec", str(agent), "--model", "root=claude", "hi").status == 0
    assert [r.path for r in provider_server.requests] == ["/v1/messages", "/v1/messages"]
    wrong = agentcore("exec", str(agent), "--model", "rot=claude", "hi")
    assert wrong.status == 2
    assert wrong.err == (
        f"agentcore: --model rot=...: {agent} has no agent 'rot'; its agents: root, weather\n"
    )


def test_agent_chooses_who_the_user_talks_to(
    project: Path, provider_server: ProviderServer
) -> None:
    agent = agent_file(project, provider_server, TEAM)
    run = agentcore("exec", str(agent), "-a", "weather", "hi")
    assert run.out == "\n--- Agent: weather ---\nYou said: hi"
    missing = agentcore("exec", str(agent), "--agent", "sun", "hi")
    assert missing.status == 1
    assert missing.err == (
        f"agentcore: {agent}: there is no agent 'sun' to run; agents defined: root, weather\n"
    )


@pytest.mark.skipif(not hasattr(__import__("os"), "openpty"), reason="needs a pseudo-terminal")
def test_a_terminal_answers_with_one_key_as_in_cagent(
    project: Path, provider_server: ProviderServer
) -> None:
    import io
    import os
    import threading

    from agentcore.cli import Console, main

    agent = agent_file(project, provider_server)
    provider_server.script = [
        Reply(tool=("write_file", {"path": "one.txt", "content": "1"})),
        Reply(tool=("write_file", {"path": "two.txt", "content": "2"})),
        Reply("Done."),
    ]
    leader, follower = os.openpty()
    os.write(leader, b"xa")  # a key that means nothing is ignored; "a" approves all
    # Should the keys typed ahead be lost, "n" comes later, so that the test fails, not hangs.
    rescue = threading.Timer(10, os.write, (leader, b"nn"))
    rescue.start()
    out, err = io.StringIO(), io.StringIO()
    with open(follower, encoding="utf-8", closefd=True) as terminal:
        console = Console(terminal, out, err, interactive=True)
        status = main(["run", str(agent), "Write two files"], console=console, env={})
    rescue.cancel()
    os.close(leader)
    assert status == 0, err.getvalue()
    assert out.getvalue().count("Can I run this tool? ([y]es/[a]ll/[n]o): Yes to all 👍") == 1
    assert sorted(p.name for p in project.glob("*.txt")) == ["one.txt", "two.txt"]


def test_a_credential_the_model_repeats_is_redacted_and_told_with_the_real_file(
    project: Path, provider_server: ProviderServer
) -> None:
    key = "sk-proj-" + "Ab3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3x"  # made up
    agent = agent_file(project, provider_server)
    provider_server.script = [Reply(f"Your key is {key}.")]
    run = agentcore("exec", str(agent), "--record", "leak", "What is my key?", env=KEY)
    assert run.status == 0, run.err
    assert key not in (project / "leak.yaml").read_text()
    assert (
        "agentcore: credentials found and written as REDACTED in leak.yaml:\n"
        "  interaction 0, response body: OpenAI project key (sk-proj-…)\n"
        "Review the cassette before you commit it.\n"
    ) in run.err
    assert ".recording" not in run.err
    assert key not in run.err
