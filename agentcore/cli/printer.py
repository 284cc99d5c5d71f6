r"""Printing a run as cagent's ``exec`` transcript, or as one JSON event per line.

The transcript is byte for byte what cagent prints (its e2e tests pin it): an agent header
``\n--- Agent: <name> ---\n`` at the first event of each turn and whenever the agent changes
(after an extra newline), the streamed text, ``\nCalling name(k: "v")\n`` and
``\nname response → "…"\n``, with values quoted and laid out as Go's ``%q`` and
``encoding/json`` do.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from decimal import Decimal
from typing import IO, Any

import agentcore.events as events
from agentcore.messages import ToolCall

__all__ = ["JsonPrinter", "TranscriptPrinter", "format_arguments", "format_response", "go_quote"]

_ESCAPES = {
    "\a": "\\a",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\v": "\\v",
}


# Go's encoding/json escapes HTML characters and the two line separators.
_JSON_ESCAPES = (
    ("<", "\\u003c"),
    (">", "\\u003e"),
    ("&", "\\u0026"),
    ("\u2028", "\\u2028"),
    ("\u2029", "\\u2029"),
)


# Go's unicode.IsSpace (Python's str.strip would also take \x1c-\x1f).
_GO_SPACE = "\t\n\v\f\r \x85\xa0\u1680\u2028\u2029\u202f\u205f\u3000" + "".join(
    chr(code) for code in range(0x2000, 0x200B)
)
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _go_trim(text: str) -> str:
    """Go's ``strings.TrimSpace``."""
    return text.strip(_GO_SPACE)


def go_quote(text: str) -> str:
    r"""``text`` as Go's ``strconv.Quote`` writes it (``%q``).

    A lone surrogate stands for bytes that are not UTF-8 (``surrogateescape``, or text cut
    inside a character); Go escapes such bytes as ``\\xNN``.
    """
    out = ['"']
    for char in text:
        code = ord(char)
        if 0xD800 <= code <= 0xDFFF:
            raw = bytes([code - 0xDC00]) if 0xDC80 <= code <= 0xDCFF else None
            raw = raw or char.encode("utf-8", "surrogatepass")
            out.extend(f"\\x{byte:02x}" for byte in raw)
        elif char in ('"', "\\"):
            out.append("\\" + char)
        elif char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\x{code:02x}")
        elif char == " " or char.isprintable():
            out.append(char)
        elif code <= 0xFFFF:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    out.append('"')
    return "".join(out)


def _float64(text: str) -> float:
    number = float(text)
    if math.isinf(number):
        raise ValueError(f"{text} does not fit a float64")
    return number


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def go_loads(text: str) -> Any:
    """``text`` as Go's ``json.Unmarshal`` into ``any`` reads it: every number a float64
    (one that does not fit is not JSON, nor are NaN and Infinity), lone surrogates U+FFFD.
    Raises ``ValueError`` where Go returns an error.
    """
    return _go_value(
        json.loads(text, parse_int=_float64, parse_float=_float64, parse_constant=_no_constant)
    )


def _go_value(value: Any) -> Any:
    """Decoded JSON as Go holds it: valid strings, maps sorted (as Go marshals them)."""
    if isinstance(value, str):
        return _LONE_SURROGATE.sub("\ufffd", value)
    if isinstance(value, list):
        return [_go_value(item) for item in value]
    if isinstance(value, dict):
        return {_go_value(key): _go_value(item) for key, item in value.items()}
    return value


def _sorted_maps(value: Any) -> Any:
    if isinstance(value, list):
        return [_sorted_maps(item) for item in value]
    if isinstance(value, dict):
        return {key: _sorted_maps(item) for key, item in sorted(value.items())}
    return value


def _go_number(number: float) -> str:
    """A float64 as ``encoding/json`` writes it: the shortest digits that read back, with an
    exponent only below 1e-6 or from 1e21 (``1e-7``, ``1e+21``).
    """
    if number == 0:
        return "-0" if math.copysign(1.0, number) < 0 else "0"
    text = repr(number)
    if 1e-6 <= abs(number) < 1e21:
        text = format(Decimal(text), "f")
        return text.rstrip("0").rstrip(".") if "." in text else text
    mantissa, _, exponent = text.partition("e")  # Python writes 1e-07, 1.5e+21
    if exponent.startswith("-0"):
        exponent = "-" + exponent[2:]
    return f"{mantissa}e{exponent}"


def go_json(value: Any, indent: bool = False, level: int = 0) -> str:
    """``json.Marshal`` (or ``MarshalIndent(v, "", "  ")``) of :func:`go_loads` data."""
    value = _sorted_maps(value) if level == 0 else value
    pad = "  " * (level + 1)
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, (int, float)):
        return _go_number(float(value))
    if isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)
        for char, escaped in _JSON_ESCAPES:
            text = text.replace(char, escaped)
        return text
    if isinstance(value, list):
        items = [go_json(item, indent, level + 1) for item in value]
        if not items:
            return "[]"
        if not indent:
            return "[" + ",".join(items) + "]"
        return "[\n" + ",\n".join(pad + item for item in items) + "\n" + "  " * level + "]"
    colon = ": " if indent else ":"
    entries = [
        f"{go_json(key)}{colon}{go_json(item, indent, level + 1)}" for key, item in value.items()
    ]
    if not entries:
        return "{}"
    if not indent:
        return "{" + ",".join(entries) + "}"
    return "{\n" + ",\n".join(pad + entry for entry in entries) + "\n" + "  " * level + "}"


def _format_value(key: str, value: Any) -> str:
    if isinstance(value, str):
        return f"{key}: {go_quote(value)}"
    if isinstance(value, list):
        if not value:
            return f"{key}: []"
        return f"{key}: {go_json(value, indent=len(value) > 1)}"
    if isinstance(value, dict):
        return f"{key}: {go_json(value, indent=True)}"
    return f"{key}: {go_json(value)}"


def _format_object(value: dict[str, Any]) -> str:
    if not value:
        return "()"
    parts = [_format_value(key, item) for key, item in value.items()]
    if len(parts) == 1 and "\n" not in parts[0]:
        return f"({parts[0]})"
    return "(\n  " + "\n  ".join(parts) + "\n)"


def format_arguments(arguments: str) -> str:
    """Tool-call arguments as cagent prints them: ``(path: "x")``, keys in their order."""
    if arguments == "":
        return "()"
    try:
        parsed = go_loads(arguments)
    except ValueError:
        return f"({arguments})"
    if parsed is None:  # null decodes as an empty ordered map
        return "()"
    if isinstance(parsed, dict):
        return _format_object(parsed)
    return f"({go_json(parsed, indent=True)})"


def format_response(response: str) -> str:
    """A tool result as cagent prints it after ``response``: `` → "text"`` and friends."""
    if response == "":
        return " → ()"
    try:
        parsed = go_loads(response)
    except ValueError:
        parsed = _NOT_JSON
    if parsed is not _NOT_JSON:
        if isinstance(parsed, dict):
            return " → " + _format_object(parsed)
        return f" → ({go_json(parsed, indent=True)})"
    if "\n" in response:
        lines = _go_trim(response).split("\n")
        if len(lines) <= 3:
            return f" → {go_quote(response)}"
        formatted: list[str] = []
        last_empty = False
        for line in lines:
            if not _go_trim(line):
                if not last_empty:
                    formatted.append("")
                last_empty = True
            else:
                formatted.append(line)
                last_empty = False
        return " → (\n" + "\n".join(formatted) + "\n)"
    return f" → {go_quote(response)}"


_NOT_JSON = object()


class TranscriptPrinter:
    """Writes events as cagent's ``exec`` transcript."""

    def __init__(self, out: IO[str], *, hide_tool_calls: bool = False):
        self.out = out
        self.hide_tool_calls = hide_tool_calls
        self._first = True
        self._agent = ""
        self.mid_line = False
        """Whether the last thing written did not end a line."""

    def start_turn(self) -> None:
        """A new user turn: its first event prints the agent header again."""
        self._first = True

    def _write(self, text: str) -> None:
        if text:
            self.out.write(_LONE_SURROGATE.sub("\ufffd", text))
            self.out.flush()
            self.mid_line = not text.endswith("\n")

    def confirm(self, call: ToolCall) -> None:
        """The confirmation block cagent prints before asking about a tool."""
        self._write("\n🛠️ Tool call requires confirmation 🛠️\n")
        self._write(f"\nCalling {call.name}{format_arguments(call.arguments)}\n")
        self._write("\nCan I run this tool? ([y]es/[a]ll/[n]o): ")

    def __call__(self, event: events.Event) -> None:
        """Print ``event`` (pass this printer as the consumer of a run's events)."""
        agent = event.agent
        if agent and (self._first or agent != self._agent):
            if not self._first:
                self._write("\n")
            self._write(f"\n--- Agent: {agent} ---\n")
            self._first = False
            self._agent = agent
        if isinstance(event, events.TextDelta):
            self._write(event.text)
        elif isinstance(event, events.ToolCallStarted) and not self.hide_tool_calls:
            if not event.confirmed:  # a confirmed call was shown in the confirmation block
                self._write(
                    f"\nCalling {event.call.name}{format_arguments(event.call.arguments)}\n"
                )
        elif isinstance(event, events.ToolCallFinished) and not self.hide_tool_calls:
            self._write(f"\n{event.call.name} response{format_response(event.output)}\n")


def event_json(event: events.Event) -> dict[str, Any]:
    """An event as one JSON object (``type`` first, then its fields)."""
    kind = {
        events.AgentStarted: "agent_started",
        events.TextDelta: "text",
        events.ToolCallStarted: "tool_call",
        events.ToolCallFinished: "tool_result",
        events.TransferStarted: "transfer_started",
        events.TransferFinished: "transfer_finished",
        events.Handoff: "handoff",
        events.UsageReported: "usage",
        events.MaxIterationsReached: "max_iterations",
    }[type(event)]
    data: dict[str, Any] = {"type": kind, "agent": event.agent, "depth": event.depth}
    if isinstance(event, events.TextDelta):
        data["text"] = event.text
    elif isinstance(event, (events.ToolCallStarted, events.ToolCallFinished)):
        data.update(id=event.call.id, name=event.call.name, arguments=event.call.arguments)
        if isinstance(event, events.ToolCallFinished):
            data.update(output=event.output, error=event.error, rejected=event.rejected)
    elif isinstance(event, events.TransferStarted):
        data.update(target=event.target, task=event.task, expected_output=event.expected_output)
    elif isinstance(event, events.TransferFinished):
        data.update(target=event.target, result=event.result)
    elif isinstance(event, events.Handoff):
        data["target"] = event.target
    elif isinstance(event, events.UsageReported):
        data.update(
            model=event.model,
            input_tokens=event.usage.input_tokens,
            output_tokens=event.usage.output_tokens,
        )
    elif isinstance(event, events.MaxIterationsReached):
        data["limit"] = event.limit
    return data


class JsonPrinter:
    """Writes one JSON object per event and line (``--json``)."""

    def __init__(self, out: IO[str], dumps: Callable[[Any], str] = json.dumps):
        self.out = out
        self.dumps = dumps
        self.mid_line = False

    def start_turn(self) -> None:
        """Turns need no marker in JSON."""

    def __call__(self, event: events.Event) -> None:
        """Print ``event`` as one line of JSON."""
        self.out.write(self.dumps(event_json(event)) + "\n")
        self.out.flush()

    def error(self, message: str) -> None:
        """A run that failed ends with an ``error`` event."""
        self.out.write(self.dumps({"type": "error", "message": message}) + "\n")
        self.out.flush()
