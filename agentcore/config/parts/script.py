"""Checking the options of toolsets that run commands the file names: a ``script``
toolset's ``shell:`` (one tool per entry) and a ``filesystem`` toolset's ``post_edit:``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml

from agentcore.config.nodes import (
    Document,
    check_keys,
    free_mapping,
    kind_of,
    mapping,
    name_list,
    text,
)

__all__ = ["PostEdit", "ScriptCommand", "post_edits", "script_commands"]

SCRIPT_KEYS = ("cmd", "description", "args", "required", "env", "working_dir")
_VARIABLE = re.compile(r"\$(?:\{([^}]*)\}|([*#$@!?\-0-9])|([A-Za-z0-9_]+))")


@dataclass(frozen=True)
class ScriptCommand:
    """One tool of a ``script`` toolset: the command, what the model is told about it, and
    where it runs (``required``: None when the file gives no list).
    """

    name: str
    cmd: str
    description: str
    args: dict[str, Any]
    required: tuple[str, ...] | None
    working_dir: str


@dataclass(frozen=True)
class PostEdit:
    """A ``post_edit`` entry: ``cmd`` runs after an edit of a file whose name matches ``path``."""

    path: str
    cmd: str


def variables(cmd: str) -> list[str]:
    """The variables ``cmd`` uses, as Go's ``os.Expand`` finds them (``$x``, ``${x}``, ``$1``)."""
    return [next(g for g in found.groups() if g is not None) for found in _VARIABLE.finditer(cmd)]


def script_commands(doc: Document, node: yaml.Node, where: str) -> dict[str, ScriptCommand]:
    """A ``script`` toolset's ``shell:``: its tools by name, in file order."""
    entries = mapping(doc, node, where)
    if not entries:
        raise doc.error(node, where, "a script toolset needs at least one tool under shell:")
    return {name: _command(doc, name, value, f"{where}.{name}") for name, _, value in entries}


def _command(doc: Document, name: str, node: yaml.Node, where: str) -> ScriptCommand:
    keys = check_keys(doc, mapping(doc, node, where), where, SCRIPT_KEYS)
    if "cmd" not in keys:
        raise doc.error(node, where, "missing 'cmd' (the command line the tool runs)")
    cmd = text(doc, keys["cmd"], f"{where}.cmd")
    args = free_mapping(doc, keys["args"], f"{where}.args") if "args" in keys else {}
    for arg, schema in args.items():
        if not isinstance(schema, dict) or not isinstance(schema.get("description"), str):
            raise doc.error(
                keys["args"],
                f"{where}.args.{arg}",
                "each argument needs a JSON schema with a description, e.g. "
                "{description: The file name, type: string}",
            )
    for used in variables(cmd):
        if used not in args:
            raise doc.error(
                keys["cmd"],
                f"{where}.cmd",
                f"the command uses ${used}, which is not one of its args; declare it under "
                f"args: (cagent refuses a command that uses undeclared variables)",
            )
    required = None
    if "required" in keys:
        listed = name_list(doc, keys["required"], f"{where}.required")
        for index, (arg, item) in enumerate(listed):
            if arg not in args:
                raise doc.error(
                    item,
                    f"{where}.required[{index}]",
                    f"required arg '{arg}' is not defined under args: {', '.join(args) or 'none'}",
                )
        required = tuple(arg for arg, _ in listed)
    return ScriptCommand(
        name,
        cmd,
        text(doc, keys["description"], f"{where}.description") if "description" in keys else "",
        args,
        required,
        text(doc, keys["working_dir"], f"{where}.working_dir") if "working_dir" in keys else "",
    )


def post_edits(doc: Document, node: yaml.Node, where: str) -> tuple[PostEdit, ...]:
    """A ``filesystem`` toolset's ``post_edit:``: a list of ``{path, cmd}``."""
    if not isinstance(node, yaml.SequenceNode):
        raise doc.error(node, where, f"expected a list of {{path, cmd}}, got {kind_of(node)}")
    found = []
    for index, item in enumerate(node.value):
        at = f"{where}[{index}]"
        keys = check_keys(doc, mapping(doc, item, at), at, ("path", "cmd"))
        for required in ("path", "cmd"):
            if required not in keys:
                raise doc.error(
                    item, at, f"missing '{required}' (e.g. path: '*.go', cmd: gofmt -w $path)"
                )
        found.append(
            PostEdit(text(doc, keys["path"], f"{at}.path"), text(doc, keys["cmd"], f"{at}.cmd"))
        )
    return tuple(found)
