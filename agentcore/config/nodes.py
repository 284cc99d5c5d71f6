"""Reading YAML nodes with their positions: every check raises a :class:`ConfigError` that
names the file, the YAML path and the line, and lists the valid choices.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Any, TypeVar

import yaml

from agentcore.config.model import Place
from agentcore.errors import ConfigError

__all__ = [
    "Document",
    "check_keys",
    "compose_file",
    "free_mapping",
    "kind_of",
    "mapping",
    "name_list",
    "suggest",
    "text",
    "typed",
]

T = TypeVar("T")


class Document:
    """One agent file: its name for messages, and a way to raise located errors."""

    def __init__(self, path: Path):
        self.path = path

    def place(self, node: yaml.Node | None, where: str) -> Place:
        """Where ``node`` (its line) at YAML path ``where`` is in this file."""
        return Place(self.path, where, node.start_mark.line + 1 if node is not None else None)

    def error(self, node: yaml.Node | None, where: str, message: str) -> ConfigError:
        """A :class:`ConfigError` for ``node`` (its line) at YAML path ``where``."""
        place = self.place(node, where)
        return ConfigError(f"{place}: {message}", path=str(self.path), where=where, line=place.line)


def suggest(word: str, choices: tuple[str, ...] | list[str]) -> str:
    """`` Did you mean 'x'?`` for the closest choice, or nothing."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" Did you mean {close[0]!r}?" if close else ""


class _Constructor(yaml.constructor.SafeConstructor):
    """The safe constructor, except that dates stay text (a description may look like one)."""


def _timestamp_as_text(constructor: _Constructor, node: yaml.Node) -> str:
    return str(node.value)


_Constructor.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_as_text)  # type: ignore[type-var]  # the stubs bind it to BaseConstructor


class BadValue(ValueError):
    """A YAML value that cannot be built (an unknown ``!tag``, ``!!int abc``...)."""


def scalar(node: yaml.Node) -> Any:
    """The Python value of a node; raises :class:`BadValue` if it cannot be built."""
    try:
        return _Constructor().construct_object(node, deep=True)
    except (yaml.YAMLError, ValueError, TypeError) as error:
        problem = getattr(error, "problem", None) or str(error)
        raise BadValue(problem) from None


def mapping(
    doc: Document, node: yaml.Node, where: str, *, merging: tuple[yaml.Node, ...] = ()
) -> list[tuple[str, yaml.Node, yaml.Node]]:
    """``(name, key node, value node)`` of a mapping node, in file order.

    A key given twice is an error (YAML would keep the last one silently); ``<<: *anchor``
    merge keys bring in the entries of the anchored mapping, which explicit keys override
    (``merging``: the mappings whose merge keys led here, to refuse a loop).
    """
    if not isinstance(node, yaml.MappingNode):
        raise doc.error(node, where, f"expected a mapping, got {kind_of(node)}")
    entries: list[tuple[str, yaml.Node, yaml.Node]] = []
    merged: list[tuple[str, yaml.Node, yaml.Node]] = []
    seen: dict[str, yaml.Node] = {}
    for key, value in node.value:
        if not isinstance(key, yaml.ScalarNode):
            raise doc.error(key, where, "keys must be plain names")
        name = str(key.value)
        if key.tag == "tag:yaml.org,2002:merge":
            sources = value.value if isinstance(value, yaml.SequenceNode) else [value]
            for source in sources:
                if any(source is outer for outer in (*merging, node)):
                    raise doc.error(
                        key,
                        where,
                        "this merge key (<<) brings in a mapping that contains it; "
                        "merge another mapping (an anchor defined elsewhere)",
                    )
                merged.extend(mapping(doc, source, where, merging=(*merging, node)))
            continue
        if name in seen:
            at = f"{where}.{name}" if where else name
            first = seen[name].start_mark.line + 1
            raise doc.error(key, at, f"'{name}' is given twice (first on line {first}); keep one")
        seen[name] = key
        entries.append((name, key, value))
    return entries + [entry for entry in merged if entry[0] not in seen]


def kind_of(node: yaml.Node) -> str:
    """What a node holds, for messages: ``a mapping``, ``str 'x'``..."""
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    try:
        value = scalar(node)
    except BadValue:
        return f"{node.tag} {node.value!r}"
    return "nothing" if value is None else f"{type(value).__name__} {value!r}"


def value_of(doc: Document, node: yaml.Node, where: str) -> Any:
    """The node's value, or an error naming the place when it cannot be built."""
    try:
        return scalar(node)
    except BadValue as bad:
        raise doc.error(node, where, f"cannot read this value: {bad}") from None


def check_keys(
    doc: Document,
    entries: list[tuple[str, yaml.Node, yaml.Node]],
    where: str,
    allowed: tuple[str, ...],
    not_supported: tuple[str, ...] = (),
) -> dict[str, yaml.Node]:
    """Refuse unknown and not-yet-supported keys; the value nodes by name."""
    found: dict[str, yaml.Node] = {}
    for name, key_node, value in entries:
        at = f"{where}.{name}" if where else name
        if name in not_supported:
            raise doc.error(
                key_node,
                at,
                f"'{name}' is not supported yet by agentcore (cagent accepts it); remove it to "
                f"run this file here",
            )
        if name not in allowed:
            raise doc.error(
                key_node,
                at,
                f"unknown key '{name}'; valid keys: {', '.join(allowed)}.{suggest(name, allowed)}",
            )
        found[name] = value
    return found


def typed(doc: Document, node: yaml.Node, where: str, kind: type[T], what: str) -> T:
    """The node's scalar value if it is a ``kind`` (an int counts as a float), else an error."""
    value = value_of(doc, node, where) if isinstance(node, yaml.ScalarNode) else None
    ok = isinstance(value, kind) and not (kind is not bool and isinstance(value, bool))
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)  # type: ignore[return-value]
    if not ok:
        raise doc.error(node, where, f"expected {what}, got {kind_of(node)}")
    return value  # type: ignore[return-value]


def text(doc: Document, node: yaml.Node, where: str) -> str:
    """A string (numbers are taken as written: ``version: 2``, ``model: 4o``)."""
    value = value_of(doc, node, where) if isinstance(node, yaml.ScalarNode) else None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(node.value)  # version: 2, model: 4o...
    return typed(doc, node, where, str, "a string")


def name_list(doc: Document, node: yaml.Node, where: str) -> tuple[tuple[str, yaml.Node], ...]:
    """A list of names, each with its node (for messages that point at one of them)."""
    if not isinstance(node, yaml.SequenceNode):
        raise doc.error(node, where, f"expected a list of names, got {kind_of(node)}")
    return tuple((text(doc, item, f"{where}[{i}]"), item) for i, item in enumerate(node.value))


def free_mapping(doc: Document, node: yaml.Node, where: str) -> dict[str, Any]:
    """A mapping whose keys are free (``provider_opts``, ``metadata``)."""
    mapping(doc, node, where)
    value = value_of(doc, node, where)
    return dict(value) if isinstance(value, dict) else {}


_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_NOT_PRINTABLE = re.compile(
    "[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)
_STANDARD_TAGS = frozenset(
    f"tag:yaml.org,2002:{name}"
    for name in ("str", "int", "float", "bool", "null", "map", "seq", "timestamp", "merge")
)


def _column(text: str | bytes, offset: int) -> tuple[int, int]:
    newline = "\n" if isinstance(text, str) else b"\n"
    line = text.count(newline, 0, offset) + 1  # type: ignore[arg-type]
    return line, offset - (text.rfind(newline, 0, offset) + 1) + 1  # type: ignore[arg-type]


def compose_file(doc: Document) -> yaml.Node | None:
    """The agent file's node tree; a :class:`ConfigError` with the line and column for a file
    that is not UTF-8 YAML text, has a syntax error, or uses a tag (``!include``,
    ``!!python/...``): agent files are read with YAML's safe loader, which builds no objects.
    """
    path = doc.path
    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8")
    except OSError as error:
        raise ConfigError(
            f"{path}: cannot read the agent file: {error.strerror}", path=str(path)
        ) from None
    except UnicodeDecodeError as bad:
        line, column = _column(raw, bad.start)
        raise ConfigError(
            f"{path}, line {line}, column {column}: the agent file is not UTF-8 text (byte "
            f"0x{raw[bad.start]:02x}); save it as UTF-8",
            path=str(path),
            line=line,
        ) from None
    found = _NOT_PRINTABLE.search(text)
    if found is not None:
        line, column = _column(text, found.start())
        raise ConfigError(
            f"{path}, line {line}, column {column}: control character "
            f"U+{ord(found.group()):04X} is not allowed in YAML (is this file binary, or UTF-16?)",
            path=str(path),
            line=line,
        )
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        at = mark.line + 1 if mark is not None else None
        problem = getattr(error, "problem", None) or str(error)
        if mark is not None and text[mark.index : mark.index + 1] == "\t":
            problem += " (a tab: YAML indents with spaces)"
        context, began = getattr(error, "context", None), getattr(error, "context_mark", None)
        if context and began is not None and began.line + 1 != at:
            problem += f" ({context} that began on line {began.line + 1})"
        place = f", line {at}, column {mark.column + 1}" if mark is not None else ""
        raise ConfigError(
            f"{path}{place}: not valid YAML: {problem}", path=str(path), line=at
        ) from None
    _refuse_tags(doc, root)
    return root


def _refuse_tags(doc: Document, root: yaml.Node | None) -> None:
    """The first node, in file order, with a tag the safe loader would not build."""
    seen: set[int] = set()
    todo = [(root, "")] if root is not None else []
    while todo:
        node, where = todo.pop()
        if id(node) in seen:  # an alias: checked where its anchor is
            continue
        seen.add(id(node))
        if node.tag not in _STANDARD_TAGS:
            shown = node.tag.replace("tag:yaml.org,2002:", "!!")
            raise doc.error(
                node,
                where,
                f"the tag {shown} is not allowed: agent files are read with YAML's safe loader, "
                f"which builds no objects; remove the tag",
            )
        children: list[tuple[yaml.Node, str]] = []
        if isinstance(node, yaml.SequenceNode):
            children = [(item, f"{where}[{i}]") for i, item in enumerate(node.value)]
        elif isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                name = str(key.value) if isinstance(key, yaml.ScalarNode) else "?"
                at = f"{where}.{name}" if where else name
                children += [(key, at), (value, at)]
        todo.extend(reversed(children))
