"""The agent loop, as cagent runs it.

Each iteration builds the messages (the agent's system messages, then the conversation),
streams the model, records its answer, and runs its tool calls in order; it stops when the
model stops (``stop``/``length``), says nothing, or calls no tool, or when
``max_iterations`` is reached (:data:`DEFAULT_MAX_ITERATIONS` when the agent sets none,
where cagent has no limit). ``transfer_task`` runs the target agent in a child session
and returns its last message; ``handoff`` moves the conversation to another agent for good.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable, Generator
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

import agentcore.events as events
import agentcore.prompts as prompts
from agentcore.commands import resolve_command
from agentcore.config.model import AgentConfig, Config
from agentcore.errors import ConfigError
from agentcore.hooks import BLOCKED, HookRunner
from agentcore.messages import Message, ToolCall, ToolDefinition
from agentcore.permissions import DENIED, Decision, arguments_for_check, decide
from agentcore.providers.base import ModelTurn, Provider
from agentcore.providers.base import TextDelta as ProviderText
from agentcore.rag.tool import rag_toolset
from agentcore.tools import Tool, ToolContext, ToolError, ToolFailed, Toolset, build_toolset
from agentcore.tools.base import go_json
from agentcore.tools.builtin.model_picker import picked_model
from agentcore.tools.builtin.user_prompt import Answer, Ask, Question
from agentcore.tools.deferred import defer_tools
from agentcore.tools.delegation import HANDOFF, TRANSFER_TASK
from agentcore.tools.names import TOOL_NAMES

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

    def provider_for(
        self, agent: str, *, thinking: bool | None = None, model: str | None = None
    ) -> Provider:
        """The provider of ``agent``'s model (``thinking``: whether the session reasons;
        ``model``: another model of the file, for this call).
        """

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
        ask: Ask | None = None,
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
        self.ask = ask
        self.thinking = team.config.thinking_configured(agent)
        """Whether the session reasons: fixed by the agent it starts with, as in cagent."""
        self.messages: list[Message] = []
        self._approved_all = False
        self._toolsets: dict[str, list[Toolset]] = {}
        self._tool_models: dict[str, dict[str, str]] = {}
        """Per agent: the tools whose toolset sets a ``model``, with that model."""
        self.id = str(uuid.uuid4())
        """The session's id, given to hooks as ``session_id``."""

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
        self.messages.append(Message("user", self._resolve(prompt)))
        self.agent = yield from self._loop(self.agent, self.messages, 0)
        self._user_input(self.agent)  # the turn ended: cagent's "stream stopped"

    def _hooks(self, name: str) -> HookRunner | None:
        """Agent ``name``'s hooks, if it has any."""
        hooks = self.team.config.agents[name].hooks
        if hooks is None:
            return None
        env = self.team.tool_context().env
        return HookRunner(hooks, self.id, self.team.working_dir, env)

    def _user_input(self, name: str) -> None:
        """``on_user_input`` hooks of agent ``name``: the user is (about to be) asked."""
        runner = self._hooks(name)
        if runner is not None:
            runner.on_user_input()

    def _asker(self, name: str) -> Ask | None:
        """The session's ``ask``, running agent ``name``'s ``on_user_input`` hooks first."""
        ask = self.ask
        if ask is None:
            return None

        def asking(agent: str, question: Question) -> Answer:
            self._user_input(name)
            return ask(agent, question)

        return asking

    def _resolve(self, prompt: str) -> str:
        """``/name args``, a command of the current agent, as its instruction (commands.py)."""
        agent = self.team.config.agents[self.agent]
        if not agent.commands:
            return prompt
        env = self.team.tool_context().env
        return resolve_command(prompt, agent.commands, lambda: self._tools_of(agent), env)

    # -- tools -------------------------------------------------------------------------

    def _toolsets_of(self, name: str) -> list[Toolset]:
        if name not in self._toolsets:
            context = dataclasses.replace(
                self.team.tool_context(), agent=name, ask=self._asker(name)
            )
            configs = self.team.config.agents[name].toolsets
            built = [build_toolset(c, context) for c in configs]
            self._tool_models[name] = {
                tool.name: c.model
                for c, b in zip(configs, built, strict=True)
                if c.model
                for tool in b.tools
            }
            built = defer_tools(configs, built)  # search_tool, add_tool
            config = self.team.config
            rag = [rag_toolset(config.rag[n], config, context) for n in config.agents[name].rag]
            self._toolsets[name] = built + rag  # after the toolsets, as in cagent
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
        tool_model: str | None = None  # a toolset's model, for the turn after its results
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
            turn = yield from self._ask(name, agent, conversation, depth, tool_model)
            tool_model = None
            if turn is None or (not turn.text.strip() and not turn.tool_calls):
                return name  # nothing said (providers refuse blank messages in the history)
            conversation.append(Message("assistant", turn.text, list(turn.tool_calls), agent=name))
            handed_to = yield from self._calls(agent, turn.tool_calls, conversation, depth)
            models = self._tool_models.get(name, {})
            tool_model = next((models[c.name] for c in turn.tool_calls if c.name in models), None)
            if handed_to is not None:
                tool_model = None
                yield events.Handoff(name, handed_to, depth)
                name = handed_to
                yield events.AgentStarted(name, depth)
                continue
            if not turn.tool_calls or turn.finish_reason in ("stop", "length"):
                return name

    def _ask(
        self,
        name: str,
        agent: AgentConfig,
        conversation: list[Message],
        depth: int,
        tool_model: str | None = None,
    ) -> Generator[events.Event, None, ModelTurn | None]:
        """One model call of agent ``name``: its system messages and the (trimmed)
        conversation go out, its text streams back as events; returns the whole turn.
        The model is the one a toolset names for reading its results (``tool_model``),
        else the one ``model_picker`` picked, else the agent's.
        """
        messages = self._system_messages(agent) + _trim(conversation, agent.num_history_items)
        model = tool_model or picked_model(self._toolsets_of(name))
        if model is None:
            provider = self.team.provider_for(name, thinking=self.thinking)
        else:
            provider = self.team.provider_for(name, thinking=self.thinking, model=model)
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

    def _decision(self, call: ToolCall) -> Decision:
        """What the file's ``permissions`` say of ``call``; yolo and an earlier "all" come
        first, as in cagent (a denied tool runs under ``--yolo``).
        """
        if self.yolo or self._approved_all:
            return Decision.ASK
        arguments = arguments_for_check(call.arguments)
        return decide(self.team.config.permissions, call.name, arguments)

    def _approval(
        self, agent: AgentConfig, call: ToolCall, read_only: bool, decision: Decision
    ) -> tuple[bool, bool]:
        """``(approved, asked)``: yolo, an earlier "all", an allow pattern and read-only tools
        (unless an ask pattern matches them) need no one.
        """
        if self.yolo or self._approved_all or decision is Decision.ALLOW:
            return True, False
        if read_only and decision is not Decision.FORCE_ASK:
            return True, False
        if self.approve is None:
            return False, False
        self._user_input(agent.name)  # cagent's "tool confirmation"
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
        decision = self._decision(call)
        if decision is Decision.DENY:  # an error result, as a rejection without asking
            output = DENIED.format(name=call.name)
            yield events.ToolCallFinished(
                agent.name, call, output, error=True, rejected=True, depth=depth
            )
            return output, None
        read_only = tool.definition.read_only if tool else True
        approved, asked = self._approval(agent, call, read_only, decision)
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
                output, error = yield from self._hooked(agent, tool, call, arguments, depth)
        if not output.strip():
            output = prompts.NO_OUTPUT
        # a sub-agent's answer is a message, an MCP tool's what its server said: cagent keeps
        # both whole
        if tool.limits_output if tool is not None else error:
            output = prompts.truncate(output)
        yield events.ToolCallFinished(agent.name, call, output, error=error, depth=depth)
        return output, target

    def _hooked(
        self, agent: AgentConfig, tool: Tool, call: ToolCall, arguments: dict[str, Any], depth: int
    ) -> Generator[events.Event, None, tuple[str, bool]]:
        """Run ``tool`` between the agent's ``pre_tool_use`` and ``post_tool_use`` hooks: the
        first may block the call or replace its arguments (``model_picker``'s tools, which
        cagent's runtime answers itself, run without hooks).
        """
        runner = self._hooks(agent.name)
        if runner is None or call.name in TOOL_NAMES["model_picker"]:
            return _run_tool(tool, arguments)
        raw = call.arguments
        before = runner.pre_tool_use(call.name, call.id, raw)
        if not before.allowed:
            return BLOCKED.format(message=before.message), True
        if before.system_message:
            yield events.HookWarning(agent.name, before.system_message, depth)
        if before.modified_input is not None:
            arguments = before.modified_input
            raw = go_json(arguments)
        output, error = _run_tool(tool, arguments)
        after = runner.post_tool_use(call.name, call.id, raw)
        if after.system_message:
            yield events.HookWarning(agent.name, after.system_message, depth)
        return output, error

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
