from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# Import the engine (and with it yaml, httpx, respx) in this process before any inner
# pytester run: in-process runs drop modules they imported, and libyaml's C extension
# cannot be initialised a second time.
import pytest_agentcassette._cassette  # noqa: F401
from tests.support.corpus import CAGENT_CORPUS
from tests.support.network import NetworkCut
from tests.support.provider_server import ProviderServer


@pytest.fixture
def provider_server() -> Iterator[ProviderServer]:
    """A scripted LLM provider on 127.0.0.1 (random port), stopped after the test."""
    server = ProviderServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """Every process the test starts through anyio (as the MCP SDK starts a stdio server),
    by command line: a replay that starts none proves that the cassette answered."""
    import anyio

    commands: list[list[str]] = []
    real = anyio.open_process

    async def spy(command: Any, **kwargs: Any) -> Any:
        commands.append([str(part) for part in command])
        return await real(command, **kwargs)

    monkeypatch.setattr(anyio, "open_process", spy)
    return commands


@pytest.fixture
def cagent_corpus() -> Path:
    """The sessions cagent recorded against the real provider APIs, read in place."""
    if not (CAGENT_CORPUS / "scenarios.yaml").is_file():
        pytest.skip(
            f"the cagent corpus is not at {CAGENT_CORPUS} (it comes with ../shared; "
            f"set AGENTCASSETTE_SHARED to the shared folder to run these tests)"
        )
    return CAGENT_CORPUS


@pytest.fixture
def network_cut() -> Iterator[NetworkCut]:
    """A context manager that cuts the network (see :class:`NetworkCut`)."""
    cut = NetworkCut()
    try:
        yield cut
    finally:
        cut.__exit__()


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    """After a run of tests/project/test_bad_inputs.py: how many bad inputs, by class (and, with
    -v, each case and the entry point it went through). After any run: what the credential
    scan of the files it wrote found."""
    if _WRITTEN_SCAN in config.stash:
        files, found = config.stash[_WRITTEN_SCAN]
        terminalreporter.write_sep("-", "credential scan of the files this run wrote")
        if found:
            terminalreporter.write_line(f"{len(found)} credentials found (the run fails):")
            for line in found:
                terminalreporter.write_line(f"  {line}")
        else:
            terminalreporter.write_line(f"no credentials in {files} YAML files")
    ran = any(
        getattr(report, "nodeid", "").startswith("tests/project/test_bad_inputs.py::")
        for reports in terminalreporter.stats.values()
        for report in reports
    )
    if not ran:
        return
    from tests.support.bad_corpus import load_cases, summary

    cases = load_cases()
    terminalreporter.write_sep("-", "bad-input corpus")
    terminalreporter.write_line(summary(cases))
    if config.get_verbosity() > 0:
        for name, case in sorted(cases.items(), key=lambda item: (item[1].kind, item[0])):
            terminalreporter.write_line(f"  {case.kind:<12} {case.entry:<6} {name}")


# Tests that write credentials on purpose, to prove that the scan finds them (pytest names
# their temporary folders after the first 30 characters of the test's name).
PLANTED = (
    "test_scan_reports_each_credential_where_it_is_stored",
    "test_scan_reads_an_invalid_yaml_file_line_by_line",
)
_WRITTEN_SCAN = pytest.StashKey[tuple[int, list[str]]]()


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Scan every YAML file the run wrote (cassettes of the tests and of their inner pytest
    runs) for credentials: the proof that no cassette the suite writes holds one."""
    config = session.config
    factory = getattr(config, "_tmp_path_factory", None)
    basetemp = getattr(factory, "_basetemp", None)
    if hasattr(config, "workerinput") or basetemp is None or not basetemp.is_dir():
        return
    from pytest_agentcassette._secrets.scan import scan_paths

    result = scan_paths([str(basetemp)])
    found = [
        str(finding)
        for finding in result.findings
        if not any(f"/{test[:30]}" in finding.path for test in PLANTED)
    ]
    config.stash[_WRITTEN_SCAN] = (result.files, found)
    if found:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
