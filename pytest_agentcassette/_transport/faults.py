"""Transport errors kept in a cassette: which exceptions are recorded, and the exception a
replay raises for each, in the HTTP core (httpcore or httpcore2) of the client that asked.

Only what a connection did is recorded: the HTTP core's network, timeout and remote
protocol errors. The client's own mistakes (an illegal header, a pool too small for its
requests, an unsupported scheme) and anything else (a bug, a cancellation, a refusal by
this plugin) are not facts about the provider, and are not kept.
"""

from __future__ import annotations

import importlib
from typing import Any

from pytest_agentcassette._model import TransportError

__all__ = ["RECORDED_KINDS", "ReplayedTransportError", "as_transport_error", "core_exception"]

_CORE_MODULES = ("httpcore", "httpcore2")
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


def as_transport_error(error: BaseException) -> TransportError | None:
    """``error`` as a recorded transport error, or ``None`` if it is not one."""
    module = type(error).__module__.partition(".")[0]
    kind = type(error).__name__
    if module not in _CORE_MODULES or kind not in RECORDED_KINDS:
        return None
    return TransportError(kind, str(error))


def core_exception(core: str, fault: TransportError, *, mid_stream: bool) -> Exception:
    """The exception to raise for ``fault`` from the ``core`` module (``httpcore`` or
    ``httpcore2``); an unknown kind becomes the nearest general one.
    """
    module: Any = importlib.import_module(core)
    kind = getattr(module, fault.kind, None)
    if not (isinstance(kind, type) and issubclass(kind, Exception)):
        kind = module.ReadError if mid_stream else module.ConnectError
    error: Exception = kind(fault.message)
    return error


class ReplayedTransportError(Exception):
    """Raised by a cassette's answer to the mocker
    (:mod:`pytest_agentcassette._transport.httpcore_mocker`): the recorded request met
    ``fault``, and the client must meet it again, as its HTTP core's own exception.
    """

    def __init__(self, fault: TransportError):
        super().__init__(fault.kind, fault.message)
        self.fault = fault
