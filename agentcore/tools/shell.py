"""The ``shell`` toolset: run a command with ``/bin/sh -c`` in the working directory."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .base import ToolError, Toolset, tool
from .filesystem import Sandbox

__all__ = ["shell_toolset"]

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
    sandbox = Sandbox(root)
    extra_env = {str(k): str(v) for k, v in dict(options.get("env") or {}).items()}

    def shell(args: dict[str, Any]) -> str:
        command = args.get("cmd")
        if not isinstance(command, str) or not command.strip():
            raise ToolError("'cmd' must be a command line")
        cwd = sandbox.path(args["cwd"], argument="cwd") if args.get("cwd") else sandbox.root
        if not cwd.is_dir():
            raise ToolError(f"cwd '{args.get('cwd')}' is not a directory")
        timeout = args.get("timeout") or 30
        if not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or timeout <= 0:
            raise ToolError(f"'timeout' must be a number of seconds, got {timeout!r}")
        process = subprocess.Popen(
            ["/bin/sh", "-c", command],
            cwd=cwd,
            env={**os.environ, **env, **extra_env},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, killed as a whole on timeout
        )
        try:
            out, _ = process.communicate(timeout=float(timeout))
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            raise ToolError(f"command timed out after {timeout} seconds: {command}") from None
        output = out.decode("utf-8", errors="replace")
        if process.returncode:
            output += f"\n(exit status {process.returncode})"
        return output

    properties = {
        "cmd": {"description": "The shell command to execute", "type": "string"},
        "cwd": {
            "description": "The working directory to execute the command in",
            "type": ["string", "null"],
        },
        "timeout": {
            "description": "Command execution timeout in seconds (default: 30)",
            "type": ["integer", "null"],
        },
    }
    return Toolset(
        "shell",
        [
            tool(
                "shell",
                "Executes the given shell command in the user's default shell.",
                properties,
                ["cmd", "cwd", "timeout"],
                shell,
            )
        ],
        SHELL_INSTRUCTION,
    )
