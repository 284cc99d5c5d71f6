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

Once a cassette replayed, the guard stays until the process ends (:func:`release`):
threads that the replay started and that outlive it, and anything once the session is
over (:func:`session_over`: exit handlers, threads joined at exit), are refused a
connection off the machine, and each refusal is kept for the session's summary
(:func:`take_refused`), or written to stderr once the summary is gone.
"""

from __future__ import annotations

import atexit
import fnmatch
import ipaddress
import socket
import sys
import threading
import weakref
from collections.abc import Callable, Iterable
from typing import Any

from pytest_agentcassette._errors import NetworkBlockedError
from pytest_agentcassette._transport.registry import ActiveCassette
from pytest_agentcassette._transport.telemetry import download_for_host, telemetry_for_host

__all__ = [
    "closed",
    "disarm",
    "install",
    "is_local",
    "opened",
    "release",
    "session_over",
    "take_refused",
    "uninstall",
]

InCharge = Callable[[], ActiveCassette | None]

_restore: list[tuple[Any, str, Any, Any]] = []  # owner, name, original, guard
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


def _allowed_by(patterns: Iterable[str], host: str) -> bool:
    return is_local(host) or any(
        fnmatch.fnmatchcase(host.lower(), pattern.lower()) for pattern in patterns
    )


def _allowed(cassette: ActiveCassette, host: str) -> bool:
    return _allowed_by(cassette.allowed_hosts, host)


def _known_advice(host: str) -> str:
    """What keeps a known download or tracing service at ``host`` off the network."""
    download = download_for_host(host)
    if download is not None:
        return f"{host} serves {download.what}: {download.advice}."
    telemetry = telemetry_for_host(host)
    if telemetry is not None:
        return f"If this is {telemetry.service}, turn it off in tests: {telemetry.switch}."
    return ""


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
    known = _known_advice(host)
    command = cassette.record_command
    record = known or (
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
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    cassette = in_charge()
    if cassette is None:
        _check_lingering(host, port)
        return
    if cassette.is_recording or host is None or _allowed(cassette, str(host)):
        return
    error = _blocked_host(cassette, str(host), port if isinstance(port, int) else None)
    cassette._note_blocked(error)
    raise error


class _Lingering:
    """The guard's state once a cassette replayed: armed until the process ends."""

    def __init__(self) -> None:
        self.armed = False
        self.allowed: set[str] = set()  # the replaying cassettes' allowed_hosts
        self.before: dict[int, set[threading.Thread]] = {}  # per cassette
        self.threads: weakref.WeakSet[threading.Thread] = weakref.WeakSet()
        self.over = False  # the session ended: every thread is refused
        self.on_stderr = False  # the summary is written: refusals go to stderr
        self.refused: list[NetworkBlockedError] = []
        self.written: set[str] = set()


_lingering = _Lingering()
_lingering_lock = threading.Lock()


def opened(cassette: ActiveCassette) -> None:
    """A cassette opened: a replaying one arms the guard until the process ends."""
    if cassette.is_recording:
        return
    with _lingering_lock:
        if not _lingering.armed:
            atexit.register(_write_at_exit)
        _lingering.armed = True
        _lingering.allowed.update(cassette.allowed_hosts)
        _lingering.before[id(cassette)] = set(threading.enumerate())


def closed(cassette: ActiveCassette) -> None:
    """A cassette closed: the threads its replay started and left running are noted."""
    with _lingering_lock:
        before = _lingering.before.pop(id(cassette), None)
        if before is not None:
            current = threading.current_thread()
            for thread in threading.enumerate():
                if thread not in before and thread is not current:
                    _lingering.threads.add(thread)


def _refused_after(host: str, port: int | None, thread: threading.Thread) -> NetworkBlockedError:
    where = f"{host}:{port}" if port else host
    when = "after the session ended" if _lingering.over else "after its test ended"
    details = (
        f"agentcassette stopped a connection to {where} from thread {thread.name!r} {when}: "
        f"a cassette of this session replayed, and nothing leaves a replaying run (nothing "
        f"was sent)."
    )
    advice = _known_advice(host) or (
        f"Stop what sends it before its test ends (join the thread, flush or shut the client "
        f"down in a fixture), or, if {host} may be reached, allow it: "
        f'allowed_hosts=["{host}"] on the cassette marker (or agentcassette_allowed_hosts in '
        f"the ini file)."
    )
    return NetworkBlockedError(details, advice, path=None, host=host, port=port)


def _check_lingering(host: Any, port: Any) -> None:
    """Refuse a thread that outlived its replay, or anything after the session."""
    if not _lingering.armed or host is None or _allowed_by(_lingering.allowed, str(host)):
        return
    thread = threading.current_thread()
    if not (_lingering.over or thread in _lingering.threads):
        return
    error = _refused_after(str(host), port if isinstance(port, int) else None, thread)
    with _lingering_lock:
        if _lingering.on_stderr:
            _write(error)
        else:
            _lingering.refused.append(error)
    raise error


def _write(error: NetworkBlockedError) -> None:
    """``error`` on stderr, once per host, port and thread."""
    key = f"{error.host}:{error.port}:{threading.current_thread().name}"
    if key not in _lingering.written:
        _lingering.written.add(key)
        sys.stderr.write(f"agentcassette: {error.details}\n  {error.advice}\n")
        sys.stderr.flush()


def _write_at_exit() -> None:
    with _lingering_lock:
        _lingering.on_stderr, _lingering.over = True, True
        refused, _lingering.refused = _lingering.refused, []
        for error in refused:
            _write(error)


def take_refused() -> list[NetworkBlockedError]:
    """The connections refused since the last call, for the session's summary."""
    with _lingering_lock:
        refused, _lingering.refused = _lingering.refused, []
    return refused


def session_over(*, summary_written: bool = True) -> None:
    """The session ended: from now on every thread is refused; with
    ``summary_written``, refusals go straight to stderr.
    """
    with _lingering_lock:
        _lingering.over = True
        _lingering.on_stderr = _lingering.on_stderr or summary_written


def summary_written() -> None:
    """The session's summary is written: later refusals go to stderr."""
    with _lingering_lock:
        _lingering.on_stderr = True


def disarm() -> None:
    """Forget the replays (a pytest session run inside another one ended); the guard goes
    if no cassette is open.
    """
    global _lingering
    with _lingering_lock:
        _lingering = _Lingering()
    if _in_charge is not None and _in_charge() is None:
        uninstall()


def release() -> None:
    """The last cassette closed: the guard goes, unless a cassette replayed."""
    if not _lingering.armed:
        uninstall()


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
    current = getattr(owner, name)
    original = getattr(current, "_agentcassette_original", current)  # not a guard twice
    replacement._agentcassette_original = original
    _restore.append((owner, name, original, replacement))
    setattr(owner, name, replacement)


def _in_place() -> bool:
    """Whether every guard is still where :func:`install` put it (code that restored its
    own ``connect`` meanwhile took it away).
    """
    return bool(_restore) and all(
        getattr(owner, name) is guard for owner, name, _, guard in _restore
    )


_in_charge: InCharge | None = None


def install(in_charge: InCharge) -> None:
    """Guard sockets; ``in_charge()`` names the cassette a request belongs to."""
    global _in_charge
    if _in_place():
        return
    _restore.clear()  # what is left there is no guard of this module's any more
    _in_charge = in_charge
    _guard_sockets(in_charge)


def uninstall() -> None:
    """Put back what :func:`install` replaced."""
    while _restore:
        owner, name, original, guard = _restore.pop()
        if getattr(owner, name) is guard:  # else: replaced since, and not this one's to undo
            setattr(owner, name, original)
