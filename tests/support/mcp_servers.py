"""MCP servers for the agentcore tests: the test server (:mod:`tests.support.mcp_test_server`,
written with the official SDK's server API) over stdio or HTTP, and a few programs that
are not quite servers, for the failures.

Every program appends its process id to the file named by ``MCP_TEST_PIDS`` (when set), so
that a test can check that none survives (:func:`assert_stopped`). A stdio server runs as
``sys.executable script``; the streamable-HTTP and SSE servers run in a thread of the test
process (uvicorn on 127.0.0.1, a random port); the stand-in ``docker`` (a Python script
first on the PATH) writes what it was given to ``MCP_TEST_DOCKER_LOG``, then becomes the
test server.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

RECORD_PID = """\
import os
if os.environ.get("MCP_TEST_PIDS"):
    with open(os.environ["MCP_TEST_PIDS"], "a") as pids:
        pids.write(f"{os.getpid()}\\n")
"""

SERVER = Path(__file__).with_name("mcp_test_server.py")
"""The test server: ``sys.executable SERVER`` serves it over stdio."""

CRASH_AT_START = (
    RECORD_PID
    + """\
import sys
print("Traceback (most recent call last):", file=sys.stderr)
print("ModuleNotFoundError: No module named 'weather_api'", file=sys.stderr)
sys.exit(1)
"""
)

HANG_AT_START = (
    RECORD_PID
    + """\
import sys
print("loading the index, this takes a while", file=sys.stderr, flush=True)
for line in sys.stdin:  # never answers; stops when its stdin closes
    pass
"""
)

GARBAGE_ON_STDOUT = (
    RECORD_PID
    + """\
import sys
print("Weather server 1.0 listening on port 8080", flush=True)
sys.stdin.readline()
print("usage: weather-server --stdio", file=sys.stderr)
sys.exit(2)
"""
)

LIST_ERROR = (
    RECORD_PID
    + """\
import anyio
from mcp.server.lowlevel import Server
from mcp.server.stdio import stdio_server
from mcp.shared.exceptions import MCPError


async def list_tools(ctx, params):
    raise MCPError(code=-32603, message="the tool registry is broken")


server = Server("broken", on_list_tools=list_tools)


async def main():
    async with stdio_server() as (read, write):
        await server.run(read, write, server.create_initialization_options())


anyio.run(main)
"""
)

DOCKER = """\
#!{python}
import json, os, sys

arguments = sys.argv[1:]
files = {{}}
for flag in ("--secrets", "--config"):
    if flag in arguments:
        path = arguments[arguments.index(flag) + 1]
        files[flag] = open(path).read()
with open(os.environ["MCP_TEST_DOCKER_LOG"], "w") as log:
    json.dump({{"arguments": arguments, "files": files}}, log)
os.execv(sys.executable, [sys.executable, {server!r}])
"""


def write(folder: Path, name: str, text: str) -> Path:
    """``text`` as the file ``name`` in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text)
    return path


def command_toolset(script: Path = SERVER, extra: str = "", *, indent: int = 6) -> str:
    """A ``type: mcp`` toolset (YAML, as an item of ``toolsets:``) running ``script``."""
    pad = " " * indent
    lines = [
        f"{pad}- type: mcp",
        f"{pad}  command: {json.dumps(sys.executable)}",
        f"{pad}  args: [{json.dumps(str(script))}]",
    ]
    lines += [f"{pad}  {line}" for line in extra.splitlines() if line.strip()]
    return "\n".join(lines) + "\n"


def pids(file: Path) -> list[int]:
    """The process ids the servers wrote to ``file``."""
    return [int(line) for line in file.read_text().split()] if file.exists() else []


def _running(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    except OSError:  # pragma: no cover - not Linux
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
    return "\nState:\tZ" not in status  # a zombie has stopped; only its parent's wait is left


def assert_stopped(file: Path, *, expected: int | None = None, within: float = 1.0) -> None:
    """Every server that wrote to ``file`` has stopped (``expected``: how many started)."""
    started = pids(file)
    if expected is not None:
        assert len(started) == expected, started
    deadline = time.monotonic() + within
    alive = [pid for pid in started if _running(pid)]
    while alive and time.monotonic() < deadline:
        time.sleep(0.02)
        alive = [pid for pid in alive if _running(pid)]
    assert alive == [], f"still running: {alive}"


def docker_stand_in(folder: Path, server: Path = SERVER) -> Path:
    """A folder holding a ``docker`` that logs its arguments and runs ``server``."""
    bin_dir = folder / "bin"
    docker = write(bin_dir, "docker", DOCKER.format(python=sys.executable, server=str(server)))
    docker.chmod(0o755)
    return bin_dir


def free_port() -> int:
    """A port of 127.0.0.1 nothing listens on (at the time of asking)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def http_server(transport: str = "streamable-http") -> Iterator[str]:
    """The test server over HTTP (``streamable-http`` or ``sse``) on 127.0.0.1, in a
    thread of this process; yields its URL.
    """
    import uvicorn

    from tests.support.mcp_test_server import build

    app = build()
    starlette = app.streamable_http_app() if transport == "streamable-http" else app.sse_app()
    port = free_port()
    config = uvicorn.Config(starlette, host="127.0.0.1", port=port, log_level="error")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server.started, "the MCP test server did not start"
    try:
        yield f"http://127.0.0.1:{port}/{'mcp' if transport == 'streamable-http' else 'sse'}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
