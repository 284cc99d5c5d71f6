"""A team of agents loaded from a YAML file, and the Python API to run it."""

from __future__ import annotations

import asyncio
import os
import random
import threading
import time
import weakref
from collections.abc import AsyncIterator, Callable, Generator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import TracebackType

import httpx

import agentcore.events as events
from agentcore.config import Config, load_config
from agentcore.config.model import StructuredOutput
from agentcore.mcp.servers import McpServers, Timeouts
from agentcore.messages import Message, Usage
from agentcore.providers import HttpExchange, Provider, Sleep, create_provider
from agentcore.providers.choice import Cooldowns, ModelChoice
from agentcore.runtime import Approve, Extend, Session
from agentcore.tools import ToolContext
from agentcore.tools.builtin.user_prompt import Ask

__all__ = ["Result", "Team", "load"]


@dataclass
class Result:
    """What a run produced."""

    output: str
    """The last thing the agent the user talks to said."""
    messages: list[Message]
    """The conversation (without system messages), tool calls and results included."""
    events: list[events.Event] = field(default_factory=list)
    agent: str = "root"
    """The agent that ended the run (a handoff may have moved the conversation)."""

    @property
    def usage(self) -> Usage:
        """Tokens over every model call of the run, delegated ones included."""
        total = Usage()
        for event in self.events:
            if isinstance(event, events.UsageReported):
                total = Usage(
                    total.input_tokens + event.usage.input_tokens,
                    total.output_tokens + event.usage.output_tokens,
                )
        return total


class Team:
    """The agents of one file, ready to run.

    ``working_dir`` confines the tools (default: the current directory); ``env`` supplies API
    keys and shell variables (default: ``os.environ``); ``sleep`` waits between retries and
    ``clock`` tells the date, so that tests neither sleep nor depend on the day; ``rng``
    picks the model of an alloy for each call (seed it, e.g. ``random.Random(1)``, so that a
    replay asks for the models the recording did).

    MCP servers start when their tools are first needed and stop when the team closes: use
    it in a ``with`` block, or call :meth:`close`. ``mcp_start_timeout`` bounds a server's
    start (``initialize`` and the tool list), ``mcp_call_timeout`` each tool call, in seconds.
    """

    def __init__(
        self,
        config: Config,
        *,
        working_dir: str | os.PathLike[str] | None = None,
        env: Mapping[str, str] | None = None,
        client: httpx.Client | None = None,
        sleep: Sleep = time.sleep,
        clock: Callable[[], datetime] = datetime.now,
        max_retries: int = 2,
        mcp_start_timeout: float = Timeouts.start,
        mcp_call_timeout: float = Timeouts.call,
        rng: random.Random | None = None,
    ):
        self.config = config
        self.working_dir = Path(working_dir or os.getcwd()).resolve()
        self.env = env if env is not None else os.environ
        self._own_client = client is None
        self.client = client or httpx.Client(timeout=httpx.Timeout(120.0, connect=15.0))
        self.http = HttpExchange(self.client, sleep=sleep, max_retries=max_retries)
        self.clock = clock
        self._providers: dict[str, Provider] = {}
        self._choices: dict[str, ModelChoice] = {}
        self._cooldowns: Cooldowns = {}
        self.rng = rng if rng is not None else random.Random()
        self._lock = threading.Lock()
        self.servers = McpServers(Timeouts(start=mcp_start_timeout, call=mcp_call_timeout))
        self._sessions: weakref.WeakSet[Session] = weakref.WeakSet()

    def __enter__(self) -> Team:
        return self

    def __exit__(
        self, *exc_info: type[BaseException] | BaseException | TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the sessions it made (their toolsets' resources), stop the MCP servers that
        run, and close the HTTP client (if the team made it).
        """
        try:
            for session in list(self._sessions):
                session.close()
        finally:
            try:
                self.servers.close()
            finally:
                if self._own_client:
                    self.client.close()

    def provider_for(
        self, agent: str, *, thinking: bool | None = None, model: str | None = None
    ) -> Provider:
        """The provider of ``agent``'s model: one per model (shared by the agents using it),
        or a :class:`ModelChoice` for an alloy or a ``fallback``; ``thinking``: whether the
        session reasons (default: whether ``agent`` sets a ``thinking_budget``); ``model``:
        another model of the file for this call (picked by ``model_picker``, or a toolset's
        ``model``), without the agent's ``structured_output`` or ``fallback``, as in cagent.
        """
        if thinking is None:
            thinking = self.config.thinking_configured(agent)
        if model is not None:
            return self._override(agent, model, thinking)
        primaries = [
            self._provider(m.name, thinking, agent=agent) for m in self.config.models_for(agent)
        ]
        fallback = self.config.agents[agent].fallback
        if len(primaries) == 1 and fallback is None:
            return primaries[0]
        fallbacks = [
            self._provider(n, thinking, single=True, agent=agent)
            for n in (fallback.models if fallback else ())
        ]
        if fallback is not None:
            primaries = [
                self._provider(m.name, thinking, single=True, agent=agent)
                for m in self.config.models_for(agent)
            ]
        with self._lock:
            key = f"{agent}\x00{thinking}"
            if key not in self._choices:
                self._choices[key] = ModelChoice(
                    agent,
                    primaries,
                    fallbacks,
                    fallback,
                    rng=self.rng,
                    sleep=self.http.sleep,
                    cooldowns=self._cooldowns,
                )
            return self._choices[key]

    def _override(self, agent: str, ref: str, thinking: bool) -> Provider:
        """The provider of ``ref`` (a model, or an alloy of ``models:``) for ``agent``."""
        entry = self.config.models[ref]
        names = [n.strip() for n in entry.model.split(",")] if not entry.provider else [ref]
        if len(names) == 1:
            return self._provider(names[0], thinking)
        with self._lock:
            key = f"{agent}\x00{thinking}\x00{ref}"
            if key not in self._choices:
                primaries = [self._provider(n, thinking, locked=True) for n in names]
                self._choices[key] = ModelChoice(
                    agent,
                    primaries,
                    [],
                    None,
                    rng=self.rng,
                    sleep=self.http.sleep,
                    cooldowns=self._cooldowns,
                )
            return self._choices[key]

    def _provider(
        self,
        name: str,
        thinking: bool,
        *,
        single: bool = False,
        agent: str = "",
        locked: bool = False,
    ) -> Provider:
        """The provider of the model ``name``; ``single``: with no retries of its own (a
        fallback chain retries by cagent's rules); ``agent``: whose ``structured_output`` it
        asks for, if any; ``locked``: the caller holds the team's lock.
        """
        output = self.config.agents[agent].structured_output if agent else None
        key = f"{name}\x00{thinking}\x00{single}\x00{agent if output else ''}"
        if locked:
            return self._new_provider(key, name, thinking, single, output)
        with self._lock:
            return self._new_provider(key, name, thinking, single, output)

    def _new_provider(
        self, key: str, name: str, thinking: bool, single: bool, output: StructuredOutput | None
    ) -> Provider:
        """The provider under ``key``, made the first time (the caller holds the lock)."""
        if key not in self._providers:
            http = self.http
            if single:
                http = HttpExchange(self.client, sleep=self.http.sleep, max_retries=0)
            provider = create_provider(
                self.config.models[name], self.config, http, self.env, thinking=thinking
            )
            provider.structured_output = output
            self._providers[key] = provider
        return self._providers[key]

    def tool_context(self) -> ToolContext:
        """What this team's tools may touch."""
        return ToolContext(
            self.working_dir, self.env, self.client, self.clock, self.config.path, self.servers
        )

    def session(
        self,
        *,
        agent: str = "root",
        yolo: bool = False,
        approve: Approve | None = None,
        extend: Extend | None = None,
        ask: Ask | None = None,
    ) -> Session:
        """A new conversation; call ``session.stream(prompt)`` once per user turn.

        ``approve`` is asked before tools that need approval; ``extend`` when an agent
        reaches its ``max_iterations`` (see :data:`agentcore.runtime.Extend`); ``ask`` answers
        the model's ``user_prompt`` questions (see :data:`agentcore.tools.builtin.user_prompt.Ask`;
        without it they are declined).
        """
        session = Session(self, agent=agent, yolo=yolo, approve=approve, extend=extend, ask=ask)
        self._sessions.add(session)
        return session

    def stream(
        self, *prompts: str, agent: str = "root", yolo: bool = False, approve: Approve | None = None
    ) -> Generator[events.Event, None, None]:
        """Run ``prompts`` as successive turns of one conversation, yielding events as they
        happen (text deltas, tool calls and results, transfers, usage).
        """
        with self.session(agent=agent, yolo=yolo, approve=approve) as session:
            for prompt in prompts:
                yield from session.stream(prompt)

    def run(
        self, *prompts: str, agent: str = "root", yolo: bool = False, approve: Approve | None = None
    ) -> Result:
        """Run ``prompts`` as successive turns of one conversation and return the result."""
        collected: list[events.Event] = []
        start = 0
        with self.session(agent=agent, yolo=yolo, approve=approve) as session:
            for prompt in prompts:
                start = len(session.messages)
                collected.extend(session.stream(prompt))
        last_turn = session.messages[start:]
        output = next(
            (m.content for m in reversed(last_turn) if m.role == "assistant" and m.content), ""
        )
        return Result(output, session.messages, collected, session.agent)

    async def arun(
        self, *prompts: str, agent: str = "root", yolo: bool = False, approve: Approve | None = None
    ) -> Result:
        """:meth:`run` without blocking the event loop (it runs in a worker thread)."""
        return await asyncio.to_thread(self.run, *prompts, agent=agent, yolo=yolo, approve=approve)

    async def astream(
        self, *prompts: str, agent: str = "root", yolo: bool = False, approve: Approve | None = None
    ) -> AsyncIterator[events.Event]:
        """:meth:`stream` for async code.

        A worker thread runs the agent in step with the consumer, computing each event only
        when it is asked for, so leaving the ``async for`` stops the run: no further model
        calls, no further tools.
        """
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple[str, object]] = asyncio.Queue()
        demand = threading.Semaphore(0)
        stop = threading.Event()

        def produce() -> None:
            stream = self.stream(*prompts, agent=agent, yolo=yolo, approve=approve)
            try:
                while True:
                    demand.acquire()
                    if stop.is_set():
                        return
                    try:
                        event = next(stream)
                    except StopIteration:
                        loop.call_soon_threadsafe(queue.put_nowait, ("done", None))
                        return
                    loop.call_soon_threadsafe(queue.put_nowait, ("event", event))
            except BaseException as error:  # handed to the consumer below
                loop.call_soon_threadsafe(queue.put_nowait, ("error", error))
            finally:
                stream.close()

        worker = asyncio.ensure_future(asyncio.to_thread(produce))
        try:
            while True:
                demand.release()
                kind, value = await queue.get()
                if kind == "event":
                    yield value  # type: ignore[misc]
                elif kind == "error":
                    raise value  # type: ignore[misc]
                else:
                    return
        finally:
            stop.set()
            demand.release()
            await worker


def load(
    path: str | os.PathLike[str],
    *,
    model_overrides: Mapping[str, str] | None = None,
    **options: object,
) -> Team:
    """Load the agent file at ``path`` (cagent's YAML format) as a :class:`Team`.

    ``model_overrides`` maps agent names (``"*"`` for all) to ``provider/model``, as cagent's
    ``--model`` flag does; other keyword arguments go to :class:`Team`.
    """
    config = load_config(Path(path), model_overrides=dict(model_overrides or {}))
    return Team(config, **options)  # type: ignore[arg-type]
