"""A cassette as a transcript: each exchange with a model (or a tool call to an MCP server)
as a turn, with what was new in its request (the user's message, tool results), the
model's answer (text, tool calls), which agent spoke, the tokens counted and the time the
provider took when it was recorded. Provider-neutral, and the same data for the terminal
(``python -m pytest_agentcassette show``), ``--json`` and the HTML report.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import unquote, urlsplit

from pytest_agentcassette._conversation.conversation import Conversation, Exchange, ToolCall, Usage
from pytest_agentcassette._conversation.mcp import McpCall
from pytest_agentcassette._conversation.requests import SentMessage, sent_messages
from pytest_agentcassette._conversation.shapes import parse_arguments
from pytest_agentcassette._model import AGENT_HEADER, NOT_JSON, Interaction, json_value

__all__ = ["AGENT_HEADER", "Transcript", "TranscriptMessage", "Turn"]

"""The request header in which agentcore names the agent that sends a request."""


@dataclass(frozen=True)
class TranscriptMessage:
    """A message of the transcript: ``role`` is ``system``, ``user``, ``assistant`` or
    ``tool`` (the result of the call ``tool_call_id``, to the tool ``name``).
    """

    role: str
    text: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None
    name: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The message as data (keys with nothing to say are left out)."""
        data: dict[str, Any] = {"role": self.role}
        if self.text:
            data["text"] = self.text
        if self.tool_calls:
            data["tool_calls"] = [
                {"id": c.id, "name": c.name, "arguments": c.arguments} for c in self.tool_calls
            ]
        if self.tool_call_id:
            data["tool_call_id"] = self.tool_call_id
        if self.name:
            data["name"] = self.name
        return data


@dataclass(frozen=True)
class Turn:
    """One interaction read as a step of the conversation."""

    position: int
    """The interaction's position in the cassette."""
    api: str
    """As :class:`~pytest_agentcassette.Exchange` names it (``openai-chat``, ``mcp``...)."""
    method: str
    url: str
    status: int
    agent: str | None = None
    model: str | None = None
    sent: tuple[TranscriptMessage, ...] = ()
    """The messages of the request that earlier turns had not shown."""
    answer: TranscriptMessage | None = None
    usage: Usage | None = None
    duration: float | None = None
    """Seconds the provider took, as recorded."""
    mcp: McpCall | None = None
    error: str | None = None
    """A transport error, or the error status, the request met."""

    def to_json(self) -> dict[str, Any]:
        """The turn as data."""
        data: dict[str, Any] = {
            "position": self.position, "api": self.api, "method": self.method,
            "url": self.url, "status": self.status, "agent": self.agent, "model": self.model,
            "sent": [message.to_json() for message in self.sent],
            "answer": self.answer.to_json() if self.answer else None,
            "usage": None if self.usage is None else self.usage.__dict__.copy(),
            "duration": self.duration, "error": self.error,
        }  # fmt: skip
        if self.mcp is not None:
            data["mcp"] = {"server": self.mcp.server, "name": self.mcp.name,
                           "arguments": self.mcp.arguments, "result": self.mcp.result,
                           "is_error": self.mcp.is_error}  # fmt: skip
        return data


@dataclass(frozen=True)
class Transcript:
    """The turns of a cassette, in the order their requests were sent."""

    turns: tuple[Turn, ...]
    other_requests: int = 0
    """Interactions that are neither a model's nor a tool call (an MCP ``initialize``,
    a listing, a ``GET /v1/models``), left out of :attr:`turns`.
    """

    @classmethod
    def of(cls, interactions: Iterable[Interaction]) -> Transcript:
        """Read ``interactions`` (a cassette's, in file order) as a transcript."""
        interactions = list(interactions)
        conversation = Conversation.of(interactions)
        reader = _Reader(conversation)
        turns = []
        for interaction, exchange in zip(interactions, conversation.exchanges, strict=True):
            turn = reader.turn(interaction, exchange)
            if turn is not None:
                turns.append(turn)
        return cls(tuple(turns), len(interactions) - len(turns))

    @property
    def usage(self) -> Usage:
        """Tokens over every turn that reported them."""
        total = Usage()
        for turn in self.turns:
            if turn.usage is not None:
                total = total + turn.usage
        return total

    @property
    def duration(self) -> float:
        """Seconds the providers took, as recorded, over every turn."""
        return sum(turn.duration or 0.0 for turn in self.turns)

    @property
    def agents(self) -> list[str]:
        """The agents that spoke, in the order they first did."""
        return list(dict.fromkeys(t.agent for t in self.turns if t.agent))

    @property
    def delegations(self) -> list[tuple[str, str]]:
        """``(from, to)`` for each task an agent gave another (``transfer_task``) or each
        conversation it handed over (``handoff``), in order.
        """
        edges = []
        for turn in self.turns:
            for call in turn.answer.tool_calls if turn.answer else ():
                target = call.arguments.get("agent") if isinstance(call.arguments, dict) else None
                if call.name in ("transfer_task", "handoff") and isinstance(target, str):
                    edges.append((turn.agent or "?", target))
        return edges

    def to_json(self) -> dict[str, Any]:
        """The transcript as data: what ``show --json`` prints."""
        usage = self.usage
        return {
            "turns": [turn.to_json() for turn in self.turns],
            "other_requests": self.other_requests,
            "usage": usage.__dict__.copy(),
            "duration": round(self.duration, 3),
            "agents": self.agents,
            "delegations": [list(edge) for edge in self.delegations],
        }


def _model_of(interaction: Interaction, body: Any) -> str | None:
    if isinstance(body, dict) and isinstance(body.get("model"), str):
        return str(body["model"])
    try:
        parts = urlsplit(interaction.request.url)
    except ValueError:  # a URL written by hand that does not parse
        return None
    path = unquote(parts.path)
    if "/models/" in path:  # Gemini: /v1beta/models/NAME:generateContent
        return path.rpartition("/models/")[2].partition(":")[0] or None
    for pair in parts.query.split("&"):
        if pair.startswith("model="):  # a realtime API's connection
            return unquote(pair.removeprefix("model=")) or None
    return None


def _error_of(interaction: Interaction) -> str | None:
    response = interaction.response
    if response.error is not None:
        return f"{response.error.kind}: {response.error.message}".rstrip(": ")
    if response.status_code >= 400:
        return f"{response.status_code} {response.reason}".rstrip()
    return None


@dataclass
class _Reader:
    """Reads turns in order, remembering per agent what earlier turns showed."""

    conversation: Conversation
    shown: dict[str, int] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    mcp_calls: list[McpCall] = field(default_factory=list)

    def __post_init__(self) -> None:
        for call in self.conversation.tool_calls:
            if call.raw_id is not None:
                self.ids[call.raw_id] = call.id
            self.names[call.id] = call.name
        self.mcp_calls = list(self.conversation.mcp_calls)

    def turn(self, interaction: Interaction, exchange: Exchange) -> Turn | None:
        request = interaction.request
        head = Turn(
            interaction.id,
            exchange.api,
            request.method,
            request.url,
            interaction.response.status_code,
            agent=request.header(AGENT_HEADER),
            duration=interaction.response.duration,
            error=_error_of(interaction),
        )
        if exchange.api == "mcp":
            if request.method != "tools/call" or not self.mcp_calls:
                return None
            return replace(head, mcp=self.mcp_calls.pop(0))
        if exchange.api == "unknown":
            return None
        body = json_value(request.body)
        body = None if body is NOT_JSON else body
        answer = None
        if exchange.text or exchange.tool_calls:
            answer = TranscriptMessage("assistant", exchange.text, tuple(exchange.tool_calls))
        return replace(
            head,
            model=_model_of(interaction, body),
            sent=tuple(self._new_messages(exchange.api, head.agent, body)),
            answer=answer,
            usage=exchange.usage,
        )

    def _new_messages(self, api: str, agent: str | None, body: Any) -> list[TranscriptMessage]:
        """The request's messages that the agent's earlier turns had not shown: a request
        re-sends the whole conversation, and only what follows its previous request (and
        the answer to it) is new.
        """
        messages = sent_messages(api, body)
        if api in ("openai-realtime", "gemini-live"):
            return [self._message(m) for m in messages]
        thread = agent or next((m.text for m in messages if m.role == "system"), "")
        start = self.shown.get(thread, 0)
        if start > len(messages):
            start = 0  # the history was rewritten (compacted): show it all again
        if start and start < len(messages) and messages[start].role == "assistant":
            start += 1  # the answer to the previous request, shown with that turn
        self.shown[thread] = len(messages)
        return [self._message(m) for m in messages[start:]]

    def _message(self, message: SentMessage) -> TranscriptMessage:
        if message.role == "tool":
            call_id = self.ids.get(message.raw_id or "", message.raw_id)
            name = message.name or self.names.get(call_id or "")
            return TranscriptMessage("tool", message.text, tool_call_id=call_id, name=name)
        calls = tuple(
            ToolCall(
                call.name,
                parse_arguments(call.arguments),
                self.ids.get(call.raw_id or "", call.raw_id or ""),
                call.raw_id,
            )
            for call in message.calls
        )
        return TranscriptMessage(message.role, message.text, calls)
