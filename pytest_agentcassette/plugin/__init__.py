"""The pytest layer: hooks, the ``cassette`` marker, the ``agent_cassette`` fixture and the
end-of-session summary. A test's cassette is described by :mod:`._settings` and summed up
by :mod:`._summary`; the engine (:class:`~pytest_agentcassette.Cassette`) is imported only
when a test actually uses a cassette.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Generator, Iterator, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import pytest

from pytest_agentcassette.plugin._no_rewrite import stop_rewriting_packages

stop_rewriting_packages()  # before anything else of the package is imported

from pytest_agentcassette._errors import (  # noqa: E402
    CassetteError,
    CassetteSecretError,
    SecretRedactedWarning,
    TokenBudgetError,
    TokenBudgetWarning,
    UnusedInteractionsError,
)
from pytest_agentcassette._options import OPTIONS  # noqa: E402
from pytest_agentcassette.plugin._settings import (  # noqa: E402
    MARKER,
    add_options,
    allow_every_record_mode,
    check_ini_record_mode,
    marker_help,
    session_option,
    uses_a_cassette,
)
from pytest_agentcassette.plugin._settings import resolve as resolve_settings  # noqa: E402

if TYPE_CHECKING:
    from pytest_agentcassette._cassette import Cassette
    from pytest_agentcassette._secrets import SecretFinding
    from pytest_agentcassette.plugin._orphans import CassetteFolders
    from pytest_agentcassette.plugin._summary import SessionReport

_ACTIVE = pytest.StashKey["Cassette"]()
_CALL_FAILED = pytest.StashKey[bool]()
_NOT_RUN = pytest.StashKey[str]()  # skipped or xfailed: what it left unplayed is no concern
_REPORT = pytest.StashKey["SessionReport"]()
_ORPHANS_POLICY = pytest.StashKey[str]()
_DESELECTED = pytest.StashKey[list[pytest.Item]]()
_FOLDERS: pytest.StashKey[CassetteFolders] = pytest.StashKey()
_ORPHANS = pytest.StashKey[list[str]]()  # the summary's lines about orphaned cassettes


_parsers: list[pytest.Parser] = []
_sessions: list[pytest.Session] = []  # more than one: pytester runs a session in a session
_TRANSPORT = "pytest_agentcassette._transport.network_guard"  # imported by a first cassette
_INTERCEPTION = "pytest_agentcassette._transport.interception"  # likewise


def pytest_addoption(parser: pytest.Parser, pluginmanager: pytest.PytestPluginManager) -> None:
    """Add ``--record-mode``, ``--cassette-dir`` and the ``agentcassette_*`` ini keys."""
    add_options(parser, pluginmanager)
    allow_every_record_mode(parser)  # pytest-recording's --record-mode, if it came first
    _parsers[:] = [parser]


def pytest_plugin_registered(plugin: object) -> None:
    """pytest-recording's ``--record-mode``, if it came after this plugin's options, takes
    this plugin's modes too (its options are added by the time it is registered).
    """
    if _parsers and getattr(plugin, "__name__", "").startswith("pytest_recording"):
        allow_every_record_mode(_parsers[0])


def pytest_configure(config: pytest.Config) -> None:
    """Register the marker; refuse a wrong record mode in the ini file before any test runs."""
    config.addinivalue_line("markers", marker_help())
    try:
        check_ini_record_mode(config)
        config.stash[_ORPHANS_POLICY] = session_option(config, "orphaned_cassettes")
    except CassetteError as error:
        raise pytest.UsageError(str(error)) from None
    if config.getoption("cassette_report", None):  # the HTML page of the run
        from pytest_agentcassette.plugin._html_report import register

        register(config, _ACTIVE)


_F = TypeVar("_F", bound=Callable[..., Any])


def _listing_the_options(function: _F) -> _F:
    """Add the options' names to ``function``'s docstring (``pytest --fixtures -v``)."""
    function.__doc__ = (
        f"{function.__doc__}\n\n    Keys are those of the ``{MARKER}`` marker: "
        f"{', '.join(OPTIONS)}."
    )
    return function


@pytest.fixture
@_listing_the_options
def agent_cassette_config() -> dict[str, Any]:
    """Options for the cassettes of the tests in scope; override it in a conftest or module.

    Return a ``CassetteOptions`` dictionary (see the options table of the documentation).
    """
    return {}


def _open(item: pytest.Item, config: dict[str, Any]) -> Cassette:
    """The test's cassette, entered; the test fails with the message of a wrong option."""
    from pytest_agentcassette._cassette import Cassette

    problem = ""
    try:
        settings = resolve_settings(item, config)
        cassette = Cassette(
            settings.path,
            record_command=settings.record_command,
            test=settings.test,
            **settings.options,
        )
        cassette.__enter__()
    except CassetteError as error:
        problem = str(error)
    if problem:
        pytest.fail(problem, pytrace=False)  # outside the except block: no chained copy
    return cassette


def _leave(item: pytest.Item, cassette: Cassette) -> None:
    """Save the cassette; then, if the test's call passed (fixtures that use the cassette
    have sent their last requests by now), check that it played what it recorded and
    stayed within its token budget.
    """
    problem = ""
    refused: list[SecretFinding] = []
    failed = item.stash.get(_CALL_FAILED, True)
    try:
        cassette._leave(check=not failed)
    except CassetteSecretError as error:
        problem, refused = str(error), error.findings
    except (SecretRedactedWarning, TokenBudgetWarning) as warning:  # warnings are errors here
        problem = str(warning)
    except (UnusedInteractionsError, TokenBudgetError) as error:
        problem = str(error)
    except CassetteError as error:  # a recording that got no response: not written
        problem = str(error)
    _report(item.config).add(cassette, refused, item.stash.get(_NOT_RUN, ""), failed)
    if problem:
        pytest.fail(problem, pytrace=False)


@pytest.fixture
def agent_cassette(
    request: pytest.FixtureRequest, agent_cassette_config: dict[str, Any]
) -> Iterator[Cassette]:
    """The :class:`~pytest_agentcassette.Cassette` this test runs in, entered for its duration.

    Every request, WebSocket connection and MCP server of the test is replayed from it or
    recorded into it; its ``conversation`` and ``tool_calls`` show what the model said and
    did.
    """
    item = request.node
    cassette = _open(item, agent_cassette_config)
    item.stash[_ACTIVE] = cassette
    try:
        yield cassette
    finally:
        del item.stash[_ACTIVE]
        _leave(item, cassette)


def _report(config: pytest.Config) -> SessionReport:
    if _REPORT not in config.stash:
        from pytest_agentcassette.plugin._summary import SessionReport

        config.stash[_REPORT] = SessionReport()
    return config.stash[_REPORT]


@pytest.fixture(autouse=True)
def _agent_cassette_marker(request: pytest.FixtureRequest) -> None:
    """Put tests that carry the ``cassette`` marker into their cassette."""
    if request.node.get_closest_marker(MARKER) is not None:
        request.getfixturevalue("agent_cassette")


def _fail_on_mismatch(cassette: Cassette, item: pytest.Item) -> None:
    """Fail with the first miss or stopped connection: its details, where the test sent
    it, and the fix (even if the code caught the error, as SDKs do before retrying).
    """
    if cassette.blocked:
        first_blocked, *others_blocked = cassette.blocked
        more = f"\n  ({len(others_blocked)} more stopped)" if others_blocked else ""
        text = f"{first_blocked.details}{more}\n{first_blocked.advice}"
        raise pytest.fail.Exception(text, pytrace=False) from None
    if not cassette.mismatches:
        return
    first, *others = cassette.mismatches
    more = f"\n  ({len(others)} more unmatched request{'s' if len(others) > 1 else ''})"
    from pytest_agentcassette.plugin._call_site import call_site  # sysconfig: on need only

    text = first.details + call_site(item, first) + (more if others else "")
    raise pytest.fail.Exception(f"{text}\n{first.advice}", pytrace=False) from None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, object, object]:
    """Fail a test whose requests had nothing to replay, even if the code caught the error
    (SDKs wrap transport errors into their own connection errors and retry). Whether the
    call passed decides if unused interactions are checked at teardown.
    """
    cassette = item.stash.get(_ACTIVE, None)
    item.stash[_CALL_FAILED] = True
    try:
        result = yield
    except BaseException as error:
        if cassette is not None:
            _fail_on_mismatch(cassette, item)
            if isinstance(error, CassetteError):  # the message names the file, place and fix
                raise pytest.fail.Exception(str(error), pytrace=False) from None
        raise
    if cassette is not None:
        _fail_on_mismatch(cassette, item)
    item.stash[_CALL_FAILED] = False
    return result


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item) -> Generator[None, Any, Any]:
    """Note a test that was skipped or xfailed: its cassette is reported as such, never for
    what it left unplayed.
    """
    report = yield
    if report.skipped:
        item.stash[_NOT_RUN] = "xfailed" if hasattr(report, "wasxfail") else "skipped"
    return report


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(
    item: pytest.Item, nextitem: pytest.Item | None
) -> Generator[None, object, object]:
    """Between two tests that both use a cassette, leave the clients patched (each test
    would otherwise put the patches back and the next make them again); they go once a
    test is followed by one that uses none, or by none.
    """
    interception = sys.modules.get(_INTERCEPTION)
    if interception is None:  # no cassette yet: nothing to hold
        return (yield)
    keep = nextitem is not None and uses_a_cassette(nextitem)
    if keep:
        interception.hold_patches()
    try:
        return (yield)
    finally:
        if not keep:
            interception.release_patches()


def pytest_deselected(items: Sequence[pytest.Item]) -> None:
    """Note deselected tests (``-k``, ``-m``, ``--lf``): their modules did not run whole."""
    if items:
        items[0].config.stash.setdefault(_DESELECTED, []).extend(items)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Note the cassette folders of the modules collected whole, and the files their tests
    name (on a pytest-xdist worker too: each collects every test).
    """
    config = session.config
    if config.stash.get(_ORPHANS_POLICY, "ignore") != "ignore":
        from pytest_agentcassette.plugin._orphans import collected_folders

        deselected = config.stash.get(_DESELECTED, [])
        config.stash[_FOLDERS] = collected_folders(session.items, deselected, config)


def _find_orphans(session: pytest.Session) -> None:
    """List the orphaned cassettes for the summary; with ``fail``, fail the session."""
    from pytest_agentcassette.plugin._orphans import orphan_lines

    config = session.config
    folders, policy = config.stash.get(_FOLDERS, None), config.stash[_ORPHANS_POLICY]
    finished = session.exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED)
    if folders is None or not finished or config.option.collectonly:
        return
    if _REPORT in config.stash:
        folders.use(use.path for use in config.stash[_REPORT].uses)
    orphans = folders.orphans()
    config.stash[_ORPHANS] = orphan_lines(orphans, policy)
    if orphans and policy == "fail" and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Put the clients' patches back; on a pytest-xdist worker, hand the session's
    cassette records and folders to the controller; elsewhere, look for orphaned cassettes.
    """
    if _INTERCEPTION in sys.modules:  # a run cut short (-x, ^C) may have held them
        sys.modules[_INTERCEPTION].release_patches()
    stash = session.config.stash
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is None:
        _find_orphans(session)
        return
    if _TRANSPORT in sys.modules:
        from pytest_agentcassette.plugin import _lingering

        workeroutput["agentcassette_lingering"] = _lingering.to_wire()
    if _REPORT in stash:
        workeroutput["agentcassette"] = stash[_REPORT].to_wire()
    if _FOLDERS in stash:
        workeroutput["agentcassette_folders"] = stash[_FOLDERS].to_wire()


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """On the pytest-xdist controller, add a finished worker's records to the summary, and
    the cassette folders it collected.
    """
    output = getattr(node, "workeroutput", {})
    if output.get("agentcassette"):
        _report(node.config).add_wire(output["agentcassette"])
    if output.get("agentcassette_lingering"):
        from pytest_agentcassette.plugin import _lingering

        _lingering.from_worker(output["agentcassette_lingering"])
    if output.get("agentcassette_folders"):
        from pytest_agentcassette.plugin._orphans import CassetteFolders

        folders = node.config.stash.setdefault(_FOLDERS, CassetteFolders())
        folders.add_wire(output["agentcassette_folders"])


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    """Summarize the session's cassettes: what was replayed, recorded, unused, saved, and
    the orphaned cassettes.
    """
    orphans: list[str] = config.stash.get(_ORPHANS, [])
    lines = [*(config.stash[_REPORT].lines() if _REPORT in config.stash else []), *orphans]
    if _TRANSPORT in sys.modules:  # telemetry, and connections refused after their test
        from pytest_agentcassette.plugin import _lingering

        lines += _lingering.lines()
    if lines:
        terminalreporter.write_sep("-", "agentcassette")
        for line in lines:
            terminalreporter.write_line(line)


def pytest_sessionstart(session: pytest.Session) -> None:
    """Note the session: one that ends inside another (pytester) leaves the guard off."""
    _sessions.append(session)


def pytest_unconfigure(config: pytest.Config) -> None:
    """The session is over: if a cassette replayed, every connection off the machine is
    refused until the process ends (exit handlers, threads joined at exit), on stderr.
    """
    ending = [session for session in _sessions if session.config is config]
    _sessions[:] = [session for session in _sessions if session.config is not config]
    if ending and _TRANSPORT in sys.modules:
        from pytest_agentcassette.plugin import _lingering

        _lingering.session_over(nested=bool(_sessions))
