"""The MCP server of the agentcore tests, written with the official SDK's server API
(``MCPServer``, FastMCP before mcp 2). ``python tests/support/mcp_test_server.py`` serves it
over stdio; :func:`build` gives a fresh one, for HTTP.

It appends its process id to the file ``MCP_TEST_PIDS`` names (when set); with
``MCP_TEST_BANNER`` set, it first prints that line to stdout, as some servers do.
"""

from __future__ import annotations

import json
import os
import sys

import anyio
from mcp.server.mcpserver import Context, MCPServer
from mcp.shared.exceptions import MCPError
from mcp.types import ToolAnnotations

READ_ONLY = ToolAnnotations(read_only_hint=True)
INSTRUCTIONS = "Notes are kept until the server stops."


def _tools(app: MCPServer) -> None:
    notes: list[str] = []

    @app.tool(annotations=READ_ONLY)
    def echo(text: str) -> str:
        """Say the text back."""
        return text

    @app.tool()
    def write_note(note: str, tag: str | None = None) -> str:
        """Keep a note."""
        notes.append(note if tag is None else f"{tag}: {note}")
        return f"{len(notes)} note(s): {'; '.join(notes)}"

    @app.tool(annotations=READ_ONLY)
    def environment(name: str) -> str:
        """The value of an environment variable of the server."""
        return os.environ.get(name, "<not set>")

    @app.tool(annotations=READ_ONLY)
    def arguments() -> str:
        """The server's command-line arguments."""
        return json.dumps(sys.argv[1:])

    @app.tool(annotations=READ_ONLY)
    def header(name: str, ctx: Context) -> str:
        """A header of the HTTP request that called this tool."""
        request = ctx.request_context.request
        headers = getattr(request, "headers", None)
        return "<no request>" if headers is None else str(headers.get(name, "<no header>"))


def _failing_tools(app: MCPServer) -> None:
    @app.tool()
    async def sleep(seconds: float) -> str:
        """Wait (telling the file MCP_TEST_SLEEPING names that it started)."""
        if os.environ.get("MCP_TEST_SLEEPING"):
            with open(os.environ["MCP_TEST_SLEEPING"], "w"):
                pass
        await anyio.sleep(seconds)
        return "slept"

    @app.tool()
    def crash() -> str:
        """Exit at once."""
        print("the server crashes now", file=sys.stderr, flush=True)
        os._exit(3)

    @app.tool()
    def fail() -> str:
        """Fail as a tool does: the answer is an error result."""
        raise ValueError("the disk is full")

    @app.tool()
    def refuse() -> str:
        """Answer with a JSON-RPC error."""
        raise MCPError(code=-32602, message="refusing on purpose")

    @app.tool()
    def nothing() -> str:
        """Say nothing."""
        return ""


def build() -> MCPServer:
    """A fresh test server."""
    app = MCPServer("test-server", instructions=INSTRUCTIONS)
    _tools(app)
    _failing_tools(app)
    return app


def main() -> None:
    if os.environ.get("MCP_TEST_PIDS"):
        with open(os.environ["MCP_TEST_PIDS"], "a") as pids:
            pids.write(f"{os.getpid()}\n")
    if os.environ.get("MCP_TEST_BANNER"):
        print(os.environ["MCP_TEST_BANNER"], flush=True)  # not JSON-RPC: the client skips it
    build().run()


if __name__ == "__main__":
    main()
