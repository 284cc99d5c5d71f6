"""The README's examples run as written."""

from __future__ import annotations

import re
import shlex
import textwrap
from pathlib import Path

import pytest

from tests.support.network import NetworkCut
from tests.support.provider_server import ProviderServer
from tests.support.stand_in import STAND_IN_CONFTEST

README = (Path(__file__).parents[2] / "README.md").read_text()


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.S)


def test_the_set_up_commands_are_the_ones_ci_runs() -> None:
    ci = (Path(__file__).parents[2] / ".ci" / "run").read_text()
    setup = _blocks("console")[0].splitlines()
    assert setup == ['pip install -e ".[test]"', "pytest"]
    for command in setup:
        assert f"\n{command}\n" in ci


def test_the_30_second_example_records_once_then_replays_offline(
    pytester: pytest.Pytester, provider_server: ProviderServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    example = _blocks("python")[0]
    path = example.splitlines()[0].removeprefix("# ")
    assert path == "tests/test_explain.py"
    pytester.mkdir("tests")
    (pytester.path / path).write_text(example)
    record, replay = (
        shlex.split(block.strip())[1:]
        for block in _blocks("console")
        if block.strip().endswith("tests/test_explain.py")
    )
    assert record == ["--record-mode=once", "tests/test_explain.py"]

    monkeypatch.setenv("OPENAI_BASE_URL", provider_server.url + "/v1")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-readme-secret")
    pytester.runpytest(*record).assert_outcomes(passed=1)
    cassette = pytester.path / "tests/cassettes/test_explain/test_explains_containers.yaml"
    assert cassette.is_file()
    assert "sk-readme-secret" not in cassette.read_text()

    provider_server.stop()
    monkeypatch.delenv("OPENAI_API_KEY")
    pytester.runpytest(*replay).assert_outcomes(passed=1)
    assert len(provider_server.requests) == 1


def test_the_use_cassette_example_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, provider_server: ProviderServer
) -> None:
    example = next(block for block in _blocks("python") if "use_cassette(" in block)
    monkeypatch.chdir(tmp_path)
    code = example.replace(
        "...  # every", f"__import__('httpx').get({provider_server.url + '/v1/models'!r})  #"
    )
    namespace: dict[str, object] = {}
    exec(compile(code, "README.md", "exec"), namespace)
    assert (tmp_path / "cassettes" / "explain.yaml").is_file()


def test_the_cassette_example_is_a_valid_cassette(tmp_path: Path) -> None:
    from pytest_agentcassette.cassette_file import load_cassette, save_cassette

    example = next(block for block in _blocks("yaml") if block.startswith("version: 2"))
    path = tmp_path / "example.yaml"
    path.write_text(example)
    (interaction,) = load_cassette(path, fix_hint="")
    assert interaction.request.json()["messages"][0]["content"] == "Explain containers"
    assert (
        b'event: message_stop\ndata: {"type":"message_stop"}\n\n'
        in interaction.response.body.content
    )
    # It is what the plugin writes, not a hand-made approximation.
    again = tmp_path / "again.yaml"
    save_cassette(again, [interaction])
    assert again.read_text() == example


def test_the_mismatch_message_in_the_readme_is_what_users_see(
    pytester: pytest.Pytester, provider_server: ProviderServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    example = _blocks("python")[0]
    pytester.mkdir("tests")
    test_file = pytester.path / "tests" / "test_explain.py"
    test_file.write_text(example)
    monkeypatch.setenv("OPENAI_BASE_URL", provider_server.url + "/v1")
    pytester.runpytest("--record-mode=once", "tests").assert_outcomes(passed=1)
    test_file.write_text(example.replace('"Explain containers"', '"Explain containers briefly"'))

    result = pytester.runpytest("tests")
    result.assert_outcomes(failed=1)
    shown = next(block for block in _blocks("text") if block.startswith("No recorded"))
    expected = shown.replace("https://api.openai.com/v1", provider_server.url + "/v1")
    result.stdout.fnmatch_lines(expected.splitlines(), consecutive=True)


def test_the_fixture_example_runs(
    pytester: pytest.Pytester, provider_server: ProviderServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    example = next(block for block in _blocks("python") if "def test_agent_asks_twice" in block)
    agent = f"""
import httpx


def run_my_agent(prompt):
    for _ in range(2):
        body = {{"model": "gpt-4o", "messages": [{{"role": "user", "content": prompt}}]}}
        httpx.post({provider_server.url + "/v1/chat/completions"!r}, json=body)

"""
    pytester.makepyfile(test_agent=agent + example)
    pytester.runpytest("--record-mode=once").assert_outcomes(passed=1)
    pytester.runpytest().assert_outcomes(passed=1)
    assert len(provider_server.requests) == 2


def test_the_tool_calls_example_runs(
    pytester: pytest.Pytester, provider_server: ProviderServer
) -> None:
    from tests.support.wire_formats import Reply

    example = next(block for block in _blocks("python") if "def test_reviewer" in block)
    agent = f"""
import httpx


def run_code_review_agent(prompt):
    body = {{"model": "gpt-4o", "messages": [{{"role": "user", "content": prompt}}]}}
    httpx.post({provider_server.url + "/v1/chat/completions"!r}, json=body)

"""
    provider_server.script = [Reply(tool=("read_file", {"path": "pkg/auth/handler.go"}))]
    pytester.makepyfile(test_review=agent + example)
    pytester.runpytest("--record-mode=once").assert_outcomes(passed=1)
    provider_server.stop()
    pytester.runpytest().assert_outcomes(passed=1)


def test_the_agentcore_example_runs_as_written_in_replay(
    tmp_path: Path,
    provider_server: ProviderServer,
    network_cut: NetworkCut,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import agentcore
    from pytest_agentcassette import use_cassette
    from tests.support.wire_formats import Reply

    agent = next(block for block in _blocks("yaml") if block.startswith("# agent.yaml"))
    example = next(block for block in _blocks("python") if 'agentcore.load("agent.yaml")' in block)
    project = tmp_path / "project"
    project.mkdir()
    (project / "README.md").write_text("hello\n")
    (project / "agent.yaml").write_text(agent)
    # Record against the scripted server, then file the session under OpenAI's real URL.
    recording = tmp_path / "recording.yaml"
    recording.write_text(
        agent.replace("model: openai/gpt-4o", "model: main")
        + f"models:\n  main:\n    provider: openai\n    model: gpt-4o\n    base_url: {provider_server.url}/v1\n"
    )
    provider_server.script = [
        Reply(tool=("list_directory", {"path": "."})),
        Reply("There are 2 files."),
        Reply("agent.yaml is the largest."),
    ]
    cassette = tmp_path / "session.yaml"
    with (
        use_cassette(cassette, record_mode="once"),
        agentcore.load(recording, working_dir=project, env={}) as team,
    ):
        team.run("How many files are here?", yolo=True)
        list(team.stream("And which is the largest?"))
    cassette.write_text(
        cassette.read_text().replace(f"{provider_server.url}/v1", "https://api.openai.com/v1")
    )
    provider_server.stop()

    monkeypatch.chdir(project)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    printed: list[str] = []
    monkeypatch.setattr("builtins.print", lambda *args: printed.append(" ".join(map(str, args))))
    with network_cut, use_cassette(cassette) as replay:
        exec(compile(example, "README.md", "exec"), {})
    assert printed == ["There are 2 files."]
    assert len(replay.played) == 2
    assert network_cut.attempts == []


def _command(block: str) -> list[str]:
    (line,) = block.strip().splitlines()
    words = shlex.split(line)
    assert words[0] == "agentcore"
    return words[1:]


def test_the_see_it_work_command_replays_the_example_offline_with_no_key(
    monkeypatch: pytest.MonkeyPatch, network_cut: NetworkCut
) -> None:
    from tests.support.cli_runs import agentcore

    block = next(b for b in _blocks("console") if "--fake examples/" in b)
    monkeypatch.chdir(Path(__file__).parents[2])
    with network_cut:
        run = agentcore(*_command(block))  # with an empty environment: no key
    assert (run.status, run.err) == (0, "")
    assert run.out.startswith(
        "\n--- Agent: root ---\nI'll look at the auth package first.\n"
        'Calling list_directory(path: "examples/pkg/auth")\n'
    )
    assert '\nCalling read_file(path: "examples/pkg/auth/handler.go")\n' in run.out
    assert "SQL injection" in run.out
    assert network_cut.attempts == []


def test_the_seeds_record_forms_do_what_the_readme_says() -> None:
    from agentcore.cli.arguments import parse_arguments

    block = next(b for b in _blocks("console") if "--record my-test" in b)
    first, named = (parse_arguments(shlex.split(line)[1:]) for line in block.splitlines())
    assert (first.record, first.prompts) == ("", ["What is Docker?"])
    assert (named.record, named.prompts) == ("my-test", ["Explain containers"])
    workflow = next(b for b in _blocks("console") if "--record code-review" in b)
    record, replay = (parse_arguments(shlex.split(line)[1:]) for line in workflow.splitlines())
    assert (record.record, record.yolo, replay.fake) == ("code-review", True, "code-review.yaml")
    assert record.prompts == replay.prompts


def test_the_multi_agent_transcript_is_what_exec_prints(
    tmp_path: Path, provider_server: ProviderServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.support.cli_runs import TEAM, agent_file, agentcore
    from tests.support.wire_formats import Reply

    shown = next(b for b in _blocks("text") if "--- Agent: weather ---" in b)
    monkeypatch.chdir(tmp_path)
    task = {"agent": "weather", "task": "Weather in Paris?", "expected_output": "One sentence."}
    provider_server.script = [
        Reply("Asking the expert.", tool=("transfer_task", task)),
        Reply("Sunny, 21°C."),
        Reply("It is sunny in Paris."),
    ]
    agent = agent_file(tmp_path, provider_server, TEAM)
    run = agentcore("exec", str(agent), "What's the weather in Paris?")
    assert "\n" + shown == run.out + "\n"


def test_the_network_guard_message_in_the_readme_is_what_users_see(
    pytester: pytest.Pytester,
) -> None:
    shown = next(block for block in _blocks("text") if block.startswith("agentcassette stopped"))
    host, port = re.findall(r"connection to ([\w.-]+):(\d+)", shown)[0]
    pytester.makeconftest(STAND_IN_CONFTEST)  # nothing leaves the machine
    pytester.makepyfile(
        test_report=f"""
        import socket

        import pytest

        @pytest.mark.cassette
        def test_weekly():
            socket.create_connection(({host!r}, {port}), timeout=1)
        """
    )
    cassette = pytester.path / "cassettes" / "test_report" / "test_weekly.yaml"
    cassette.parent.mkdir(parents=True)
    cassette.write_text("version: 2\ninteractions: []\n")
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    lines = shown.splitlines()
    start = result.outlines.index(lines[0])
    assert result.outlines[start : start + len(lines)] == lines


def test_the_sdk_examples_in_the_readme_are_valid(pytester: pytest.Pytester) -> None:
    from google import genai

    client_example = next(block for block in _blocks("python") if "genai.Client(" in block)
    namespace: dict[str, object] = {"key": "test-key"}
    exec(textwrap.dedent(client_example), namespace)
    assert isinstance(namespace["client"], genai.Client)

    marker_example = next(block for block in _blocks("python") if "replay_retry_after=" in block)
    pytester.makepyfile(
        test_limits="import pytest\n\n" + marker_example.replace("...", "assert agent_cassette")
    )
    cassette = pytester.path / "cassettes" / "test_limits" / "test_survives_rate_limit.yaml"
    cassette.parent.mkdir(parents=True)
    cassette.write_text("version: 2\ninteractions: []\n")
    pytester.runpytest("--strict-markers").assert_outcomes(passed=1)


def test_the_compatibility_table_names_the_versions_installed() -> None:
    from importlib.metadata import version

    from tests.support.sdk_exchanges import EXCHANGES

    table = README[README.index("| library | versions tested") : README.index("**aiohttp.**")]
    rows = [line.split("|")[1:3] for line in table.splitlines()[2:] if line.startswith("|")]
    tested = {}
    for library, versions in rows:
        name = re.split(r"[ ,(]", library.strip())[0]
        distribution = "pydantic-ai-slim" if name == "pydantic-ai" else name
        tested[name] = versions.strip()
        # The suite runs on the SDKs' current major versions (test extras pin the major).
        assert version(distribution).split(".")[0] == versions.strip().split(".")[0], name
    assert set(tested) == {"openai", "anthropic", "google-genai", "mistralai", "pydantic-ai"}
    assert {name.split("-")[0] for name in EXCHANGES} <= {n.split("-")[0] for n in tested}


def test_the_transport_error_example_replays_as_that_error(
    tmp_path: Path, network_cut: NetworkCut
) -> None:
    import httpx

    from pytest_agentcassette import use_cassette

    example = next(block for block in _blocks("yaml") if "kind: RemoteProtocolError" in block)
    path = tmp_path / "fault.yaml"
    path.write_text("version: 2\ninteractions:\n" + textwrap.dedent(example))
    with network_cut, use_cassette(path), pytest.raises(httpx.RemoteProtocolError) as met:
        httpx.post("https://api.openai.com/v1/chat/completions")
    assert str(met.value) == "Server disconnected without sending a response."
    assert network_cut.attempts == []
