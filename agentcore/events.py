"""What happens during a run, as it happens: the stream a CLI prints and tests assert on.

Every event names its ``agent``; ``depth`` is 0 for the agent the user talks to and grows
by one inside each ``transfer_task``, so the delegation graph can be read off the events.
"""

from __future__ import annotations

from dataclasses import dataclass

from agentcore.messages import ToolCall, Usage

__all__ = [
    "AgentStarted",
    "Event",
    "Handoff",
    "HookWarning",
    "MaxIterationsReached",
    "TextDelta",
    "ToolCallFinished",
    "ToolCallStarted",
    "TransferFinished",
    "TransferStarted",
    "UsageReported",
]


@dataclass(frozen=True)
class AgentStarted:
    """An agent starts speaking (first turn, after a transfer or a handoff)."""

    agent: str
    depth: int = 0


@dataclass(frozen=True)
class TextDelta:
    """A piece of an agent's answer, as it streams."""

    agent: str
    text: str
    depth: int = 0


@dataclass(frozen=True)
class ToolCallStarted:
    """A tool call runs (after approval, when it needs one; a rejected call only finishes).

    ``confirmed`` is true when someone was asked and approved it.
    """

    agent: str
    call: ToolCall
    depth: int = 0
    confirmed: bool = False


@dataclass(frozen=True)
class ToolCallFinished:
    """A tool call's result, as the model will read it."""

    agent: str
    call: ToolCall
    output: str
    error: bool = False
    rejected: bool = False
    depth: int = 0


@dataclass(frozen=True)
class TransferStarted:
    """``transfer_task``: ``agent`` hands ``task`` to ``target``, which runs a child session."""

    agent: str
    target: str
    task: str
    expected_output: str
    depth: int = 0


@dataclass(frozen=True)
class TransferFinished:
    """The child session of ``target`` ended; ``result`` goes back to ``agent``."""

    agent: str
    target: str
    result: str
    depth: int = 0


@dataclass(frozen=True)
class Handoff:
    """``handoff``: the conversation moves from ``agent`` to ``target`` for good."""

    agent: str
    target: str
    depth: int = 0


@dataclass(frozen=True)
class UsageReported:
    """Tokens counted for one model call of ``agent``."""

    agent: str
    usage: Usage
    model: str
    depth: int = 0


@dataclass(frozen=True)
class MaxIterationsReached:
    """``agent`` hit its ``max_iterations`` limit and stopped."""

    agent: str
    limit: int
    depth: int = 0


@dataclass(frozen=True)
class HookWarning:
    """A hook's ``system_message`` around one of ``agent``'s tool calls (cagent shows it
    as a warning).
    """

    agent: str
    message: str
    depth: int = 0


Event = (
    AgentStarted
    | TextDelta
    | ToolCallStarted
    | ToolCallFinished
    | TransferStarted
    | TransferFinished
    | Handoff
    | UsageReported
    | MaxIterationsReached
    | HookWarning
)
