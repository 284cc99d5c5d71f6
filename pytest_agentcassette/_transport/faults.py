"""Transport errors kept in a cassette: which exceptions are recorded, and the exception a
replay raises for each, in the client library that asked (httpcore or httpcore2 for httpx
and httpx2; aiohttp; urllib3).

Only what a connection did is recorded: a connection refused or cut, a timeout, a server
that broke the protocol. The client's own mistakes (an illegal header, a pool too small
for its requests, an unsupported scheme) and anything else (a bug, a cancellation, a
refusal by this plugin) are not facts about the provider, and are not kept.

A fault is stored under httpcore's name for it (``ConnectError``, ``ReadTimeout``...), so
that a cassette recorded through one client replays through another. Each client library
says once (:func:`register_client`) which of its exceptions are which kind, and builds its
own exception for a kind in replay.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

from pytest_agentcassette._model import TransportError

__all__ = [
    "RECORDED_KINDS",
    "ReplayedTransportError",
    "as_transport_error",
    "core_exception",
    "register_client",
]

RECORDED_KINDS = frozenset(
    {
        "ConnectError",
        "ConnectTimeout",
        "ReadError",
        "ReadTimeout",
        "WriteError",
        "WriteTimeout",
        "RemoteProtocolError",
        "ProxyError",
    }
)
"""What a connection or the server did; the other httpcore errors are the client's own."""

MakeFault = Callable[[TransportError, bool], Exception]
"""``make(fault, mid_stream)``: the client library's exception for a recorded fault."""

_KINDS: dict[str, Mapping[str, str]] = {
    core: {kind: kind for kind in RECORDED_KINDS} for core in ("httpcore", "httpcore2")
}
_MAKERS: dict[str, MakeFault] = {}


def register_client(module: str, kinds: Mapping[str, str], make: MakeFault) -> None:
    """Say which exceptions of ``module`` (a top-level package) are recorded, as which
    kind (``{"ServerDisconnectedError": "RemoteProtocolError"}``), and how a replay builds
    one for a kind.
    """
    _KINDS[module] = kinds
    _MAKERS[module] = make


def as_transport_error(error: BaseException) -> TransportError | None:
    """``error`` as a recorded transport error, or ``None`` if it is not one."""
    module = type(error).__module__.partition(".")[0]
    for kind_class in type(error).__mro__:
        kind = _KINDS.get(module, {}).get(kind_class.__name__)
        if kind is not None:
            return TransportError(kind, str(error))
    return None


def core_exception(core: str, fault: TransportError, *, mid_stream: bool) -> Exception:
    """The exception to raise for ``fault`` in the client library ``core`` (``httpcore``,
    ``httpcore2``, or one registered); an unknown kind becomes the nearest general one.
    """
    make = _MAKERS.get(core)
    if make is not None:
        return make(fault, mid_stream)
    module: Any = importlib.import_module(core)
    kind = getattr(module, fault.kind, None)
    if not (isinstance(kind, type) and issubclass(kind, Exception)):
        kind = module.ReadError if mid_stream else module.ConnectError
    error: Exception = kind(fault.message)
    return error


class ReplayedTransportError(Exception):
    """Raised by a cassette's answer to the client's patch: the recorded request met
    ``fault``, and the client must meet it again, as its own library's exception.
    """

    def __init__(self, fault: TransportError):
        super().__init__(fault.kind, fault.message)
        self.fault = fault
