"""Reading YAML nodes with their positions: every check raises a :class:`ConfigError` that
names the file, the YAML path and the line, and lists the valid choices.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any, TypeVar

import yaml

from agentcore.errors import ConfigError

__all__ = [
    "Document",
    "check_keys",
    "free_mapping",
    "kind_of",
    "mapping",
    "name_list",
    "scalar",
    "suggest",
    "text",
    "typed",
]

T = TypeVar("T")


class Document:
    """One agent file: its name for messages, and a way to raise located errors."""

    def __init__(self, path: Path):
        self.path = path

    def error(self, node: yaml.Node | None, where: str, message: str) -> ConfigError:
        """A :class:`ConfigError` for ``node`` (its line) at YAML path ``where``."""
        line = node.start_mark.line + 1 if node is not None else None
        place = f", line {line}" if line else ""
        at = f" (at {where})" if where else ""
        return ConfigError(
            f"{self.path}{place}{at}: {message}", path=str(self.path), where=where, line=line
        )


def suggest(word: str, choices: tuple[str, ...] | list[str]) -> str:
    """`` Did you mean 'x'?`` for the closest choice, or nothing."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" Did you mean {close[0]!r}?" if close else ""


def scalar(node: yaml.Node) -> Any:
    """The Python value of a node, as the safe loader builds it."""
    return yaml.constructor.SafeConstructor().construct_object(node, deep=True)


def mapping(doc: Document, node: yaml.Node, where: str) -> list[tuple[str, yaml.Node, yaml.Node]]:
    """``(name, key node, value node)`` of a mapping node, in file order."""
    if not isinstance(node, yaml.MappingNode):
        raise doc.error(node, where, f"expected a mapping, got {kind_of(node)}")
    entries: list[tuple[str, yaml.Node, yaml.Node]] = []
    for key, value in node.value:
        if not isinstance(key, yaml.ScalarNode):
            raise doc.error(key, where, "keys must be plain names")
        entries.append((str(key.value), key, value))
    return entries


def kind_of(node: yaml.Node) -> str:
    """What a node holds, for messages: ``a mapping``, ``str 'x'``..."""
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    value = scalar(node)
    return "nothing" if value is None else f"{type(value).__name__} {value!r}"


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
    value = scalar(node) if isinstance(node, yaml.ScalarNode) else None
    ok = isinstance(value, kind) and not (kind is not bool and isinstance(value, bool))
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)  # type: ignore[return-value]
    if not ok:
        raise doc.error(node, where, f"expected {what}, got {kind_of(node)}")
    return value  # type: ignore[return-value]


def text(doc: Document, node: yaml.Node, where: str) -> str:
    """A string (numbers are taken as written: ``version: 2``, ``model: 4o``)."""
    value = scalar(node) if isinstance(node, yaml.ScalarNode) else None
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
    value = scalar(node)
    return dict(value) if isinstance(value, dict) else {}
