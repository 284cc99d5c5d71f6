"""``agentcore`` when things go wrong: broken cassettes, recordings that cannot be saved,
interrupts, iteration limits, swallowed replay errors. Every case ends with a message that
names the file and the fix, an exit status, and nothing lost."""

from __future__ import annotations

import io
import json
import os
import threading
from pathlib import Path
from typing import Any

import pytest
import yaml

from agentcore.cli import Console, main
from tests.support.cli_runs import CliRun, agent_file, agentcore, agentcore_script
from tests.support.provider_server import ProviderServer
from tests.support.wire_formats import Reply

HEADER = "\n--- Agent: root ---\n"


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize(
    ("content", "place"),
    [
        ("version: 2\ninteractions:\n- id: 0\n  request: [unclosed\n", "line 5"),
        ("", "is empty"),
        ("just text\n", "line 1"),
    ],
)
def test_a_broken_cassette_fails_with_the_plugins_message_not_a_traceback(
    here: Path, provider_server: ProviderServer, content: str, place: str
) -> None:
    agent_file(here, provider_server)
    (here / "broken.yaml").write_text(content)
    run = agentcore("exec", "agent.yaml", "--fake", "broken.yaml", "hi")
    assert run.status == 1
    assert run.err.startswith("agentcore: ")
    assert "broken.yaml" in run.err
    assert place in run.err
    assert "Traceback" not in run.err
    assert provider_server.requests == []
    assert (here / "broken.yaml").read_text() == content  # left as it was


def test_fake_gives_a_folder_or_a_yml_file_their_due(
    here: Path, provider_server: ProviderServer
) -> None:
    agent_file(here, provider_server)
    assert agentcore("exec", "agent.yaml", "--record=rec.yml", "hi").status == 0
    (here / "rec").mkdir()
    assert agentcore("exec", "agent.yaml", "--fake", "rec.yml", "hi").status == 0
    folder = agentcore("exec", "agent.yaml", "--fake", "rec", "hi")
    assert (folder.status, folder.err) == (
        1,
        "agentcore: --fake rec: that is a folder; give the cassette's file\n",
    )
    stale = agentcore("exec", "agent.yaml", "--fake", "rec.yml", "bye")
    assert stale.err.endswith("  agentcore exec agent.yaml --record=rec.yml bye\n")


def test_the_record_hint_of_run_without_a_prompt_is_a_run(here: Path) -> None:
    (here / "agent.yaml").write_text("agents:\n  root:\n    model: openai/gpt-4o\n")
    run = agentcore("run", "agent.yaml", "--fake", "my recs/s")
    assert run.err.endswith("Record it with: agentcore run agent.yaml '--record=my recs/s.yaml'\n")


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("afile/rec", "cannot record into afile/rec.yaml: the folder afile cannot be written"),
        ("agent", "--record agent would write the recording over the agent file agent.yaml"),
        ("folder.yaml", "cannot record into folder.yaml: it is a folder"),
    ],
)
def test_a_recording_that_could_not_be_saved_sends_nothing(
    here: Path, provider_server: ProviderServer, target: str, message: str
) -> None:
    agent_file(here, provider_server)
    (here / "afile").write_text("a file, not a folder")
    (here / "folder.yaml").mkdir()
    run = agentcore("exec", "agent.yaml", f"--record={target}", "hi")
    assert run.status == 1
    assert message in run.err
    assert provider_server.requests == []
    assert "Recording mode enabled" not in run.err


def test_a_stale_scratch_file_is_not_taken_for_a_recording(
    here: Path, provider_server: ProviderServer
) -> None:
    agent_file(here, provider_server)
    assert agentcore("exec", "agent.yaml", "--record=s", "hi").status == 0
    good = (here / "s.yaml").read_text()
    (here / ".s.yaml.recording").write_text("version: 2\ninteractions: []\n")
    run = agentcore("run", "agent.yaml", "--record=s", stdin="exit\n")
    assert run.status == 0
    assert "nothing was recorded (no request was sent); s.yaml not written" in run.err
    assert (here / "s.yaml").read_text() == good
    assert not (here / ".s.yaml.recording").exists()


class _Interrupting(io.StringIO):
    """stdin whose ``readline`` answers ``lines``, then acts as Ctrl-C."""

    def __init__(self, *lines: str):
        super().__init__()
        self.lines = list(lines)

    def readline(self, size: int | None = -1) -> str:  # type: ignore[override]
        if not self.lines:
            raise KeyboardInterrupt
        return self.lines.pop(0)


def _main(*argv: str, stdin: io.StringIO, interactive: bool = False) -> CliRun:
    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), console=Console(stdin, out, err, interactive), env={})
    return CliRun(status, out.getvalue(), err.getvalue())


def test_ctrl_c_during_a_recorded_run_exits_130_and_keeps_what_was_recorded_aside(
    here: Path, provider_server: ProviderServer
) -> None:
    agent_file(here, provider_server)
    provider_server.script = [Reply(tool=("write_file", {"path": "x.txt", "content": "x"}))]
    run = _main(
        "exec", "agent.yaml", "--record=s", "Write x", stdin=_Interrupting(), interactive=True
    )
    assert run.status == 130
    assert run.err.endswith(
        "agentcore: the run was interrupted, so s.yaml was not written; what was recorded "
        "is in s.failed.yaml\n\nagentcore: interrupted\n"
    )
    assert not (here / "s.yaml").exists()
    assert (here / "s.failed.yaml").is_file()
    assert not (here / "x.txt").exists()


def test_ctrl_c_at_the_prompt_ends_a_recorded_conversation_and_saves_it(
    here: Path, provider_server: ProviderServer
) -> None:
    agent_file(here, provider_server)
    run = _main("run", "agent.yaml", "--record=s", stdin=_Interrupting("hello\n"))
    assert run.status == 0
    assert run.out.endswith(f"> {HEADER}You said: hello\n\n> \n")
    assert run.err.endswith("Recorded 1 interaction(s) into s.yaml\n")


LOOP = """\
agents:
  root:
    model: main
    instruction: Work.
    max_iterations: 1
    toolsets: [{type: think}]
"""


def _thinking(times: int) -> list[Reply]:
    return [Reply(tool=("think", {"thought": f"step {n}"})) for n in range(times)]


def test_max_iterations_asks_as_cagent_does_and_stops_without_an_answer(
    here: Path, provider_server: ProviderServer
) -> None:
    agent_file(here, provider_server, LOOP)
    provider_server.script = [*_thinking(1), Reply("never asked for")]
    run = agentcore("exec", "agent.yaml", "Think")
    assert run.status == 0
    assert run.out.endswith(
        '\nthink response → "Thoughts:\\nstep 0"\n'
        "\n⚠️  Maximum iterations (1) reached. The agent may be stuck in a loop.\n"
        "This can happen with smaller or less capable models.\n"
        "\nDo you want to continue for 10 more iterations? (y/n):\n"
        "\nFailed to read input, exiting...\n"
    )
    assert len(provider_server.requests) == 1


def test_max_iterations_goes_on_when_told_to_and_by_itself_with_yolo(
    here: Path, provider_server: ProviderServer
) -> None:
    agent_file(here, provider_server, LOOP)
    provider_server.script = [*_thinking(1), Reply("Done thinking.")]
    told = agentcore("exec", "agent.yaml", "Think", stdin="y\n")
    assert told.out.endswith("(y/n):\n✓ Continuing...\n\nDone thinking.")

    provider_server.script = [*_thinking(9), Reply("Finally.")]
    yolo = agentcore("exec", "agent.yaml", "--yolo", "Think")
    assert yolo.out.endswith("Finally.")  # one extension of 10 was enough
    assert "Maximum iterations" not in yolo.out

    agent_file(here, provider_server, LOOP.replace("max_iterations: 1", "max_iterations: 2"))
    provider_server.script = _thinking(80)
    before = len(provider_server.requests)
    capped = agentcore("exec", "agent.yaml", "--yolo", "Think forever")
    # 2 iterations, then 5 extensions of 10, then it stops (cagent's cap).
    assert len(provider_server.requests) - before == 2 + 5 * 10
    assert capped.status == 0


def test_without_max_iterations_the_cli_stops_a_stuck_model_at_the_default_limit(
    here: Path, provider_server: ProviderServer
) -> None:
    agent_file(here, provider_server, LOOP.replace("    max_iterations: 1\n", ""))
    provider_server.event_pause = 0
    provider_server.script = _thinking(300)
    run = agentcore("exec", "agent.yaml", "--json", "Think forever")
    assert run.status == 0
    assert len(provider_server.requests) == 100
    last = json.loads(run.out.splitlines()[-1])
    assert last == {"type": "max_iterations", "agent": "root", "depth": 0, "limit": 100}

    provider_server.requests.clear()
    run = agentcore("exec", "agent.yaml", "Think forever")
    assert run.out.endswith(
        "\n⚠️  Maximum iterations (100) reached. The agent may be stuck in a loop.\n"
        "This can happen with smaller or less capable models.\n"
        "\nDo you want to continue for 10 more iterations? (y/n):\n"
        "\nFailed to read input, exiting...\n"
    )
    assert len(provider_server.requests) == 100


def test_a_replay_error_that_a_tool_swallowed_still_fails_the_run(
    here: Path, provider_server: ProviderServer
) -> None:
    agent_file(here, provider_server, toolsets="[{type: fetch}]")
    page = provider_server.url + "/page"
    provider_server.script = [
        Reply(tool=("fetch", {"urls": [page], "format": "text"})),
        Reply("Read it."),
    ]
    assert agentcore("exec", "agent.yaml", "--record=s", "Read the page").status == 0
    cassette: dict[str, Any] = yaml.safe_load((here / "s.yaml").read_text())
    cassette["interactions"] = [
        i for i in cassette["interactions"] if i["request"]["method"] == "POST"
    ]
    (here / "s.yaml").write_text(yaml.safe_dump(cassette, sort_keys=False))
    run = agentcore("exec", "agent.yaml", "--fake", "s", "--match", "sequential", "Read the page")
    assert run.out.endswith("Read it.")  # the fetch tool turned the error into its result
    assert run.status == 1
    assert run.err.startswith(
        f"\nagentcore: No recorded interaction matches GET {provider_server.url}/robots.txt"
    )


def test_a_replayed_transport_error_is_not_blamed_on_the_recorded_body(
    here: Path, provider_server: ProviderServer
) -> None:
    """An answer that broke off is recorded with its transport error and replayed as it was:
    the cassette is right, so there is no hint to fix its body."""
    agent_file(here, provider_server)
    provider_server.faults = [2] * 6  # every attempt is cut after two events
    provider_server.script = [Reply("Containers are boxes for processes. " * 3)] * 6
    recorded = agentcore("exec", "agent.yaml", "--record=cut.yaml", "hi")
    assert recorded.status == 1
    assert "the answer broke off" in recorded.err
    (here / "cut.failed.yaml").rename(here / "cut.yaml")  # the failed run, kept to replay
    replayed = agentcore("exec", "agent.yaml", "--fake", "cut.yaml", "hi")
    assert replayed.status == 1
    assert replayed.err.startswith("\nagentcore: openai API error: the answer broke off: ")
    assert "fix the body" not in replayed.err
    assert "That answer was replayed from" not in replayed.err
    assert "[agentcassette: replayed from cut.yaml, interaction 0, as recorded;" in replayed.err


def test_json_mode_ends_with_an_error_event_for_a_cassette_problem(here: Path) -> None:
    (here / "agent.yaml").write_text("agents:\n  root:\n    model: openai/gpt-4o\n")
    run = agentcore("exec", "agent.yaml", "--json", "--fake", "missing", "hi")
    assert run.status == 1
    last = json.loads(run.out.splitlines()[-1])
    assert last["type"] == "error"
    assert last["message"].startswith("cassette not found: missing")


def test_a_working_dir_that_does_not_exist_is_refused(here: Path) -> None:
    (here / "agent.yaml").write_text("agents:\n  root:\n    model: openai/gpt-4o\n")
    run = agentcore("exec", "agent.yaml", "--working-dir", "nowhere", "hi")
    assert (run.status, run.err) == (
        1,
        "agentcore: --working-dir nowhere: there is no such folder\n",
    )


def test_cagents_run_exec_spelling_is_accepted(here: Path, provider_server: ProviderServer) -> None:
    agent_file(here, provider_server)
    run = agentcore("run", "--exec", "agent.yaml", "hi")
    assert (run.status, run.out) == (0, f"{HEADER}You said: hi")


def test_output_redirected_on_a_non_utf8_locale_is_utf8(
    here: Path, provider_server: ProviderServer
) -> None:
    agent_file(here, provider_server, toolsets="[{type: filesystem}]")
    (here / "work").mkdir()
    (here / "work" / "note.txt").write_text("x")
    provider_server.script = [Reply(tool=("list_directory", {"path": "."})), Reply("1 file → ok")]
    argv = ["exec", "agent.yaml", "--working-dir", "work"]
    recorded = agentcore(*argv, "--record=s", "Count")
    assert recorded.status == 0
    provider_server.stop()
    run = agentcore_script(
        *argv, "--fake", "s", "Count", cwd=here, env={"PYTHONIOENCODING": "cp1252"}
    )
    assert (run.status, run.out) == (0, recorded.out)


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
@pytest.mark.parametrize(("keys", "answer"), [(b"\x03", KeyboardInterrupt), (b"", "no")])
def test_a_terminal_that_interrupts_or_closes_never_approves(keys: bytes, answer: Any) -> None:
    leader, follower = os.openpty()
    rescue = threading.Timer(10, os.write, (leader, b"n"))
    rescue.start()
    with open(follower, encoding="utf-8") as terminal:
        console = Console(terminal, io.StringIO(), io.StringIO(), interactive=True)
        if keys:  # once the terminal is raw: before, the line discipline eats Ctrl-C
            threading.Timer(0.3, os.write, (leader, keys)).start()
        else:
            os.close(leader)
        if answer is KeyboardInterrupt:
            with pytest.raises(KeyboardInterrupt):
                console.answer()
        else:
            assert console.answer() == answer
    rescue.cancel()
    if keys:
        os.close(leader)


class _ClosedPipe(io.StringIO):
    def write(self, text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")


def test_a_reader_that_leaves_ends_the_run_quietly(
    here: Path, provider_server: ProviderServer
) -> None:
    agent_file(here, provider_server)
    err = io.StringIO()
    console = Console(io.StringIO(), _ClosedPipe(), err, interactive=False)
    assert main(["exec", "agent.yaml", "hi"], console=console, env={}) == 141
    assert err.getvalue() == ""
