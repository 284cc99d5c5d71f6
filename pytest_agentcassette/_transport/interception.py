"""Entering and leaving a cassette: the first cassette open in the process guards the
sockets (:mod:`pytest_agentcassette._transport.network_guard`) and patches the client
libraries, each as soon as it is imported (:mod:`pytest_agentcassette._transport.clients`);
the last one out puts the patches back (the network guard stays once a cassette replayed),
unless they are held for a cassette about to open (:func:`hold_patches`: the pytest layer
holds them from one test to the next when both use a cassette).
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
    when_idle,
)

__all__ = ["activate", "deactivate", "hold_patches", "release_patches"]


class _Patches:
    """Whether the clients are patched, and whether the patches are held (changed under
    the registry's lock).
    """

    in_place = False
    held = False


_patches = _Patches()


def _start_patches() -> None:
    if _patches.in_place:  # held since the last cassette left
        return
    _patches.in_place = True
    try:
        network_guard.install(cassette_in_charge)
        patch_all()
    except BaseException:
        _unpatch()  # leave nothing patched behind
        raise


def _stop_patches() -> None:
    if not _patches.held:
        _unpatch()


def _unpatch() -> None:
    _patches.in_place = False
    unpatch_all()
    network_guard.release()  # the guard stays, once a cassette replayed


def hold_patches() -> None:
    """Keep the patches in place when the last cassette leaves, for the next one to open:
    with no cassette open, a patched client passes every request through, as an unpatched
    one does. Until :func:`release_patches`.
    """
    _patches.held = True


def release_patches() -> None:
    """Stop holding the patches; they go now if no cassette is open."""
    if _patches.held:
        _patches.held = False
        when_idle(_stop_patches)


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
