"""``ref: docker:NAME``: a server of the Docker MCP catalog, run by the Docker MCP gateway
as cagent runs it (``pkg/tools/mcp/gateway.go``, ``pkg/gateway``).

cagent looks NAME up in the catalog to learn which secrets the server needs (the catalog
is fetched from the network, then cached in ``~/.cagent/mcp_catalog.json`` for a day),
writes each secret (``name=value``, the value read from the toolset's ``env`` then the
environment) and the toolset's ``config:`` (``NAME: config`` as YAML) to temporary files,
and runs ``docker mcp gateway run --servers NAME --catalog URL --secrets FILE --config
FILE`` as a stdio server; a catalog entry of type ``remote`` is connected to directly.

agentcore never goes to the network for the catalog: it reads cagent's cached copy when
there is one (however old), and without it runs the gateway with an empty secrets file,
so that the gateway reports what the server lacks.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

__all__ = ["CATALOG_URL", "CatalogEntry", "GatewayFailure", "catalog_entry", "gateway_command"]

CATALOG_URL = "https://desktop.docker.com/mcp/catalog/v3/catalog.yaml"
CATALOG_CACHE = Path(".cagent") / "mcp_catalog.json"


class GatewayFailure(Exception):
    """The gateway cannot be run: a secret the server needs is not set."""


@dataclass(frozen=True)
class CatalogEntry:
    """What the catalog says of a server: its type, the secrets it needs (``(name, the
    environment variable holding it)``) and, for a ``remote`` server, where it is.
    """

    type: str = ""
    secrets: tuple[tuple[str, str], ...] = ()
    url: str = ""
    transport_type: str = ""


def catalog_entry(name: str, home: Path) -> CatalogEntry | None:
    """NAME's entry in cagent's cached catalog under ``home``, or ``None`` (no cache, an
    unreadable one, or no such server in it).
    """
    try:
        cached = json.loads((home / CATALOG_CACHE).read_text(encoding="utf-8"))
        server = cached["catalog"][name]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not isinstance(server, dict):
        return None
    secrets = tuple(
        (str(secret.get("name", "")), str(secret.get("env", "")))
        for secret in server.get("secrets") or []
        if isinstance(secret, dict)
    )
    remote = server.get("remote")
    if not isinstance(remote, dict):
        remote = {}
    return CatalogEntry(
        str(server.get("type", "")),
        secrets,
        str(remote.get("url", "")),
        str(remote.get("transport_type", "")),
    )


def _temporary(folder: Path, name: str, content: str) -> Path:
    """The file ``name`` in ``folder``, that only this user can read, holding ``content``."""
    path = folder / name
    handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(handle, "w", encoding="utf-8") as file:
        file.write(content)
    return path


def gateway_command(
    name: str,
    entry: CatalogEntry | None,
    config: Any,
    lookup: Mapping[str, str],
) -> tuple[list[str], tuple[Path, ...]]:
    """The ``docker`` arguments that run NAME through the gateway, and the temporary files
    they name (to remove when the server stops). ``lookup``: where secrets are read, the
    toolset's expanded ``env`` first. Raises :class:`GatewayFailure` for a missing secret.
    """
    lines = []
    for secret, variable in entry.secrets if entry is not None else ():
        value = lookup.get(variable)
        if not value:
            raise GatewayFailure(
                f"missing environment variable {variable} required by MCP server {name}"
            )
        lines.append(f"{secret}={value}")
    # A private folder of its own, the files in it named alike every time: the gateway's
    # command line (which a cassette knows the server by) is the same from run to run.
    folder = Path(tempfile.mkdtemp(prefix="agentcore-mcp-"))
    try:
        secrets = _temporary(folder, "secrets.env", "\n".join(lines))
        configuration = _temporary(
            folder, "config.yaml", yaml.safe_dump({name: config}, sort_keys=False)
        )
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    arguments = ["mcp", "gateway", "run", "--servers", name, "--catalog", CATALOG_URL]
    arguments += ["--secrets", str(secrets), "--config", str(configuration)]
    return arguments, (secrets, configuration, folder)
