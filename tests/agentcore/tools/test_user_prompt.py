"""The ``user_prompt`` toolset: the model's question goes to the session's ``ask`` (the
terminal in the CLI), and the answer comes back as cagent's JSON; without anyone to ask,
the question is declined. Recorded once, replayed with the provider gone."""

from __future__ import annotations

import io
import json
from pathlib import Path

from agentcore import events
from agentcore.cli.console import Console
from agentcore.cli.questions import asker
from agentcore.tools.builtin.user_prompt import Answer, Question
from pytest_agentcassette import use_cassette
from tests.support.agents import load, sent
from tests.support.network import NetworkCut
from tests.support.provider_server import ProviderServer
from tests.support.wire_formats import Reply

AGENT = """\
agents:
  root:
    model: main
    instruction: Ask.
    toolsets: [{type: user_prompt}]
"""
SCHEMA = {"type": "object", "properties": {"color": {"type": "string", "enum": ["red", "blue"]}}}
QUESTION = {"message": "Which color?", "title": "Color", "schema": SCHEMA}
USER_PROMPT_DEFINITION = {
    "type": "function",
    "function": {
        "name": "user_prompt",
        "description": "Ask the user a question and wait for their response. Use this when you "
        "need interactive input, clarification, or confirmation from the user. Optionally "
        "provide a JSON schema to define the expected response structure.",
        "parameters": {
            "additionalProperties": False,
            "properties": {
                "message": {
                    "description": "The message/question to display to the user",
                    "type": "string",
                },
                "schema": {
                    "additionalProperties": {},
                    "description": "JSON Schema defining the expected response structure. "
                    "Supports object schemas with properties or primitive type schemas.",
                    "type": "object",
                },
                "title": {
                    "description": "Optional title for the dialog window (defaults to 'Question')",
                    "type": "string",
                },
            },
            "required": ["message"],
            "type": "object",
        },
    },
}


def _finished(found: list[events.Event]) -> list[tuple[str, bool]]:
    return [(e.output, e.error) for e in found if isinstance(e, events.ToolCallFinished)]


def test_a_question_is_answered_then_replayed(
    tmp_path: Path, provider_server: ProviderServer, network_cut: NetworkCut
) -> None:
    provider_server.script = [Reply(tool=("user_prompt", QUESTION)), Reply("Blue it is.")]
    asked: list[tuple[str, Question]] = []

    def ask(agent: str, question: Question) -> Answer:
        asked.append((agent, question))
        return Answer("accept", {"color": "blue"})

    cassette = tmp_path / "ask.yaml"
    with use_cassette(cassette, record_mode="once"), load(tmp_path, provider_server, AGENT) as team:
        recorded = list(team.session(ask=ask).stream("Pick"))
    body = json.loads(provider_server.requests[0].body)
    assert body["tools"] == [USER_PROMPT_DEFINITION]
    assert sent(provider_server, 0)[1]["content"].startswith("## User Prompt Tool\n\nAsk the user")
    assert asked == [("root", Question("Which color?", "Color", SCHEMA))]
    answer = '{"action":"accept","content":{"color":"blue"}}'
    assert _finished(recorded) == [(answer, False)]
    provider_server.stop()

    with network_cut, use_cassette(cassette), load(tmp_path, provider_server, AGENT) as team:
        replayed = list(team.session(ask=ask).stream("Pick"))
    assert _finished(replayed) == [(answer, False)]
    assert network_cut.attempts == []


def test_without_anyone_to_ask_the_question_is_declined(
    tmp_path: Path, provider_server: ProviderServer
) -> None:
    provider_server.script = [Reply(tool=("user_prompt", QUESTION)), Reply("OK.")]
    with load(tmp_path, provider_server, AGENT) as team:
        result = team.run("Pick")  # read-only: no approval asked
    assert _finished(result.events) == [('{"action":"decline"}', True)]


def _console(typed: str, *, interactive: bool = True) -> Console:
    return Console(io.StringIO(typed), io.StringIO(), io.StringIO(), interactive)


def test_the_terminal_asks_each_field() -> None:
    console = _console("green\nblue\n")
    answer = asker(console, json=False)("root", Question("Which color?", "Color", SCHEMA))
    assert answer == Answer("accept", {"color": "blue"})
    shown = console.stdout.getvalue()  # type: ignore[attr-defined]
    assert "❓ Color (root): Which color?\n" in shown
    assert "  color [red / blue]: " in shown
    assert "not a valid string; try again" in shown


def test_the_terminal_answers_free_text_and_primitives_and_ends_with_cancel() -> None:
    ask = asker(_console("Paris\n"), json=False)
    assert ask("root", Question("Where?")) == Answer("accept", {"response": "Paris"})
    ask = asker(_console("42\n"), json=False)
    number = Question("How old?", schema={"type": "integer", "title": "Age"})
    assert ask("root", number) == Answer("accept", {"Age": 42})
    assert asker(_console(""), json=False)("root", Question("Where?")) == Answer("cancel")


def test_no_terminal_or_json_declines() -> None:
    question = Question("Where?")
    assert asker(_console("x\n", interactive=False), json=False)("r", question).action == "decline"
    assert asker(_console("x\n"), json=True)("r", question).action == "decline"
