"""The bad-input corpus (``tests/data/bad/``, described by its ``cases.yaml``): each bad
cassette, SSE stream and agent file goes through the entry point a user would run it
through, and the test asserts the lines they read: the file, the place and the fix, raised
as a documented error, never a traceback.
"""

from __future__ import annotations

import json
import os
import re
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import agentcore
import agentcore.errors
import pytest_agentcassette._errors
from agentcore.errors import ConfigError
from pytest_agentcassette import CassetteError, use_cassette
from pytest_agentcassette._format.yaml import dump_yaml
from tests.support.bad_corpus import BAD, MINIMUM, Case, corpus_files, load_cases
from tests.support.cli_runs import agentcore as agentcore_cli

CASES = load_cases()
CREDENTIAL = re.compile(rb"sk-[A-Za-z0-9_-]{16,}|AIza[A-Za-z0-9_-]{30,}|Bearer [A-Za-z0-9._-]{20,}")
URL = "https://api.example.com/v1/chat/completions"
DOCUMENTED = {
    getattr(module, name)
    for module in (pytest_agentcassette._errors, agentcore.errors)
    for name in module.__all__
    if isinstance(getattr(module, name), type)
}
# For sse cases: the agent's model, and the URL agentcore sends its request to.
PROVIDERS = {
    "openai": ("openai/gpt-4o", "https://api.openai.com/v1/chat/completions"),
    "openai-responses": ("openai/gpt-5", "https://api.openai.com/v1/responses"),
    "anthropic": ("anthropic/claude-sonnet-4-0", "https://api.anthropic.com/v1/messages"),
    "google": (
        "google/gemini-2.5-flash",
        "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash"
        ":streamGenerateContent?alt=sse",
    ),
}
INNER_TEST = """
import json

import httpx
import pytest


@pytest.mark.cassette({stem!r})
def test_bad_input():
    for body in {requests!r}:
        httpx.post(
            {url!r},
            content=json.dumps(body, separators=(",", ":")).encode(),
            headers={{"content-type": "application/json"}},
        )
"""


def test_the_corpus_is_large_enough_and_the_manifest_matches_the_files() -> None:
    assert len(CASES) >= MINIMUM, f"the corpus has {len(CASES)} cases; at least {MINIMUM}"
    listed = {name for name, case in CASES.items() if not case.generate}
    assert sorted(corpus_files() - listed) == [], "files in tests/data/bad/ without a case"
    assert sorted(listed - corpus_files()) == [], "cases in cases.yaml without a file"
    assert [name for name, case in CASES.items() if case.generate and case.path.exists()] == []


def test_no_corpus_file_is_huge_or_holds_a_credential() -> None:
    for name in corpus_files():
        data = (BAD / name).read_bytes()
        assert len(data) < 20_000, name
        assert not CREDENTIAL.search(data), f"{name} holds something that looks like a credential"


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The working directory of a case: messages show paths relative to it."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_bad_input_tells_the_user_the_file_the_place_and_the_fix(
    name: str, folder: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    case = CASES[name]
    started = time.perf_counter()
    if case.entry == "pytest":
        shown = _inner_pytest(case, request.getfixturevalue("pytester"), monkeypatch)
    else:
        with _made(case, folder, monkeypatch) as path:
            shown = what_the_user_reads(case, path)
    assert time.perf_counter() - started < case.max_seconds
    missing = [line for line in case.expect if line not in shown]
    assert missing == [], f"{name}: the user read:\n{shown}"
    # An SSE stream reaches the user inside a cassette, named after it.
    held = Path(case.name).with_suffix(".yaml") if case.entry == "sse" else Path(case.name)
    assert held.name in shown, f"{name}: the message does not name the file"
    assert len(shown) < 5_000, f"{name}: the message is {len(shown)} characters long"


def what_the_user_reads(case: Case, path: Path) -> str:
    """The message a user reads for ``case``, whose file is at ``path``; fails the test if
    it comes as anything but a documented error (or, on the command line, exit status 1).
    """
    if case.entry in ("cli", "sse"):
        argv = _sse_argv(case, path) if case.entry == "sse" else _argv(case, path)
        run = agentcore_cli(*argv)
        shown = run.err + run.out
        assert run.status == 1, shown
        assert "Traceback" not in shown
        return shown
    expected: type[Exception] = ConfigError if case.entry == "config" else CassetteError
    with pytest.raises(expected) as caught:
        _open(case, path)
    error = caught.value
    assert type(error) in DOCUMENTED, repr(error)
    return str(error)


def _open(case: Case, path: Path) -> None:
    if case.entry == "config":
        with agentcore.load(path.name):
            return
    with use_cassette(path.name):
        if case.entry == "replay":
            _send(case.requests)


def _argv(case: Case, path: Path) -> list[str]:
    agent = path.parent / "agent.yaml"
    if not agent.exists():
        agent.write_text("agents:\n  root:\n    model: openai/gpt-4o\n    instruction: Work.\n")
    return [word.replace("{file}", path.name) for word in case.argv]


def _sse_argv(case: Case, path: Path) -> list[str]:
    """An agent on the case's provider, and a cassette whose one answer is the stream."""
    model, url = PROVIDERS[case.provider]
    (path.parent / "agent.yaml").write_text(
        f"agents:\n  root:\n    model: {model}\n    instruction: Work.\n"
    )
    cassette = path.with_suffix(".yaml")
    response = {"status": "200 OK", "code": 200, "headers": {"content-type": "text/event-stream"}}
    response["body"] = path.read_bytes().decode("utf-8")
    interaction = {"id": 0, "request": {"method": "POST", "url": url}, "response": response}
    cassette.write_text(dump_yaml({"version": 2, "interactions": [interaction]}))
    return ["exec", "agent.yaml", "--fake", cassette.name, "--match", "sequential", "Hello"]


def _send(requests: tuple[Any, ...]) -> None:
    for body in requests:
        httpx.post(
            URL,
            content=json.dumps(body, separators=(",", ":")).encode(),
            headers={"content-type": "application/json"},
        )


class _made:
    """The case's file copied into ``folder`` (placeholders expanded), or made there."""

    def __init__(self, case: Case, folder: Path, monkeypatch: pytest.MonkeyPatch):
        self.case, self.folder, self.monkeypatch = case, folder, monkeypatch

    def __enter__(self) -> Path:
        case = self.case
        target = self.folder / Path(case.name).name
        if case.generate == "directory":
            target.mkdir()
            return target
        data = case.path.read_bytes() if not case.generate else b"version: 2\ninteractions: []\n"
        for placeholder, size in case.expand.items():
            data = data.replace(placeholder.encode(), b"x" * size)
        target.write_bytes(data)
        if case.generate == "unreadable":
            target.chmod(0)
            if os.geteuid() == 0:  # root reads anything: refuse as the file system would
                _refuse_reading(self.monkeypatch, target)
        return target

    def __exit__(self, *exc_info: object) -> None:
        for path in self.folder.iterdir():
            if path.is_file():
                path.chmod(0o644)


def _refuse_reading(monkeypatch: pytest.MonkeyPatch, target: Path) -> None:
    read_bytes = Path.read_bytes

    def refuse(self: Path) -> bytes:
        if self.resolve() == target.resolve():
            raise PermissionError(13, "Permission denied", str(self))
        return read_bytes(self)

    monkeypatch.setattr(Path, "read_bytes", refuse)


def _inner_pytest(case: Case, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run the case's cassette through ``@pytest.mark.cassette`` in an inner pytest run."""
    folder = pytester.path / "cassettes" / "test_bad"
    folder.mkdir(parents=True)
    with _made(case, folder, monkeypatch):
        stem = Path(case.name).stem
        pytester.makepyfile(
            test_bad=textwrap.dedent(INNER_TEST.format(stem=stem, requests=case.requests, url=URL))
        )
        result = pytester.runpytest("-p", "no:cacheprovider")
    shown = result.stdout.str() + result.stderr.str()
    assert result.ret == pytest.ExitCode.TESTS_FAILED, shown
    assert "Traceback" not in shown
    assert "pytest_agentcassette/" not in shown, "the plugin's own frames are shown"
    return shown


def iter_messages() -> Iterator[tuple[str, str]]:  # pragma: no cover - a tool for writing cases
    """``(name, message)`` for every case that runs outside pytester, to draft expectations."""
    import tempfile

    for name, case in CASES.items():
        if case.entry == "pytest" or case.generate == "unreadable":
            continue
        with tempfile.TemporaryDirectory() as scratch:
            here = os.getcwd()
            os.chdir(scratch)
            patch = pytest.MonkeyPatch()
            try:
                with _made(case, Path(scratch), patch) as path:
                    try:
                        yield name, what_the_user_reads(case, path)
                    except BaseException as error:
                        yield name, f"!! {error!r}"
            finally:
                patch.undo()
                os.chdir(here)
