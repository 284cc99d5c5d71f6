"""Recording and replaying urllib3, and so requests and botocore, one HTTP hop at a time.

A urllib3 pool sends each request through ``HTTPConnectionPool._make_request``: one request
on one connection, one response. ``urlopen`` around it keeps urllib3's own retries and
redirects, so that each hop is one interaction. That method is wrapped:

- recording, the request is sent by the original method (its connection, TLS and proxy
  settings apply), and the live response tapes each raw body chunk as the code reads it:
  an event stream reaches the code as it arrives, and the code meets every error as live;
- replaying, no connection is opened: ``http.client`` reads the recorded response (status
  line, headers, the body with one HTTP chunk per recorded chunk) from an in-memory socket,
  and urllib3 wraps it as it wraps a real one, so that every read API behaves as with a
  server. A recorded fault happens where it happened on the socket (a timeout, a reset,
  the peer closing), and urllib3 raises its own exception for it, as it did live.

urllib3 1.x builds its responses elsewhere, and is left unpatched.
"""

from __future__ import annotations

import collections
import contextlib
import errno
import functools
import http.client
import inspect
import io
import socket
import ssl
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlsplit

import httpx
import urllib3
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    NewConnectionError,
    ProtocolError,
    ProxyError,
    ReadTimeoutError,
)
from urllib3.response import HTTPResponse
from urllib3.util import SKIP_HEADER
from urllib3.util.response import is_fp_closed

from pytest_agentcassette._model import TransportError
from pytest_agentcassette._transport.asking import PendingRecording, answer
from pytest_agentcassette._transport.faults import ReplayedTransportError, register_client
from pytest_agentcassette._transport.registry import cassette_for_this_request
from pytest_agentcassette._transport.replay import ReplayStream
from pytest_agentcassette._transport.tee import ResponseHead, Tape

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

__all__ = ["patch"]


# -- faults ----------------------------------------------------------------------------

_KINDS = {
    "NewConnectionError": "ConnectError",  # NameResolutionError too, a subclass
    "ConnectTimeoutError": "ConnectTimeout",
    "ReadTimeoutError": "ReadTimeout",
    "ProxyError": "ProxyError",
    # urllib3's one error for a connection closed, reset or broken off, before or in a body.
    "ProtocolError": "RemoteProtocolError",
}


class _PeerClosed(OSError):
    """The recorded server closed the connection here: the in-memory socket ends."""


def _socket_error(kind: str) -> OSError:
    """What the socket did for a fault in the middle of a body."""
    if kind.endswith("Timeout"):
        return TimeoutError("timed out")  # socket.timeout
    if kind in ("ReadError", "WriteError"):
        return ConnectionResetError(errno.ECONNRESET, "Connection reset by peer")
    return _PeerClosed()


def _with_message(kind: type[Exception], message: str) -> Exception:
    """An exception of class ``kind`` that says ``message`` and nothing else."""
    error = kind.__new__(kind)
    Exception.__init__(error, message)
    return error


def _no_response(fault: TransportError, pool: Any, conn: Any, url: Any) -> Exception:
    """What ``_make_request`` raised for a request that got no response, for ``pool``,
    ``conn`` and ``url`` (the pool's own request): ``urlopen`` then retries or gives up as
    it did live.
    """
    if fault.kind == "ConnectError":
        return NewConnectionError(conn, fault.message)
    if fault.kind == "ConnectTimeout":
        return ConnectTimeoutError(conn, fault.message)
    if fault.kind == "ReadTimeout":
        return ReadTimeoutError(pool, url, fault.message)
    if fault.kind == "ProxyError":
        return _with_message(ProxyError, fault.message)
    return ProtocolError(fault.message)  # closed, reset: "Connection aborted." live


def _fault(fault: TransportError, mid_stream: bool) -> Exception:
    """urllib3's exception for a recorded fault; in a body, the socket's own error, which
    urllib3 turns into its exception as it did live (a replayed body is read from a socket
    in memory).
    """
    if mid_stream:
        return _socket_error(fault.kind)
    return _no_response(fault, None, None, None)


def _as_recorded(error: BaseException) -> BaseException:
    """``error`` as the cassette keeps it: as ``urlopen`` reports a socket's error before
    the response (a ``ProtocolError``), with urllib3's message alone (not the pool or the
    connection it names, which a replay names again).
    """
    if isinstance(error, (OSError, http.client.HTTPException)) and not isinstance(
        error, ssl.SSLError
    ):
        error = ProtocolError("Connection aborted.", error)
    if not isinstance(error, HTTPError):
        return error
    message = getattr(error, "_message", None)
    if not isinstance(message, str):
        args = error.args
        message = args[1] if len(args) == 2 and isinstance(args[1], str) else str(error)
    return _with_message(type(error), message)


register_client("urllib3", _KINDS, _fault)


# -- the request -----------------------------------------------------------------------

_VERSION: str = getattr(urllib3, "__version__", "2")
_NO_BODY_EXPECTED = frozenset({"GET", "HEAD", "DELETE", "TRACE", "OPTIONS", "CONNECT"})


def _text(value: Any) -> str:
    return value.decode("latin-1") if isinstance(value, bytes) else str(value)


def _wire_text(text: str) -> bytes:
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        return text.encode("utf-8")


def _full_url(pool: HTTPConnectionPool, url: str) -> str:
    """The URL of the pool's request (a path, or absolute through a proxy)."""
    if not url.startswith("/"):
        return url
    host = pool.host if ":" not in (pool.host or "") else f"[{pool.host}]"
    default = {"http": 80, "https": 443}.get(pool.scheme)
    port = "" if pool.port in (None, default) else f":{pool.port}"
    return f"{pool.scheme}://{host}{port}{url}"


def _read_all(body: Any, blocksize: int) -> bytes:
    """All of a file's or an iterable's bytes (text is sent as UTF-8)."""
    pieces: list[Any] = []
    if hasattr(body, "read"):
        while piece := body.read(blocksize):
            pieces.append(piece)
    else:
        pieces = list(body)
    return b"".join(p.encode("utf-8") if isinstance(p, str) else bytes(p) for p in pieces)


def _body_bytes(arguments: dict[str, Any]) -> bytes:
    """The body's bytes. A file or an iterable is read now, and what was read is sent in
    its place, chunked as urllib3 would have sent it.
    """
    body = arguments["body"]
    if body is None:
        return b""
    if isinstance(body, (str, bytes)):
        return body.encode("utf-8") if isinstance(body, str) else body
    with contextlib.suppress(TypeError):
        return bytes(memoryview(body))
    read = _read_all(body, getattr(arguments["conn"], "blocksize", 16384))
    keys = {_text(k).lower() for k in arguments["headers"] or {}}
    if not keys & {"content-length", "transfer-encoding"}:
        arguments["chunked"] = True
    arguments["body"] = read
    return read


def _sent_headers(arguments: dict[str, Any], url: str, body: bytes) -> list[tuple[str, str]]:
    """The headers urllib3 sends: the code's, after those ``http.client`` and urllib3 add."""
    given = [
        (_text(k), _text(v))
        for k, v in (arguments["headers"] or {}).items()
        if not (isinstance(v, str) and v == SKIP_HEADER)
    ]
    keys = {k.lower() for k, _ in given}
    sent = []
    if "host" not in keys:
        sent.append(("Host", urlsplit(url).netloc))
    if "accept-encoding" not in keys:
        sent.append(("Accept-Encoding", "identity"))
    if arguments["chunked"]:
        if "transfer-encoding" not in keys:
            sent.append(("Transfer-Encoding", "chunked"))
    elif not keys & {"content-length", "transfer-encoding"} and (
        arguments["body"] is not None or arguments["method"].upper() not in _NO_BODY_EXPECTED
    ):
        sent.append(("Content-Length", str(len(body))))
    if "user-agent" not in keys:
        sent.append(("User-Agent", f"python-urllib3/{_VERSION}"))
    return [*sent, *given]


def _request(pool: HTTPConnectionPool, arguments: dict[str, Any]) -> httpx.Request:
    """The request ``_make_request`` is about to send, as the cassette reads requests."""
    url = _full_url(pool, arguments["url"])
    body = _body_bytes(arguments)
    headers = [(_wire_text(k), _wire_text(v)) for k, v in _sent_headers(arguments, url, body)]
    request = httpx.Request(
        arguments["method"], url, headers=headers, stream=httpx.ByteStream(body)
    )
    request.read()
    return request


# -- recording -------------------------------------------------------------------------


class _Teeing(HTTPResponse):
    """A live response that also tapes each raw body chunk as the code reads it."""

    _agentcassette_tape: Tape
    _agentcassette_reading = False

    def _keep(self, data: object) -> None:
        if isinstance(data, bytes) and data:
            self._agentcassette_tape.chunks.append(data)

    def _fp_read(self, amt: int | None = None, *, read1: bool = False) -> bytes:
        try:
            data = super()._fp_read(amt, read1=read1)
        except http.client.IncompleteRead as error:
            self._keep(error.partial)  # what arrived before the body broke off
            raise
        self._keep(data)
        if is_fp_closed(self._fp):
            self._agentcassette_tape.complete = True
        return data

    def _handle_chunk(self, amt: int | None) -> bytes:
        try:
            chunk = super()._handle_chunk(amt)
        except http.client.IncompleteRead as error:
            self._keep(error.partial)
            raise
        self._keep(chunk)
        return chunk

    def _update_chunk_length(self) -> None:
        super()._update_chunk_length()
        if self.chunk_left == 0:
            self._agentcassette_tape.complete = True

    @contextlib.contextmanager
    def _error_catcher(self) -> Iterator[None]:
        tape = self._agentcassette_tape
        self._agentcassette_reading = True
        try:
            with super()._error_catcher():
                yield
        except Exception as error:
            tape.error = _as_recorded(error)
            raise
        finally:
            self._agentcassette_reading = False
            if self._original_response is None or self._original_response.isclosed():
                tape.close()  # read to its end, or broken off

    def release_conn(self) -> None:
        super().release_conn()
        if not self._agentcassette_reading:  # the code let go of the body
            self._agentcassette_tape.close()

    def close(self) -> None:
        try:
            super().close()
        finally:
            if not self._agentcassette_reading:  # else when the read ends, with its error
                self._agentcassette_tape.close()


@functools.cache
def _teeing(kind: type[HTTPResponse]) -> type[_Teeing]:
    if kind is HTTPResponse:
        return _Teeing
    return type(f"Teeing{kind.__name__}", (_Teeing, kind), {})


def _head(response: HTTPResponse) -> ResponseHead:
    return ResponseHead(
        response.status,
        response.reason or "",
        [(_text(k), _text(v)) for k, v in response.headers.items()],
        response.version_string,
    )


def _recorded(
    original: Callable[..., Any], call: inspect.BoundArguments, recording: PendingRecording
) -> Any:
    """Send for real; the response tapes its body (read here if the code preloads it)."""
    arguments = call.arguments
    pool = arguments["self"]
    preload = arguments["preload_content"]
    arguments["preload_content"] = False  # read below, through the tee
    try:
        _open_tunnel(pool, arguments["conn"])
        response = original(*call.args, **call.kwargs)
    except BaseException as error:
        recording.fail(_as_recorded(error))
        raise
    if not isinstance(response, HTTPResponse):  # urllib3's HTTP/2 (experimental)
        recording.fail(TypeError(f"cannot tape a {type(response).__name__}"))
        return response
    tape = recording.start(_head(response))
    response.__class__ = _teeing(type(response))
    cast(_Teeing, response)._agentcassette_tape = tape
    if preload:  # as HTTPResponse.__init__ preloads
        response._body = response.read(decode_content=arguments["decode_content"])
    return response


# -- replaying -------------------------------------------------------------------------


class _Socket(io.RawIOBase):
    """What a socket receives, from memory: the pieces in order, then ``fault`` (a
    timeout, a reset) if there is one, then the end.
    """

    def __init__(self, pieces: list[bytes], fault: OSError | None):
        super().__init__()
        self._pieces = collections.deque(piece for piece in pieces if piece)
        self._fault = fault

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        if not self._pieces:
            fault, self._fault = self._fault, None
            if fault is not None:
                raise fault
            return 0
        piece = self._pieces.popleft()
        view = memoryview(buffer).cast("B")
        size = min(len(view), len(piece))
        view[:size] = piece[:size]
        if size < len(piece):
            self._pieces.appendleft(piece[size:])
        return size

    def makefile(self, mode: str) -> io.BufferedReader:
        return io.BufferedReader(self)

    def shutdown(self, how: int) -> None:
        self._pieces.clear()
        self._fault = None


def _drained(stream: Any) -> tuple[list[bytes], OSError | None]:
    """The recorded chunks, and the socket's error that ended them, if one did."""
    chunks: list[bytes] = []
    try:
        for chunk in stream:
            chunks.append(chunk)
    except OSError as fault:
        return chunks, fault
    return chunks, None


def _wire(response: httpx.Response, chunks: list[bytes], fault: OSError | None) -> list[bytes]:
    """What the server sent for ``response``: the status line, the recorded headers, and
    the body framed as recorded (chunked: one HTTP chunk per recorded chunk; else its
    length, which is the length served when the body was not cut).
    """
    headers = list(response.headers.raw)
    names = {name.lower() for name, _ in headers}
    chunked = "chunked" in response.headers.get("transfer-encoding", "").lower()
    if not chunked and b"content-length" not in names:  # recorded over HTTP/2
        headers.append((b"Transfer-Encoding", b"chunked"))
        chunked = True
    if not chunked and fault is None and any(chunks):
        length = str(sum(len(chunk) for chunk in chunks)).encode()
        headers = [(k, length if k.lower() == b"content-length" else v) for k, v in headers]
    version = b"HTTP/1.0" if response.http_version == "HTTP/1.0" else b"HTTP/1.1"
    reason = response.extensions.get("reason_phrase", b"")
    lines = [b"%s %d %s" % (version, response.status_code, reason)]
    lines += [b"%s: %s" % (name, value) for name, value in headers]
    head = b"\r\n".join(lines) + b"\r\n\r\n"
    if not chunked:
        return [head, *chunks]
    body = [b"%x\r\n%s\r\n" % (len(chunk), chunk) for chunk in chunks if chunk]
    return [head, *body, *([] if fault else [b"0\r\n\r\n"])]


def _replayed(
    pool: HTTPConnectionPool, arguments: dict[str, Any], answered: httpx.Response
) -> HTTPResponse:
    """The recorded response, read by ``http.client`` and wrapped as urllib3's
    ``HTTPConnection.getresponse`` and ``_make_request`` wrap a real one.
    """
    if isinstance(answered.stream, ReplayStream):
        answered.stream.core = "urllib3"
    chunks, fault = _drained(answered.stream)
    wire = _Socket(
        _wire(answered, chunks, fault), None if isinstance(fault, _PeerClosed) else fault
    )
    original = http.client.HTTPResponse(
        cast(socket.socket, wire), method=arguments["method"], url=arguments["url"]
    )
    original.begin()
    pool.num_requests += 1
    response = HTTPResponse(
        body=original,
        headers=urllib3.HTTPHeaderDict(original.msg.items()),
        status=original.status,
        version=original.version,
        version_string="HTTP/1.0" if original.version == 10 else "HTTP/1.1",
        reason=original.reason,
        preload_content=arguments["preload_content"],
        decode_content=arguments["decode_content"],
        original_response=original,
        enforce_content_length=arguments["enforce_content_length"],
        request_method=arguments["method"],
        request_url=arguments["url"],
        sock_shutdown=wire.shutdown,
    )
    response.retries = arguments["retries"]
    response._connection = arguments["response_conn"]
    response._pool = pool
    return response


# -- the patch -------------------------------------------------------------------------

_TUNNEL = "_agentcassette_tunnel"  # on a connection: opens its deferred proxy tunnel


def _deferring(original: Callable[..., Any]) -> Callable[..., Any]:
    """``HTTPSConnectionPool._prepare_proxy``, which connects to the proxy before the
    request is made: while a cassette is open, deferred until the request is sent for real.
    """

    @functools.wraps(original)
    def _prepare_proxy(self: HTTPConnectionPool, conn: Any) -> None:
        if cassette_for_this_request() is None:
            original(self, conn)
        else:
            setattr(conn, _TUNNEL, functools.partial(original, self, conn))

    return _prepare_proxy


def _open_tunnel(pool: HTTPConnectionPool, conn: Any) -> None:
    """Open the proxy tunnel :func:`_deferring` put off, failing as ``urlopen`` fails."""
    tunnel = conn.__dict__.pop(_TUNNEL, None)
    if tunnel is None:
        return
    try:
        tunnel()
    except OSError as error:  # socket timeouts and TLS errors too
        proxy = pool.proxy.url if pool.proxy is not None else None
        pool._raise_timeout(err=error, url=proxy or "", timeout_value=conn.timeout)
        raise


def _wrap(original: Callable[..., Any]) -> Callable[..., Any]:
    """``_make_request``, asking the cassette first."""
    signature = inspect.signature(original)

    @functools.wraps(original)
    def _make_request(self: HTTPConnectionPool, *args: Any, **kwargs: Any) -> Any:
        call = signature.bind(self, *args, **kwargs)
        call.apply_defaults()
        arguments = call.arguments
        request = _request(self, arguments)
        try:
            answered = answer(request)
        except ReplayedTransportError as replayed:
            raise _no_response(replayed.fault, self, arguments["conn"], arguments["url"]) from None
        if isinstance(answered, httpx.Response):
            return _replayed(self, arguments, answered)
        if answered is None:
            _open_tunnel(self, arguments["conn"])
            return original(*call.args, **call.kwargs)
        return _recorded(original, call, answered)

    return _make_request


def patch(module: ModuleType) -> Callable[[], None]:
    """Wrap the pools' ``_make_request`` and ``_prepare_proxy`` (``module`` is
    ``urllib3``); returns the undo.
    """
    if str(getattr(module, "__version__", "1")).split(".")[0] in ("0", "1"):
        return lambda: None
    swaps = [
        (HTTPConnectionPool, "_make_request", _wrap),
        (HTTPSConnectionPool, "_prepare_proxy", _deferring),
    ]
    originals = [(owner, name, owner.__dict__[name]) for owner, name, _ in swaps]
    for owner, name, wrapper in swaps:
        setattr(owner, name, wrapper(owner.__dict__[name]))

    def undo() -> None:
        for owner, name, original in originals:
            setattr(owner, name, original)

    return undo
