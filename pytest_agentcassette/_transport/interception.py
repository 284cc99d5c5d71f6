"""Entering and leaving a cassette: the first cassette open in the process patches the HTTP
clients' connection pools (:mod:`pytest_agentcassette._transport.httpcore_mocker`), the MCP
SDK's start of stdio servers (:mod:`pytest_agentcassette._transport.mcp_stdio`) and guards
the sockets (:mod:`pytest_agentcassette._transport.network_guard`); the last one out puts
everything back.
"""

from __future__ import annotations

import importlib.util
from contextvars import Token
from typing import Any

from pytest_agentcassette._transport import httpcore_mocker, mcp_stdio, network_guard
from pytest_agentcassette._transport.registry import (
    ActiveCassette,
    cassette_for_this_request,
    cassette_in_charge,
    register,
    unregister,
)

__all__ = ["activate", "deactivate", "httpx2_available"]


def httpx2_available() -> bool:
    """Whether httpx2 clients can exist in this environment."""
    return importlib.util.find_spec("httpcore2") is not None


def _start_patches() -> None:
    try:
        network_guard.install(cassette_in_charge)
        httpcore_mocker.start(httpx2=httpx2_available())
        mcp_stdio.install(cassette_for_this_request)
    except BaseException:
        _stop_patches()  # leave nothing patched behind
        raise


def _stop_patches() -> None:
    mcp_stdio.uninstall()
    httpcore_mocker.stop()
    network_guard.uninstall()


def activate(cassette: ActiveCassette) -> Token[Any]:
    """Route every request of this context (and of threads) to ``cassette``."""
    return register(cassette, on_first=_start_patches)


def deactivate(cassette: ActiveCassette, token: Token[Any]) -> None:
    """Undo :func:`activate`; the patches go when the last cassette leaves."""
    unregister(cassette, token, on_last=_stop_patches)
