"""The documentation's examples run as written.

Every fenced code block of the README, of ``docs/`` and of CONTRIBUTING.md is either run or
checked by a test here, which finds it with ``_example(language, beginning)``, or listed in
:data:`ILLUSTRATIVE` with the reason it cannot be; a block that is neither fails
:func:`test_every_block_is_run_or_listed_as_illustrative`, so a new example cannot slip in
untested. Blocks that appear on several pages must be identical copies: one run covers all.

Only the public API is used (``from pytest_agentcassette import ...``, ``import agentcore``)
and the command lines, as a user would.
"""

from __future__ import annotations

import ast
import asyncio
import json
import os
import re
import shlex
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from importlib.metadata import metadata, version
from importlib.util import find_spec
from pathlib import Path

# hypothesis and openai are imported so that they stay imported: in-process pytester runs
# drop the modules they import, and each inner run would import them again (hypothesis,
# through its pytest plugin, costs a second per run; openai, the quick start's runs).
import httpx
import hypothesis  # noqa: F401
import openai  # noqa: F401
import pytest
import yaml

import agentcore
import pytest_agentcassette
from pytest_agentcassette import RecordMode, use_cassette
from tests.support.cli_runs import NO_NETWORK, SCRIPT, TEAM, agent_file
from tests.support.cli_runs import agentcore as agentcore_cli
from tests.support.drifting_provider import drifting_provider
from tests.support.network import NetworkCut
from tests.support.provider_server import ProviderServer
from tests.support.stand_in import STAND_IN_CONFTEST
from tests.support.wire_formats import Reply

ROOT = Path(__file__).parents[2]
DOCS = sorted(str(path.relative_to(ROOT)) for path in (ROOT / "docs").glob("*.md"))
PAGES = ["README.md", "CONTRIBUTING.md", *DOCS]
README = (ROOT / "README.md").read_text()
OPENAI = "https://api.openai.com/v1"

# Blocks no test runs, each with the reason: (language, how the block begins) -> why.
ILLUSTRATIVE: dict[tuple[str, str], str] = {}


@dataclass(frozen=True)
class Block:
    page: str
    line: int
    language: str
    text: str

    def __str__(self) -> str:
        return f"{self.page}:{self.line} (```{self.language})"


def _fenced_blocks(page: str) -> list[Block]:
    """The fenced code blocks of ``page``, indented ones (in list items) dedented."""
    blocks = []
    lines = (ROOT / page).read_text().splitlines()
    opened: tuple[int, str, str] | None = None
    body: list[str] = []
    for number, line in enumerate(lines, start=1):
        if opened is None:
            fence = re.fullmatch(r"( *)```(\S*)\s*", line)
            if fence:
                opened, body = (number, fence[1], fence[2]), []
            continue
        start, indent, language = opened
        if line.rstrip() == indent + "```":
            blocks.append(Block(page, start, language, "".join(f"{b}\n" for b in body)))
            opened = None
        else:
            body.append(line.removeprefix(indent))
    assert opened is None, f"{page}:{opened[0]}: a code fence is never closed"
    return blocks


BLOCKS = [block for page in PAGES for block in _fenced_blocks(page)]


def _claims(block: Block, key: tuple[str, str]) -> bool:
    language, beginning = key
    return block.language == language and block.text.startswith(beginning)


def _example(language: str, beginning: str) -> str:
    """The text of the block(s) of ``language`` that begin with ``beginning``.

    Call it with literal strings, in a test or a helper that tests call: that is how the
    coverage test knows which blocks the tests run.
    """
    found = [block for block in BLOCKS if _claims(block, (language, beginning))]
    assert found, f"no ```{language} block begins with {beginning!r}"
    texts = {block.text for block in found}
    assert len(texts) == 1, f"copies of one example differ: {', '.join(map(str, found))}"
    return found[0].text


def _run_by_tests() -> set[tuple[str, str]]:
    """The ``(language, beginning)`` of every ``_example`` call in this file."""
    tree = ast.parse(Path(__file__).read_text())
    keys = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef) or node.name == "_example":
            continue
        for call in ast.walk(node):
            if isinstance(call, ast.Call) and getattr(call.func, "id", None) == "_example":
                args = [arg.value for arg in call.args if isinstance(arg, ast.Constant)]
                assert len(args) == len(call.args) == 2, f"{node.name}: _example takes literals"
                keys.add((str(args[0]), str(args[1])))
    return keys


def _lines(block: str) -> list[list[str]]:
    return [shlex.split(line) for line in block.splitlines() if line.strip()]


# -- the rules every page follows ------------------------------------------------------------


def test_every_block_is_run_or_listed_as_illustrative() -> None:
    run = _run_by_tests()
    problems = []
    for block in BLOCKS:
        by_tests = [key for key in run if _claims(block, key)]
        listed = [key for key in ILLUSTRATIVE if _claims(block, key)]
        if not by_tests and not listed:
            problems.append(f"{block}: no test runs it, and ILLUSTRATIVE does not list it")
        elif by_tests and listed:
            problems.append(f"{block}: run by a test, yet listed as illustrative")
    for key in sorted(run | set(ILLUSTRATIVE)):
        if not any(_claims(block, key) for block in BLOCKS):
            problems.append(f"no ```{key[0]} block begins with {key[1]!r} any more")
    assert problems == []
    assert all(reason.strip() for reason in ILLUSTRATIVE.values())


def test_every_block_names_its_language() -> None:
    assert [str(block) for block in BLOCKS if not block.language] == []


def test_the_readme_is_at_most_15_kb() -> None:
    assert len(README.encode("utf-8")) <= 15 * 1024


def test_the_readme_links_every_docs_page_and_only_pages_that_exist() -> None:
    linked = set(re.findall(r"\]\((docs/[\w.-]+\.md)(?:#[\w-]+)?\)", README))
    pages = {page for page in PAGES if page.startswith("docs/")}
    assert linked == pages
    assert "](CONTRIBUTING.md)" in README


def test_the_docs_site_builds_with_no_warning(tmp_path: Path) -> None:
    site = tmp_path / "site"
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "WARNING" not in done.stderr, done.stderr
    assert (site / "index.html").is_file()
    # CONTRIBUTING.md says how to build and read the site: these are the commands.
    assert _lines(_example("console", "mkdocs build --strict")) == [["mkdocs", "build", "--strict"]]
    assert _lines(_example("console", "mkdocs serve")) == [["mkdocs", "serve"]]
    serve = subprocess.run(
        [sys.executable, "-m", "mkdocs", "serve", "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert serve.returncode == 0, serve.stderr


def test_the_api_page_names_every_public_name() -> None:
    page = (ROOT / "docs" / "api.md").read_text()
    section = page[page.index("## Public names") :].split("\n## ")[0]
    named = re.findall(r"^\| `(\w+)` \|", section, flags=re.M)
    assert sorted(named) == sorted(set(pytest_agentcassette.__all__) - {"__version__"})
    for name in named:
        assert getattr(pytest_agentcassette, name) is not None


# -- installing and developing ---------------------------------------------------------------


def test_the_development_commands_are_the_ones_ci_runs() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    block = _example("console", 'pip install -e ".[test]"\n')
    commands = block.splitlines()
    assert commands == ['pip install -e ".[test]"', "pytest"]
    ci_lines = [line.strip() for line in ci.splitlines()]
    for command in commands:
        assert command in ci_lines
    # The README's Development section is its last, and holds that block alone.
    development = README[README.index("\n## Development\n") :]
    assert "\n## " not in development[1:]
    assert re.findall(r"```console\n(.*?)```", development, flags=re.S) == [block]
    assert "CONTRIBUTING.md" in development


def test_the_install_commands_name_this_package_and_its_extra() -> None:
    plain = _lines(_example("console", "pip install pytest-agentcassette\n"))
    extra = _lines(_example("console", 'pip install "pytest-agentcassette[httpx2]"'))
    assert plain == [["pip", "install", "pytest-agentcassette"]]
    assert extra == [["pip", "install", "pytest-agentcassette[httpx2]"]]
    assert metadata("pytest-agentcassette")["Name"] == "pytest-agentcassette"
    assert "httpx2" in (metadata("pytest-agentcassette").get_all("Provides-Extra") or [])
    # The user's install comes before the contributor's.
    assert README.index("pip install pytest-agentcassette") < README.index('pip install -e ".')


def test_the_contributor_commands_are_real() -> None:
    assert _lines(_example("console", "pytest -n 0")) == [["pytest", "-n", "0"]]
    assert find_spec("xdist") is not None  # -n comes from pytest-xdist, a test extra
    ((setting, pytest_, folder),) = _lines(_example("console", "HYPOTHESIS_PROFILE=long"))
    assert (setting, pytest_) == ("HYPOTHESIS_PROFILE=long", "pytest")
    assert (ROOT / folder).is_dir()
    check_profile = "import tests.support.fuzzing, hypothesis as h; print(h.settings().derandomize)"
    profile = subprocess.run(
        [sys.executable, "-c", check_profile],
        cwd=ROOT,
        env={**os.environ, "HYPOTHESIS_PROFILE": "long"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert (profile.returncode, profile.stdout) == (0, "False\n"), profile.stderr  # random seeds

    ((python, dash_m, module),) = _lines(_example("console", "python -m tests.support.record_"))
    assert (python, dash_m) == ("python", "-m")
    assert find_spec(module) is not None

    install, run = _lines(_example("console", 'pip install -e ".[test,benchmarks]"'))
    assert install == ["pip", "install", "-e", ".[test,benchmarks]"]
    extras = metadata("pytest-agentcassette").get_all("Provides-Extra") or []
    assert {"test", "benchmarks"} <= set(extras)
    assert run == ["python", "-m", "benchmarks"]
    help_ = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--help"], cwd=ROOT, capture_output=True, check=False
    )
    assert help_.returncode == 0


# -- the example session ---------------------------------------------------------------------


def test_the_see_it_work_command_replays_the_example_offline_with_no_key(
    monkeypatch: pytest.MonkeyPatch, network_cut: NetworkCut
) -> None:
    block = _example("console", "agentcore exec examples/code-reviewer.yaml --fake")
    ((command, *arguments),) = _lines(block)
    assert command == "agentcore"
    monkeypatch.chdir(ROOT)
    with network_cut:
        run = agentcore_cli(*arguments)  # with an empty environment: no key
    assert (run.status, run.err) == (0, "")
    assert run.out.startswith(
        "\n--- Agent: root ---\nI'll look at the auth package first.\n"
        'Calling list_directory(path: "examples/pkg/auth")\n'
    )
    assert '\nCalling read_file(path: "examples/pkg/auth/handler.go")\n' in run.out
    assert "SQL injection" in run.out
    assert network_cut.attempts == []


def test_the_command_that_records_the_example_from_claude_is_real() -> None:
    ((key, *command),) = _lines(_example("console", "ANTHROPIC_API_KEY=sk-ant-... pytest"))
    assert key.startswith("ANTHROPIC_API_KEY=")
    assert command == ["pytest", "examples", "--record-mode=rewrite"]
    collected = subprocess.run(
        [
            sys.executable,
            "-m",
            *command,
            "--collect-only",
            "-q",
            "-n",
            "0",
            "-p",
            "no:cacheprovider",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert collected.returncode == 0, collected.stdout + collected.stderr
    assert "examples/test_code_review.py::" in collected.stdout


# -- the quick start -------------------------------------------------------------------------


def _record_then_replay(
    pytester: pytest.Pytester,
    provider_server: ProviderServer,
    monkeypatch: pytest.MonkeyPatch,
    example: str,
) -> None:
    """Run the quick start's commands on ``example``: record it once (with a key), then
    replay it with plain ``pytest``, the provider gone and no key."""
    path = example.splitlines()[0].removeprefix("# ")
    (pytester.path / "tests").mkdir(exist_ok=True)
    (pytester.path / path).write_text(example)
    ((*record, written),) = _lines(_example("console", "pytest --record-mode=once "))
    assert (record, written) == (["pytest", "--record-mode=once"], "tests/test_explain.py")
    assert _lines(_example("console", "pytest\n")) == [["pytest"]]

    monkeypatch.setenv("OPENAI_BASE_URL", provider_server.url + "/v1")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-docs-secret")
    pytester.runpytest(*record[1:], path).assert_outcomes(passed=1)
    module = Path(path).stem
    cassette = pytester.path / "tests" / "cassettes" / module / "test_explains_containers.yaml"
    assert cassette.is_file()
    assert "sk-docs-secret" not in cassette.read_text()

    provider_server.stop()
    monkeypatch.delenv("OPENAI_API_KEY")
    pytester.runpytest().assert_outcomes(passed=1)
    assert len(provider_server.requests) == 1


def test_the_quick_start_with_the_openai_sdk_records_once_then_replays_offline(
    pytester: pytest.Pytester, provider_server: ProviderServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    example = _example("python", "# tests/test_explain.py\n")
    assert "from openai import OpenAI" in example
    _record_then_replay(pytester, provider_server, monkeypatch, example)


def test_the_quick_start_with_raw_httpx_records_once_then_replays_offline(
    pytester: pytest.Pytester, provider_server: ProviderServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    example = _example("python", "# tests/test_explain_httpx.py\n")
    _record_then_replay(pytester, provider_server, monkeypatch, example)


# -- failures and diagnostics ----------------------------------------------------------------


def test_the_mismatch_message_is_what_users_see(
    pytester: pytest.Pytester, provider_server: ProviderServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    example = _example("python", "# tests/test_explain.py\n")
    pytester.mkdir("tests")
    test_file = pytester.path / "tests" / "test_explain.py"
    test_file.write_text(example)
    monkeypatch.setenv("OPENAI_BASE_URL", provider_server.url + "/v1")
    pytester.runpytest("--record-mode=once", "tests").assert_outcomes(passed=1)
    test_file.write_text(example.replace('"Explain containers"', '"Explain containers briefly"'))

    result = pytester.runpytest("tests")
    result.assert_outcomes(failed=1)
    shown = _example("text", "No recorded interaction matches POST")
    expected = shown.replace(OPENAI, provider_server.url + "/v1")
    result.stdout.fnmatch_lines(expected.splitlines(), consecutive=True)


_ASKS = """
import httpx
import pytest


@pytest.mark.cassette
def test_explains_containers():
    body = {"model": "gpt-4o", "messages": [{"role": "user", "content": "Explain containers"}]}
    httpx.post("https://api.openai.com/v1/chat/completions", json=body)
"""


def _offline_test(pytester: pytest.Pytester, cassette: str) -> Path:
    """tests/test_explain.py, which asks once, with ``cassette`` as its cassette; nothing
    can leave the machine."""
    pytester.makeconftest(STAND_IN_CONFTEST)
    pytester.mkdir("tests")
    (pytester.path / "tests" / "test_explain.py").write_text(_ASKS)
    path = pytester.path / "tests" / "cassettes" / "test_explain" / "test_explains_containers.yaml"
    path.parent.mkdir(parents=True)
    path.write_text(cassette)
    return path


def _assert_shows(result: pytest.RunResult, shown: str) -> None:
    lines = shown.splitlines()
    start = result.outlines.index(lines[0])
    assert result.outlines[start : start + len(lines)] == lines


def test_the_unused_interactions_message_is_what_users_see(pytester: pytest.Pytester) -> None:
    asked = '{"model": "gpt-4o", "messages": [{"role": "user", "content": "%s"}]}'
    cassette = "version: 2\ninteractions:\n" + "".join(
        f"- request:\n    method: POST\n    url: {OPENAI}/chat/completions\n"
        f"    body: {{json: '{asked % prompt}'}}\n  response: {{code: 200, body: '{{}}'}}\n"
        for prompt in ("Explain containers", "Explain containers in one sentence")
    )
    _offline_test(pytester, cassette)
    result = pytester.runpytest()
    result.assert_outcomes(passed=1, errors=1)
    _assert_shows(result, _example("text", "1 recorded interaction was never played"))


def test_the_malformed_cassette_message_is_what_users_see(pytester: pytest.Pytester) -> None:
    cassette = (
        f"version: 2\ninteractions:\n- id: 0\n  request:\n    method: POST\n"
        f"    url: {OPENAI}/chat/completions\n  response:\n    code: two hundred\n"
    )
    path = _offline_test(pytester, cassette)
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)
    shown = _example("text", "cassette tests/cassettes/test_explain/test_explains_containers.yaml,")
    _assert_shows(result, shown)
    assert path.read_text() == cassette  # never overwritten


# Every connection is refused, as by a provider that is down (api.openai.com resolves here).
_REFUSING_CONFTEST = """
import socket

real = socket.socket.connect, socket.getaddrinfo


def refuse(sock, address):
    raise ConnectionRefusedError(111, "Connection refused")


def resolve(host, port, *args, **kwargs):
    return real[1]("127.0.0.1", port, *args, **kwargs)


socket.socket.connect, socket.getaddrinfo = refuse, resolve


def pytest_unconfigure(config):
    socket.socket.connect, socket.getaddrinfo = real
"""


def test_the_message_of_a_recording_that_got_no_response_is_what_users_see(
    pytester: pytest.Pytester,
) -> None:
    path = _offline_test(pytester, "")
    path.unlink()
    pytester.makeconftest(_REFUSING_CONFTEST)
    result = pytester.runpytest("--record-mode=once", "-p", "no:recording")
    result.assert_outcomes(failed=1, errors=1)
    _assert_shows(
        result,
        _example("text", "cassette tests/cassettes/test_explain/test_explains_containers.yaml was"),
    )
    assert not path.exists()


def test_a_replayed_transport_error_says_so_as_users_see(pytester: pytest.Pytester) -> None:
    cassette = (
        f"version: 2\ninteractions:\n- request:\n    method: POST\n"
        f"    url: {OPENAI}/chat/completions\n"
        f'    body: {{json: \'{{"model": "gpt-4o", "messages": [{{"role": "user", '
        f'"content": "Explain containers"}}]}}\'}}\n  response:\n    error:\n'
        f"      kind: ConnectError\n      message: '[Errno 111] Connection refused'\n"
    )
    _offline_test(pytester, cassette)
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    (shown,) = _example("text", "httpx.ConnectError: [Errno 111]").splitlines()
    assert f"E           {shown}" in result.outlines


def test_the_network_guard_message_is_what_users_see(pytester: pytest.Pytester) -> None:
    shown = _example("text", "agentcassette stopped a connection")
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
    _assert_shows(result, shown)


def test_a_cassette_recorded_while_its_test_failed_is_listed_as_shown(
    pytester: pytest.Pytester, provider_server: ProviderServer
) -> None:
    url = provider_server.url + "/v1/chat/completions"
    pytester.mkdir("tests")
    (pytester.path / "tests" / "test_review.py").write_text(
        textwrap.dedent(
            f"""
            import httpx
            import pytest


            @pytest.mark.cassette
            def test_reviewer_reads_the_file():
                for prompt in ("Read handler.go", "Now session.go", "Review them"):
                    body = {{"model": "gpt-4o", "messages": [{{"role": "user", "content": prompt}}]}}
                    httpx.post({url!r}, json=body)
                assert False, "the review missed the bug"
            """
        )
    )
    result = pytester.runpytest("--record-mode=once")
    result.assert_outcomes(failed=1)
    _assert_shows(result, _example("text", "recorded while the test failed"))


def test_the_session_summary_reads_as_shown(
    pytester: pytest.Pytester, provider_server: ProviderServer
) -> None:
    shown = _example("text", "-------------------------------")
    url = provider_server.url + "/v1/chat/completions"
    pytester.mkdir("tests")
    (pytester.path / "tests" / "test_review.py").write_text(
        textwrap.dedent(
            f"""
            import httpx
            import pytest


            def ask(prompt):
                body = {{"model": "gpt-4o", "messages": [{{"role": "user", "content": prompt}}]}}
                httpx.post({url!r}, json=body)


            @pytest.mark.cassette
            def test_reviewer_reads_the_readme():
                ask("Read the README")
                ask("Now the LICENSE")


            @pytest.mark.cassette
            def test_reviewer_reads_the_file():
                ask("Read pkg/auth/handler.go")
                ask("Now pkg/auth/session.go")
            """
        )
    )
    pytester.runpytest("--record-mode=once", "-k", "readme").assert_outcomes(passed=1)
    replayed = pytester.path / "tests/cassettes/test_review/test_reviewer_reads_the_readme.yaml"
    # Two long calls: the provider time that replaying saves reads in minutes, as shown.
    replayed.write_text(re.sub(r"duration: \S+", "duration: 31.6s", replayed.read_text()))

    result = pytester.runpytest("--record-mode=once")
    result.assert_outcomes(passed=2)
    first, *rest = shown.splitlines()
    assert re.fullmatch(r"-+ agentcassette -+", first)
    patterns = ["*-- agentcassette --*"] + [re.sub(r"\d[\d,.]*", "*", line) for line in rest]
    result.stdout.fnmatch_lines(patterns, consecutive=True)


def test_the_shared_cassette_example_records_once_and_replays_each_test_alone(
    pytester: pytest.Pytester, provider_server: ProviderServer
) -> None:
    example = _example("python", 'import pytest\n\npytestmark = pytest.mark.cassette("reviewer")')
    shown = _example("text", "cassettes: 1 recorded\nwritten (review and commit):")
    # The provider echoes the prompt: each question is put so that its answer holds what
    # the example's test looks for.
    review = f"""

def review(path, ask="the bug"):
    import httpx

    question = {{"the bug": "find the nil pointer", "a fix": "write if user == nil"}}[ask]
    body = {{"model": "gpt-4o", "messages": [{{"role": "user", "content": f"{{question}} in {{path}}"}}]}}
    answer = httpx.post({provider_server.url + "/v1/chat/completions"!r}, json=body).json()
    return answer["choices"][0]["message"]["content"]
"""
    pytester.mkdir("tests")
    (pytester.path / "tests" / "test_reviewer.py").write_text(example + review)
    recorded = pytester.runpytest("--record-mode=once")
    recorded.assert_outcomes(passed=2)
    recorded.stdout.fnmatch_lines(shown.splitlines(), consecutive=True)
    provider_server.stop()
    pytester.runpytest().assert_outcomes(passed=2)
    pytester.runpytest("-k", "fix").assert_outcomes(passed=1, deselected=1)
    pytester.runpytest("-n", "2").assert_outcomes(passed=2)


def test_the_verify_example_fails_as_shown_when_the_provider_renames_a_field(
    pytester: pytest.Pytester,
) -> None:
    (command,) = _lines(_example("console", "pytest --record-mode=verify"))
    shown = _example("text", "The live API no longer answers as recorded")
    with drifting_provider() as provider:
        pytester.makepyfile(
            test_drift=f"""
import httpx
import pytest


@pytest.mark.cassette
def test_chat():
    body = {{"model": "gpt-4o", "messages": [{{"role": "user", "content": "hello"}}]}}
    httpx.post({provider.url + "/v1/chat/completions"!r}, json=body)
"""
        )
        pytester.runpytest("--record-mode=once").assert_outcomes(passed=1)
        assert pytester.runpytest(*command[1:]).ret == 0
        provider.renamed = True
        result = pytester.runpytest(*command[1:])
    result.assert_outcomes(passed=1, errors=1)
    lines = [line.replace("https://api.openai.com", provider.url) for line in shown.splitlines()]
    result.stdout.fnmatch_lines(lines, consecutive=True)


# -- options ---------------------------------------------------------------------------------


def test_the_marker_lines_do_what_their_comments_say(pytester: pytest.Pytester) -> None:
    default, named, once = _example("python", "@pytest.mark.cassette  ").splitlines()
    assert "# cassettes/<module>/<test name>.yaml" in default
    assert "# cassettes/<module>/code-review.yaml" in named
    assert "# records this one when missing" in once
    pytester.makeconftest(STAND_IN_CONFTEST)
    pytester.makepyfile(
        test_markers=f"""
import pytest
from pathlib import Path

from pytest_agentcassette import RecordMode

HERE = Path(__file__).parent / "cassettes" / "test_markers"


{default}
def test_default(agent_cassette):
    assert agent_cassette.path == HERE / "test_default.yaml"
    assert agent_cassette.record_mode is RecordMode.NONE


{named}
def test_named(agent_cassette):
    assert agent_cassette.path == HERE / "code-review.yaml"


{once}
def test_once(agent_cassette):
    assert agent_cassette.record_mode is RecordMode.ONCE
    assert agent_cassette.is_recording  # the cassette does not exist yet
"""
    )
    pytester.runpytest("--strict-markers").assert_outcomes(passed=3)


def test_the_fixture_example_runs(
    pytester: pytest.Pytester, provider_server: ProviderServer
) -> None:
    example = _example("python", "def test_agent_asks_twice(agent_cassette):")
    agent = f"""
import httpx


def run_my_agent(prompt):
    for _ in range(2):
        body = {{"model": "gpt-4o", "messages": [{{"role": "user", "content": prompt}}]}}
        httpx.post({provider_server.url + "/v1/chat/completions"!r}, json=body)

"""
    pytester.makepyfile(test_agent=agent + example)
    pytester.runpytest("--record-mode=once").assert_outcomes(passed=1)
    provider_server.stop()
    pytester.runpytest().assert_outcomes(passed=1)
    assert len(provider_server.requests) == 2


_ASKS_WITH_VARIABLE_PARTS = """
import datetime
import os

import httpx
import pytest


{decorator}
def test_asks():
    for _ in range(int(os.environ.get("TIMES", "1"))):
        httpx.post(
            os.environ["URL"],
            json={{
                "model": "gpt-4o",
                "metadata": {{"user_id": os.environ["USER_ID"]}},
                "messages": [
                    {{
                        "role": "user",
                        "content": f"Today is {{datetime.date.today() + datetime.timedelta(days=int(os.environ['DAYS']))}}.",
                        "timestamp": os.environ["DAYS"],
                    }}
                ],
            }},
        )
"""


def test_the_config_fixture_example_applies_to_the_tests_in_its_scope(
    pytester: pytest.Pytester, provider_server: ProviderServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    example = _example("python", "# conftest.py\n")
    pytester.makeconftest(example)
    pytester.makepyfile(
        test_asks=_ASKS_WITH_VARIABLE_PARTS.format(decorator="@pytest.mark.cassette")
    )
    monkeypatch.setenv("URL", provider_server.url + "/v1/chat/completions")
    monkeypatch.setenv("DAYS", "0")
    monkeypatch.setenv("USER_ID", "alice")
    monkeypatch.setenv("TIMES", "2")
    pytester.runpytest("--record-mode=once").assert_outcomes(passed=1)
    provider_server.stop()
    # Another user (an ignored pointer), and one request fewer (a warning, not an error).
    monkeypatch.setenv("USER_ID", "bob")
    monkeypatch.setenv("TIMES", "1")
    result = pytester.runpytest("-W", "default")  # as in a project that keeps warnings warnings
    result.assert_outcomes(passed=1, warnings=1)
    result.stdout.fnmatch_lines(["*UnusedInteractionsWarning*"])


def test_the_matching_example_leaves_out_the_volatile_parts(
    pytester: pytest.Pytester, provider_server: ProviderServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    example = _example("python", "@pytest.mark.cassette(\n    ignore_json_pointers=")
    pytester.makepyfile(test_asks=_ASKS_WITH_VARIABLE_PARTS.format(decorator=example.strip()))
    monkeypatch.setenv("URL", provider_server.url + "/v1/chat/completions")
    monkeypatch.setenv("DAYS", "0")
    monkeypatch.setenv("USER_ID", "alice")
    pytester.runpytest("--record-mode=once").assert_outcomes(passed=1)
    provider_server.stop()
    # Another day, another user, another timestamp: the same request as far as matching goes.
    monkeypatch.setenv("DAYS", "400")
    monkeypatch.setenv("USER_ID", "bob")
    pytester.runpytest().assert_outcomes(passed=1)
    assert len(provider_server.requests) == 1


def test_the_ini_example_is_read_as_written(
    pytester: pytest.Pytester, provider_server: ProviderServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    example = _example("ini", "# pytest.ini\n")
    (pytester.path / "pytest.ini").write_text(example)
    pytester.mkdir("tests")
    (pytester.path / "tests" / "test_dated.py").write_text(
        _ASKS_WITH_VARIABLE_PARTS.format(decorator="@pytest.mark.cassette")
    )
    monkeypatch.setenv("URL", provider_server.url + "/v1/chat/completions")
    monkeypatch.setenv("USER_ID", "alice")
    monkeypatch.setenv("DAYS", "0")
    pytester.runpytest("--strict-config", "--record-mode=once").assert_outcomes(passed=1)
    cassette = pytester.path / "tests" / "cassettes" / "test_dated" / "test_asks.yaml"
    assert cassette.is_file()  # in agentcassette_dir, relative to the ini file
    provider_server.stop()
    # Another date in the recorded prompt: the ini file's rule normalizes it away.
    text = cassette.read_text()
    today = re.search(r"Today is (\d{4}-\d{2}-\d{2})", text)
    assert today is not None
    cassette.write_text(text.replace(today[1], "1999-12-31"))
    pytester.runpytest("--strict-config").assert_outcomes(passed=1)
    assert len(provider_server.requests) == 1


def test_the_use_cassette_example_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, provider_server: ProviderServer
) -> None:
    example = _example("python", "from pytest_agentcassette import use_cassette\n")
    monkeypatch.chdir(tmp_path)
    code = example.replace(
        "...  # every", f"__import__('httpx').get({provider_server.url + '/v1/models'!r})  #"
    )
    assert code != example
    printed: list[str] = []
    monkeypatch.setattr("builtins.print", lambda *args: printed.append(" ".join(map(str, args))))
    exec(compile(code, "docs/options.md", "exec"), {})
    assert (tmp_path / "cassettes" / "explain.yaml").is_file()
    assert printed == ["1"]


# -- SDKs and frameworks ---------------------------------------------------------------------


def test_the_sdk_examples_are_valid(pytester: pytest.Pytester) -> None:
    marker_example = _example("python", "@pytest.mark.cassette(replay_retry_after=")
    pytester.makepyfile(
        test_limits="import pytest\n\n" + marker_example.replace("...", "assert agent_cassette")
    )
    cassette = pytester.path / "cassettes" / "test_limits" / "test_survives_rate_limit.yaml"
    cassette.parent.mkdir(parents=True)
    cassette.write_text("version: 2\ninteractions: []\n")
    pytester.runpytest("--strict-markers").assert_outcomes(passed=1)


def test_the_websocket_drift_example_is_what_a_changed_message_prints(tmp_path: Path) -> None:
    from websockets.asyncio.client import connect

    from tests.support.realtime_server import RealtimeServer

    example = _example("text", "No recorded interaction matches session.update ws://")
    server = RealtimeServer().start()
    url = f"ws://127.0.0.1:{server.port}/v1/realtime?model=gpt-realtime"

    async def instruct(instructions: str) -> None:
        async with connect(url) as ws:
            await ws.recv()
            update = {"type": "session.update", "session": {"instructions": instructions}}
            await ws.send(json.dumps(update))
            await ws.recv()

    path = tmp_path / "realtime.yaml"
    with use_cassette(path, record_mode="once"):
        asyncio.run(instruct("Be brief."))
    server.stop()
    with use_cassette(path) as replay, pytest.raises(Exception, match="1011"):
        asyncio.run(instruct("Be verbose."))
    printed = str(replay.mismatches[0]).replace(str(server.port), "8765").splitlines()
    shown = [line for line in example.splitlines() if line.strip() != "..."]
    assert printed[0] == shown[0]
    assert printed[printed.index(shown[1]) : printed.index(shown[1]) + 2] == shown[1:]


def test_the_compatibility_table_names_the_versions_installed() -> None:
    from tests.support.sdk_exchanges import EXCHANGES

    page = (ROOT / "docs" / "sdks.md").read_text()
    table = page[page.index("| library | versions tested") : page.index("## Every client")]
    rows = [line.split("|")[1:3] for line in table.splitlines()[2:] if line.startswith("|")]
    tested = {}
    for library, versions in rows:
        name = re.split(r"[ ,(]", library.strip())[0]
        distribution = "pydantic-ai-slim" if name == "pydantic-ai" else name
        tested[name] = versions.strip()
        # The suite runs on the SDKs' current major versions (test extras pin the major).
        assert version(distribution).split(".")[0] == versions.strip().split(".")[0], name
    assert set(tested) == {
        "openai", "anthropic", "google-genai", "mistralai", "pydantic-ai", "litellm", "botocore",
    }  # fmt: skip
    assert {name.split("-")[0] for name in EXCHANGES} <= {n.split("-")[0] for n in tested}


# -- what the conversation said --------------------------------------------------------------


def test_the_tool_calls_example_runs(
    pytester: pytest.Pytester, provider_server: ProviderServer
) -> None:
    example = _example("python", "def test_reviewer_reads_the_file(agent_cassette):")
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


def test_the_transcript_example_is_what_show_prints() -> None:
    example = _example("console", "$ python -m pytest_agentcassette show cassettes/")
    command, *shown = example.splitlines()
    done = subprocess.run(
        [sys.executable, "-m", *shlex.split(command.removeprefix("$ python -m "))],
        cwd=ROOT / "examples", capture_output=True, text=True, check=True,
    )  # fmt: skip
    printed = done.stdout.splitlines()
    assert printed[: len(shown)] == shown
    assert len(printed) > len(shown)  # the third turn follows, left out of the example


_REVIEW_AGENT = """
import os

import httpx
import pytest

URL = os.environ.get("OPENAI_BASE_URL", "https://api.openai.com/v1") + "/chat/completions"


def run_code_review_agent(prompt):
    messages = [{"role": "user", "content": prompt}]
    for _ in range(3):
        reply = httpx.post(URL, json={"model": "gpt-4o", "messages": messages}).json()
        messages.append(reply["choices"][0]["message"])

"""


def _review_cassette(usages: list[tuple[int, int]]) -> str:
    """The cassette of :data:`_REVIEW_AGENT`'s three turns at OpenAI, each reporting the
    ``(input, output)`` tokens of ``usages``."""
    messages: list[dict[str, str]] = [{"role": "user", "content": "Review pkg/auth/handler.go"}]
    interactions = []
    for turn, (sent, answered) in enumerate(usages):
        reply = {"role": "assistant", "content": f"Step {turn}."}
        usage = {"prompt_tokens": sent, "completion_tokens": answered}
        response = {
            "object": "chat.completion",
            "model": "gpt-4o",
            "choices": [{"index": 0, "message": reply, "finish_reason": "stop"}],
            "usage": {**usage, "total_tokens": sent + answered},
        }
        body = json.dumps({"model": "gpt-4o", "messages": messages})
        interactions.append(
            {
                "request": {
                    "method": "POST",
                    "url": f"{OPENAI}/chat/completions",
                    "body": {"json": body},
                },
                "response": {"code": 200, "body": json.dumps(response)},
            }
        )
        messages = [*messages, reply]
    return yaml.safe_dump({"version": 2, "interactions": interactions}, sort_keys=False)


def test_the_token_budget_example_records_replays_and_fails_as_shown(
    pytester: pytest.Pytester, provider_server: ProviderServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    example = _example("python", "@pytest.mark.cassette(max_tokens=2_000)\n")
    pytester.mkdir("tests")
    (pytester.path / "tests" / "test_review.py").write_text(_REVIEW_AGENT + example)
    monkeypatch.setenv("OPENAI_BASE_URL", provider_server.url + "/v1")
    pytester.runpytest("--record-mode=once", "tests").assert_outcomes(passed=1)  # 120 tokens
    provider_server.stop()
    pytester.runpytest("tests").assert_outcomes(passed=1)

    # The same test, recorded at OpenAI by a costlier agent: the failure shown.
    monkeypatch.delenv("OPENAI_BASE_URL")
    cassette = "tests/cassettes/test_review/test_review_stays_within_budget.yaml"
    (pytester.path / cassette).write_text(_review_cassette([(412, 61), (1088, 23), (1160, 318)]))
    pytester.makeconftest(STAND_IN_CONFTEST)  # nothing leaves the machine
    result = pytester.runpytest("tests")
    result.assert_outcomes(passed=1, errors=1)
    _assert_shows(result, _example("text", "Token budget exceeded: "))


def test_the_token_budget_ini_example_is_a_default_the_marker_overrides(
    pytester: pytest.Pytester, provider_server: ProviderServer
) -> None:
    example = _example("ini", "[pytest]\nagentcassette_max_tokens = ")
    url = provider_server.url + "/v1/chat/completions"
    pytester.makepyfile(
        test_budget=f"""
        import httpx
        import pytest


        def ask():
            body = {{"model": "gpt-4o", "messages": [{{"role": "user", "content": "Hi"}}]}}
            httpx.post({url!r}, json=body)


        def test_default(agent_cassette):
            ask()


        @pytest.mark.cassette(max_tokens=100)
        def test_own_budget():
            ask()
        """
    )
    (pytester.path / "pytest.ini").write_text(example)
    pytester.runpytest("--strict-config", "--record-mode=once").assert_outcomes(passed=2)
    (budget,) = re.findall(r"= (\d+)", example)
    (pytester.path / "pytest.ini").write_text(example.replace(budget, "30"))
    result = pytester.runpytest("--strict-config")  # a replay: 40 tokens each
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(
        [
            "_* ERROR at teardown of test_default _*",
            "Token budget exceeded: 40 tokens used, the budget is 30 (max_tokens)",
        ]
    )


# -- the cassette format ---------------------------------------------------------------------


def test_the_cassette_example_is_what_the_plugin_writes(
    tmp_path: Path, provider_server: ProviderServer
) -> None:
    example = _example("yaml", "version: 2\n")
    path = tmp_path / "example.yaml"
    path.write_text(example)
    with use_cassette(path, unused_interactions="ignore") as cassette:  # read, not replayed
        (interaction,) = cassette.interactions
    assert interaction.request.json()["messages"][0]["content"] == "Explain containers"
    assert interaction.request.headers == [("content-type", "application/json")]
    assert interaction.response.status_code == 200
    assert interaction.response.duration == 0.412
    assert (
        b'event: message_stop\ndata: {"type":"message_stop"}\n\n'
        in interaction.response.body.content
    )
    # It is what the plugin writes, not a hand-made approximation: a save that keeps it
    # (and adds a new interaction) writes it back unchanged.
    with use_cassette(path, record_mode="new_episodes"):
        httpx.get(provider_server.url + "/v1/models")
    saved = path.read_text()
    assert saved.startswith(example)
    added = saved[len(example) :]
    assert added.startswith("- id: 1\n")
    assert "headers" not in added.split("response:")[0]  # a GET sends nothing matching reads


def test_the_websocket_example_replays_and_is_what_the_plugin_writes(
    tmp_path: Path, network_cut: NetworkCut, provider_server: ProviderServer
) -> None:
    from websockets.asyncio.client import connect

    example = _example("yaml", "version: 3\n")
    path = tmp_path / "realtime.yaml"
    path.write_text(example)

    async def realtime() -> list[str]:
        url = "wss://api.openai.com/v1/realtime?model=gpt-realtime"
        async with connect(url, additional_headers={"Authorization": "Bearer sk-test"}) as ws:
            received = [json.loads(await ws.recv())["type"]]
            await ws.send(json.dumps({"type": "response.create"}))
            received += [json.loads(await ws.recv())["type"] for _ in range(2)]
        return received

    with network_cut, use_cassette(path) as cassette:
        received = asyncio.run(realtime())
    assert received == ["session.created", "response.output_text.delta", "response.done"]
    assert cassette.unplayed == []
    assert cassette.conversation.exchanges[1].text == "Containers"
    # What the plugin writes: a save that keeps it (and adds an interaction) keeps it as is.
    with use_cassette(path, record_mode="new_episodes"):
        httpx.get(provider_server.url + "/v1/models")
    saved = path.read_text()
    assert saved.startswith(example)
    assert saved[len(example) :].startswith("- id: 2\n")


def test_the_json_patch_example_builds_the_next_request(tmp_path: Path) -> None:
    fragment = _example("yaml", "    body:\n      base: 6\n")
    messages = [{"role": "user", "content": f"turn {n}"} for n in range(13)]
    first = yaml.safe_dump({"body": {"json": json.dumps({"messages": messages})}}, width=10**6)
    path = tmp_path / "patched.yaml"
    path.write_text(
        "version: 2\ninteractions:\n"
        f"- id: 6\n  request:\n    method: POST\n    url: {OPENAI}/chat/completions\n"
        f"{textwrap.indent(first, '    ')}"
        "  response: {code: 200, body: '{}'}\n"
        f"- id: 7\n  request:\n    method: POST\n    url: {OPENAI}/chat/completions\n"
        f"{fragment}"
        "  response: {code: 200, body: '{}'}\n"
    )
    with use_cassette(path, unused_interactions="ignore") as cassette:  # read, not replayed
        _, patched = cassette.interactions
    assert patched.request.json()["messages"] == [
        *messages,
        {
            "role": "tool",
            "tool_call_id": "call_I1tmAsYKD7bveEpXORJwVFgs",
            "content": "FILE README.md\n",
        },
    ]


def test_the_transport_error_example_replays_as_that_error(
    tmp_path: Path, network_cut: NetworkCut
) -> None:
    example = _example("yaml", "- id: 0\n  request:\n")
    path = tmp_path / "fault.yaml"
    path.write_text("version: 2\ninteractions:\n" + example)
    with network_cut, use_cassette(path), pytest.raises(httpx.RemoteProtocolError) as met:
        httpx.post(f"{OPENAI}/chat/completions")
    assert str(met.value) == (
        f"Server disconnected without sending a response. [agentcassette: replayed from "
        f"{path}, interaction 0, as recorded; if the provider answers now, record it again: "
        f"use record_mode='all']"
    )
    assert network_cut.attempts == []


# -- credentials -----------------------------------------------------------------------------


def _scan(*paths: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest_agentcassette", "scan", *paths],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_scan_command_and_hook_run_as_written(tmp_path: Path) -> None:
    ((*command, folder),) = _lines(_example("console", "python -m pytest_agentcassette scan"))
    assert command == ["python", "-m", "pytest_agentcassette", "scan"]
    hook = yaml.safe_load(_example("yaml", "# .pre-commit-config.yaml\n"))
    (config,) = hook["repos"][0]["hooks"]
    assert re.search(config["files"], "tests/cassettes/x.yaml")  # as pre-commit matches
    assert not re.search(config["files"], "tests/test_secrets.py")
    entry = shlex.split(config["entry"])
    assert entry == command

    (tmp_path / folder).mkdir(parents=True)
    leak = tmp_path / folder / "x.yaml"
    key = "sk-proj-" + "Zx9Qw3Er7Ty1Ui5Op2As8Df4" * 2
    try:
        leak.write_text(f"version: 2\ninteractions: []\nnote: {key}\n")
        found = _scan(f"{folder}/x.yaml", cwd=tmp_path)  # as pre-commit calls it
        assert found.returncode == 1
        assert found.stdout.startswith(f"{folder}/x.yaml:3: OpenAI project key sk-proj-…")
        assert key not in found.stdout
    finally:
        leak.write_text("version: 2\ninteractions: []\n")  # the suite scans what it wrote
    clean = _scan(folder, cwd=tmp_path)
    assert (clean.returncode, clean.stdout) == (0, "no credentials in 1 file (1 cassette)\n")


# -- agentcore -------------------------------------------------------------------------------


def test_the_agentcore_example_runs_as_written_in_replay(
    tmp_path: Path,
    provider_server: ProviderServer,
    network_cut: NetworkCut,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    agent = _example("yaml", "# agent.yaml\n")
    example = _example("python", "import agentcore\n\nwith agentcore.load(")
    project = tmp_path / "project"
    project.mkdir()
    (project / "README.md").write_text("hello\n")
    (project / "agent.yaml").write_text(agent)
    assert agentcore.load_config(project / "agent.yaml").agents  # a valid agent file
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
    cassette.write_text(cassette.read_text().replace(f"{provider_server.url}/v1", OPENAI))
    provider_server.stop()

    monkeypatch.chdir(project)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    printed: list[str] = []
    monkeypatch.setattr("builtins.print", lambda *args: printed.append(" ".join(map(str, args))))
    # The example asks the first question only: the second turn stays unplayed.
    with network_cut, use_cassette(cassette, unused_interactions="ignore") as replay:
        exec(compile(example, "docs/agentcore.md", "exec"), {})
    assert printed == ["There are 2 files."]
    assert len(replay.played) == 2
    assert network_cut.attempts == []


def test_the_agent_test_example_records_then_replays(
    pytester: pytest.Pytester, provider_server: ProviderServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    agent = _example("yaml", "# agent.yaml\n")
    example = _example("python", "@pytest.mark.cassette\ndef test_counts_files(tmp_path):")
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    pytester.makepyfile(test_agent="import agentcore\nimport pytest\n\n\n" + example)
    # Recorded from the scripted server, then filed under OpenAI's real URL.
    (pytester.path / "agent.yaml").write_text(
        agent.replace("model: openai/gpt-4o", "model: main")
        + f"models:\n  main:\n    provider: openai\n    model: gpt-4o\n    base_url: {provider_server.url}/v1\n"
    )
    provider_server.script = [
        Reply(tool=("list_directory", {"path": "."})),
        Reply("There is 1 file."),
    ]
    pytester.runpytest("--record-mode=once").assert_outcomes(passed=1)
    cassette = pytester.path / "cassettes" / "test_agent" / "test_counts_files.yaml"
    cassette.write_text(cassette.read_text().replace(f"{provider_server.url}/v1", OPENAI))
    provider_server.stop()

    (pytester.path / "agent.yaml").write_text(agent)
    pytester.makeconftest(STAND_IN_CONFTEST)
    pytester.runpytest().assert_outcomes(passed=1)
    assert len(provider_server.requests) == 2


# -- the agentcore command line and the workflows --------------------------------------------


def test_the_record_forms_write_the_files_they_name(
    tmp_path: Path, provider_server: ProviderServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    bare, named = _lines(_example("console", "agentcore run my-agent.yaml --record "))
    monkeypatch.chdir(tmp_path)
    agent_file(tmp_path, provider_server, name="my-agent.yaml")
    assert bare == ["agentcore", "run", "my-agent.yaml", "--record", "What is Docker?"]
    run = agentcore_cli(*bare[1:])
    assert run.status == 0, run.err
    assert "You said: What is Docker?" in run.out  # the prompt stayed a prompt
    (recording,) = tmp_path.glob("agentcore-recording-*.yaml")
    assert re.fullmatch(r"agentcore-recording-\d+\.yaml", recording.name)

    assert named[3:] == ["--record", "my-test", "Explain containers"]
    run = agentcore_cli(*named[1:])
    assert run.status == 0, run.err
    assert "You said: Explain containers" in run.out
    assert (tmp_path / "my-test.yaml").is_file()


def test_the_record_once_workflow_records_then_replays_offline(
    tmp_path: Path,
    provider_server: ProviderServer,
    network_cut: NetworkCut,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    record, replay = _lines(_example("console", "agentcore exec code-reviewer.yaml --record "))
    monkeypatch.chdir(tmp_path)
    agent_file(tmp_path, provider_server, name="code-reviewer.yaml")
    provider_server.script = [Reply("No issues found.")]
    recorded = agentcore_cli(*record[1:])
    assert recorded.status == 0, recorded.err
    assert (tmp_path / "code-review.yaml").is_file()
    provider_server.stop()
    with network_cut:
        replayed = agentcore_cli(*replay[1:])
    assert (replayed.status, replayed.out) == (0, recorded.out)
    assert "No issues found." in replayed.out

    workflow = yaml.safe_load(_example("yaml", "# .github/workflows/agents.yml\n"))
    (job,) = workflow["jobs"].values()
    runs = [step["run"] for step in job["steps"] if "run" in step]
    assert runs == [
        "pip install pytest-agentcassette",
        "pytest",
        "python -m pytest_agentcassette scan .",
    ]
    assert "secrets." not in _example("yaml", "# .github/workflows/agents.yml\n")


def test_the_iterate_workflow_replays_each_variant_in_sequence(
    tmp_path: Path, provider_server: ProviderServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    record, loop = _example("console", "agentcore exec agent.yaml --record expensive").splitlines()
    monkeypatch.chdir(tmp_path)
    agent_file(tmp_path, provider_server)
    for variant in (1, 2, 3):
        agents = f"agents:\n  root:\n    model: main\n    instruction: Version {variant}.\n"
        agent_file(tmp_path, provider_server, agents, name=f"agent-v{variant}.yaml")
    provider_server.script = [Reply("Done, in three steps.")]
    recorded = agentcore_cli(*shlex.split(record)[1:])
    assert recorded.status == 0, recorded.err
    provider_server.stop()

    environment = {
        "PATH": f"{SCRIPT.parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
        **NO_NETWORK,
    }
    done = subprocess.run(
        ["bash", "-c", loop],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == recorded.out * 3


def test_the_multi_agent_transcript_is_what_exec_prints(
    tmp_path: Path, provider_server: ProviderServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown = _example("text", "--- Agent: root ---\n")
    monkeypatch.chdir(tmp_path)
    task = {"agent": "weather", "task": "Weather in Paris?", "expected_output": "One sentence."}
    provider_server.script = [
        Reply("Asking the expert.", tool=("transfer_task", task)),
        Reply("Sunny, 21°C."),
        Reply("It is sunny in Paris."),
    ]
    agent = agent_file(tmp_path, provider_server, TEAM)
    run = agentcore_cli("exec", str(agent), "What's the weather in Paris?")
    assert "\n" + shown == run.out + "\n"


def test_the_record_mode_names_are_the_plugin_s() -> None:
    # The docs' record-mode tables name every mode the plugin parses.
    for page in ("README.md", "docs/options.md"):
        text = (ROOT / page).read_text()
        for mode in RecordMode:
            assert f"| `{mode.value}`" in text, (page, mode)
        assert "(alias `rewrite`)" in text


# -- MCP servers -------------------------------------------------------------------------------


def test_the_mcp_example_records_then_replays_with_the_server_gone(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.support.mcp_calc import write_server

    example = _example("python", "import asyncio\nimport sys\n\nimport pytest\nfrom mcp import")
    server = write_server(pytester.path)
    monkeypatch.chdir(pytester.path)
    pytester.makepyfile(test_calc=example)
    pytester.runpytest("--record-mode=once", "-p", "no:recording").assert_outcomes(passed=1)
    cassette = pytester.path / "cassettes" / "test_calc" / "test_adds_with_the_calc_server.yaml"
    entry = _example("yaml", "- id: 2\n  stdio:\n")
    recorded = cassette.read_text()
    assert [line for line in entry.splitlines() if "duration" not in line] == [
        line
        for line in recorded[recorded.index("- id: 2\n") :].splitlines()[: len(entry.splitlines())]
        if "duration" not in line
    ]
    server.unlink()
    pytester.runpytest("-p", "no:recording").assert_outcomes(passed=1)

    changed = example.replace("add(2, 3)", "add(7, 3)")
    pytester.makepyfile(test_calc=changed)
    result = pytester.runpytest("-p", "no:recording")
    result.assert_outcomes(failed=1)
    message = _example("text", "No recorded interaction matches tools/call stdio:python")
    result.stdout.fnmatch_lines(
        [line.strip() and f"*{line.strip()}*" for line in message.splitlines()]
    )


def test_the_report_command_writes_the_page_it_names(
    pytester: pytest.Pytester, provider_server: ProviderServer
) -> None:
    ((pytest_, option),) = _lines(_example("console", "pytest --cassette-report="))
    assert pytest_ == "pytest"
    url = provider_server.url + "/v1/chat/completions"
    body = {"model": "gpt-4o", "messages": [{"role": "user", "content": "Explain containers"}]}
    pytester.makepyfile(
        test_explain=f"import httpx, pytest\n\n\n@pytest.mark.cassette\ndef test_explains():\n"
        f"    httpx.post({url!r}, json={body!r})\n"
    )
    pytester.runpytest("--record-mode=once").assert_outcomes(passed=1)
    result = pytester.runpytest(option)
    result.assert_outcomes(passed=1)
    path = option.removeprefix("--cassette-report=")
    page = (ROOT / "docs" / "report.md").read_text()
    assert f"The run ends with the line `cassette report: {path}`" in page
    result.stdout.fnmatch_lines([f"cassette report: {path}"])
    report = (pytester.path / path).read_text()
    assert "test_explain.py::test_explains" in report
    assert "Explain containers" in report
    assert (ROOT / "docs" / "images" / "report.png").stat().st_size < 300_000


def test_the_orphaned_cassettes_section_is_what_a_renamed_test_leaves(
    pytester: pytest.Pytester, provider_server: ProviderServer
) -> None:
    shown = _example("text", "orphaned cassettes (no test")
    orphan = Path(shown.splitlines()[1].strip())
    url = provider_server.url + "/v1/chat/completions"
    test_file = pytester.path / orphan.parent.parent.parent / f"{orphan.parent.name}.py"
    test_file.parent.mkdir(parents=True, exist_ok=True)
    tests = (
        f"import httpx, pytest\n\n\n@pytest.mark.cassette\ndef {orphan.stem}():\n"
        f"    httpx.post({url!r}, json={{'messages': [{{'role': 'user', 'content': 'Hi'}}]}})\n"
    )
    test_file.write_text(tests)
    pytester.runpytest("--record-mode=once").assert_outcomes(passed=1)
    test_file.write_text(tests.replace(orphan.stem, "test_reviewer_reads_the_docs"))
    result = pytester.runpytest("--record-mode=once")  # the renamed test records anew
    result.assert_outcomes(passed=1)
    assert result.ret == pytest.ExitCode.OK
    _assert_shows(result, shown)

    (pytester.path / "pytest.ini").write_text(
        _example("ini", "[pytest]\nagentcassette_orphaned_cassettes = ")
    )
    failed = pytester.runpytest()
    assert failed.ret == pytest.ExitCode.TESTS_FAILED
    (said,) = [line for line in failed.outlines if line.startswith("the session fails")]
    prose = " ".join((ROOT / "docs" / "failures.md").read_text().split())
    assert f"`{said}`" in prose


# -- docs/migrating.md --------------------------------------------------------------------

_VCRPY_MODELS = """\
interactions:
- request:
    body: null
    headers:
      Accept: ['*/*']
    method: GET
    uri: https://api.example.com/v1/models?limit=2
  response:
    body: {string: '{"data": [{"id": "gpt-4o"}, {"id": "o3"}]}'}
    headers: {Content-Type: [application/json]}
    status: {code: 200, message: OK}
- request: {body: null, headers: {}, method: GET, uri: 'https://api.example.com/v1/usage'}
  response: {body: {string: ''}, headers: {}, status: {code: 204, message: No Content}}
version: 1
"""


def test_a_pytest_recording_suite_passes_after_the_move(pytester: pytest.Pytester) -> None:
    cassettes = pytester.path / "tests" / "cassettes" / "test_models"
    cassettes.mkdir(parents=True)
    (cassettes / "test_lists_models.yaml").write_text(_VCRPY_MODELS)
    (cassettes / "notes.yaml").write_text("owner: the platform team\n")
    (pytester.path / "tests" / "test_models.py").write_text(
        _example("python", "# tests/test_models.py\n")
    )
    unconverted = pytester.runpytest("tests")
    unconverted.assert_outcomes(errors=1)
    command = _example("console", "python -m pytest_agentcassette convert --in-place")
    ((python, dash_m, module, *arguments),) = _lines(command)
    assert (python, dash_m, module) == ("python", "-m", "pytest_agentcassette")
    unconverted.stdout.fnmatch_lines(
        ["*version 1 is vcrpy's format (pytest-recording), which this plugin does not read; "
         f"convert it: {' '.join(_lines(command)[0][:4])} --in-place PATH*"]
    )  # fmt: skip
    shown = _example("console", "$ python -m pytest_agentcassette convert --in-place")
    assert shown.splitlines()[0] == "$ " + command.strip()
    run = subprocess.run(
        [sys.executable, "-m", module, *arguments], cwd=pytester.path, capture_output=True,
        text=True, check=True,
    )  # fmt: skip
    assert run.stdout.splitlines() == shown.splitlines()[1:]
    pytester.runpytest("tests").assert_outcomes(passed=1, errors=1)  # /v1/usage, unplayed
    ini = _example("ini", "[pytest]\nagentcassette_match_on = ")
    assert all(f"  {line}" in shown.splitlines() for line in ini.splitlines()[1:])
    (pytester.path / "pytest.ini").write_text(ini)
    pytester.runpytest("tests").assert_outcomes(passed=1)
