"""One MCP server, for agentcore's synchronous core.

Starting a server (:meth:`Connection.start`) makes an event loop and a thread to run it,
started with a copy of the caller's context (so that a cassette the caller entered is in
charge of the server's HTTP traffic); the SDK's client runs in that loop
(:class:`agentcore.mcp.client.ServerSession`) and the caller waits for its answers, each
within a bounded time. :meth:`Connection.close` stops the server (the SDK closes its stdin,
then terminates and kills its process group) and waits for the thread; so does the
interpreter at exit, for a connection nobody closed.

A failure is told with where the toolset is written, the server's name, what it did, and
the last lines it wrote to stderr: at start a :class:`~agentcore.errors.ToolsetError`, for
a tool call a :class:`~agentcore.tools.base.ToolError` (the model hears of it).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import contextvars
import importlib
import os
import shutil
import tempfile
import threading
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, TextIO

from agentcore.config.model import ToolsetConfig
from agentcore.errors import ToolsetError
from agentcore.mcp.answers import Listing, ServerFailure, ToolResult, seconds
from agentcore.mcp.params import ServerParams, SetupFailure, label, server_params
from agentcore.tools.base import ToolError

__all__ = ["Connection", "Timeouts"]

INSTALL = 'pip install "pytest-agentcassette[mcp]"'
STDERR_LINES = 12
STDERR_CHARACTERS = 2_000


@dataclass(frozen=True)
class Timeouts:
    """Seconds an MCP server is given: to start (run, ``initialize``, ``tools/list``), to
    answer each tool call, and to stop once asked (cagent has no such limits: it waits).
    """

    start: float = 60.0
    call: float = 300.0
    stop: float = 10.0


def _client_module() -> ModuleType:
    """:mod:`agentcore.mcp.client`, which imports the SDK: a failure if it is missing."""
    try:
        importlib.import_module("mcp")
    except ImportError:
        raise ServerFailure(
            f"cannot be started: MCP toolsets need the official MCP SDK (the mcp package), "
            f"which is not installed: {INSTALL}"
        ) from None
    return importlib.import_module("agentcore.mcp.client")


def _serve_in(
    loop: asyncio.AbstractEventLoop, session: Any, ready: concurrent.futures.Future[Listing]
) -> None:
    """The thread of a connection: its loop runs the session until it stops, then ends."""
    asyncio.set_event_loop(loop)
    try:
        loop.run_until_complete(session.serve(ready))
        leftovers = asyncio.all_tasks(loop)
        for task in leftovers:  # tool calls still waiting when the server stopped
            task.cancel()
        loop.run_until_complete(asyncio.gather(*leftovers, return_exceptions=True))
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.run_until_complete(loop.shutdown_default_executor())
    except BaseException as error:  # never into threading's excepthook
        if not ready.done():
            ready.set_exception(ServerFailure(f"failed: {type(error).__name__}: {error}"))
    finally:
        asyncio.set_event_loop(None)
        loop.close()


class _Running:
    """A server that was started: its loop, thread, session, stderr file, temporary files."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        thread: threading.Thread,
        session: Any,
        errlog: TextIO | None,
        params: ServerParams,
        ready: concurrent.futures.Future[Listing],
    ):
        self.loop = loop
        self.thread = thread
        self.session = session
        self.errlog = errlog
        self.params = params
        self.ready = ready

    def stop(self, timeout: float) -> None:
        """Ask the session to stop, wait for the thread (at most ``timeout`` seconds), and
        remove what the server leaves behind.
        """
        with contextlib.suppress(RuntimeError):  # the loop may have ended already
            self.loop.call_soon_threadsafe(self.session.stop)
        if self.thread.ident is not None:
            self.thread.join(timeout)
        for path in self.params.temporary:  # files first, then the folder that held them
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
        if self.errlog is not None:
            self.errlog.close()

    def stderr_tail(self) -> str | None:
        """The last lines the server wrote to stderr (``None``: not a stdio server)."""
        if self.errlog is None or self.errlog.closed:
            return None
        if not hasattr(os, "pread"):  # pragma: no cover - Windows
            return None
        descriptor = self.errlog.fileno()
        size = os.fstat(descriptor).st_size
        start = max(0, size - 4 * STDERR_CHARACTERS)
        written = os.pread(descriptor, size - start, start).decode("utf-8", errors="replace")
        lines = [line.rstrip() for line in written.splitlines() if line.strip()]
        if start:
            lines = lines[1:]  # the first line read may be the end of a longer one
        tail = "\n".join(f"  {line}" for line in lines[-STDERR_LINES:])
        return tail[-STDERR_CHARACTERS:]


class Connection:
    """The server of a ``type: mcp`` toolset, started on first need, shared by the sessions
    of its team, stopped by :meth:`close`.
    """

    def __init__(
        self,
        config: ToolsetConfig,
        env: Mapping[str, str],
        working_dir: Path,
        timeouts: Timeouts,
    ):
        if config.mcp is None:
            raise ValueError("not an MCP toolset")
        self.config = config
        self.server = config.mcp
        self.env = env
        self.working_dir = working_dir
        self.timeouts = timeouts
        self.label = label(config.mcp)
        self._lock = threading.Lock()
        self._running: _Running | None = None
        self._listing: Listing | None = None
        self._finalizer: weakref.finalize[Any, Connection] | None = None

    # -- messages ----------------------------------------------------------------------

    def describe(self, problem: str, running: _Running | None = None) -> str:
        """The message for ``problem`` (worded to follow the server's name): where the
        toolset is written, the server, the problem, and what the server wrote.
        """
        place = f"{self.config.place}: " if self.config.place else ""
        text = f"{place}MCP server '{self.label}' {problem}"
        if self.server.docker and "there is no command" in problem:
            text += "; ref: docker:NAME runs the Docker MCP gateway (docker mcp gateway run)"
        if self.server.version and "there is no command" in problem:
            text += (
                f"; cagent would install it (version: {self.server.version}), agentcore does "
                f"not: install it, then run again"
            )
        if running is None:
            return text
        if running.session.not_json:
            lines = running.session.not_json
            text += (
                f"\nIt wrote {len(lines)} line(s) to stdout that are not JSON-RPC messages "
                f"(stdout carries MCP messages only; logs belong on stderr), the first: "
                f"{lines[0][:200]!r}"
            )
        tail = running.stderr_tail()
        if tail is not None:
            text += f"\nIts stderr ended with:\n{tail}" if tail else "\nIt wrote nothing to stderr."
        return text

    def _error(self, message: str) -> ToolsetError:
        place = self.config.place
        if place is None:
            return ToolsetError(message)
        return ToolsetError(message, path=str(place.path), where=place.where, line=place.line)

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> Listing:
        """Start the server if it is not running; its tools and instructions. Raises a
        :class:`ToolsetError` if it does not start.
        """
        with self._lock:
            if self._listing is not None:
                return self._listing
            try:
                params = server_params(self.server, self.env, self.working_dir)
                client = _client_module()
            except (SetupFailure, ServerFailure) as failure:
                raise self._error(self.describe(str(failure))) from None
            running = self._launch(client, params)
            try:
                self._listing = running.ready.result(
                    timeout=self.timeouts.start + self.timeouts.stop
                )
            except ServerFailure as failure:
                message = self.describe(failure.problem, running)
                self._stop()
                raise self._error(message) from None
            except concurrent.futures.TimeoutError:
                message = self.describe(
                    f"did not start within {seconds(self.timeouts.start)}", running
                )
                self._stop()
                raise self._error(message) from None
            except BaseException:  # Ctrl-C while it starts
                self._stop()
                raise
            return self._listing

    def _launch(self, client: ModuleType, params: ServerParams) -> _Running:
        errlog = None
        if params.transport == "stdio":
            # closed by _Running.stop, when the server has stopped
            errlog = tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace")  # noqa: SIM115
        session = client.ServerSession(params, errlog, self.timeouts.start, self.timeouts.call)
        loop = asyncio.new_event_loop()
        ready: concurrent.futures.Future[Listing] = concurrent.futures.Future()
        thread = threading.Thread(
            target=contextvars.copy_context().run,
            args=(_serve_in, loop, session, ready),
            name=f"agentcore MCP server {self.label}",
            daemon=True,
        )
        running = _Running(loop, thread, session, errlog, params, ready)
        self._running = running
        self._finalizer = weakref.finalize(self, running.stop, self.timeouts.stop)
        thread.start()
        return running

    def _stop(self) -> None:
        if self._finalizer is not None:
            self._finalizer()  # running.stop, once
        self._finalizer = None
        self._running = None
        self._listing = None

    def close(self) -> None:
        """Stop the server (if it runs) and wait until it has."""
        with self._lock:
            self._stop()

    # -- calls -------------------------------------------------------------------------

    def call(self, name: str, arguments: dict[str, Any]) -> ToolResult:
        """Call tool ``name`` (its name on the server); a :class:`ToolError` saying what
        went wrong if the server does not answer it.
        """
        running = self._running
        if running is None:
            raise ToolError(self.describe("is not running: its team was closed"))
        call = running.session.call(name, arguments)
        try:
            future = asyncio.run_coroutine_threadsafe(call, running.loop)
        except RuntimeError:  # its loop has ended
            call.close()
            gone = running.session.gone
            problem = f"is no longer running: it {gone.problem}" if gone else "is no longer running"
            raise ToolError(self.describe(problem, running)) from None
        try:
            result: ToolResult = future.result(timeout=self.timeouts.call + self.timeouts.stop)
        except ServerFailure as failure:
            raise ToolError(self.describe(failure.problem, running)) from None
        except concurrent.futures.TimeoutError:
            future.cancel()
            problem = f"did not answer tool '{name}' within {seconds(self.timeouts.call)}"
            raise ToolError(self.describe(problem, running)) from None
        except concurrent.futures.CancelledError:
            raise ToolError(self.describe(f"was stopped while running tool '{name}'")) from None
        except BaseException:  # Ctrl-C while the tool runs
            future.cancel()
            raise
        return result
