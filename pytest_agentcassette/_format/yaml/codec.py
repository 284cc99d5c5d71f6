"""YAML reading and writing: safe loading only, libyaml's C classes where available.

Strings with line breaks are written as ``|`` literal blocks, long lines are never folded,
and :class:`FlowSequence` marks values written on one line (a list of chunk sizes).
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from pytest_agentcassette._format.yaml.flow import FlowSequence

__all__ = [
    "FlowSequence",
    "YAMLError",
    "dump_yaml",
    "line_of",
    "load_yaml",
    "yaml_problem",
]

YAMLError = yaml.YAMLError

_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_BaseDumper: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _Loader(_BaseLoader):  # type: ignore[misc,valid-type]
    """The safe loader, minus timestamps: bodies hold JSON, where a date is a string."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
}


class _Dumper(_BaseDumper):  # type: ignore[misc,valid-type]
    pass


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    if "\n" in value:
        # The emitter falls back to a quoted style where a literal block cannot hold the
        # string exactly (trailing spaces, CR, control characters).
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


def _represent_flow_sequence(dumper: yaml.SafeDumper, value: FlowSequence) -> yaml.Node:
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=True)


_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(FlowSequence, _represent_flow_sequence)


_STR = "tag:yaml.org,2002:str"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_PLAIN = "!plain"  # an untagged plain scalar, resolved later (only if it is not a plain word)
_SCALARS = (
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:float",
)


class _Composer(getattr(yaml, "CBaseLoader", yaml.BaseLoader)):  # type: ignore[misc]
    """Builds the node tree only, leaving untagged plain scalars to :class:`_Quick`."""

    def resolve(self, kind: type, value: Any, implicit: tuple[bool, bool]) -> str:
        if kind is yaml.ScalarNode:
            return _PLAIN if implicit[0] else _STR
        return _SEQ if kind is yaml.SequenceNode else _MAP


class _Unusual(Exception):
    """Something the quick construction leaves to PyYAML's constructor."""


class _Quick:
    """Data from a node tree, as the safe loader builds it, for what cassettes hold: maps,
    lists and plain or quoted scalars. The safe constructor spends a quarter of a load on
    generic machinery; anything unusual (tags, merge keys, recursive anchors) goes to it.
    """

    def __init__(self) -> None:
        self.loader = _Loader("")  # for its resolver table and scalar constructors
        self.built: dict[int, Any] = {}  # an alias is the same object, as the safe loader has it

    def build(self, node: yaml.Node) -> Any:
        tag = node.tag
        if isinstance(node, yaml.ScalarNode):
            if tag == _PLAIN:
                return _plain_value(self.loader, node.value)
            if tag == _STR:
                return node.value
            if tag in _SCALARS:
                return self.loader.construct_object(yaml.ScalarNode(tag, node.value))
            raise _Unusual(tag)
        if id(node) in self.built:
            return self.built[id(node)]
        if isinstance(node, yaml.SequenceNode) and tag == _SEQ:
            items: list[Any] = []
            self.built[id(node)] = items
            items.extend(self.build(item) for item in node.value)
            return items
        if isinstance(node, yaml.MappingNode) and tag == _MAP:
            return self._mapping(node)
        raise _Unusual(tag)

    def _mapping(self, node: yaml.MappingNode) -> dict[Any, Any]:
        data: dict[Any, Any] = {}
        self.built[id(node)] = data
        for key, value in node.value:
            built = self.build(key)
            if built == "<<" or not isinstance(built, (str, int, bool, float)):
                raise _Unusual("merge key or unhashable key")
            if built in data:  # the safe loader would keep the last one silently
                first = next(k for k, _ in node.value if k.value == key.value)
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"{built!r} is given twice (first on line {first.start_mark.line + 1}); "
                    f"keep one",
                    key.start_mark,
                )
            data[built] = self.build(value)
        return data


# Plain scalars that start with another character are strings whatever they say.
_MAYBE_NOT_TEXT = frozenset(k for k in _Loader.yaml_implicit_resolvers if k is not None)


def _plain_value(loader: yaml.SafeLoader, value: str) -> Any:
    """An untagged plain scalar, resolved as the safe loader does (an int, a bool...)."""
    if value[:1] not in _MAYBE_NOT_TEXT:
        return value
    tag = loader.resolve(yaml.ScalarNode, value, (True, False))  # type: ignore[no-untyped-call]
    if tag == _STR:
        return value
    if tag in _SCALARS:
        return loader.construct_object(yaml.ScalarNode(tag, value))
    raise _Unusual(tag)


def load_yaml(text: str | bytes) -> Any:
    """Parse YAML with the safe loader (no arbitrary tags, no Python objects). A key given
    twice in a mapping is refused (the safe loader would keep the last one silently), except
    in the rare document that needs the safe loader itself (tags, merge keys).
    """
    try:
        node = yaml.compose(text, Loader=_Composer)
    except yaml.YAMLError:
        node = None  # the safe loader below reports it in its own words
    else:
        if node is None:
            return None
        try:
            return _Quick().build(node)
        except (_Unusual, RecursionError):
            pass
    return yaml.load(text, Loader=_Loader)


def dump_yaml(data: Any) -> str:
    """Serialize to block-style YAML, keeping key order and never folding long lines."""
    text: str = yaml.dump(
        data,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=2**31 - 1,
    )
    # PyYAML ends any document that holds a |+ block (an SSE stream's blank last line) with
    # a "..." marker; at the end of a file it changes nothing, so leave it out.
    return text.removesuffix("\n...\n") + "\n" if text.endswith("\n...\n") else text


def line_of(text: str | bytes, path: tuple[str | int, ...]) -> int | None:
    """The 1-based line of the node at ``path`` (mapping keys and list indexes), if any.

    Used only to point error messages at the right line: it parses the document again,
    this time keeping node positions.
    """
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError:
        return None
    line = node.start_mark.line + 1 if node is not None else None
    for step in path:
        if isinstance(node, yaml.MappingNode) and isinstance(step, str):
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.value == step:
                    node, line = value, key.start_mark.line + 1
                    break
            else:
                return line
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int):
            if step >= len(node.value):
                return line
            node = node.value[step]
            line = node.start_mark.line + 1
        else:
            return line
    return line


_NOT_PRINTABLE = re.compile(
    "[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)
_UNKNOWN_TAG = re.compile(
    r"could not determine a constructor for the tag '(?:tag:yaml.org,2002:)?(.*)'"
)


def yaml_problem(raw: bytes, error: yaml.YAMLError) -> tuple[int | None, int | None, str]:
    """``(line, column, problem)`` for a YAML error, worded for someone who opens the file: a byte
    that is not UTF-8 or a control character with its column, a tag the safe loader refuses
    named as written, and where an unclosed bracket or quote began.
    """
    if isinstance(error, yaml.reader.ReaderError):
        return _reader_problem(raw)
    mark = getattr(error, "problem_mark", None)
    problem = str(getattr(error, "problem", None) or error)
    line = mark.line + 1 if mark is not None else None
    tag = _UNKNOWN_TAG.match(problem)
    if tag:
        name = tag.group(1) if tag.group(1).startswith("!") else f"!!{tag.group(1)}"
        problem = (
            f"the tag {name} is not allowed: cassettes are read with YAML's safe loader, which "
            f"builds no Python objects; remove the tag"
        )
    context = getattr(error, "context", None)
    context_mark = getattr(error, "context_mark", None)
    if context and context_mark is not None and context_mark.line + 1 != line:
        problem += f" ({context} that began on line {context_mark.line + 1})"
    return line, (mark.column + 1 if mark is not None else None), problem


def _reader_problem(raw: bytes) -> tuple[int | None, int | None, str]:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as bad:
        line = raw.count(b"\n", 0, bad.start) + 1
        column = bad.start - (raw.rfind(b"\n", 0, bad.start) + 1) + 1
        return (
            line,
            column,
            (
                f"byte 0x{raw[bad.start]:02x} is not UTF-8; a cassette is UTF-8 "
                f"text (is this file binary, or saved as Latin-1 or UTF-16?)"
            ),
        )
    found = _NOT_PRINTABLE.search(text)
    if found is None:  # pragma: no cover - the reader refused something else
        return None, None, "the file is not readable as YAML text"
    line = text.count("\n", 0, found.start()) + 1
    column = found.start() - (text.rfind("\n", 0, found.start()) + 1) + 1
    return (
        line,
        column,
        (
            f"control character U+{ord(found.group()):04X} is not allowed in "
            f"YAML (is this file binary, or UTF-16 without a byte order mark?)"
        ),
    )
