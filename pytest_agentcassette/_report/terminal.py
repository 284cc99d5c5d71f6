"""A cassette's transcript as a terminal shows it: a header line per turn (the agent, the
API, the model, the tokens and the time the provider took), then what was new in the
request and the answer, a role per line, tool calls and results as cagent prints them.
Colour on a terminal, plain text when piped.
"""

from __future__ import annotations

import json
from typing import Any

from pytest_agentcassette._conversation.conversation import ToolCall, Usage
from pytest_agentcassette._conversation.transcript import Transcript, TranscriptMessage, Turn

__all__ = ["render"]

_COLOURS = {"system": "2", "user": "36", "assistant": "32", "tool": "33", "error": "31"}
_BOLD = "1"
_LABEL = 10  # the width of the role column
_SHORT_LINES = 4  # lines of a long system prompt shown without --full
_SHORT_RESULT = 160  # characters of a tool's result shown without --full


class _Style:
    def __init__(self, colour: bool):
        self.colour = colour

    def __call__(self, code: str, text: str) -> str:
        return f"\033[{code}m{text}\033[0m" if self.colour and text.strip() else text


def _tokens(usage: Usage | None) -> str:
    if usage is None:
        return ""
    return f"{usage.total_tokens:,} tokens ({usage.input_tokens:,} in, {usage.output_tokens:,} out)"


def _seconds(duration: float | None) -> str:
    return "" if duration is None else f"{duration:.2f} s"


def _call(call: ToolCall) -> str:
    """``name(key: "value", ...)``, as cagent prints a tool call."""
    if isinstance(call.arguments, dict):
        inner = ", ".join(
            f"{key}: {json.dumps(value, ensure_ascii=False)}"
            for key, value in call.arguments.items()
        )
    else:
        inner = json.dumps(call.arguments, ensure_ascii=False)
    return f"{call.name}({inner})"


def _result(text: str, full: bool) -> str:
    """A tool's result as cagent prints it (a JSON string), long ones cut short."""
    if full or len(text) <= _SHORT_RESULT:
        return json.dumps(text, ensure_ascii=False)
    hidden = len(text) - _SHORT_RESULT
    cut = json.dumps(text[:_SHORT_RESULT], ensure_ascii=False)
    return f"{cut}… ({hidden:,} more characters; --full shows them)"


def _message_lines(message: TranscriptMessage, full: bool) -> list[tuple[str, str]]:
    """``(role, text)`` lines of a message."""
    if message.role == "tool":
        return [("tool", f"{message.name or 'tool'} response → {_result(message.text, full)}")]
    lines = [
        (message.role, line)
        for line in message.text.splitlines() or ([""] if not message.tool_calls else [])
    ]
    if message.role == "system" and not full and len(lines) > _SHORT_LINES:
        hidden = len(lines) - _SHORT_LINES
        lines = [*lines[:_SHORT_LINES], ("system", f"… ({hidden} more lines; --full shows them)")]
    lines += [(message.role, f"Calling {_call(call)}") for call in message.tool_calls]
    return lines


def _header(turn: Turn, number: int) -> str:
    parts = [f"turn {number}"]
    if turn.agent:
        parts.append(f"agent {turn.agent}")
    if turn.mcp is not None:
        parts += ["mcp", turn.mcp.server]
    else:
        parts += [turn.api, turn.model or ""]
    parts += [_tokens(turn.usage), _seconds(turn.duration)]
    return " · ".join(part for part in parts if part)


def _turn_lines(turn: Turn, number: int, style: _Style, full: bool) -> list[str]:
    messages: list[list[tuple[str, str]]] = [_message_lines(m, full) for m in turn.sent]
    if turn.mcp is not None:
        call = ToolCall(turn.mcp.name, turn.mcp.arguments, "")
        result = _result(turn.mcp.result, full)
        messages.append([("tool", f"Calling {_call(call)}"),
                         ("tool", f"{turn.mcp.name} response → {result}")])  # fmt: skip
    if turn.answer is not None:
        messages.append(_message_lines(turn.answer, full))
    if turn.error:
        messages.append([("error", turn.error)])
    lines = [style(_BOLD, _header(turn, number))]
    for rows in messages:  # the role once per message, at its first line
        for index, (role, text) in enumerate(rows):
            label = role if index == 0 else ""
            lines.append(f"  {style(_COLOURS[role], label.ljust(_LABEL))} {text}".rstrip())
    return lines


def _summary(shown: str, transcript: Transcript) -> str:
    count = len(transcript.turns)
    parts = [shown, f"{count} turn{'' if count == 1 else 's'}"]
    if transcript.usage.total_tokens:
        parts.append(_tokens(transcript.usage))
    if transcript.duration:
        parts.append(f"{transcript.duration:.2f} s recorded")
    if transcript.agents:
        parts.append("agents " + ", ".join(transcript.agents))
    if transcript.other_requests:
        parts.append(f"{transcript.other_requests} other requests not shown")
    return " · ".join(parts)


def render(shown: str, transcript: Transcript, *, colour: bool, full: bool = False) -> str:
    """The transcript of the cassette shown as ``shown``, as text for a terminal."""
    style = _Style(colour)
    lines = [style(_BOLD, _summary(shown, transcript))]
    for number, turn in enumerate(transcript.turns, start=1):
        lines += ["", *_turn_lines(turn, number, style, full)]
    return "\n".join(lines) + "\n"


def as_data(shown: str, transcript: Transcript) -> dict[str, Any]:
    """What ``--json`` prints for a cassette."""
    return {"cassette": shown, **transcript.to_json()}
