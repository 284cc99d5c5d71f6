"""The ``user_prompt`` toolset: the model asks the user a question, optionally with a JSON
schema for the answer, as cagent's ``user_prompt.go`` does.

The question goes to the session's ``ask`` (the CLI asks on the terminal); the result is
cagent's JSON ``{"action": ..., "content": ...}``, flagged as an error unless the user
accepted. Without anyone to ask (a run without a terminal, ``--json``, a library session
without ``ask``), the question is declined, as cagent's command line declines it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from agentcore.tools.base import (
    Arguments,
    ToolError,
    ToolFailed,
    Toolset,
    ToolSpec,
    bind_tools,
    go_json,
)

__all__ = ["Answer", "Ask", "Question", "user_prompt_toolset"]

USER_PROMPT_INSTRUCTION = """## User Prompt Tool

Ask the user a question when you need clarification, input, or a decision.

Optionally provide a JSON schema to structure the response:
- Enum: {"type": "string", "enum": ["option1", "option2"], "title": "Select"}
- Object: {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}

Response contains "action" (accept/decline/cancel) and "content" (user data when accepted)."""
ACTIONS = ("accept", "decline", "cancel")


@dataclass(frozen=True)
class Question:
    """What the model asks: the message, the dialog's title (``""``: none) and the schema
    of the answer (None: free text).
    """

    message: str
    title: str = ""
    schema: dict[str, Any] | None = None


@dataclass(frozen=True)
class Answer:
    """The user's answer: ``accept`` (with ``content``), ``decline`` or ``cancel``."""

    action: str
    content: dict[str, Any] = field(default_factory=dict)


Ask = Callable[[str, Question], Answer]
"""Asks the user ``(agent, question)``; returns the :class:`Answer`."""


class Asker:
    """The toolset's state: who answers (None: nobody, so every question is declined)."""

    def __init__(self, agent: str, ask: Ask | None):
        self.agent = agent
        self.ask = ask


def user_prompt_toolset(agent: str, ask: Ask | None) -> Toolset:
    """The ``user_prompt`` tool of ``agent``, whose questions go to ``ask``."""
    return Toolset(
        "user_prompt", bind_tools(USER_PROMPT_TOOLS, Asker(agent, ask)), USER_PROMPT_INSTRUCTION
    )


def _question(args: Arguments) -> Question:
    message, title, schema = args.get("message", ""), args.get("title") or "", args.get("schema")
    if not isinstance(message, str) or not isinstance(title, str):
        raise ToolError("'message' and 'title' must be text")
    if schema is not None and not isinstance(schema, dict):
        raise ToolError(f"'schema' must be a JSON schema object, got {schema!r}")
    return Question(message, title, schema or None)


def user_prompt(asker: Asker, args: Arguments) -> str:
    """Ask the question; cagent's JSON answer (an error result unless accepted)."""
    question = _question(args)
    answer = asker.ask(asker.agent, question) if asker.ask is not None else Answer("decline")
    if answer.action not in ACTIONS:
        raise ToolError(f"the answer's action must be one of {', '.join(ACTIONS)}")
    response: dict[str, Any] = {"action": answer.action}
    if answer.content:
        response["content"] = answer.content
    if answer.action != "accept":
        raise ToolFailed(go_json(response))
    return go_json(response)


USER_PROMPT_TOOLS: tuple[ToolSpec[Asker], ...] = (
    ToolSpec(
        "user_prompt",
        "Ask the user a question and wait for their response. Use this when you need "
        "interactive input, clarification, or confirmation from the user. Optionally provide "
        "a JSON schema to define the expected response structure.",
        {
            "message": {
                "description": "The message/question to display to the user",
                "type": "string",
            },
            "schema": {
                "additionalProperties": {},
                "description": "JSON Schema defining the expected response structure. Supports "
                "object schemas with properties or primitive type schemas.",
                "type": "object",
            },
            "title": {
                "description": "Optional title for the dialog window (defaults to 'Question')",
                "type": "string",
            },
        },
        ("message",),
        user_prompt,
        read_only=True,
    ),
)
"""The user_prompt tool."""
