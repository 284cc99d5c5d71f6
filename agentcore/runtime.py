"""The agent loop, as cagent runs it.

Each iteration builds the messages (the agent's system messages, then the conversation),
streams the model, records its answer, and runs its tool calls in order; it stops when the
model stops (``stop``/``length``), says nothing, or calls no tool, or when
``max_iterations`` is reached (:data:`DEFAULT_MAX_ITERATIONS` when the agent sets none,
where cagent has no limit). ``transfer_task`` runs the target agent in a child session
and returns its last message; ``handoff`` moves the conversation to another agent for good.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

import agentcore.events as events
import agentcore.prompts as prompts
from agentcore.config.model import AgentConfig, Config
from agentcore.errors import ConfigError
from agentcore.messages import Message, ToolCall, ToolDefinition
from agentcore.providers.base import ModelTurn, Provider
from agentcore.providers.base import TextDelta as ProviderText
from agentcore.tools import Tool, ToolContext, ToolError, ToolFailed, Toolset, build_toolset
from agentcore.tools.delegation import HANDOFF, TRANSFER_TASK

__all__ = ["DEFAULT_MAX_ITERATIONS", "Approve", "Extend", "Session", "TeamServices"]


class TeamServices(Protocol):
    """What a session needs of the team it talks to (:class:`agentcore.team.Team` has it):
    the agent file, a provider per agent, what the tools may touch, the clock and the
    working directory.
    """

    @property
    def config(self) -> Config:
        """The agent file."""

    @property
    def working_dir(self) -> Path:
        """The folder the tools work in, and prompt files are read from."""

    @property
    def clock(self) -> Callable[[], datetime]:
        """Tells the date (for ``add_date``)."""

    def provider_for(self, agent: str) -> Provider:
        """The provider of ``agent``'s model."""

    def tool_context(self) -> ToolContext:
        """What the team's tools may touch."""


class _Refused(ToolError):
    """A transfer or handoff to an agent not in the list: the result is cagent's plain text."""


Approve = Callable[[str, ToolCall], "str | bool"]
"""Asked before a tool that is not read-only runs: ``(agent, call)`` → ``"yes"``, ``"all"``
(approve the rest of the session too), ``"no"``, or a bool."""

Extend = Callable[[str, int], bool]
"""Asked when an agent reaches ``max_iterations``: ``(agent, limit)`` → whether to go on
for 10 more iterations, as cagent offers; without it, the run stops there."""

MORE_ITERATIONS = 10

DEFAULT_MAX_ITERATIONS = 100
"""Model calls per user turn for an agent without ``max_iterations`` (or with 0). cagent
has no limit then, and a model stuck calling tools loops (and bills) until it is killed;
here it stops as at any ``max_iterations``, and a larger limit can be set in the file."""


def _trim(conversation: list[Message], keep: int) -> list[Message]:
    """``num_history_items``: the last ``keep`` non-user items, every system and user message,
    and no tool result whose call was trimmed away.
    """
    if not keep:
        return conversation
    others = [i for i, m in enumerate(conversation) if m.role not in ("system", "user")]
    dropped = set(others[:-keep])
    kept = [m for i, m in enumerate(conversation) if i not in dropped]
    calls = {c.id for m in kept for c in m.tool_calls}
    return [m for m in kept if m.role != "tool" or m.tool_call_id in calls]


def _delegates(agent: AgentConfig, name: str) -> bool:
    """Whether ``name`` is a delegation tool ``agent`` has: ``transfer_task`` when it has
    sub-agents, ``handoff`` when it has handoffs.
    """
    if name == "transfer_task":
        return bool(agent.sub_agents)
    return name == "handoff" and bool(agent.handoffs)


def _arguments(call: ToolCall) -> dict[str, Any]:
    """The call's arguments as a JSON object; a :class:`ToolError` saying why they are not."""
    try:
        arguments = call.parsed_arguments()
    except ValueError as problem:
        raise ToolError(
            f"the arguments are not valid JSON ({problem}): {call.arguments!r}"
        ) from None
    if not isinstance(arguments, dict):
        raise ToolError(f"the arguments must be a JSON object, got {call.arguments!r}")
    return arguments


def _run_tool(tool: Tool, arguments: dict[str, Any]) -> tuple[str, bool]:
    """``(output, error)`` of the tool on ``arguments``; whatever goes wrong is the model's
    to hear, not the end of the session.
    """
    try:
        return tool.handler(arguments), False
    except ToolFailed as failed:  # the tool's own error answer, as written
        return str(failed), True
    except ToolError as problem:
        return prompts.TOOL_ERROR.format(error=problem), True
    except OSError as problem:
        return prompts.TOOL_ERROR.format(error=problem.strerror or problem), True
    except Exception as problem:  # a tool bug must not end the session
        return prompts.TOOL_ERROR.format(error=f"{type(problem).__name__}: {problem}"), True


class Session:
    """A conversation with a team: the current agent, the messages so far, and approvals."""

    def __init__(
        self,
        team: TeamServices,
        *,
        agent: str = "root",
        yolo: bool = False,
        approve: Approve | None = None,
        extend: Extend | None = None,
    ):
        if agent not in team.config.agents:
            raise ConfigError(
                f"{team.config.path}: there is no agent '{agent}' to run; agents defined: "
                f"{', '.join(team.config.agents)}",
                path=str(team.config.path),
            )
        self.team = team
        self.agent = agent
        self.yolo = yolo
        self.approve = approve
        self.extend = extend
        self.messages: list[Message] = []
        self._approved_all = False
        self._toolsets: dict[str, list[Toolset]] = {}

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Release what the agents' toolsets hold (a memory database); a later turn builds
        them again. The team closes the sessions it made when it closes.
        """
        toolsets, self._toolsets = self._toolsets, {}
        errors = []
        for toolset in (t for built in toolsets.values() for t in built):
            try:
                toolset.close()
            except Exception as error:  # close the others; report the first
                errors.append(error)
        if errors:
            raise errors[0]

    def stream(self, prompt: str) -> Generator[events.Event, None, None]:
        """Send ``prompt`` as the next user message and stream what happens."""
        if not prompt.strip():
            raise ValueError("the prompt is empty: there is nothing to send to the model")
        self.messages.append(Message("user", prompt))
        self.agent = yield from self._loop(self.agent, self.messages, 0)

    # -- tools -------------------------------------------------------------------------

    def _toolsets_of(self, name: str) -> list[Toolset]:
        if name not in self._toolsets:
            context = self.team.tool_context()
            self._toolsets[name] = [
                build_toolset(c, context) for c in self.team.config.agents[name].toolsets
            ]
        return self._toolsets[name]

    def _tools_of(self, agent: AgentConfig) -> dict[str, Tool]:
        return {
            tool.name: tool for toolset in self._toolsets_of(agent.name) for tool in toolset.tools
        }

    def _definitions(self, agent: AgentConfig) -> list[ToolDefinition]:
        found = [tool.definition for tool in self._tools_of(agent).values()]
        if agent.sub_agents:
            found.append(TRANSFER_TASK)
        if agent.handoffs:
            found.append(HANDOFF)
        return found

    # -- messages ----------------------------------------------------------------------

    def _system_messages(self, agent: AgentConfig) -> list[Message]:
        config, team = self.team.config, self.team
        texts = []
        if agent.sub_agents:
            texts.append(
                prompts.multi_agent_prompt(
                    [(n, config.agents[n].description) for n in agent.sub_agents]
                )
            )
        if agent.handoffs:
            texts.append(
                prompts.handoff_prompt([(n, config.agents[n].description) for n in agent.handoffs])
            )
        if agent.instruction:
            texts.append(agent.instruction)
        texts += [t.instruction for t in self._toolsets_of(agent.name) if t.instruction]
        if agent.add_date:
            texts.append(prompts.today(team.clock()))
        if agent.add_environment_info:
            texts.append(prompts.environment_info(team.working_dir))
        for name in agent.add_prompt_files:
            path = team.working_dir / name
            if path.is_file():
                texts.append(path.read_text(encoding="utf-8"))
        return [Message("system", text) for text in texts if text.strip()]

    # -- the loop ----------------------------------------------------------------------

    def _loop(
        self, name: str, conversation: list[Message], depth: int
    ) -> Generator[events.Event, None, str]:
        """Run agent ``name`` on ``conversation`` until it stops; returns the last agent.

        One iteration count covers the whole run, handoffs included (as in cagent), checked
        against the limit of the agent speaking.
        """
        yield events.AgentStarted(name, depth)
        iteration = 0
        extended_to = 0
        while True:
            agent = self.team.config.agents[name]
            limit = max(agent.max_iterations or DEFAULT_MAX_ITERATIONS, extended_to)
            if iteration >= limit:
                yield events.MaxIterationsReached(name, limit, depth)
                if self.extend is not None and self.extend(name, limit):
                    extended_to = iteration + MORE_ITERATIONS
                    continue
                text = prompts.MAX_ITERATIONS.format(limit=limit)
                conversation.append(Message("assistant", text, agent=name))
                return name
            iteration += 1
            turn = yield from self._ask(name, agent, conversation, depth)
            if turn is None or (not turn.text.strip() and not turn.tool_calls):
                return name  # nothing said (providers refuse blank messages in the history)
            conversation.append(Message("assistant", turn.text, list(turn.tool_calls), agent=name))
            handed_to = yield from self._calls(agent, turn.tool_calls, conversation, depth)
            if handed_to is not None:
                yield events.Handoff(name, handed_to, depth)
                name = handed_to
                yield events.AgentStarted(name, depth)
                continue
            if not turn.tool_calls or turn.finish_reason in ("stop", "length"):
                return name

    def _ask(
        self, name: str, agent: AgentConfig, conversation: list[Message], depth: int
    ) -> Generator[events.Event, None, ModelTurn | None]:
        """One model call of agent ``name``: its system messages and the (trimmed)
        conversation go out, its text streams back as events; returns the whole turn.
        """
        messages = self._system_messages(agent) + _trim(conversation, agent.num_history_items)
        provider = self.team.provider_for(name)
        turn = None
        for item in provider.stream(messages, self._definitions(agent), agent=name):
            if isinstance(item, ProviderText):
                yield events.TextDelta(name, item.text, depth)
            else:
                turn = item
        if turn is None:  # pragma: no cover - every provider ends with a turn
            return None
        if turn.usage is not None:
            yield events.UsageReported(name, turn.usage, provider.model.name, depth)
        return turn

    def _calls(
        self, agent: AgentConfig, calls: list[ToolCall], conversation: list[Message], depth: int
    ) -> Generator[events.Event, None, str | None]:
        """Run the calls in order, each answered in ``conversation``; even if the run is
        interrupted, every call gets a result, so the history stays valid for the provider.
        """
        handed_to = None
        answered = 0
        try:
            for call in calls:
                output, target = yield from self._call(agent, call, depth)
                conversation.append(Message("tool", output, tool_call_id=call.id, name=call.name))
                answered += 1
                handed_to = target or handed_to
        finally:
            for call in calls[answered:]:
                conversation.append(
                    Message("tool", prompts.CANCELED, tool_call_id=call.id, name=call.name)
                )
        return handed_to

    def _approval(self, agent: AgentConfig, call: ToolCall, read_only: bool) -> tuple[bool, bool]:
        """``(approved, asked)``: yolo, an earlier "all" and read-only tools need no one."""
        if self.yolo or self._approved_all or read_only:
            return True, False
        if self.approve is None:
            return False, False
        answer = self.approve(agent.name, call)
        if isinstance(answer, str):
            answer = answer.strip().lower()
        if answer in ("all", "a"):
            self._approved_all = True
            return True, True
        return answer is True or answer in ("yes", "y"), True

    def _call(
        self, agent: AgentConfig, call: ToolCall, depth: int
    ) -> Generator[events.Event, None, tuple[str, str | None]]:
        """Run one tool call; returns ``(result text, agent handed off to or None)``."""
        tool = self._tools_of(agent).get(call.name)
        if tool is None and not _delegates(agent, call.name):
            yield events.ToolCallStarted(agent.name, call, depth)
            output = prompts.UNKNOWN_TOOL.format(name=call.name)
            yield events.ToolCallFinished(agent.name, call, output, error=True, depth=depth)
            return output, None
        approved, asked = self._approval(agent, call, tool.definition.read_only if tool else True)
        if not approved:
            yield events.ToolCallFinished(
                agent.name, call, prompts.REJECTED, rejected=True, depth=depth
            )
            return prompts.REJECTED, None
        yield events.ToolCallStarted(agent.name, call, depth, confirmed=asked)
        target = None
        try:
            arguments = _arguments(call)
        except ToolError as problem:
            output, error = prompts.TOOL_ERROR.format(error=problem), True
        else:
            if tool is None:
                output, error, target = yield from self._delegate(agent, call, arguments, depth)
            else:
                output, error = _run_tool(tool, arguments)
        if not output.strip():
            output = prompts.NO_OUTPUT
        # a sub-agent's answer is a message, an MCP tool's what its server said: cagent keeps
        # both whole
        if tool.limits_output if tool is not None else error:
            output = prompts.truncate(output)
        yield events.ToolCallFinished(agent.name, call, output, error=error, depth=depth)
        return output, target

    def _delegate(
        self, agent: AgentConfig, call: ToolCall, arguments: dict[str, Any], depth: int
    ) -> Generator[events.Event, None, tuple[str, bool, str | None]]:
        """``transfer_task`` or ``handoff``: ``(result, error, agent handed off to or None)``;
        a target not in the agent's list is an error result.

        A failure inside the child session (a provider error, a request a replay cannot
        answer) ends the run, as it would at the top level.
        """
        try:
            if call.name == "transfer_task":
                output = yield from self._transfer(agent, arguments, depth)
                return output, False, None
            output, target = self._handoff(agent, arguments)
            return output, False, target
        except _Refused as refused:
            return str(refused), True, None

    def _transfer(
        self, agent: AgentConfig, arguments: dict[str, Any], depth: int
    ) -> Generator[events.Event, None, str]:
        target = str(arguments.get("agent", ""))
        if target not in agent.sub_agents:
            raise _Refused(
                prompts.not_in_list(agent.name, target, "sub-agents", list(agent.sub_agents))
            )
        task, expected = str(arguments.get("task", "")), str(arguments.get("expected_output") or "")
        yield events.TransferStarted(agent.name, target, task, expected, depth)
        child = [
            Message("system", prompts.task_message(task, expected)),
            Message("user", prompts.PLEASE_PROCEED),
        ]
        yield from self._loop(target, child, depth + 1)
        result = next(
            (m.content for m in reversed(child) if m.role == "assistant" and m.content), ""
        )
        yield events.TransferFinished(agent.name, target, result, depth)
        yield events.AgentStarted(agent.name, depth)
        return result

    def _handoff(self, agent: AgentConfig, arguments: dict[str, Any]) -> tuple[str, str]:
        target = str(arguments.get("agent", ""))
        if target not in agent.handoffs:
            raise _Refused(
                prompts.not_in_list(agent.name, target, "handoffs", list(agent.handoffs))
            )
        return prompts.handoff_result(agent.name), target
