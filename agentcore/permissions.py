"""Tool permissions as cagent checks them (``pkg/permissions``): ``deny``, then ``allow``,
then ``ask`` patterns over a tool's name and its arguments.

A pattern is a glob over the tool's name (``read_*``), optionally followed by argument
conditions (``shell:cmd=ls*:cwd=/tmp/*``): each names an argument whose value, as text,
must match its glob. Matching ignores case; ``*`` does not cross a ``/`` except when it
ends a pattern with no other wildcard (``sudo*`` matches ``sudo rm -rf /``).
"""

from __future__ import annotations

import enum
import json
import re
from typing import Any

from agentcore.config.model import Permissions

__all__ = ["DENIED", "Decision", "arguments_for_check", "decide"]

DENIED = "Tool '{name}' is denied by permissions configuration."
"""The tool result of a denied call, as cagent writes it."""


class Decision(enum.Enum):
    """What the permissions say of a call: nothing (``ASK``: the usual rules apply),
    ``ALLOW`` (run without asking), ``DENY``, or ``FORCE_ASK`` (ask even a read-only tool).
    """

    ASK = "ask"
    ALLOW = "allow"
    DENY = "deny"
    FORCE_ASK = "force_ask"


def decide(permissions: Permissions, name: str, arguments: dict[str, Any] | None) -> Decision:
    """The decision for tool ``name`` called with ``arguments`` (``None``: not a JSON
    object, so only patterns without argument conditions match).
    """
    for patterns, decision in (
        (permissions.deny, Decision.DENY),
        (permissions.allow, Decision.ALLOW),
        (permissions.ask, Decision.FORCE_ASK),
    ):
        if any(_matches(pattern, name, arguments) for pattern in patterns):
            return decision
    return Decision.ASK


def arguments_for_check(raw: str) -> dict[str, Any] | None:
    """A call's arguments as cagent reads them for permissions: a JSON object, else none."""
    if not raw:
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _split(pattern: str) -> tuple[str, dict[str, str]]:
    """``(tool glob, {argument: glob})``: the first ``:key=value`` part starts the conditions."""
    parts = pattern.split(":")
    tool, conditions = [parts[0]], {}
    for part in parts[1:]:
        key, equals, value = part.partition("=")
        if equals and key:
            conditions[key] = value
        elif not conditions:
            tool.append(part)
    return ":".join(tool), conditions


def _matches(pattern: str, name: str, arguments: dict[str, Any] | None) -> bool:
    tool, conditions = _split(pattern)
    if not _glob(tool, name):
        return False
    if not conditions:
        return True
    if arguments is None:
        return False
    return all(
        key in arguments and _glob(glob, go_text(arguments[key]))
        for key, glob in conditions.items()
    )


def go_text(value: Any) -> str:
    """An argument's value as text, as Go's ``%v`` prints what JSON decoding gave."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "<nil>"
    if isinstance(value, (int, float)):
        number = float(value)
        if number.is_integer() and abs(number) < 2**63:
            return str(int(number))
        return repr(number)
    if isinstance(value, list):
        return "[" + " ".join(go_text(item) for item in value) + "]"
    if isinstance(value, dict):
        pairs = (f"{key}:{go_text(value[key])}" for key in sorted(value))
        return "map[" + " ".join(pairs) + "]"
    return str(value)


def _glob(pattern: str, value: str) -> bool:
    """Go's ``filepath.Match``, ignoring case, with a bare trailing ``*`` as a prefix."""
    pattern, value = pattern.lower(), value.lower()
    if pattern.endswith("*") and not pattern.endswith("\\*"):
        prefix = pattern[:-1]
        if not any(c in prefix for c in "*?["):
            return value.startswith(prefix)
    regex = _glob_regex(pattern)
    return regex is not None and re.fullmatch(regex, value, re.DOTALL) is not None


def _glob_regex(pattern: str) -> str | None:
    """``filepath.Match``'s pattern as a regular expression; ``None`` for a bad pattern."""
    out, i = [], 0
    while i < len(pattern):
        char = pattern[i]
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "\\":
            if i + 1 >= len(pattern):
                return None
            i += 1
            out.append(re.escape(pattern[i]))
        elif char == "[":
            end = pattern.find("]", i + 2 if pattern[i + 1 : i + 2] == "^" else i + 1)
            if end < 0:
                return None
            body = pattern[i + 1 : end]
            negate = body.startswith("^")
            body = body[1:] if negate else body
            if not body:
                return None
            escaped = body.replace("\\", "\\\\").replace("[", "\\[").replace("^", "\\^")
            out.append(f"[^{escaped}]" if negate else f"[{escaped}]")
            i = end
        else:
            out.append(re.escape(char))
        i += 1
    return "".join(out)
