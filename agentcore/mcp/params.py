"""How an MCP server is started or reached, as cagent's ``createMCPTool`` decides it.

In cagent's ``pkg/teamloader/registry.go``, from the toolset and the environment:

- ``command``: run in the team's working directory with the process environment, the
  team's ``env`` and the toolset's ``env`` (its values expanded: ``$NAME``, ``${NAME}``);
  ``args`` as written.
- ``remote``: the URL and header values expanded as JavaScript templates (``${env.NAME}``).
- ``docker:NAME``: ``docker mcp gateway run ...`` (see :mod:`agentcore.mcp.gateway`); the
  toolset's ``env`` only supplies the secrets the server needs, as in cagent.
"""

from __future__ import annotations

import os
import shlex
from collections import ChainMap
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from agentcore.config.model import McpServerConfig
from agentcore.mcp.expand import expand_env, expand_template
from agentcore.mcp.gateway import GatewayFailure, catalog_entry, gateway_command

__all__ = ["ServerParams", "SetupFailure", "label", "server_params"]

_TRANSPORTS = {"streamable": "streamable", "streamable-http": "streamable", "sse": "sse"}


class SetupFailure(Exception):
    """The server cannot be started as configured (a variable that is not set...)."""


@dataclass(frozen=True)
class ServerParams:
    """A server to start (``transport`` ``stdio``) or to reach (``streamable``, ``sse``)."""

    transport: str
    command: str = ""
    args: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    cwd: str = ""
    url: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    temporary: tuple[Path, ...] = ()
    """Files to remove once the server has stopped (the gateway's secrets and config)."""


def label(config: McpServerConfig) -> str:
    """The server as messages name it: its command line, URL or ``docker:NAME``."""
    if config.command:
        return shlex.join([config.command, *config.args])
    if config.remote is not None:
        return config.remote.url
    return f"docker:{config.docker}"


def _expanded(variables: Mapping[str, str], lookup: Mapping[str, str]) -> dict[str, str]:
    try:
        return expand_env(variables, lookup)
    except KeyError as missing:
        names = ", ".join(f'"{name}"' for name in missing.args)
        plural = "s" if len(missing.args) > 1 else ""
        raise SetupFailure(
            f"cannot be started: its env refers to the environment variable{plural} {names}, "
            f"which {'are' if plural else 'is'} not set"
        ) from None


def _docker(config: McpServerConfig, lookup: Mapping[str, str], cwd: str) -> ServerParams:
    home = Path(lookup.get("HOME") or Path.home())
    entry = catalog_entry(config.docker, home)
    if entry is not None and entry.type == "remote":  # cagent connects to it directly
        transport = _TRANSPORTS.get(entry.transport_type)
        if transport is None:
            raise SetupFailure(
                f"cannot be reached: the catalog gives the transport type "
                f"{entry.transport_type!r}, which cagent does not know"
            )
        return ServerParams(transport, url=entry.url)
    secrets_from = ChainMap(_expanded(config.env, lookup), dict(lookup))
    try:
        arguments, temporary = gateway_command(config.docker, entry, config.config, secrets_from)
    except GatewayFailure as failure:
        raise SetupFailure(f"cannot be started: {failure}") from None
    environment = {**os.environ, **lookup}
    return ServerParams("stdio", "docker", tuple(arguments), environment, cwd, temporary=temporary)


def server_params(
    config: McpServerConfig, env: Mapping[str, str], working_dir: Path
) -> ServerParams:
    """How to start or reach ``config``'s server with the team's ``env``; raises
    :class:`SetupFailure` when that cannot be worked out.
    """
    lookup = ChainMap(dict(env), dict(os.environ))
    if config.remote is not None:
        remote = config.remote
        # a field value's surrounding blanks are not part of it (RFC 9110): a header cagent
        # sends as "Bearer " when the token is not set arrives as "Bearer", and httpx2
        # refuses to send such a value, so it is sent as it arrives
        headers = {
            name: expand_template(value, lookup).strip() for name, value in remote.headers.items()
        }
        return ServerParams(
            remote.transport_type, url=expand_template(remote.url, lookup), headers=headers
        )
    if config.docker:
        return _docker(config, lookup, str(working_dir))
    environment = {**os.environ, **env, **_expanded(config.env, lookup)}
    return ServerParams("stdio", config.command, config.args, environment, str(working_dir))
