"""Credentials in YAML files on disk, for CI and pre-commit hooks
(``python -m pytest_agentcassette scan PATH...``).

Every string of every YAML file is searched as the file stores it, so a credential that a
patch-chained request body repeats in every later request is reported once, where it is
written. A cassette's finding names its interaction and field; any other YAML file's names
the key path. Comments, which the YAML tree leaves out, are searched line by line (``# KEY:
sk-...`` in a CI file). Folders are searched for ``*.yaml`` and ``*.yml``, leaving out version
control, caches and virtual environments; a file that is not valid YAML is searched line by
line.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from pytest_agentcassette._located import where_text
from pytest_agentcassette._secrets.patterns import Match, find_credentials, key_values

__all__ = ["FileFinding", "ScanError", "ScanResult", "scan_paths", "yaml_files"]

_SKIPPED_FOLDERS = frozenset(
    {".git", ".hg", ".svn", ".tox", ".nox", ".eggs", ".venv", "node_modules", "__pycache__"}
)
_Where = tuple[str | int, ...]
_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_LINE_BREAKS = re.compile("\r\n|[\r\n\x85\u2028\u2029]")  # YAML's, as its marks count lines


class ScanError(Exception):
    """A path that cannot be scanned (missing, unreadable); the message says which and why."""


@dataclass(frozen=True)
class FileFinding:
    """A credential at ``line`` of ``path``; ``place`` says where in the document it is."""

    path: str
    line: int
    kind: str
    shown: str
    place: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.kind} {self.shown} ({self.place})"


@dataclass
class ScanResult:
    """What a scan found, in how many files, and what it could not read."""

    findings: list[FileFinding] = field(default_factory=list)
    files: int = 0
    cassettes: int = 0
    errors: list[str] = field(default_factory=list)


def _skipped(folder: Path) -> bool:
    name = folder.name
    return (
        name in _SKIPPED_FOLDERS
        or (name.startswith(".") and name.endswith("_cache"))
        or (folder / "pyvenv.cfg").is_file()
    )


def yaml_files(path: Path) -> Iterator[Path]:
    """``path`` itself if it is a file, else the YAML files below it, in a stable order."""
    if not path.is_dir():
        yield path
        return
    for entry in sorted(path.iterdir()):
        if entry.is_dir() and not entry.is_symlink():
            if not _skipped(entry):
                yield from yaml_files(entry)
        elif entry.suffix in (".yaml", ".yml") and entry.is_file():
            yield entry


def _place(where: _Where) -> str:
    if len(where) >= 3 and where[0] == "interactions" and isinstance(where[1], int):
        part, rest = where[2], where[3:]
        if rest[:1] == ("headers",) and len(rest) > 1:
            detail = f"{part} header {rest[1]}"
        elif part == "request" and rest == ("url",):
            detail = "request URL"
        elif rest[:1] == ("body",):
            detail = f"{part} body"
        else:
            detail = " ".join(str(step) for step in (part, *rest))
        return f"interaction {where[1]}, {detail}"
    return f"at {where_text(where) or 'the top'}"


def _line(node: yaml.ScalarNode, data: bytes, match: Match, decoded: bool) -> int:
    """The 1-based line of ``match`` in the file: counted inside a literal block."""
    line: int = node.start_mark.line + 1
    if node.style == "|" and not decoded:
        line += 1 + data[: match.start].count(b"\n")
    return line


def _scalars(root: yaml.Node) -> Iterator[tuple[yaml.ScalarNode, _Where]]:
    """Every scalar once, with its path: an alias repeats a node, it is not searched again
    (a file of nested aliases would otherwise take forever).
    """
    seen: set[int] = set()
    pending: list[tuple[yaml.Node, _Where]] = [(root, ())]
    while pending:
        node, where = pending.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.ScalarNode):
            yield node, where
        elif isinstance(node, yaml.SequenceNode):
            pending += [(item, (*where, n)) for n, item in reversed(list(enumerate(node.value)))]
        elif isinstance(node, yaml.MappingNode):
            for key, value in reversed(node.value):
                step = key.value if isinstance(key, yaml.ScalarNode) else "?"
                pending += [(value, (*where, step)), (key, where)]


def _scan_document(
    root: yaml.Node, shown: str, keys: list[tuple[str, bytes]]
) -> Iterator[FileFinding]:
    for node, where in _scalars(root):
        data = str(node.value).encode("utf-8", "surrogateescape")
        decoded = where[-1:] == ("base64",) and "body" in where
        if decoded:
            with contextlib.suppress(binascii.Error, ValueError):
                data = base64.b64decode(data)
        for match in find_credentials(data, keys):
            line = _line(node, data, match, decoded)
            yield FileFinding(shown, line, match.kind, match.shown, _place(where))


def _comments(raw: bytes, shown: str, keys: list[tuple[str, bytes]]) -> Iterator[FileFinding]:
    """The credentials in the comments of a YAML file. A line's comment is what follows
    its last token (a line inside a multi-line scalar has none); the file is tokenized only
    when a line holds a credential after a ``#``.
    """
    if b"#" not in raw:
        return
    try:
        lines = _LINE_BREAKS.split(raw.decode("utf-8"))
    except UnicodeDecodeError:  # UTF-16: left to the tree search
        return
    candidates = [
        number
        for number, line in enumerate(lines)
        if "#" in line and find_credentials(line[line.index("#") :].encode(), keys)
    ]
    if not candidates:
        return
    free: dict[int, int | None] = dict.fromkeys(candidates, 0)  # where a comment may start
    for token in yaml.scan(raw, Loader=_LOADER):
        start, end = token.start_mark, token.end_mark
        if start.index == end.index:  # a token of no text (the end of a block)
            continue
        lines_spanned = slice(
            bisect_left(candidates, start.line), bisect_right(candidates, end.line)
        )
        for number in candidates[lines_spanned]:
            column = free[number]
            ends_here = number == end.line and column is not None
            free[number] = max(column or 0, end.column) if ends_here else None
    for number in candidates:
        column = free[number]
        rest = "" if column is None else lines[number][column:].lstrip()
        if rest.startswith("#"):
            for match in find_credentials(rest.encode("utf-8", "surrogateescape"), keys):
                yield FileFinding(shown, number + 1, match.kind, match.shown, "comment")


def scan_file(path: Path, shown: str, result: ScanResult) -> None:
    """Add the credentials in one file to ``result``."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        result.errors.append(f"cannot read {shown}: {error.strerror or error}")
        return
    keys = key_values()
    result.files += 1
    try:
        documents = list(yaml.compose_all(raw, Loader=_LOADER))
    except yaml.YAMLError:
        for number, line in enumerate(raw.splitlines(), 1):
            for match in find_credentials(line, keys):
                place = "not valid YAML, read as text"
                result.findings.append(FileFinding(shown, number, match.kind, match.shown, place))
        return
    findings: list[FileFinding] = []
    for root in documents:
        if isinstance(root, yaml.MappingNode) and any(
            isinstance(k, yaml.ScalarNode) and k.value == "interactions" for k, _ in root.value
        ):
            result.cassettes += 1
        findings += _scan_document(root, shown, keys)
    findings += _comments(raw, shown, keys)
    result.findings += sorted(findings, key=lambda finding: finding.line)


def scan_paths(paths: list[str]) -> ScanResult:
    """Scan files and folders (named as the user typed them); raise :class:`ScanError` for
    a path that does not exist.
    """
    for name in paths:
        if not Path(name).exists():
            raise ScanError(f"no such file or folder: {name}")
    result = ScanResult()
    for name in paths:
        for path in yaml_files(Path(name)):
            scan_file(path, str(path), result)
    return result
