"""Running ``agentcore`` in tests: in-process through ``main`` or as the installed script."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from agentcore.cli import Console, main
from tests.support.provider_server import ProviderServer

SCRIPT = Path(sys.executable).with_name("agentcore")

# Any request that escapes a replay goes to this proxy, where nothing listens: it fails at
# once, and nothing leaves the machine.
NO_NETWORK = {"HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9"}


@dataclass
class CliRun:
    status: int
    out: str
    err: str
    waits: list[float] = field(default_factory=list)


def agentcore(
    *argv: str,
    env: dict[str, str] | None = None,
    stdin: str = "",
    interactive: bool = False,
) -> CliRun:
    """``agentcore ARGV`` in this process (relative paths from the current directory);
    retries do not wait, and ``waits`` tells how long they would have."""
    out, err = io.StringIO(), io.StringIO()
    console = Console(io.StringIO(stdin), out, err, interactive)
    waits: list[float] = []
    env = env if env is not None else {}
    status = main(list(argv), console=console, env=env, sleep=waits.append)
    return CliRun(status, out.getvalue(), err.getvalue(), waits)


def agentcore_script(
    *argv: str, cwd: Path, stdin: str = "", env: dict[str, str] | None = None
) -> CliRun:
    """The installed ``agentcore`` script, with no API key in its environment (``env``
    adds variables)."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(cwd),
        "LANG": "C.UTF-8",
        **NO_NETWORK,
        **(env or {}),
    }
    done = subprocess.run(
        [str(SCRIPT), *argv],
        cwd=cwd,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
        check=False,
    )
    return CliRun(done.returncode, done.stdout, done.stderr)


def agent_file(
    folder: Path,
    server: ProviderServer,
    agents: str | None = None,
    *,
    toolsets: str = "[{type: filesystem}]",
    name: str = "agent.yaml",
) -> Path:
    """An agent file whose models are served by ``server``: ``main`` (OpenAI Chat
    Completions), ``gpt5`` (OpenAI Responses), ``claude``, ``gemini`` and ``mistral``;
    ``agents`` defaults to one root agent using ``main``, with ``toolsets``."""
    path = folder / name
    models = (
        f"models:\n"
        f"  main:\n    provider: openai\n    model: gpt-4o\n    base_url: {server.url}/v1\n"
        f"  claude:\n    provider: anthropic\n    model: claude-sonnet-4-0\n"
        f"    base_url: {server.url}\n"
        f"  gemini:\n    provider: google\n    model: gemini-2.5-flash\n"
        f"    base_url: {server.url}/\n"
        f"  mistral:\n    provider: mistral\n    model: mistral-small\n"
        f"    base_url: {server.url}/mistral/v1\n"
        f"  gpt5:\n    provider: openai\n    model: gpt-5\n    base_url: {server.url}/v1\n"
    )
    agents = agents or (
        f"agents:\n  root:\n    model: main\n    instruction: Work.\n    toolsets: {toolsets}\n"
    )
    path.write_text(models + agents)
    return path


TEAM = """\
agents:
  root:
    model: main
    description: The coordinator
    instruction: Delegate weather questions.
    sub_agents: [weather]
  weather:
    model: claude
    description: Knows the weather
    instruction: You are a weather expert.
"""
