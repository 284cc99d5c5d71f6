"""The transcript's formatting, case by case, as cagent's pkg/cli/printer.go produces it
(formatToolCallArguments, formatToolCallResponse, formatJSONValue) with Go's %q and
encoding/json underneath."""

from __future__ import annotations

import io

import pytest

from agentcore import events
from agentcore.cli.printer import TranscriptPrinter, format_arguments, format_response, go_quote
from agentcore.messages import ToolCall


@pytest.mark.parametrize(
    ("arguments", "printed"),
    [
        ("", "()"),
        ("{}", "()"),
        ("null", "()"),  # decodes as an empty ordered map
        ('{"path":"x"}', '(path: "x")'),
        ('{"b":1,"a":2}', "(\n  b: 1\n  a: 2\n)"),  # the arguments' own key order
        ('{"k":[]}', "(k: [])"),
        ('{"k":["x"]}', '(k: ["x"])'),  # one element: compact
        ('{"k":["x","y"]}', '(\n  k: [\n  "x",\n  "y"\n]\n)'),  # more: indented, not re-indented
        ('{"o":{"z":1,"a":true}}', '(\n  o: {\n  "a": true,\n  "z": 1\n}\n)'),  # maps sorted
        ('{"o":{}}', "(o: {})"),  # an empty map marshals on one line
        ('{"k":["<a&b>"]}', '(k: ["\\u003ca\\u0026b\\u003e"])'),  # Go escapes HTML in JSON
        ('{"n":3.0}', "(n: 3)"),
        ('{"n":2.50}', "(n: 2.5)"),
        ('{"n":0.00001}', "(n: 0.00001)"),
        ('{"n":1.5e-5}', "(n: 0.000015)"),
        ('{"n":1e-7}', "(n: 1e-7)"),
        ('{"n":1e21}', "(n: 1e+21)"),
        ('{"n":123456789012345678}', "(n: 123456789012345680)"),  # a float64
        ('{"n":-0.0}', "(n: -0)"),
        ('{"b":false,"z":null}', "(\n  b: false\n  z: null\n)"),
        ('{"c":"a\\nb"}', '(c: "a\\nb")'),
        ('{"s":"café ✓ 😀"}', '(s: "café ✓ 😀")'),
        ('{"s":"\\u0001\\u007f\\u200b"}', '(s: "\\x01\\x7f\\u200b")'),
        ('{"s":"\\ud83d"}', '(s: "\ufffd")'),  # a lone surrogate decodes as U+FFFD
        ("[1,2]", "([\n  1,\n  2\n])"),
        ('"x"', '("x")'),
        ('{"path": ', '({"path": )'),  # not JSON: as it came
        ("NaN", "(NaN)"),
        ("1e400", "(1e400)"),  # does not fit a float64: not JSON for Go
    ],
)
def test_arguments(arguments: str, printed: str) -> None:
    assert format_arguments(arguments) == printed


FOUR_LINES = "first\n\n\n  indented\n\x1c\nlast\n"


@pytest.mark.parametrize(
    ("response", "printed"),
    [
        ("", " → ()"),
        ("hello", ' → "hello"'),
        ("FILE README.me\n", ' → "FILE README.me\\n"'),
        ("a\nb\nc\n", ' → "a\\nb\\nc\\n"'),  # up to 3 lines after trimming: quoted
        ("a\nb\nc\nd", " → (\na\nb\nc\nd\n)"),
        # runs of blank lines collapse to one; lines keep their spaces; \x1c is not a space
        (FOUR_LINES, " → (\nfirst\n\n  indented\n\x1c\nlast\n)"),
        ("  \n\n a\nb\n\n", ' → "  \\n\\n a\\nb\\n\\n"'),
        ("null", " → (null)"),
        ("42", " → (42)"),
        ('"str"', ' → ("str")'),
        ("[1]", " → ([\n  1\n])"),
        ('{"ok":true}', " → (ok: true)"),
        ('{"b":[1,2],"a":"x"}', ' → (\n  b: [\n  1,\n  2\n]\n  a: "x"\n)'),
        ("NaN", ' → "NaN"'),
        ("Infinity", ' → "Infinity"'),
        ("1e400", ' → "1e400"'),
        ('["\\ud83d"]', ' → ([\n  "\ufffd"\n])'),
        ("tab\there", ' → "tab\\there"'),
    ],
)
def test_responses(response: str, printed: str) -> None:
    assert format_response(response) == printed


@pytest.mark.parametrize(
    ("text", "quoted"),
    [
        ('a"b\\c', '"a\\"b\\\\c"'),
        ("\a\b\f\n\r\t\v", '"\\a\\b\\f\\n\\r\\t\\v"'),
        ("\x00\x1f\x7f", '"\\x00\\x1f\\x7f"'),
        ("\u00a0\u2028", '"\\u00a0\\u2028"'),
        ("\U000e0001", '"\\U000e0001"'),
        ("caf\udce9", '"caf\\xe9"'),  # a byte that was not UTF-8 (surrogateescape)
        ("\ud83d", '"\\xed\\xa0\\xbd"'),
    ],
)
def test_go_quote(text: str, quoted: str) -> None:
    assert go_quote(text) == quoted


def test_headers_follow_the_speaking_agent_and_each_turn() -> None:
    out = io.StringIO()
    printer = TranscriptPrinter(out)
    call = ToolCall("c1", "transfer_task", '{"agent":"helper"}')
    timeline: list[events.Event] = [
        events.AgentStarted("root"),
        events.TextDelta("root", "Asking."),
        events.ToolCallStarted("root", call),
        events.AgentStarted("helper", depth=1),
        events.TextDelta("helper", "Done.", depth=1),
        events.ToolCallFinished("root", call, "Done."),
        events.TextDelta("root", "It is done."),
    ]
    for event in timeline:
        printer(event)
    printer.start_turn()
    printer(events.AgentStarted("root"))
    printer(events.TextDelta("root", "Again."))
    assert out.getvalue() == (
        "\n--- Agent: root ---\nAsking.\n"
        'Calling transfer_task(agent: "helper")\n'
        "\n\n--- Agent: helper ---\nDone."
        "\n\n--- Agent: root ---\n"
        '\ntransfer_task response → "Done."\n'
        "It is done."
        "\n--- Agent: root ---\nAgain."
    )


def test_hidden_tool_calls_still_switch_headers_and_confirmed_calls_print_once() -> None:
    out = io.StringIO()
    printer = TranscriptPrinter(out, hide_tool_calls=True)
    call = ToolCall("c1", "write_file", '{"path":"a"}')
    printer(events.AgentStarted("root"))
    printer(events.ToolCallStarted("root", call))
    printer(events.ToolCallFinished("root", call, "ok"))
    printer(events.TextDelta("helper", "x", depth=1))
    assert out.getvalue() == "\n--- Agent: root ---\n\n\n--- Agent: helper ---\nx"

    shown = io.StringIO()
    printer = TranscriptPrinter(shown)
    printer(events.AgentStarted("root"))
    printer.confirm(call)
    printer(events.ToolCallStarted("root", call, confirmed=True))
    printer(events.ToolCallFinished("root", call, "ok"))
    assert shown.getvalue().count('Calling write_file(path: "a")') == 1
    assert shown.getvalue().endswith('\nwrite_file response → "ok"\n')


def test_text_that_is_not_valid_unicode_is_printed_not_fatal() -> None:
    out = io.BytesIO()
    stream = io.TextIOWrapper(out, encoding="utf-8")
    printer = TranscriptPrinter(stream)
    printer(events.TextDelta("root", "half an emoji: \ud83d"))
    stream.flush()
    assert out.getvalue().endswith("half an emoji: \ufffd".encode())
