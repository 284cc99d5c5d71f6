"""Agents for the agentcore tests: a team against the provider server, a toolset alone."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

import agentcore
from agentcore import events
from agentcore.config import ToolsetConfig
from agentcore.tools import ToolContext, build_toolset
from tests.support.provider_server import ProviderServer


def load(tmp_path: Path, server: ProviderServer, agents: str, **kwargs: Any) -> agentcore.Team:
    path = tmp_path / "agent.yaml"
    models = f"models:\n  main:\n    provider: openai\n    model: gpt-4o\n    base_url: {server.url}/v1\n"
    path.write_text(models + agents)
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    return agentcore.load(path, working_dir=work, env={}, **kwargs)


def sent(server: ProviderServer, index: int) -> list[dict[str, Any]]:
    """The messages of the index-th request the server received."""
    return list(json.loads(server.requests[index].body)["messages"])


def one_agent(toolsets: str = "[{type: filesystem}]", extra: str = "") -> str:
    return f"agents:\n  root:\n    model: main\n    instruction: Work.\n    toolsets: {toolsets}\n{extra}"


def results(result: agentcore.Result) -> list[tuple[str, str]]:
    return [
        (e.call.name, e.output) for e in result.events if isinstance(e, events.ToolCallFinished)
    ]


def toolset(kind: str, root: Path, client: httpx.Client | None = None, **options: Any) -> Any:
    context = ToolContext(
        root,
        {},
        client or httpx.Client(),
        lambda: datetime(2026, 1, 2, 3, 4, 5),
        root / "agent.yaml",
    )
    return build_toolset(ToolsetConfig(kind, options=options), context)


def call(tools: Any, name: str, **arguments: Any) -> str:
    handler = next(t.handler for t in tools.tools if t.name == name)
    return str(handler(arguments))
