"""The pytest layer: options, the ``cassette`` marker, the ``agent_cassette`` fixture, and
the end-of-run report. Everything else lives in the plain engine (:mod:`.cassette`), which
is imported only when a test actually uses a cassette.

Option precedence, broadest to closest: ini file < command line < ``agent_cassette_config``
fixture < ``cassette`` markers (module, then class, then function).
"""

from __future__ import annotations

import shlex
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from .errors import CassetteError, CassetteMismatchError
from .options import OPTION_NAMES, CassetteOptions
from .record_mode import RECORD_MODE_CHOICES, RecordMode

if TYPE_CHECKING:
    from .cassette import Cassette

MARKER = "cassette"
_ACTIVE = pytest.StashKey["Cassette"]()
_WRITTEN = pytest.StashKey[list[tuple[str, int]]]()
_MARKER_HELP = (
    "cassette(name=None, *, record_mode=None, redact_headers=(), redact_query_parameters=()): "
    "run the test inside a YAML cassette that records and replays its httpx/httpx2 traffic "
    "(default file: cassettes/<test module>/<test name>.yaml next to the test)."
)


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add ``--record-mode``, ``--cassette-dir`` and the ``agentcassette_*`` ini keys."""
    group = parser.getgroup("agentcassette", "record and replay LLM traffic (agentcassette)")
    group.addoption(
        "--record-mode",
        choices=RECORD_MODE_CHOICES,
        default=None,
        help="none (default): replay only, a request with no recorded match fails the test; "
        "once: record cassettes that do not exist yet; new_episodes: record what is not in "
        "the cassette yet; all/rewrite: re-record every cassette from scratch.",
    )
    group.addoption(
        "--cassette-dir",
        default=None,
        metavar="DIR",
        help="folder for cassettes, instead of a 'cassettes' folder next to each test file "
        "(cassettes go to DIR/<test module>/<test name>.yaml).",
    )
    parser.addini("agentcassette_dir", "folder for cassettes, relative to the ini file.")
    parser.addini(
        "agentcassette_record_mode", f"default record mode: {', '.join(RECORD_MODE_CHOICES)}."
    )
    parser.addini(
        "agentcassette_redact_headers",
        "more header names whose values never reach a cassette (one per line).",
        type="linelist",
    )
    parser.addini(
        "agentcassette_redact_query_parameters",
        "more query parameters whose values never reach a cassette (one per line).",
        type="linelist",
    )


def _ini_source(config: pytest.Config, key: str) -> str:
    where = f" in {config.inipath}" if config.inipath else ""
    return f"ini option {key}{where}"


def _base_options(config: pytest.Config) -> CassetteOptions:
    mode_text = str(config.getini("agentcassette_record_mode") or "").strip()
    ini_mode = (
        RecordMode.parse(mode_text, source=_ini_source(config, "agentcassette_record_mode"))
        if mode_text
        else None
    )
    cli_mode = config.getoption("--record-mode")
    return CassetteOptions(
        record_mode=RecordMode.parse(cli_mode) if cli_mode else ini_mode,
        redact_headers=tuple(config.getini("agentcassette_redact_headers")),
        redact_query_parameters=tuple(config.getini("agentcassette_redact_query_parameters")),
    )


def pytest_configure(config: pytest.Config) -> None:
    """Register the marker; refuse a wrong record mode in the ini file before any test runs."""
    config.addinivalue_line("markers", _MARKER_HELP)
    config.stash[_WRITTEN] = []
    try:
        _base_options(config)
    except CassetteError as error:
        raise pytest.UsageError(str(error)) from None


def _base_dir(item: pytest.Item) -> Path:
    config = item.config
    cli_dir = config.getoption("--cassette-dir")
    if cli_dir:
        return config.invocation_params.dir / str(cli_dir)
    ini_dir = str(config.getini("agentcassette_dir") or "").strip()
    if ini_dir:
        anchor = config.inipath.parent if config.inipath else config.rootpath
        return anchor / ini_dir
    return item.path.parent / "cassettes"


def _marker_settings(item: pytest.Item) -> tuple[str | None, CassetteOptions]:
    """The cassette name and options from every ``cassette`` marker, closest last."""
    name: str | None = None
    options = CassetteOptions()
    for mark in reversed(list(item.iter_markers(MARKER))):
        source = f"@pytest.mark.{MARKER}(...) on {item.nodeid}"
        if len(mark.args) > 1 or (mark.args and not isinstance(mark.args[0], str)):
            raise CassetteError(
                f"{source}: takes at most one positional argument, the cassette name "
                f"(a string); got {mark.args!r}"
            )
        kwargs = dict(mark.kwargs)
        given = kwargs.pop("name", None) if "name" in kwargs else None
        given = mark.args[0] if mark.args else given
        if given is not None:
            if not isinstance(given, str) or not given.strip():
                raise CassetteError(f"{source}: name must be a non-empty string, got {given!r}")
            name = given
        options = options.merged(
            CassetteOptions.from_mapping(kwargs, source=source, allowed=("name", *OPTION_NAMES))
        )
    return name, options


def _node_for_command(item: pytest.Item) -> str:
    """The test id as the user would type it from the directory pytest was started in."""
    config = item.config
    try:
        file_part = str(item.path.relative_to(config.invocation_params.dir))
    except ValueError:
        file_part = str(item.path)
    rest = item.nodeid.partition("::")[2]
    return f"{file_part}::{rest}" if rest else file_part


def _record_command(item: pytest.Item) -> str:
    return f"pytest --record-mode={{mode}} {shlex.quote(_node_for_command(item))}"


@pytest.fixture
def agent_cassette_config() -> dict[str, Any]:
    """Options for the cassettes of the tests in scope; override it in a conftest or module.

    Keys: ``record_mode``, ``redact_headers``, ``redact_query_parameters``.
    """
    return {}


@pytest.fixture
def agent_cassette(
    request: pytest.FixtureRequest, agent_cassette_config: dict[str, Any]
) -> Iterator[Cassette]:
    """The :class:`~pytest_agentcassette.Cassette` this test runs in, entered for its duration.

    Every httpx/httpx2 request of the test is replayed from it or recorded into it.
    """
    from .cassette import Cassette

    item = request.node
    if not isinstance(item, pytest.Item):  # pragma: no cover - function scope guarantees it
        raise TypeError("agent_cassette is a function-scoped fixture")
    try:
        name, marker_options = _marker_settings(item)
        options = (
            _base_options(item.config)
            .merged(
                CassetteOptions.from_mapping(
                    agent_cassette_config, source="the agent_cassette_config fixture"
                )
            )
            .merged(marker_options)
        )
        cls = getattr(item, "cls", None)
        cls_prefix = f"{cls.__name__}." if cls is not None else ""
        path = _cassette_location(item, name, cls_prefix)
        cassette = Cassette(
            path,
            record_mode=options.record_mode or RecordMode.NONE,
            redact_headers=options.redact_headers,
            redact_query_parameters=options.redact_query_parameters,
            record_command=_record_command(item),
        )
        cassette.__enter__()
    except CassetteError as error:
        problem = str(error)
    else:
        problem = ""
    if problem:
        pytest.fail(problem, pytrace=False)  # outside the except block: no chained copy
    item.stash[_ACTIVE] = cassette
    try:
        yield cassette
    finally:
        del item.stash[_ACTIVE]
        cassette.__exit__(None, None, None)
        if cassette.saved:
            from .cassette_file import display_path

            item.config.stash[_WRITTEN].append(
                (display_path(cassette.path), len(cassette.interactions))
            )


def _cassette_location(item: pytest.Item, name: str | None, cls_prefix: str) -> Path:
    from .locations import cassette_path

    module = item.path.stem
    if name is not None:
        return cassette_path(_base_dir(item), module, name, explicit=True)
    return cassette_path(_base_dir(item), module, cls_prefix + item.name, explicit=False)


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
    return f"\n  sent from:   {_node_for_command(item).partition('::')[0]}:{frames[-1].lineno}"


def _fail_on_mismatch(item: pytest.Item) -> None:
    """Fail with the first miss: its details, where the test sent it, and the fix."""
    cassette = item.stash.get(_ACTIVE, None)
    if cassette is None or not cassette.mismatches:
        return
    first, *others = cassette.mismatches
    more = f"\n  ({len(others)} more unmatched request{'s' if len(others) > 1 else ''})"
    text = first.details + _call_site(item, first) + (more if others else "")
    raise pytest.fail.Exception(f"{text}\n{first.advice}", pytrace=False) from None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, object, object]:
    """Fail a test whose requests had nothing to replay, even if the code caught the error
    (SDKs wrap transport errors into their own connection errors and retry).
    """
    try:
        result = yield
    except BaseException:
        _fail_on_mismatch(item)
        raise
    _fail_on_mismatch(item)
    return result


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    """List the cassettes this run wrote, so that they get reviewed and committed."""
    written = config.stash.get(_WRITTEN, [])
    if not written:
        return
    terminalreporter.write_sep("-", "agentcassette: cassettes written")
    for shown, count in written:
        noun = "interaction" if count == 1 else "interactions"
        terminalreporter.write_line(f"{shown} ({count} {noun})")
