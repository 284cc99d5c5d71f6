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
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import pytest

from pytest_agentcassette._errors import CassetteError
from pytest_agentcassette._options import (
    INI_PREFIX,
    OPTIONS,
    check_options,
    merge_options,
)
from pytest_agentcassette._record_mode import RECORD_MODE_CHOICES, RecordMode
from pytest_agentcassette.plugin._paths import cassette_path

__all__ = [
    "MARKER",
    "TestCassette",
    "add_options",
    "check_ini_record_mode",
    "marker_help",
    "node_for_command",
    "resolve",
]

MARKER = "cassette"
DIR_INI_KEY = INI_PREFIX + "dir"


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
    parser.addini(DIR_INI_KEY, "folder for cassettes, relative to the ini file.")
    for option in OPTIONS.values():
        parser.addini(option.ini_key, option.help, type=option.ini)


def _ini_source(config: pytest.Config, key: str = "") -> str:
    where = f" in {config.inipath}" if config.inipath else ""
    return f"ini option {key}{where}" if key else f"ini options agentcassette_*{where}"


def check_ini_record_mode(config: pytest.Config) -> None:
    """Refuse a wrong ini record mode before any test runs (it is cheap to check)."""
    key = OPTIONS["record_mode"].ini_key
    text = str(config.getini(key) or "").strip()
    if text:
        RecordMode.parse(text, source=_ini_source(config, key))


def _ini_options(config: pytest.Config) -> dict[str, Any]:
    """The options the ini file sets, checked."""
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


def _marker_options(item: pytest.Item) -> tuple[str | None, dict[str, Any]]:
    """The cassette name and options from every ``cassette`` marker, closest last."""
    name: str | None = None
    options: dict[str, Any] = {}
    for mark in reversed(list(item.iter_markers(MARKER))):
        source = f"@pytest.mark.{MARKER}(...) on {item.nodeid}"
        if len(mark.args) > 1 or (mark.args and not isinstance(mark.args[0], str)):
            raise CassetteError(
                f"{source}: takes at most one positional argument, the cassette name "
                f"(a string); got {mark.args!r}"
            )
        kwargs = dict(mark.kwargs)
        given = mark.args[0] if mark.args else kwargs.pop("name", None)
        kwargs.pop("name", None)
        if given is not None:
            if not isinstance(given, str) or not given.strip():
                raise CassetteError(f"{source}: name must be a non-empty string, got {given!r}")
            name = given
        options = merge_options(options, check_options(kwargs, source=source, allowed=["name"]))
    return name, options


def _base_dir(item: pytest.Item) -> Path:
    config = item.config
    cli_dir = config.getoption("--cassette-dir")
    if cli_dir:
        return config.invocation_params.dir / str(cli_dir)
    ini_dir = str(config.getini(DIR_INI_KEY) or "").strip()
    if ini_dir:
        anchor = config.inipath.parent if config.inipath else config.rootpath
        return anchor / ini_dir
    return item.path.parent / "cassettes"


def node_for_command(item: pytest.Item) -> str:
    """The test id as the user would type it from the directory pytest was started in."""
    try:
        file_part = str(item.path.relative_to(item.config.invocation_params.dir))
    except ValueError:
        file_part = str(item.path)
    rest = item.nodeid.partition("::")[2]
    return f"{file_part}::{rest}" if rest else file_part


@dataclass(frozen=True)
class TestCassette:
    """Everything needed to open a test's cassette: its file, its options (checked, from
    every place that sets them) and the command that records it.
    """

    path: Path
    options: dict[str, Any]
    record_command: str

    __test__ = False  # not a test class, whatever its name


def resolve(item: pytest.Item, fixture_config: Mapping[str, Any]) -> TestCassette:
    """The cassette of ``item``; raises :class:`CassetteError` for a wrong option."""
    name, marker_options = _marker_options(item)
    fixture_options = check_options(fixture_config, source="the agent_cassette_config fixture")
    options = merge_options(_ini_options(item.config), fixture_options)
    options = merge_options(options, marker_options)
    cli_mode = item.config.getoption("--record-mode", default=None)
    if cli_mode:
        options["record_mode"] = RecordMode.parse(cli_mode)
    module = item.path.stem
    if name is not None:
        path = cassette_path(_base_dir(item), module, name, explicit=True)
    else:
        cls = getattr(item, "cls", None)
        test_name = (f"{cls.__name__}." if cls is not None else "") + item.name
        path = cassette_path(_base_dir(item), module, test_name, explicit=False)
    command = f"pytest --record-mode={{mode}} {shlex.quote(node_for_command(item))}"
    return TestCassette(path, options, command)
