"""The files ``convert`` is given: each sorted (a vcrpy cassette to convert, one already in
this plugin's format, something else to skip with the reason), converted, and written
without overwriting anything but what ``--in-place`` asks for.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pytest_agentcassette._convert.vcrpy import is_http_entry, read_vcrpy
from pytest_agentcassette._errors import CassetteSecretError
from pytest_agentcassette._format import save_cassette
from pytest_agentcassette._format.fields import READ_VERSIONS
from pytest_agentcassette._format.yaml import YAMLError, line_of, load_yaml, yaml_problem
from pytest_agentcassette._located import LocatedError, where_text
from pytest_agentcassette._secrets import (
    DEFAULT_REDACTED_HEADERS,
    DEFAULT_REDACTED_QUERY_PARAMETERS,
    guard_secrets,
    lowercase_set,
    redact_headers,
    redact_url,
)
from pytest_agentcassette._secrets.scan import yaml_files

__all__ = ["ConvertError", "ConvertReport", "FileResult", "convert_paths"]

Outcome = Literal["converted", "already converted", "skipped", "failed"]
_HEADERS = lowercase_set(DEFAULT_REDACTED_HEADERS)
_QUERY_PARAMETERS = lowercase_set(DEFAULT_REDACTED_QUERY_PARAMETERS)
_LFS = b"version https://git-lfs.github.com/spec/"

MATCHING_ADVICE = (
    "vcrpy matched requests on method and URL only, and let recorded ones go unplayed; to "
    "replay these cassettes as it did, add to the [pytest] section of pytest.ini "
    "(or tox.ini, setup.cfg):\n"
    "  agentcassette_match_on = method url\n"
    "  agentcassette_unused_interactions = ignore"
)
"""What the summary says after converting: the lines that make a converted suite pass."""


class ConvertError(Exception):
    """The command line names something that cannot be converted (exit status 2)."""


@dataclass
class FileResult:
    """What became of one file: its outcome, and why or where it went."""

    path: Path
    outcome: Outcome
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.outcome}: {self.path}{self.detail}"


@dataclass
class ConvertReport:
    """Every file's result, in the order found."""

    results: list[FileResult] = field(default_factory=list)

    def count(self, outcome: Outcome) -> int:
        """How many files had ``outcome``."""
        return sum(result.outcome == outcome for result in self.results)

    def summary(self) -> str:
        """``7 files: 4 converted, 1 already converted, 1 skipped, 1 failed``."""
        total = len(self.results)
        counts = ", ".join(
            f"{self.count(outcome)} {outcome}"
            for outcome in ("converted", "already converted", "skipped", "failed")
        )
        return f"{total} file{'' if total == 1 else 's'}: {counts}"


def convert_paths(paths: list[str], out: Path | None) -> ConvertReport:
    """Convert the vcrpy cassettes among ``paths`` (files, or folders searched for *.yaml
    and *.yml): into ``out`` (relative paths kept), or over the originals when ``out`` is
    ``None``. Raises :class:`ConvertError` for a path that does not exist.
    """
    for name in paths:
        if not Path(name).exists():
            raise ConvertError(f"no such file or folder: {name}")
    found = [(Path(name), path) for name in paths for path in yaml_files(Path(name))]
    report = ConvertReport()
    for given, path in found:
        target = path if out is None else out / _relative(given, path)
        report.results.append(_convert_file(path, target, in_place=out is None))
    return report


def _relative(given: Path, path: Path) -> Path:
    return path.relative_to(given) if given.is_dir() else Path(path.name)


def _convert_file(path: Path, target: Path, *, in_place: bool) -> FileResult:
    try:
        raw = path.read_bytes()
    except OSError as error:
        return FileResult(path, "failed", f": cannot read it ({error.strerror or error})")
    document, left_alone = _classify(path, raw)
    if left_alone is not None:
        return left_alone
    if not in_place and target.exists():
        return FileResult(
            path, "failed", f": {target} exists already and is left alone; remove it or choose "
            "another --out folder"
        )  # fmt: skip
    try:
        converted = read_vcrpy(document["interactions"] or [])
        interactions = converted.interactions
        for interaction in interactions:
            request = interaction.request
            request.headers = redact_headers(request.headers, _HEADERS)
            request.url = redact_url(request.url, _QUERY_PARAMETERS)
        findings = guard_secrets(target, interactions, "redact", warn=False)
        save_cassette(target, interactions)
    except LocatedError as error:
        return FileResult(path, "failed", _located(raw, error))
    except (CassetteSecretError, OSError) as error:
        return FileResult(path, "failed", f": {error}")
    notes = [f"{len(interactions)} interaction{'' if len(interactions) == 1 else 's'}"]
    if findings:
        notes.append(f"{len(findings)} credentials written as REDACTED")
    notes += converted.notes
    where = "" if in_place else f" -> {target}"
    return FileResult(path, "converted", f"{where} ({'; '.join(notes)})")


def _located(raw: bytes, error: LocatedError) -> str:
    line = line_of(raw, error.where)
    place = f", line {line}" if line else ""
    at = f" (at {where_text(error.where)})" if error.where else ""
    return (
        f"{place}{at}: {error.problem}; fix that place by hand and convert again, or record "
        f"the test again with this plugin"
    )


def _classify(path: Path, raw: bytes) -> tuple[Any, FileResult | None]:
    """``(document, None)`` for a vcrpy cassette, else ``(None, the file left alone)``."""
    if not raw.strip():
        return None, FileResult(path, "skipped", ": an empty file")
    if raw.startswith(_LFS):
        return None, FileResult(
            path, "skipped", ": a git-LFS pointer, not the file itself (git lfs pull fetches it)"
        )
    try:
        document = load_yaml(raw)
    except YAMLError as error:
        line, _, problem = yaml_problem(raw, error)
        at = f" (line {line})" if line else ""
        return None, FileResult(path, "skipped", f": not valid YAML{at}: {problem}")
    items = document.get("interactions", ()) if isinstance(document, dict) else ()
    if not isinstance(items, list) and items is not None:
        return None, FileResult(path, "skipped", ": YAML, but not a cassette (no interactions)")
    version = document.get("version", 1)
    if version in READ_VERSIONS and not isinstance(version, bool):
        return None, FileResult(path, "already converted", f" (version {version})")
    if version != 1 or isinstance(version, bool):
        return None, FileResult(path, "skipped", f": a cassette of unknown version {version!r}")
    first = next((item for item in items or () if not is_http_entry(item)), None)
    if first is not None:
        keys = ", ".join(map(str, first)) if isinstance(first, dict) else type(first).__name__
        return None, FileResult(
            path, "skipped", f": not an HTTP cassette (an entry holds {keys}: a WebSocket or "
            "gRPC log?)"
        )  # fmt: skip
    return document, None
