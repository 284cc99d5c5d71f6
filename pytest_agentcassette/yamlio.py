"""YAML reading and writing: safe loading only, libyaml's C classes where available.

Strings with line breaks are written as ``|`` literal blocks, long lines are never folded,
and :class:`FlowSequence` marks values written on one line (a list of chunk sizes).
"""

from __future__ import annotations

from typing import Any

import yaml

__all__ = [
    "FlowSequence",
    "YAMLError",
    "dump_yaml",
    "line_of",
    "load_yaml",
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


class FlowSequence(list[Any]):
    """A sequence written in flow style: ``[12, 40, 7]``."""


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


def load_yaml(text: str | bytes) -> Any:
    """Parse YAML with the safe loader (no arbitrary tags, no Python objects)."""
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
