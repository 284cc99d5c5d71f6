"""The ``script`` toolset: one tool per entry of its ``shell:``, each running its command
with ``$SHELL -c`` (``/bin/sh`` when unset), as cagent's ``script_shell.go`` does.

The call's arguments reach the command as environment variables (``$name``), formatted
as Go's ``%s`` formats them; the command sees the process environment, the team's extra
variables and the toolset's ``env`` under them. There is no timeout (as in cagent): Ctrl-C
stops a command, whose process group is killed with it.
"""

from __future__ import annotations

import functools
import json
import math
import os
from collections.abc import Iterable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

from agentcore.config.parts.script import ScriptCommand
from agentcore.messages import ToolDefinition
from agentcore.prompts import truncate
from agentcore.tools.base import Arguments, Tool, ToolFailed, Toolset, go_sorted
from agentcore.tools.builtin.shell import exit_error, run_command

__all__ = ["script_toolset"]


def script_toolset(root: Path, options: Mapping[str, Any], env: Mapping[str, str]) -> Toolset:
    """The tools of ``options["shell"]``, in file order, with cagent's instruction."""
    commands: dict[str, ScriptCommand] = dict(options.get("shell") or {})
    own_env = {str(k): str(v) for k, v in dict(options.get("env") or {}).items()}
    tools = [
        Tool(_definition(command), functools.partial(_run, root, {**env, **own_env}, command))
        for command in commands.values()
    ]
    return Toolset("script", tools, _instruction(commands.values()))


def _instruction(commands: Iterable[ScriptCommand]) -> str:
    """The "Custom Shell Tools" section, as cagent writes it: each tool and its arguments."""
    text = "## Custom Shell Tools\n\n"
    for command in commands:
        text += f"### {command.name}\n"
        text += f"{command.description}\n" if command.description else f"Runs: `{command.cmd}`\n"
        for arg, schema in command.args.items():
            required = " (required)" if arg in (command.required or ()) else ""
            text += f"- `{arg}`: {schema['description']}{required}\n"
        text += "\n"
    return text


def _typed(properties: dict[str, Any], default: str) -> dict[str, Any]:
    """Every property with a ``type`` (``default`` if missing), nested ones ``object``."""
    typed = {}
    for name, schema in properties.items():
        if isinstance(schema, dict):
            schema = {"type": default, **schema} if schema.get("type") is None else dict(schema)
            if isinstance(schema.get("properties"), dict):
                schema["properties"] = _typed(schema["properties"], "object")
        typed[name] = schema
    return typed


def _definition(command: ScriptCommand) -> ToolDefinition:
    """The tool as the model sees it: the args as the schema's properties, untouched."""
    schema: dict[str, Any] = {"properties": _typed(command.args, "string"), "type": "object"}
    if command.required is not None:
        schema["required"] = list(command.required)
    description = command.description or f"Execute shell command: {command.cmd}"
    return ToolDefinition(command.name, description, go_sorted(schema))


def go_text(value: Any) -> str:
    """``value`` (from JSON) as Go's ``fmt.Sprintf("%s", value)`` writes it."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return f"%!s(bool={str(value).lower()})"
    if isinstance(value, (int, float)):
        return f"%!s(float64={_go_float(float(value))})"
    return json.dumps(value, separators=(",", ":"))  # Go writes map[...] / [...]: close enough


def _go_float(number: float) -> str:
    """``number`` as Go's ``%v`` writes a float64: the shortest digits, in ``%e`` form when
    the exponent is below -4 or 6 and above (``1e+06``), else plainly (``3``, ``0.25``).
    """
    if not math.isfinite(number):
        return "NaN" if math.isnan(number) else ("+Inf" if number > 0 else "-Inf")
    if number == 0:
        return "0"
    sign, numerals, exponent = Decimal(repr(number)).normalize().as_tuple()
    digits = "".join(map(str, numerals))
    point = len(digits) + int(exponent)  # where the decimal point falls in ``digits``
    if not -4 <= point - 1 < 6:
        text = digits[0] + ("." + digits[1:] if len(digits) > 1 else "") + f"e{point - 1:+03d}"
    elif point <= 0:
        text = "0." + "0" * -point + digits
    else:
        whole = digits[:point].ljust(point, "0")
        text = whole + ("." + digits[point:] if len(digits) > point else "")
    return ("-" if sign else "") + text


def _run(root: Path, env: dict[str, str], command: ScriptCommand, args: Arguments) -> str:
    """Run the command with the arguments as variables: its output, or cagent's error."""
    variables = {key: go_text(value) for key, value in args.items() if value is not None}
    cwd = root / command.working_dir if command.working_dir else root
    shell = os.environ.get("SHELL") or "/bin/sh"
    try:
        out, status = run_command(
            command.cmd, cwd, {**os.environ, **env, **variables}, math.inf, shell=shell
        )
    except OSError as error:  # the shell or the folder is missing
        what = f"chdir {command.working_dir}" if not cwd.is_dir() else f"fork/exec {shell}"
        message = f"{what}: {(error.strerror or str(error)).lower()}"
        raise ToolFailed(f"Error executing command '{command.cmd}': {message}\nOutput: ") from None
    output = truncate(out.decode("utf-8", errors="replace"))
    if status:
        raise ToolFailed(
            f"Error executing command '{command.cmd}': {exit_error(status)}\nOutput: {output}"
        )
    return output
