"""Checking an agent's ``hooks``: shell commands run at tool calls and user-input points,
with cagent's rules (``type: command`` only, a command required, matchers compiled).
"""

from __future__ import annotations

import re

import yaml

from agentcore.config.model import HookCommand, HookMatcher, Hooks
from agentcore.config.nodes import Document, check_keys, kind_of, mapping, text, typed

__all__ = ["HOOK_EVENTS", "read_hooks"]

TOOL_EVENTS = ("pre_tool_use", "post_tool_use")
PLAIN_EVENTS = ("session_start", "session_end", "on_user_input")
HOOK_EVENTS = (*TOOL_EVENTS, *PLAIN_EVENTS)


def read_hooks(doc: Document, node: yaml.Node, where: str) -> Hooks:
    """An agent's ``hooks``, each event's list checked."""
    keys = check_keys(doc, mapping(doc, node, where), where, HOOK_EVENTS)
    found: dict[str, tuple[HookMatcher, ...] | tuple[HookCommand, ...]] = {}
    for event, value in keys.items():
        at = f"{where}.{event}"
        items = _items(doc, value, at)
        if event in TOOL_EVENTS:
            found[event] = tuple(_matcher(doc, item, f"{at}[{i}]") for i, item in enumerate(items))
        else:
            found[event] = tuple(_hook(doc, item, f"{at}[{i}]") for i, item in enumerate(items))
    return Hooks(**found)  # type: ignore[arg-type]


def _items(doc: Document, node: yaml.Node, where: str) -> list[yaml.Node]:
    if not isinstance(node, yaml.SequenceNode):
        raise doc.error(node, where, f"expected a list of hooks, got {kind_of(node)}")
    return list(node.value)


def _matcher(doc: Document, node: yaml.Node, where: str) -> HookMatcher:
    """``{matcher, hooks}``: the tool-name pattern and its commands."""
    keys = check_keys(doc, mapping(doc, node, where), where, ("matcher", "hooks"))
    matcher = text(doc, keys["matcher"], f"{where}.matcher") if "matcher" in keys else ""
    if matcher not in ("", "*"):
        try:
            re.compile(f"^(?:{matcher})$")
        except re.error as bad:
            raise doc.error(
                keys["matcher"], f"{where}.matcher", f"not a valid regular expression: {bad}"
            ) from None
    items = _items(doc, keys["hooks"], f"{where}.hooks") if "hooks" in keys else []
    if not items:
        raise doc.error(
            node, where, "at least one hook is required (hooks: [{type: command, ...}])"
        )
    hooks = tuple(_hook(doc, item, f"{where}.hooks[{i}]") for i, item in enumerate(items))
    return HookMatcher(matcher, hooks)


def _hook(doc: Document, node: yaml.Node, where: str) -> HookCommand:
    """``{type: command, command, timeout}``."""
    keys = check_keys(doc, mapping(doc, node, where), where, ("type", "command", "timeout"))
    if "type" not in keys:
        raise doc.error(node, where, "missing 'type' (only 'command' is supported)")
    kind = text(doc, keys["type"], f"{where}.type")
    if kind != "command":
        raise doc.error(
            keys["type"],
            f"{where}.type",
            f"unsupported hook type '{kind}' (only 'command' is supported)",
        )
    command = text(doc, keys["command"], f"{where}.command") if "command" in keys else ""
    if not command:
        raise doc.error(node, where, "command is required for command hooks")
    timeout = (
        typed(doc, keys["timeout"], f"{where}.timeout", int, "a whole number of seconds")
        if "timeout" in keys
        else 0
    )
    return HookCommand(command, timeout)
