"""One MCP server through the official SDK, inside its connection's event loop.

:meth:`ServerSession.serve` is one task that holds the transport (``stdio_client``,
``streamable_http_client`` or ``sse_client``) and the ``ClientSession`` open, from the
``initialize`` handshake and the tool list until the connection stops; each tool call is
another task of the same loop (:meth:`ServerSession.call`). Whatever goes wrong becomes a
:class:`ServerFailure` that says what the server did at which step; the connection adds
where the toolset is written and what the server wrote to stderr.

This module imports the SDK, so only :mod:`agentcore.mcp.connection` imports it, when a
server is first needed.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, TextIO

import anyio
import httpx2
import mcp.types as types
from mcp import ClientSession, StdioServerParameters, stdio_client
from mcp.client.sse import sse_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError

from agentcore.mcp.answers import Listing, ServerFailure, ToolInfo, ToolResult, seconds
from agentcore.mcp.params import ServerParams

__all__ = ["ServerSession", "result_text"]

CLIENT_INFO = types.Implementation(name="agentcore", version="1.0.0")
MAX_PAGES = 1000

# The SDK logs a line a server wrote to stdout that is not JSON-RPC, with a traceback, to a
# logger nobody configured: Python would print it to stderr. agentcore tells it in its own
# message instead, when the server fails.
if not logging.getLogger("mcp").handlers:
    logging.getLogger("mcp").addHandler(logging.NullHandler())


def _tool_info(tool: types.Tool) -> ToolInfo:
    annotations = tool.annotations
    read_only = bool(annotations is not None and annotations.read_only_hint)
    return ToolInfo(tool.name, tool.description or "", tool.input_schema, read_only)


def result_text(result: types.CallToolResult) -> str:
    """A tool result's text as cagent makes it (``processMCPContent`` in its
    ``pkg/tools/mcp/mcp.go``): the text parts, resource links as Markdown links, in order;
    ``no output`` when there is none. Images and audio are not text: cagent attaches them
    to the message, agentcore's messages carry text only.
    """
    parts = []
    for content in result.content:
        if isinstance(content, types.TextContent):
            parts.append(content.text)
        elif isinstance(content, types.ResourceLink):
            if content.name:
                name = content.name.replace("]", "\\]")
                parts.append(f"[{name}]({str(content.uri).replace(')', '%29')})")
            else:
                parts.append(str(content.uri))
    return "".join(parts) or "no output"


def _leaf(error: BaseException) -> BaseException:
    """The first error inside exception groups (task groups wrap what failed in them)."""
    while isinstance(getattr(error, "exceptions", None), tuple) and error.exceptions:  # type: ignore[attr-defined]
        error = error.exceptions[0]  # type: ignore[attr-defined]
    return error


def _unparsed(error: Exception) -> str:
    """The line of stdout behind a parse error the SDK handed over."""
    errors = getattr(error, "errors", None)
    if callable(errors):
        try:
            found = errors()
        except Exception:  # pragma: no cover - pydantic's errors() does not fail
            found = []
        if found and isinstance(found[0].get("input"), str):
            return str(found[0]["input"])
    return str(error)


class ServerSession:
    """One server as the SDK talks to it; ``errlog`` receives a stdio server's stderr."""

    def __init__(
        self,
        params: ServerParams,
        errlog: TextIO | None,
        start_timeout: float,
        call_timeout: float,
    ):
        self.params = params
        self.errlog = errlog
        self.start_timeout = start_timeout
        self.call_timeout = call_timeout
        self.step = "start"
        self.not_json: list[str] = []
        """Lines the server wrote to stdout that are not JSON-RPC messages."""
        self.gone: ServerFailure | None = None
        self._session: ClientSession | None = None
        self._scope: anyio.CancelScope | None = None
        self._stopping: anyio.Event | None = None
        self._stop_requested = False
        self._timed_out = False

    # -- the serving task --------------------------------------------------------------

    @asynccontextmanager
    async def _transport(self) -> AsyncIterator[tuple[Any, Any]]:
        params = self.params
        if params.transport == "stdio":
            server = StdioServerParameters(
                command=params.command, args=list(params.args), env=params.env, cwd=params.cwd
            )
            async with stdio_client(server, errlog=self.errlog or sys.stderr) as (read, write):
                yield read, write
        elif params.transport == "streamable":
            timeout = httpx2.Timeout(30.0, read=300.0)
            async with (
                httpx2.AsyncClient(headers=params.headers, timeout=timeout) as http,
                streamable_http_client(params.url, http_client=http) as (read, write),
            ):
                yield read, write
        else:
            async with sse_client(params.url, headers=params.headers or None) as (read, write):
                yield read, write

    async def _on_message(self, message: Any) -> None:
        if isinstance(message, Exception):
            self.not_json.append(_unparsed(message))

    async def _start(self, session: ClientSession) -> Listing:
        """``initialize``, then ``tools/list`` page by page."""
        self.step = "initialize"
        initialized = await session.initialize()
        self.step = "tools/list"
        tools: list[types.Tool] = []
        cursor: str | None = None
        for _ in range(MAX_PAGES):
            params = types.PaginatedRequestParams(cursor=cursor) if cursor else None
            page = await session.list_tools(params=params)
            tools += page.tools
            if not page.next_cursor or page.next_cursor == cursor:
                break
            cursor = page.next_cursor
        return Listing([_tool_info(tool) for tool in tools], initialized.instructions or "")

    async def serve(self, ready: concurrent.futures.Future[Listing]) -> None:
        """Start the server, hand its listing to ``ready`` (or why it failed), and keep it
        running until :meth:`stop`.
        """
        timer = asyncio.get_running_loop().call_later(self.start_timeout, self._time_out)
        self._stopping = anyio.Event()
        failure = None
        with anyio.CancelScope() as self._scope:
            if self._stop_requested:
                self._scope.cancel()
            try:
                async with (
                    self._transport() as (read, write),
                    ClientSession(
                        read, write, client_info=CLIENT_INFO, message_handler=self._on_message
                    ) as session,
                ):
                    listing = await self._start(session)
                    timer.cancel()
                    self._session = session
                    ready.set_result(listing)
                    await self._stopping.wait()
            except Exception as error:
                failure = self._failure(error, f"'{self.step}'")
        timer.cancel()
        if failure is None and not ready.done():
            waited = seconds(self.start_timeout)
            if not self._timed_out:
                failure = ServerFailure("was stopped before it had started")
            elif self.step == "start":
                failure = ServerFailure(f"did not start within {waited}")
            else:
                failure = ServerFailure(f"did not answer '{self.step}' within {waited}")
        if failure is not None:
            self.gone = self.gone or failure
            if not ready.done():
                ready.set_exception(failure)

    def _time_out(self) -> None:
        if self._session is None and self._scope is not None:
            self._timed_out = True
            self._scope.cancel()

    def stop(self) -> None:
        """Stop the server (from the loop's thread): gracefully once it has started."""
        self._stop_requested = True
        if self._session is not None and self._stopping is not None:
            self._stopping.set()
        elif self._scope is not None:
            self._scope.cancel()

    # -- calls -------------------------------------------------------------------------

    async def call(self, name: str, arguments: dict[str, Any]) -> ToolResult:
        """Call tool ``name``; a :class:`ServerFailure` if the server does not answer it."""
        if self.gone is not None or self._session is None:
            problem = self.gone.problem if self.gone else "has not started"
            raise ServerFailure(f"is no longer running: it {problem}", gone=True)
        try:
            result = await self._session.call_tool(
                name, arguments, read_timeout_seconds=self.call_timeout
            )
        except Exception as error:
            failure = self._failure(error, f"tool '{name}'")
            if failure.gone:
                self.gone = failure
            raise failure from None
        return ToolResult(result_text(result), bool(result.is_error))

    # -- failures ----------------------------------------------------------------------

    def _failure(self, error: BaseException, what: str) -> ServerFailure:
        """``error``, met at step ``what``, worded for a user."""
        error = _leaf(error)
        if isinstance(error, MCPError):
            if error.code == types.CONNECTION_CLOSED:
                return ServerFailure(
                    f"closed the connection before it answered {what} (did it exit?)", gone=True
                )
            if error.code == types.REQUEST_TIMEOUT:
                return ServerFailure(f"did not answer {what} within {seconds(self.call_timeout)}")
            return ServerFailure(
                f"answered {what} with an error: {error.message} (JSON-RPC error {error.code})"
            )
        if isinstance(error, OSError) and self.step == "start" and self.params.transport == "stdio":
            return self._not_started(error)
        if isinstance(error, httpx2.HTTPStatusError):
            return ServerFailure(
                f"answered HTTP {error.response.status_code} at {self.params.url}", gone=True
            )
        if isinstance(error, httpx2.HTTPError):
            return ServerFailure(f"cannot be reached at {self.params.url}: {error}", gone=True)
        return ServerFailure(f"failed at {what}: {type(error).__name__}: {error}")

    def _not_started(self, error: OSError) -> ServerFailure:
        command = self.params.command
        if isinstance(error, FileNotFoundError):
            problem = f"cannot be started: there is no command '{command}'"
            if "/" not in command:
                problem += " on the PATH"
        elif isinstance(error, PermissionError):
            problem = f"cannot be started: '{command}' is not executable"
        else:
            problem = f"cannot be started: {error.strerror or error}"
        return ServerFailure(problem, gone=True)
