"""An agent's commands as cagent resolves them (``pkg/runtime/commands.go``): a prompt
``/name args`` becomes the command's instruction.

In order: ``${...}`` expressions with ``env`` (cagent does this when it loads the file),
then ``${...}`` expressions with ``args`` (the words after the name; quotes group them) and
the agent's tools as functions (``${shell({cmd: "ls"})}``), then the legacy
``!tool(key=value ...)`` calls, each replaced by the tool's output. When the instruction
has no ``${args...}``, the text after the name is appended to it. Tools called here run at
once, without approval and without events, as in cagent.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from typing import Any

from agentcore.config.model import Command
from agentcore.jstemplate import UNDEFINED, EnvView, JsError, evaluate
from agentcore.tools import Tool, ToolFailed

__all__ = ["resolve_command", "tokenize"]

_ARGS_PLACEHOLDER = re.compile(r"\$\{args[^}]*\}")
_WORD = re.compile(r"[A-Za-z0-9_]")


def resolve_command(
    prompt: str,
    commands: Mapping[str, Command],
    tools: Callable[[], Mapping[str, Tool]],
    env: Mapping[str, str],
) -> str:
    """The text to send for ``prompt``: itself unless it is ``/name ...`` with ``name`` one
    of ``commands`` (``tools``: the agent's tools, built when first needed).
    """
    if not prompt.startswith("/"):
        return prompt
    head, _, rest = prompt.partition(" ")
    command = commands.get(head[1:])
    if command is None:
        return prompt
    loaded = evaluate(command.instruction, {"env": EnvView(env)})
    instruction = loaded
    if "${" in instruction:
        scope: dict[str, Any] = {"args": tokenize(rest)}
        scope.update((name, _caller(tool)) for name, tool in tools().items())
        instruction = evaluate(instruction, scope)
    instruction = _run_tool_commands(instruction, tools)
    if rest and not _ARGS_PLACEHOLDER.search(loaded):
        instruction += " " + rest
    return instruction


def tokenize(text: str) -> list[str]:
    """Words separated by spaces; single or double quotes group words and are dropped."""
    tokens: list[str] = []
    current, quote = "", ""
    for char in text:
        if not quote and char in ("'", '"'):
            quote = char
        elif char == quote:
            quote = ""
        elif char == " " and not quote:
            if current:
                tokens.append(current)
            current = ""
        else:
            current += char
    return [*tokens, current] if current else tokens


def _plain(value: Any) -> Any:
    """A JavaScript value as the JSON a tool receives (whole numbers as integers)."""
    if value is UNDEFINED:
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


def _caller(tool: Tool) -> Callable[..., str]:
    """``tool`` as a function of one object; its failure is a JavaScript exception."""
    required = tool.definition.parameters.get("required") or []

    def call(arguments: Any = None, *_: Any) -> str:
        if arguments is None or arguments is UNDEFINED:
            arguments = {}
        if not isinstance(arguments, dict):
            raise JsError(f"TypeError: {tool.name} takes an object")
        kept = {
            key: _plain(value)
            for key, value in arguments.items()
            if key in required or (value is not None and value is not UNDEFINED)
        }
        try:
            return tool.handler(kept)
        except ToolFailed as failed:  # the tool's own error answer is its output
            return str(failed)
        except Exception as error:
            raise JsError(str(error)) from None

    return call


def _tool_commands(text: str) -> list[tuple[int, int, str, str]]:
    """``(start, end, tool, arguments)`` of each ``!tool(...)`` in ``text``."""
    found = []
    i = 0
    while i < len(text):
        if text[i] != "!":
            i += 1
            continue
        start = name_end = i + 1
        while name_end < len(text) and _WORD.match(text[name_end]):
            name_end += 1
        if name_end == start or name_end >= len(text) or text[name_end] != "(":
            i = name_end + 1  # as cagent's loop, which skips the character after the name
            continue
        end = _closing(text, name_end)
        if end is None:
            i = name_end + 1
            continue
        found.append((i, end, text[start:name_end], text[name_end + 1 : end - 1]))
        i = end
    return found


def _closing(text: str, opening: int) -> int | None:
    """The index after the ``)`` matching ``text[opening]``, skipping quoted text."""
    depth, quote, i = 1, "", opening + 1
    while i < len(text):
        char = text[i]
        if quote:
            if char == quote:
                quote = ""
            elif char == "\\":
                i += 1
        elif char in ("'", '"'):
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return None


def _run_tool_commands(text: str, tools: Callable[[], Mapping[str, Tool]]) -> str:
    """``text`` with each ``!tool(key=value ...)`` replaced by what the tool answered."""
    found = _tool_commands(text)
    if not found:
        return text
    available = tools()
    for start, end, name, arguments in reversed(found):
        text = text[:start] + _run_one(available, name, arguments) + text[end:]
    return text


def _run_one(tools: Mapping[str, Tool], name: str, raw: str) -> str:
    tool = tools.get(name)
    if tool is None:
        return f"Error: tool '{name}' not found"
    arguments = _key_values(raw)
    if any(isinstance(v, float) and not math.isfinite(v) for v in arguments.values()):
        return f"Error: failed to marshal arguments for '{name}'"
    try:
        output = tool.handler(json.loads(json.dumps(arguments)))
    except ToolFailed as failed:
        output = str(failed)
    except Exception as error:
        return f"Error executing '{name}': {error}"
    return output.strip()


def _key_values(raw: str) -> dict[str, Any]:
    """``key=value`` pairs separated by spaces (quotes group); values typed as Go does."""
    result: dict[str, Any] = {}
    key, value, quote, in_value = "", "", "", False
    for char in raw:
        if not quote and char in ("'", '"'):
            quote = char
        elif char == quote:
            quote = ""
        elif char == "=" and not in_value and not quote:
            in_value = True
        elif char == " " and not quote and in_value:
            if key.strip():
                result[key.strip()] = _typed(value.strip())
            key, value, in_value = "", "", False
        elif in_value:
            value += char
        else:
            key += char
    if key.strip():
        result[key.strip()] = _typed(value.strip())
    return result


_GO_BOOLS = {"1": True, "t": True, "T": True, "TRUE": True, "true": True, "True": True}
_GO_BOOLS.update({"0": False, "f": False, "F": False, "FALSE": False, "false": False})
_GO_BOOLS["False"] = False


def _typed(text: str) -> Any:
    """Go's order: a bool (``strconv.ParseBool``), an int64, a float, else the text."""
    if text in _GO_BOOLS:
        return _GO_BOOLS[text]
    if re.fullmatch(r"[+-]?[0-9]+", text) and -(2**63) <= int(text) < 2**63:
        return int(text)
    if re.fullmatch(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?", text) or re.fullmatch(
        r"[+-]?(?:inf|infinity|nan)", text, re.IGNORECASE
    ):
        return float(text)
    return text
