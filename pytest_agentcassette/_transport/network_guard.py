"""What must not get past a cassette: connections off the machine during a replay.

While a cassette replays (record mode ``none``, or ``once`` with the file there), any
library that resolves a name or opens a connection to a host other than this machine is
stopped with :class:`NetworkBlockedError` before a packet leaves: ``socket.getaddrinfo`` and
``socket.socket.connect``/``connect_ex`` are guarded. The patched clients never get there
(the cassette answers them); this catches everything else. Loopback stays open, for local
servers; ``allowed_hosts`` opens named hosts.

The guards are installed with the client patches when the first cassette opens
(:mod:`pytest_agentcassette._transport.interception`) and take whatever ``connect`` and
``getaddrinfo`` are at that moment as the real ones.
"""

from __future__ import annotations

import fnmatch
import ipaddress
import socket
from collections.abc import Callable
from typing import Any

from pytest_agentcassette._errors import NetworkBlockedError
from pytest_agentcassette._transport.registry import ActiveCassette

__all__ = ["install", "is_local", "uninstall"]

InCharge = Callable[[], ActiveCassette | None]

_restore: list[tuple[Any, str, Any]] = []
_LOCAL_NAMES = ("localhost", "localhost.", "ip6-localhost", "ip6-loopback")


def is_local(host: str) -> bool:
    """Whether ``host`` (a name or an address) is this machine."""
    host = host.strip("[]").split("%")[0].lower()
    if host in _LOCAL_NAMES or host.endswith(".localhost") or not host:
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def _allowed(cassette: ActiveCassette, host: str) -> bool:
    return is_local(host) or any(
        fnmatch.fnmatchcase(host.lower(), pattern.lower()) for pattern in cassette.allowed_hosts
    )


def _blocked_host(cassette: ActiveCassette, host: str, port: int | None) -> NetworkBlockedError:
    where = f"{host}:{port}" if port else host
    details = (
        f"agentcassette stopped a connection to {where}: the cassette "
        f"{cassette._shown_path} is replaying (record mode "
        f"{cassette.record_mode.value}), and nothing may reach the network in a replay.\n"
        f"  The connection came from outside the clients the cassette answers itself "
        f"(httpx, httpx2, aiohttp, urllib3 and requests, websockets, MCP's stdio_client): "
        f"another client, a driver, a raw socket."
    )
    command = cassette.record_command
    record = (
        f"To record its traffic, send it through one of those clients and run:\n"
        f"  {command.replace('{mode}', 'rewrite')}"
        if command
        else "To record its traffic, send it through one of those clients and record the "
        "cassette again (record_mode='all')."
    )
    advice = (
        f"{record}\nIf {host} may be reached during replays, allow it: "
        f'allowed_hosts=["{host}"] on the cassette marker (or agentcassette_allowed_hosts '
        f"in the ini file)."
    )
    return NetworkBlockedError(details, advice, path=cassette.path, host=host, port=port)


def _check(in_charge: InCharge, host: Any, port: Any) -> None:
    cassette = in_charge()
    if cassette is None or cassette.is_recording:
        return
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if host is None or _allowed(cassette, str(host)):
        return
    error = _blocked_host(cassette, str(host), port if isinstance(port, int) else None)
    cassette._note_blocked(error)
    raise error


def _address(address: Any) -> tuple[Any, Any] | None:
    """``(host, port)`` of an INET address; ``None`` for Unix sockets and the like."""
    if isinstance(address, tuple) and len(address) >= 2:
        return address[0], address[1]
    return None


def _guard_sockets(in_charge: InCharge) -> None:
    connect, connect_ex = socket.socket.connect, socket.socket.connect_ex
    getaddrinfo = socket.getaddrinfo

    def guarded_connect(self: socket.socket, address: Any) -> None:
        inet = _address(address) if self.family in (socket.AF_INET, socket.AF_INET6) else None
        if inet is not None:
            _check(in_charge, *inet)
        return connect(self, address)

    def guarded_connect_ex(self: socket.socket, address: Any) -> int:
        inet = _address(address) if self.family in (socket.AF_INET, socket.AF_INET6) else None
        if inet is not None:
            _check(in_charge, *inet)
        return connect_ex(self, address)

    def guarded_getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        _check(in_charge, host, port)
        return getaddrinfo(host, port, *args, **kwargs)

    _swap(socket.socket, "connect", guarded_connect)
    _swap(socket.socket, "connect_ex", guarded_connect_ex)
    _swap(socket, "getaddrinfo", guarded_getaddrinfo)


def _swap(owner: Any, name: str, replacement: Any) -> None:
    _restore.append((owner, name, getattr(owner, name)))
    setattr(owner, name, replacement)


def install(in_charge: InCharge) -> None:
    """Guard sockets; ``in_charge()`` names the cassette a request belongs to."""
    if _restore:
        return
    _guard_sockets(in_charge)


def uninstall() -> None:
    """Put back what :func:`install` replaced."""
    while _restore:
        owner, name, original = _restore.pop()
        setattr(owner, name, original)
