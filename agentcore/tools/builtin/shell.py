"""The ``shell`` toolset: run a command with ``/bin/sh -c`` in the working directory.

The toolset's state is a :class:`Shell` (where commands run, and their extra environment);
the tool is a function of it and the call's arguments, declared in :data:`SHELL_TOOLS`.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import signal
import subprocess
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from agentcore.tools.base import Arguments, ToolError, Toolset, ToolSpec, bind_tools
from agentcore.tools.sandbox import MAX_READ, Sandbox

__all__ = ["exit_error", "run_command", "shell_toolset"]

SHELL_INSTRUCTION = (
    "## Shell Tool\n\n"
    "- Commands run with /bin/sh -c in the working directory, or in cwd when given\n"
    "- Output is stdout and stderr together; a non-zero exit status is reported after it\n"
    "- Commands time out after 30 seconds unless timeout says otherwise"
)


def shell_toolset(root: Path, options: Mapping[str, Any], env: Mapping[str, str]) -> Toolset:
    """The ``shell`` tool. Commands see the process environment, plus ``env`` (the team's
    extra variables) and the toolset's own ``options["env"]``.
    """
    own_env = {str(k): str(v) for k, v in dict(options.get("env") or {}).items()}
    return Toolset("shell", bind_tools(SHELL_TOOLS, Shell(root, env, own_env)), SHELL_INSTRUCTION)


class Shell:
    """Where commands run (the working directory, as a sandbox for ``cwd``) and the
    variables they see besides the process environment: the team's, then the toolset's.
    """

    def __init__(self, root: Path, team_env: Mapping[str, str], own_env: dict[str, str]):
        self.sandbox = Sandbox(root)
        self.team_env = team_env
        self.own_env = own_env

    def environment(self) -> dict[str, str]:
        """The environment of a command started now."""
        return {**os.environ, **self.team_env, **self.own_env}


def run_command(
    command: str, cwd: Path, env: dict[str, str], timeout: float, *, shell: str = "/bin/sh"
) -> tuple[bytes, int | None]:
    """Run ``command``: its first :data:`MAX_READ` bytes of output (the rest is read and
    dropped, so a chatty command cannot fill the memory) and its exit status, or None if it
    timed out. Its process group is killed then, and no process that left the group and
    still holds the output can keep the tool waiting.
    """
    process = subprocess.Popen(
        [shell, "-c", command],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, killed as a whole on timeout
    )
    deadline = time.monotonic() + timeout
    kept = bytearray()
    if process.stdout is None:  # pragma: no cover - stdout is a pipe
        raise RuntimeError("the command's output is not a pipe")
    ended = False  # the output ended before the deadline
    try:
        with process.stdout as pipe, selectors.DefaultSelector() as selector:
            selector.register(pipe, selectors.EVENT_READ)
            while not ended and (left := deadline - time.monotonic()) > 0:
                if selector.select(min(left, 60.0)):  # a huge timeout overflows poll()
                    chunk = os.read(pipe.fileno(), 65536)
                    kept += chunk[: max(0, MAX_READ - len(kept))]
                    ended = not chunk
        if ended:
            with contextlib.suppress(subprocess.TimeoutExpired):
                return bytes(kept), process.wait(max(0.0, deadline - time.monotonic()))
    except BaseException:  # Ctrl-C, SIGTERM: the command, in its own group, is not left behind
        _kill(process)
        raise
    _kill(process)
    return bytes(kept), None


def exit_error(status: int) -> str:
    """Go's ``exec.ExitError`` text: ``exit status 2``, or ``signal: killed``."""
    if status > 0:
        return f"exit status {status}"
    name = signal.strsignal(-status) or f"signal {-status}"
    return f"signal: {name[0].lower()}{name[1:]}"


def _kill(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def shell(state: Shell, args: Arguments) -> str:
    """Run ``cmd`` (in ``cwd``, within ``timeout`` seconds): its output, then its exit
    status unless 0.
    """
    command = args.get("cmd")
    if not isinstance(command, str) or not command.strip():
        raise ToolError("'cmd' must be a command line")
    sandbox = state.sandbox
    cwd = sandbox.path(args["cwd"], argument="cwd") if args.get("cwd") else sandbox.root
    if not cwd.is_dir():
        raise ToolError(f"cwd '{args.get('cwd')}' is not a directory")
    timeout = args.get("timeout") or 30
    if not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or timeout <= 0:
        raise ToolError(f"'timeout' must be a number of seconds, got {timeout!r}")
    out, status = run_command(command, cwd, state.environment(), float(timeout))
    if status is None:
        raise ToolError(f"command timed out after {timeout} seconds: {command}")
    output = out.decode("utf-8", errors="replace")
    if status:
        output += f"\n(exit status {status})"
    return output


SHELL_TOOLS: tuple[ToolSpec[Shell], ...] = (
    ToolSpec(
        "shell",
        "Executes the given shell command in the user's default shell.",
        {
            "cmd": {"description": "The shell command to execute", "type": "string"},
            "cwd": {
                "description": "The working directory to execute the command in",
                "type": ["string", "null"],
            },
            "timeout": {
                "description": "Command execution timeout in seconds (default: 30)",
                "type": ["integer", "null"],
            },
        },
        ("cmd", "cwd", "timeout"),
        shell,
    ),
)
"""The shell tool."""
