"""A test's cassette as pytest describes it: the file, the options and the command that
records it, from the ini file, the ``agent_cassette_config`` fixture and the ``cassette``
markers (module, then class, then function), closest winning; an explicit ``--record-mode``
on the command line wins over all of them, so that the command a failure prints always
does what it says.

Only :mod:`.errors` and :mod:`.record_mode` are imported up front, so that loading the
plugin in a session that uses no cassette imports nothing heavy.
"""

from __future__ import annotations

import itertools
import os
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from .errors import CassetteError
from .record_mode import RECORD_MODE_CHOICES, RecordMode

if TYPE_CHECKING:
    from .options import CassetteOptions

MARKER = "cassette"
MARKER_HELP = (
    "cassette(name=None, *, record_mode=None, match_on=None, allow_playback_repeats=None, "
    "unused_interactions=None, ignore_headers=(), ignore_json_pointers=(), normalize_text=(), "
    "redact_headers=(), redact_query_parameters=(), allowed_hosts=(), "
    "replay_retry_after=None, secrets=None): run the test inside a YAML cassette that "
    "records and replays its httpx/httpx2 traffic (default file: cassettes/<test module>/"
    "<test name>.yaml next to the test)."
)
_INI: list[tuple[str, str, str]] = [
    ("agentcassette_dir", "string", "folder for cassettes, relative to the ini file."),
    ("agentcassette_record_mode", "string", f"record mode: {', '.join(RECORD_MODE_CHOICES)}."),
    ("agentcassette_match_on", "args", "what requests must share: method url body headers, "
     "or sequential."),
    ("agentcassette_allow_playback_repeats", "bool", "let interactions replay more than once."),
    ("agentcassette_unused_interactions", "string", "fail (default) or warn when a replay "
     "leaves recorded interactions unused."),
    ("agentcassette_ignore_headers", "linelist", "more headers never compared (globs)."),
    ("agentcassette_ignore_json_pointers", "linelist", "body fields never compared, e.g. "
     "/metadata/user_id."),
    ("agentcassette_normalize_text", "linelist", "'regex => replacement' rules applied to "
     "body text before comparing."),
    ("agentcassette_redact_headers", "linelist", "more headers whose values never reach a "
     "cassette."),
    ("agentcassette_redact_query_parameters", "linelist", "more query parameters whose values "
     "never reach a cassette."),
    ("agentcassette_allowed_hosts", "linelist", "hosts (globs) that code outside httpx may "
     "reach while a cassette replays; this machine always may."),
    ("agentcassette_replay_retry_after", "string", "seconds put in retry-after of replayed "
     "429/5xx responses, so that SDK retries do not wait (default: as recorded)."),
    ("agentcassette_secrets", "string", "redact (default) or refuse: what to do with "
     "credentials found in what a cassette would hold."),
]  # fmt: skip


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
    """``--record-mode``, ``--cassette-dir`` and the ``agentcassette_*`` ini keys."""
    group = parser.getgroup("agentcassette", "record and replay LLM traffic (agentcassette)")
    if not _pytest_recording_defines_record_mode(pluginmanager):
        group.addoption(
            "--record-mode",
            choices=RECORD_MODE_CHOICES,
            default=None,
            help="none (default): replay only, a request with no recorded match fails the "
            "test; once: record cassettes that do not exist yet; new_episodes: record what "
            "is not in the cassette yet; all/rewrite: re-record every cassette from scratch.",
        )
    group.addoption(
        "--cassette-dir",
        default=None,
        metavar="DIR",
        help="folder for cassettes, instead of a 'cassettes' folder next to each test file "
        "(cassettes go to DIR/<test module>/<test name>.yaml).",
    )
    for name, kind, help_text in _INI:
        parser.addini(name, help_text, type=kind)  # type: ignore[arg-type]


def _ini_source(config: pytest.Config, key: str = "") -> str:
    where = f" in {config.inipath}" if config.inipath else ""
    return f"ini option {key}{where}" if key else f"ini options agentcassette_*{where}"


def check_ini_record_mode(config: pytest.Config) -> None:
    """Refuse a wrong ini record mode before any test runs (it is cheap to check)."""
    text = str(config.getini("agentcassette_record_mode") or "").strip()
    if text:
        RecordMode.parse(text, source=_ini_source(config, "agentcassette_record_mode"))


def _ini_options(config: pytest.Config) -> CassetteOptions:
    from .options import CassetteOptions

    values: dict[str, Any] = {}
    for name, _, _ in _INI[1:]:
        value = config.getini(name)
        if value:
            values[name.removeprefix("agentcassette_")] = value
    for key in ("record_mode", "secrets"):
        if isinstance(values.get(key), str):
            values[key] = values[key].strip()
    rules = []
    for line in values.pop("normalize_text", []):
        pattern, arrow, replacement = line.rpartition(" => ")
        if not arrow:
            raise CassetteError(
                f"{_ini_source(config, 'agentcassette_normalize_text')}: {line!r} should read "
                f"'regex => replacement'"
            )
        rules.append((pattern, replacement))
    if rules:
        values["normalize_text"] = rules
    return CassetteOptions.from_mapping(values, source=_ini_source(config))


def _marker_options(item: pytest.Item) -> tuple[str | None, CassetteOptions]:
    """The cassette name and options from every ``cassette`` marker, closest last."""
    from .options import OPTION_NAMES, CassetteOptions

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
        given = mark.args[0] if mark.args else kwargs.pop("name", None)
        kwargs.pop("name", None)
        if given is not None:
            if not isinstance(given, str) or not given.strip():
                raise CassetteError(f"{source}: name must be a non-empty string, got {given!r}")
            name = given
        options = options.merged(
            CassetteOptions.from_mapping(kwargs, source=source, allowed=("name", *OPTION_NAMES))
        )
    return name, options


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
    """Everything needed to open a test's cassette."""

    path: Path
    options: CassetteOptions
    record_command: str

    __test__ = False  # not a test class, whatever its name


def resolve(item: pytest.Item, fixture_config: Mapping[str, Any]) -> TestCassette:
    """The cassette of ``item``; raises :class:`CassetteError` for a wrong option."""
    from .locations import cassette_path
    from .options import CassetteOptions

    name, marker_options = _marker_options(item)
    cli_mode = item.config.getoption("--record-mode", default=None)
    fixture_options = CassetteOptions.from_mapping(
        fixture_config, source="the agent_cassette_config fixture"
    )
    cli_options = CassetteOptions(record_mode=RecordMode.parse(cli_mode) if cli_mode else None)
    options = (
        _ini_options(item.config).merged(fixture_options).merged(marker_options).merged(cli_options)
    )
    module = item.path.stem
    if name is not None:
        path = cassette_path(_base_dir(item), module, name, explicit=True)
    else:
        cls = getattr(item, "cls", None)
        test_name = (f"{cls.__name__}." if cls is not None else "") + item.name
        path = cassette_path(_base_dir(item), module, test_name, explicit=False)
    command = f"pytest --record-mode={{mode}} {shlex.quote(node_for_command(item))}"
    return TestCassette(path, options, command)
