"""Entering and leaving a cassette: the first cassette open in the process guards the
sockets (:mod:`pytest_agentcassette._transport.network_guard`) and patches the client
libraries, each as soon as it is imported (:mod:`pytest_agentcassette._transport.clients`);
the last one out puts the patches back (the network guard stays once a cassette replayed).
"""

from __future__ import annotations

from contextvars import Token
from typing import Any

from pytest_agentcassette._transport import network_guard
from pytest_agentcassette._transport.clients import patch_all, unpatch_all
from pytest_agentcassette._transport.registry import (
    ActiveCassette,
    cassette_in_charge,
    register,
    unregister,
)

__all__ = ["activate", "deactivate"]


def _start_patches() -> None:
    try:
        network_guard.install(cassette_in_charge)
        patch_all()
    except BaseException:
        _stop_patches()  # leave nothing patched behind
        raise


def _stop_patches() -> None:
    unpatch_all()
    network_guard.release()  # the guard stays, once a cassette replayed


def activate(cassette: ActiveCassette) -> Token[Any]:
    """Route every request of this context (and of threads) to ``cassette``."""
    token = register(cassette, on_first=_start_patches)
    network_guard.opened(cassette)
    return token


def deactivate(cassette: ActiveCassette, token: Token[Any]) -> None:
    """Undo :func:`activate`; the patches go when the last cassette leaves (the network
    guard stays until the process ends if a cassette replayed).
    """
    network_guard.closed(cassette)
    unregister(cassette, token, on_last=_stop_patches)
