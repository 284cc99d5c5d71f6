"""The pytest layer: hooks, the ``cassette`` marker, the ``agent_cassette`` fixture and the
end-of-session summary. A test's cassette is described by :mod:`._settings` and summed up
by :mod:`._summary`; the engine (:class:`~pytest_agentcassette.Cassette`) is imported only
when a test actually uses a cassette.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

import pytest

from pytest_agentcassette._errors import (
    CassetteError,
    CassetteMismatchError,
    CassetteSecretError,
    SecretRedactedWarning,
    TokenBudgetError,
    TokenBudgetWarning,
    UnusedInteractionsError,
)
from pytest_agentcassette._options import OPTIONS
from pytest_agentcassette.plugin._settings import (
    MARKER,
    add_options,
    check_ini_record_mode,
    marker_help,
    node_for_command,
)
from pytest_agentcassette.plugin._settings import resolve as resolve_settings

if TYPE_CHECKING:
    from pytest_agentcassette._cassette import Cassette
    from pytest_agentcassette._secrets import SecretFinding
    from pytest_agentcassette.plugin._summary import SessionReport

_ACTIVE = pytest.StashKey["Cassette"]()
_CALL_FAILED = pytest.StashKey[bool]()
_REPORT = pytest.StashKey["SessionReport"]()


def pytest_addoption(parser: pytest.Parser, pluginmanager: pytest.PytestPluginManager) -> None:
    """Add ``--record-mode``, ``--cassette-dir`` and the ``agentcassette_*`` ini keys."""
    add_options(parser, pluginmanager)


def pytest_configure(config: pytest.Config) -> None:
    """Register the marker; refuse a wrong record mode in the ini file before any test runs."""
    config.addinivalue_line("markers", marker_help())
    try:
        check_ini_record_mode(config)
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
        cassette = Cassette(settings.path, record_command=settings.record_command,
                            **settings.options)  # fmt: skip
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
    try:
        cassette._leave(check=not item.stash.get(_CALL_FAILED, True))
    except CassetteSecretError as error:
        problem, refused = str(error), error.findings
    except (SecretRedactedWarning, TokenBudgetWarning) as warning:  # warnings are errors here
        problem = str(warning)
    except (UnusedInteractionsError, TokenBudgetError) as error:
        problem = str(error)
    _report(item.config).add(cassette, refused)
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


def _call_site(item: pytest.Item, error: CassetteMismatchError) -> str:
    """``sent from: tests/test_x.py:12``: the test function's line that led to the request
    (or, failing that, the innermost line of the test file on the stack).
    """
    test_file = str(item.path)
    function = getattr(item, "originalname", item.name)
    in_file = [frame for frame in error.stack if frame.filename == test_file]
    in_test = [frame for frame in in_file if frame.name == function]
    frames = in_test or in_file
    if not frames:
        return ""
    return f"\n  sent from:   {node_for_command(item).partition('::')[0]}:{frames[-1].lineno}"


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
    text = first.details + _call_site(item, first) + (more if others else "")
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


def pytest_sessionfinish(session: pytest.Session) -> None:
    """On a pytest-xdist worker, hand the session's cassette records to the controller."""
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None and _REPORT in session.config.stash:
        workeroutput["agentcassette"] = session.config.stash[_REPORT].to_wire()


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """On the pytest-xdist controller, add a finished worker's records to the summary."""
    records = getattr(node, "workeroutput", {}).get("agentcassette")
    if records:
        _report(node.config).add_wire(records)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    """Summarize the session's cassettes: what was replayed, recorded, unused, saved."""
    if _REPORT not in config.stash:
        return
    lines = config.stash[_REPORT].lines()
    if lines:
        terminalreporter.write_sep("-", "agentcassette")
        for line in lines:
            terminalreporter.write_line(line)
