"""Checking an agent's ``commands``: named prompts, each a string or ``{description,
instruction}``, written as a mapping or as a list of one-entry mappings (cagent's
``pkg/config/types/commands.go``); every ``${...}`` must be one agentcore evaluates.
"""

from __future__ import annotations

import dataclasses

import yaml

from agentcore.config.model import Command, Place
from agentcore.config.nodes import Document, check_keys, kind_of, mapping, text
from agentcore.errors import ConfigError
from agentcore.jstemplate import METHODS, Unsupported, check

__all__ = ["commands"]

COMMAND_KEYS = ("description", "instruction")


def commands(doc: Document, node: yaml.Node, where: str) -> dict[str, Command]:
    """An agent's ``commands`` by name (``null``: none)."""
    if isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null":
        return {}
    if isinstance(node, yaml.SequenceNode):
        entries = [
            (name, key, value, f"{where}[{index}].{name}")
            for index, item in enumerate(node.value)
            for name, key, value in mapping(doc, item, f"{where}[{index}]")
        ]
    elif isinstance(node, yaml.MappingNode):
        entries = [(n, k, v, f"{where}.{n}") for n, k, v in mapping(doc, node, where)]
    else:
        raise doc.error(
            node,
            where,
            f"expected commands as a mapping (name: prompt) or a list of them, got {kind_of(node)}",
        )
    found: dict[str, Command] = {}
    for name, key, value, at in entries:
        if name in found:
            raise doc.error(key, at, f"the command '{name}' is given twice; keep one")
        found[name] = _command(doc, value, at)
    return found


def _command(doc: Document, node: yaml.Node, where: str) -> Command:
    """One command: a prompt, or ``{description, instruction}`` (at least one of them)."""
    if not isinstance(node, yaml.MappingNode):
        command = Command(text(doc, node, where))
        _check_template(doc, node, where, command.instruction)
        return command
    keys = check_keys(doc, mapping(doc, node, where), where, COMMAND_KEYS)
    values = {key: text(doc, value, f"{where}.{key}") for key, value in keys.items()}
    if not values.get("instruction") and not values.get("description"):
        raise doc.error(
            node, where, "a command needs an 'instruction' (the prompt) or a 'description'"
        )
    command = Command(values.get("instruction", ""), values.get("description", ""))
    if not command.instruction:
        command = dataclasses.replace(command, instruction=command.description)
    instruction = keys.get("instruction", keys.get("description", node))
    _check_template(doc, instruction, f"{where}.instruction", command.instruction)
    return command


def _check_template(doc: Document, node: yaml.Node, where: str, instruction: str) -> None:
    """Refuse a ``${...}`` that agentcore cannot evaluate, pointing at its line."""
    try:
        check(instruction)
    except Unsupported as unsupported:
        line = node.start_mark.line + 1 + instruction.count("\n", 0, unsupported.offset)
        if getattr(node, "style", None) in ("|", ">"):
            line += 1  # a block scalar starts on the line after its indicator
        place = Place(doc.path, where, line)
        raise ConfigError(
            f"{place}: this JavaScript expression is not supported yet by agentcore "
            f"({unsupported}); agentcore evaluates args, args[N], args.join(...), "
            f'args.length, env.NAME, tool calls like shell({{cmd: "ls"}}), literals, +, '
            f"||, ??, &&, !, ===, !== and ?:, and the methods {', '.join(METHODS)}; "
            f"rewrite the expression with these, or remove it",
            path=str(doc.path),
            where=where,
            line=line,
        ) from None
