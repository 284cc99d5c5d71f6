"""The one list of what the plugin patches, and when.

Each client library is patched by a module of this package (its *adapter*), and only once
the library is imported: a test that uses httpx alone never imports aiohttp, urllib3,
websockets or the MCP SDK, nor the adapters for them. While a cassette is open, an import
hook (:mod:`.import_hook`) waits for each library; when it arrives (or at once, if it is
there already) the adapter's ``patch(module)`` runs and returns what undoes it. Which
cassette answers a patched client is one rule for all of them
(:func:`~.registry.cassette_for_this_request`).
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from types import ModuleType
from typing import NamedTuple

from pytest_agentcassette._transport.import_hook import when_imported

__all__ = ["CLIENTS", "ClientPatch", "patch_all", "unpatch_all"]


class ClientPatch(NamedTuple):
    """A client library and the adapter that patches it."""

    library: str
    """What users call it (docs and messages)."""
    module: str
    """The module whose import makes the library patchable."""
    adapter: str
    """The module of this package whose ``patch(module) -> undo`` patches it."""


_HERE = "pytest_agentcassette._transport."

CLIENTS: tuple[ClientPatch, ...] = (
    ClientPatch("httpx", "httpcore", _HERE + "httpcore_mocker"),
    ClientPatch("httpx2", "httpcore2", _HERE + "httpcore_mocker"),
    ClientPatch("aiohttp", "aiohttp", _HERE + "aiohttp_client"),
    ClientPatch("urllib3 (requests, botocore)", "urllib3", _HERE + "urllib3_client"),
    ClientPatch("MCP servers over stdio", "mcp.client.stdio", _HERE + "mcp.stdio"),
    ClientPatch("websockets (asyncio client)", "websockets", _HERE + "websocket.client"),
)

_lock = threading.Lock()
_undo: list[Callable[[], None]] = []


_patching = threading.local()


def _patcher(client: ClientPatch) -> Callable[[ModuleType], None]:
    """The hook for ``client``: patch it with its adapter. An adapter's own imports may
    bring in another library (httpcore2's adapter imports httpcore): that one is patched
    once this one is, never in the middle of loading an adapter.
    """

    def patch(module: ModuleType) -> None:
        queue: list[tuple[ClientPatch, ModuleType]] | None = getattr(_patching, "queue", None)
        if queue is not None:
            queue.append((client, module))
            return
        _patching.queue = queue = [(client, module)]
        try:
            while queue:
                waiting, imported = queue.pop(0)
                undo = importlib.import_module(waiting.adapter).patch(imported)
                with _lock:
                    _undo.append(undo)
        finally:
            _patching.queue = None

    return patch


def patch_all() -> None:
    """Patch every client library that is imported, and each of the others when it is."""
    for client in CLIENTS:
        stop_waiting = when_imported(client.module, _patcher(client))
        with _lock:
            _undo.append(stop_waiting)


def unpatch_all() -> None:
    """Stop waiting for libraries, and undo every patch, newest first."""
    while True:
        with _lock:
            if not _undo:
                return
            undo = _undo.pop()
        undo()
