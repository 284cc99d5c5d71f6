"""What a tool is, and how toolsets are described to the model.

A toolset keeps its state in one object (a sandbox, a database, a task list); each of its
tools is declared once as a :class:`ToolSpec`, whose function takes that state and the
call's arguments. :func:`bind_tools` turns the declarations into the callable
:class:`Tool` objects of one toolset.
"""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from agentcore.messages import ToolDefinition

__all__ = [
    "Arguments",
    "Tool",
    "ToolError",
    "ToolFailed",
    "ToolSpec",
    "Toolset",
    "bind_tools",
    "go_json",
    "go_sorted",
    "object_schema",
]

State = TypeVar("State")

Arguments = dict[str, Any]
"""A tool call's arguments, parsed from the JSON the model wrote."""


class ToolError(Exception):
    """A tool failed in a way the model should hear about: it becomes the tool result
    ``Error calling tool: <message>``, and the agent carries on.
    """


class ToolFailed(Exception):
    """A tool answered with an error of its own (an MCP tool's ``isError``): the message is
    the tool result as written, flagged as an error, and the agent carries on.
    """


@dataclass(frozen=True)
class Tool:
    """A callable tool: its definition, and a handler from parsed arguments to text.

    ``limits_output``: whether its output is cut at 30,000 characters, as cagent cuts its
    built-in tools' (not an MCP server's).
    """

    definition: ToolDefinition
    handler: Callable[[Arguments], str]
    limits_output: bool = True

    @property
    def name(self) -> str:
        """The tool's name, as the model calls it."""
        return self.definition.name


def _holds_nothing() -> None:
    """The ``close`` of a toolset that holds no resource."""


@dataclass
class Toolset:
    """A toolset of an agent: its tools, the system message that explains them, and
    ``close``, which releases what it holds (a database) when its session closes.
    """

    type: str
    tools: list[Tool] = field(default_factory=list)
    instruction: str = ""
    close: Callable[[], None] = _holds_nothing


def object_schema(properties: dict[str, Any], required: Iterable[str]) -> dict[str, Any]:
    """A JSON schema object in the form cagent sends (keys sorted as Go's encoder sorts them)."""
    return {
        "additionalProperties": False,
        "properties": dict(sorted(properties.items())),
        "required": sorted(required),
        "type": "object",
    }


@dataclass(frozen=True)
class ToolSpec(Generic[State]):
    """A tool as a toolset declares it: what the model is told (name, description, the
    properties of its arguments and which are required, whether it only reads), and
    ``run``, the function that answers a call given the toolset's state and the arguments.
    """

    name: str
    description: str
    properties: dict[str, Any]
    required: tuple[str, ...]
    run: Callable[[State, Arguments], str]
    read_only: bool = False

    def definition(self) -> ToolDefinition:
        """The tool as the model sees it (a schema of its own, for each toolset built)."""
        schema = object_schema(copy.deepcopy(self.properties), self.required)
        return ToolDefinition(self.name, self.description, schema, self.read_only)

    def bind(self, state: State) -> Tool:
        """The callable tool, running on ``state``."""
        return Tool(self.definition(), functools.partial(self.run, state))


def bind_tools(specs: Iterable[ToolSpec[State]], state: State) -> list[Tool]:
    """The tools ``specs`` declare, in their order, all running on ``state``."""
    return [spec.bind(state) for spec in specs]


def go_json(value: Any, *, sort_keys: bool = True) -> str:
    """``value`` as Go's ``json.Marshal`` writes it: compact, map keys sorted (a struct's
    fields keep their order: ``sort_keys=False``), and ``<``, ``>``, ``&``, U+2028 and
    U+2029 escaped.
    """
    text = json.dumps(value, separators=(",", ":"), sort_keys=sort_keys, ensure_ascii=False)
    for char in "<>&\u2028\u2029":
        text = text.replace(char, f"\\u{ord(char):04x}")
    return text


def go_sorted(value: Any) -> Any:
    """``value`` with every mapping's keys sorted, as Go's JSON encoder writes maps."""
    if isinstance(value, dict):
        return {key: go_sorted(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [go_sorted(item) for item in value]
    return value
