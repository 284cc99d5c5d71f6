"""The model's ``user_prompt`` questions, asked at the terminal.

Each field of the answer's schema is asked on a line of its own (the fields of an object
schema by name; a primitive schema is one field named by its title, else ``value``; no
schema: one free answer, ``response``), as cagent's dialog names them. An empty line keeps
a field's default; the end of input cancels. Without a terminal, or with ``--json``, the
question is declined, as cagent's command line declines it.
"""

from __future__ import annotations

from typing import Any

from agentcore.cli.console import Console
from agentcore.tools.builtin.user_prompt import Answer, Ask, Question

__all__ = ["asker"]

PRIMITIVES = ("string", "number", "integer", "boolean")


class _Cancelled(Exception):
    """The input ended before the answer was complete."""


def asker(console: Console, *, json: bool) -> Ask:
    """Who answers the model's questions: the person at ``console``, if there is one."""

    def ask(agent: str, question: Question) -> Answer:
        if json or not console.interactive:
            return Answer("decline")
        console.write(f"\n❓ {question.title or 'Question'} ({agent}): {question.message}\n")
        try:
            return Answer("accept", _content(console, question.schema or {}))
        except _Cancelled:
            console.write("\n")
            return Answer("cancel")

    return ask


def _fields(schema: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The fields to ask, by the name they have in the answer."""
    properties = schema.get("properties")
    if isinstance(properties, dict) and properties:
        return {str(k): v if isinstance(v, dict) else {} for k, v in properties.items()}
    if schema.get("type") in PRIMITIVES or "enum" in schema:
        return {str(schema.get("title") or "value"): schema}
    return {}


def _line(console: Console, prompt: str) -> str:
    console.write(prompt)
    line = console.stdin.readline()
    if not line:
        raise _Cancelled
    return line.strip()


def _content(console: Console, schema: dict[str, Any]) -> dict[str, Any]:
    """The answer's content, one field per line."""
    fields = _fields(schema)
    if not fields:  # free-form
        text = _line(console, "> ")
        return {"response": text} if text else {}
    content: dict[str, Any] = {}
    for name, field in fields.items():
        choices = field.get("enum")
        hint = f" [{' / '.join(map(str, choices))}]" if isinstance(choices, list) else ""
        hint += " (y/n)" if field.get("type") == "boolean" else ""
        while True:
            text = _line(console, f"  {field.get('title') or name}{hint}: ")
            value = _value(field, text)
            if value is not None or not text:
                break
            console.write(f"  not a valid {field.get('type') or 'choice'}; try again\n")
        if value is not None:
            content[name] = value
        elif "default" in field:
            content[name] = field["default"]
    return content


def _value(field: dict[str, Any], text: str) -> Any:
    """``text`` as the field's type (None: empty, or not of that type)."""
    if not text:
        return None
    kind = field.get("type")
    choices = field.get("enum")
    if isinstance(choices, list):
        return next((choice for choice in choices if str(choice) == text), None)
    if kind == "boolean":
        return {"y": True, "yes": True, "true": True, "n": False, "no": False, "false": False}.get(
            text.lower()
        )
    if kind in ("integer", "number"):
        try:
            return int(text) if kind == "integer" else float(text)
        except ValueError:
            return None
    return text
