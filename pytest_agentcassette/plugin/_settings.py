"""A test's cassette as pytest describes it: the file, the options and the command that
records it, from the ini file, the ``agent_cassette_config`` fixture and the ``cassette``
markers (module, then class, then function), closest winning; an explicit ``--record-mode``
on the command line wins over all of them, so that the command a failure prints always
does what it says. The options themselves, their ini keys and the marker's help come from
their one declaration (:mod:`pytest_agentcassette._options`).
"""

from __future__ import annotations

import itertools
import os
import shlex
from collections.abc import Mapping
from importlib.util import find_spec
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from pytest_agentcassette._errors import CassetteError
from pytest_agentcassette._options import (
    INI_PREFIX,
    OPTIONS,
    SESSION_OPTIONS,
    check_options,
    merge_options,
)
from pytest_agentcassette._record_mode import RECORD_MODE_CHOICES, RecordMode
from pytest_agentcassette.plugin._paths import cassette_path

__all__ = [
    "MARKER",
    "CassetteSettings",
    "add_options",
    "allow_every_record_mode",
    "cassette_file",
    "check_ini_record_mode",
    "marker_help",
    "module_folder",
    "node_for_command",
    "resolve",
    "session_option",
    "uses_a_cassette",
]

MARKER = "cassette"
DIR_INI_KEY = INI_PREFIX + "dir"
# Worked out once per session: the ini file's options, the folder of each folder of test
# modules' cassettes, each test module's path as the user types it.
_INI_OPTIONS = pytest.StashKey[dict[str, Any]]()
_BASE_DIRS = pytest.StashKey[dict[Path, Path]]()
_TYPED_FILES = pytest.StashKey[dict[Path, str]]()


def marker_help() -> str:
    """The ``cassette`` marker as ``pytest --markers`` shows it: every option keyword."""
    keywords = ", ".join(
        f"{name}={'()' if option.adds_up else 'None'}" for name, option in OPTIONS.items()
    )
    return (
        f"{MARKER}(name=None, *, {keywords}): run the test inside a YAML cassette that "
        f"records and replays its traffic (default file: cassettes/<test "
        f"module>/<test name>.yaml next to the test)."
    )


def _pytest_recording_defines_record_mode(pluginmanager: pytest.PytestPluginManager) -> bool:
    """pytest-recording (vcrpy) defines ``--record-mode`` too, with the same modes: when it
    is loaded (or about to be), its option serves both plugins (pytest refuses a second
    definition, and which plugin registers first is not up to either).
    """
    if find_spec("pytest_recording") is None or pluginmanager.is_blocked("recording"):
        return False
    if pluginmanager.has_plugin("recording") or pluginmanager.has_plugin("pytest_recording.plugin"):
        return True
    config = pluginmanager.get_plugin("pytestconfig")
    known = getattr(config, "known_args_namespace", None)
    if os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD") or getattr(
        known, "disable_plugin_autoload", False
    ):
        # Only what -p names is loaded: pytest-recording, if asked for, comes later.
        args = [str(a) for a in getattr(getattr(config, "invocation_params", None), "args", ())]
        named = {a.removeprefix("-p").strip() for a in args if a.startswith("-p") and a != "-p"}
        named |= {b for a, b in itertools.pairwise(args) if a == "-p"}
        return bool(named & {"recording", "pytest_recording.plugin", "pytest_recording"})
    return True


def allow_every_record_mode(parser: pytest.Parser) -> None:
    """Let pytest-recording's ``--record-mode``, when it serves both plugins, take the modes
    only this plugin has (``update``); call it once every plugin has added its options.
    """
    for group in getattr(parser, "_groups", []):
        for argument in getattr(group, "options", []):
            action: Any = getattr(argument, "_action", None)
            choices = getattr(action, "choices", None)
            if "--record-mode" in argument.names() and choices is not None:
                action.choices = [*choices, *(m for m in RECORD_MODE_CHOICES if m not in choices)]


def add_options(parser: pytest.Parser, pluginmanager: pytest.PytestPluginManager) -> None:
    """``--record-mode``, ``--cassette-dir``, ``--cassette-report`` and the ``agentcassette_*``
    ini keys.
    """
    group = parser.getgroup("agentcassette", "record and replay LLM traffic (agentcassette)")
    if not _pytest_recording_defines_record_mode(pluginmanager):
        group.addoption(
            "--record-mode",
            choices=RECORD_MODE_CHOICES,
            default=None,
            help=OPTIONS["record_mode"].help,
        )
    group.addoption(
        "--cassette-dir",
        default=None,
        metavar="DIR",
        help="folder for cassettes, instead of a 'cassettes' folder next to each test file "
        "(cassettes go to DIR/<test module>/<test name>.yaml).",
    )
    group.addoption(
        "--cassette-report",
        default=None,
        metavar="PATH",
        help="write one self-contained HTML page of the run's cassettes to PATH: each test's "
        "conversation, tool calls, delegations, tokens, and the drift a failed replay met.",
    )
    for option in SESSION_OPTIONS.values():
        group.addoption(f"--{option.name.replace('_', '-')}", default=None, help=option.help)
    parser.addini(DIR_INI_KEY, "folder for cassettes, relative to the ini file.")
    for option in (*OPTIONS.values(), *SESSION_OPTIONS.values()):
        parser.addini(option.ini_key, option.help, type=option.ini)


def _ini_source(config: pytest.Config, key: str = "") -> str:
    where = f" in {config.inipath}" if config.inipath else ""
    return f"ini option {key}{where}" if key else f"ini options agentcassette_*{where}"


def session_option(config: pytest.Config, name: str) -> Any:
    """A session-wide option, checked: its command-line flag, else its ini key, else the
    default; raises :class:`CassetteError` for a wrong value, naming where it was set.
    """
    option = SESSION_OPTIONS[name]
    flag = f"--{name.replace('_', '-')}"
    given = config.getoption(flag, default=None)
    if given is not None:
        return option.check(given, flag, "the command line")
    text = str(config.getini(option.ini_key) or "").strip()
    if text:
        return option.check(text, option.ini_key, _ini_source(config))
    return option.default


def check_ini_record_mode(config: pytest.Config) -> None:
    """Refuse a wrong ini record mode before any test runs (it is cheap to check)."""
    key = OPTIONS["record_mode"].ini_key
    text = str(config.getini(key) or "").strip()
    if text:
        RecordMode.parse(text, source=_ini_source(config, key))


def _ini_options(config: pytest.Config) -> dict[str, Any]:
    """The options the ini file sets, checked (once per session: the ini file is read once)."""
    known = config.stash.get(_INI_OPTIONS, None)
    if known is None:
        known = config.stash[_INI_OPTIONS] = _read_ini_options(config)
    return known


def _read_ini_options(config: pytest.Config) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, option in OPTIONS.items():
        value = config.getini(option.ini_key)
        if value:
            values[name] = value
    rules = []
    for line in values.pop("normalize_text", []):
        pattern, arrow, replacement = line.rpartition(" => ")
        if not arrow:
            raise CassetteError(
                f"{_ini_source(config, OPTIONS['normalize_text'].ini_key)}: {line!r} should "
                f"read 'regex => replacement'"
            )
        rules.append((pattern, replacement))
    if rules:
        values["normalize_text"] = rules
    return check_options(values, source=_ini_source(config))


def _marker_name(item: pytest.Item, mark: pytest.Mark) -> str | None:
    """The cassette name one ``cassette`` marker gives, if any."""
    source = f"@pytest.mark.{MARKER}(...) on {item.nodeid}"
    if len(mark.args) > 1 or (mark.args and not isinstance(mark.args[0], str)):
        raise CassetteError(
            f"{source}: takes at most one positional argument, the cassette name "
            f"(a string); got {mark.args!r}"
        )
    given = mark.args[0] if mark.args else mark.kwargs.get("name")
    if given is not None and (not isinstance(given, str) or not given.strip()):
        raise CassetteError(f"{source}: name must be a non-empty string, got {given!r}")
    return given


def _marker_options(item: pytest.Item) -> dict[str, Any]:
    """The options from every ``cassette`` marker, closest last."""
    options: dict[str, Any] = {}
    for mark in reversed(list(item.iter_markers(MARKER))):
        source = f"@pytest.mark.{MARKER}(...) on {item.nodeid}"
        kwargs = {key: value for key, value in mark.kwargs.items() if key != "name"}
        options = merge_options(options, check_options(kwargs, source=source, allowed=["name"]))
    return options


def _given_name(item: pytest.Item) -> str | None:
    """The cassette name the closest marker gives, if one does."""
    names = [_marker_name(item, mark) for mark in item.iter_markers(MARKER)]
    return next((given for given in names if given is not None), None)


def cassette_file(item: pytest.Item) -> Path:
    """The cassette file of ``item``: the closest marker's name, or the test's own name
    (class and parametrize id included); raises :class:`CassetteError` for a wrong name.
    """
    return _file_named(item, _given_name(item))


def _file_named(item: pytest.Item, name: str | None) -> Path:
    """The cassette file of ``item``, whose closest marker gives ``name`` (or none)."""
    if name is not None:
        return cassette_path(_base_dir(item), item.path.stem, name, explicit=True)
    cls = getattr(item, "cls", None)
    test_name = (f"{cls.__name__}." if cls is not None else "") + item.name
    return cassette_path(_base_dir(item), item.path.stem, test_name, explicit=False)


def uses_a_cassette(item: pytest.Item) -> bool:
    """Whether ``item`` carries the marker or asks for the ``agent_cassette`` fixture."""
    fixtures = getattr(item, "fixturenames", ())
    return item.get_closest_marker(MARKER) is not None or "agent_cassette" in fixtures


def module_folder(item: pytest.Item) -> Path:
    """The folder of the cassettes of ``item``'s module: ``<dir>/<test module>``."""
    return _base_dir(item) / item.path.stem


def _base_dir(item: pytest.Item) -> Path:
    """The folder of the cassette folders: ``--cassette-dir``, the ini key's, or
    ``cassettes`` next to the test module (worked out once per folder of test modules).
    """
    config = item.config
    known = config.stash.setdefault(_BASE_DIRS, {})
    base = known.get(item.path.parent)
    if base is None:
        base = known[item.path.parent] = _find_base_dir(config, item.path.parent)
    return base


def _find_base_dir(config: pytest.Config, tests: Path) -> Path:
    cli_dir = config.getoption("--cassette-dir")
    if cli_dir:
        return config.invocation_params.dir / str(cli_dir)
    ini_dir = str(config.getini(DIR_INI_KEY) or "").strip()
    if ini_dir:
        anchor = config.inipath.parent if config.inipath else config.rootpath
        return anchor / ini_dir
    return tests / "cassettes"


def node_for_command(item: pytest.Item) -> str:
    """The test id as the user would type it from the directory pytest was started in."""
    known = item.config.stash.setdefault(_TYPED_FILES, {})
    file_part = known.get(item.path)
    if file_part is None:
        try:
            file_part = str(item.path.relative_to(item.config.invocation_params.dir))
        except ValueError:
            file_part = str(item.path)
        known[item.path] = file_part
    rest = item.nodeid.partition("::")[2]
    return f"{file_part}::{rest}" if rest else file_part


class CassetteSettings(NamedTuple):
    """Everything needed to open a test's cassette: its file, its options (checked, from
    every place that sets them) and the command that records it.
    """

    path: Path
    options: dict[str, Any]
    record_command: str
    test: str | None  # the test id, where the marker names a cassette tests may share


def resolve(item: pytest.Item, fixture_config: Mapping[str, Any]) -> CassetteSettings:
    """The cassette of ``item``; raises :class:`CassetteError` for a wrong option."""
    given = _given_name(item)
    path = _file_named(item, given)
    marker_options = _marker_options(item)
    fixture_options = check_options(fixture_config, source="the agent_cassette_config fixture")
    options = merge_options(_ini_options(item.config), fixture_options)
    options = merge_options(options, marker_options)
    cli_mode = item.config.getoption("--record-mode", default=None)
    if cli_mode:
        options["record_mode"] = RecordMode.parse(cli_mode)
    command = f"pytest --record-mode={{mode}} {shlex.quote(node_for_command(item))}"
    return CassetteSettings(path, options, command, item.nodeid if given is not None else None)
