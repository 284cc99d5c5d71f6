"""A real MCP server for the plugin's tests, written with the SDK's server API: ``calc``,
with ``add`` and ``echo``, ``greet`` (which asks the client a question: an elicitation),
``count`` (which reports progress) and ``crash`` (which exits), run over stdio (a script
started as ``python calc_server.py``) or over HTTP on 127.0.0.1 (a subprocess)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SERVER = '''
import os
import sys

from mcp.server.mcpserver import Context, MCPServer
from pydantic import BaseModel

server = MCPServer("calc")


class Name(BaseModel):
    name: str


@server.tool()
def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


@server.tool()
def echo(text: str) -> str:
    """Say the text back."""
    return text


@server.tool()
async def greet(ctx: Context) -> str:
    """Ask the user's name (an elicitation), then greet them."""
    answer = await ctx.elicit("Your name?", Name)
    return f"Hello, {answer.data.name}!" if answer.action == "accept" else "Hello!"


@server.tool()
async def count(n: int, ctx: Context) -> str:
    """Count to n, reporting progress."""
    for step in range(1, n + 1):
        await ctx.report_progress(step, n)
    return f"counted to {n}"


@server.tool()
def crash() -> str:
    """Exit at once, as a crashing server does."""
    os._exit(3)


if __name__ == "__main__":
    if len(sys.argv) > 2:
        server.run(sys.argv[2], host="127.0.0.1", port=int(sys.argv[1]))
    else:
        server.run()
'''


def write_server(folder: Path) -> Path:
    """The server's script, written into ``folder``."""
    path = folder / "calc_server.py"
    path.write_text(SERVER)
    return path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def http_server(folder: Path, transport: str = "streamable-http") -> Iterator[str]:
    """The server over streamable HTTP (or ``sse``, MCP's older HTTP transport) on a free
    loopback port; yields its URL."""
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, str(write_server(folder)), str(port), transport],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("the MCP test server did not start") from None
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}/{'sse' if transport == 'sse' else 'mcp'}"
    finally:
        process.terminate()
        process.wait(timeout=10)
