"""Recording and replaying aiohttp's ``ClientSession``, one hop at a time.

The patch adds a client middleware (aiohttp 3.12 and later) to every request a session
sends, innermost, next to the connection: the session's own redirects, cookies,
``raise_for_status``, retries, traces and middlewares still run around it, and each hop
is one interaction. The middleware asks the cassette (:func:`~.asking.answer`):

- in replay, it builds a real ``aiohttp.ClientResponse`` whose body is aiohttp's own
  ``StreamReader``, fed one recorded chunk each time the code waits for data (then the
  end, or the recorded fault); no connection is made;
- in recording, the request goes on to the connection, and every chunk the connection
  feeds the response's ``StreamReader`` is taped as it arrives, unchanged for the code.

aiohttp decompresses a body before it reaches the ``StreamReader``: such a body is stored
as received, without its ``content-encoding``, as the tee stores one it decoded itself.
WebSocket handshakes are left alone.
"""

from __future__ import annotations

import asyncio
import functools
import re
import warnings
from collections.abc import AsyncIterator, Callable, Mapping
from types import ModuleType
from typing import Any, ClassVar

import httpx
from aiohttp import (
    ClientConnectionError,
    ClientConnectorError,
    ClientOSError,
    ClientPayloadError,
    ClientProxyConnectionError,
    ClientRequest,
    ClientResponse,
    ClientSession,
    ConnectionTimeoutError,
    ServerDisconnectedError,
    SocketTimeoutError,
    StreamReader,
    hdrs,
)
from aiohttp.base_protocol import BaseProtocol
from aiohttp.client_exceptions import ClientConnectionResetError
from aiohttp.client_middlewares import ClientHandlerType
from aiohttp.client_reqrep import ConnectionKey
from aiohttp.helpers import _EXC_SENTINEL
from aiohttp.http import HttpVersion
from aiohttp.http_writer import StreamWriter
from multidict import CIMultiDict, CIMultiDictProxy, istr

from pytest_agentcassette._model import TransportError
from pytest_agentcassette._transport.asking import PendingRecording, answer
from pytest_agentcassette._transport.faults import ReplayedTransportError, register_client
from pytest_agentcassette._transport.replay import ReplayStream
from pytest_agentcassette._transport.tee import ResponseHead, Tape

__all__ = ["patch"]

# -- faults -----------------------------------------------------------------------------

_KINDS: Mapping[str, str] = {
    "ClientProxyConnectionError": "ProxyError",
    "ClientConnectorError": "ConnectError",
    "ConnectionTimeoutError": "ConnectTimeout",
    "SocketTimeoutError": "ReadTimeout",
    "ServerTimeoutError": "ReadTimeout",
    "ServerDisconnectedError": "RemoteProtocolError",
    "ClientPayloadError": "RemoteProtocolError",
    "ClientConnectionResetError": "WriteError",
    "ClientOSError": "ReadError",
}
"""aiohttp's exceptions that a connection causes, by the kind stored (a subclass not
named here is stored as its nearest named base)."""

_CONNECT_MESSAGE = re.compile(r"^Cannot connect to host .* ssl:\S+ \[(?P<reason>.*)\]$", re.S)
_OS_MESSAGE = re.compile(r"^\[Errno (?P<errno>-?\d+)\] (?P<reason>.*)$", re.S)


def _os_error(message: str) -> OSError:
    """The OS error inside a connector error, from the message stored for one."""
    found = _CONNECT_MESSAGE.match(message)
    return OSError(None, found["reason"] if found else message)


def _os_client_error(message: str) -> ClientOSError:
    """The ``ClientOSError`` whose message is ``message`` (an ``[Errno N]`` keeps its number)."""
    found = _OS_MESSAGE.match(message)
    return ClientOSError(int(found["errno"]), found["reason"]) if found else ClientOSError(message)


def _error(fault: TransportError, mid_stream: bool, key: ConnectionKey | None) -> Exception:
    """The exception aiohttp raises for ``fault``: while the body streams, a timeout or a
    broken payload; before any response, the one for each kind (a connector error for
    ``key``, the connection of the request, when it is known).
    """
    kind, message = fault.kind, fault.message
    if mid_stream:
        if kind.endswith("Timeout"):
            return SocketTimeoutError(message)
        return ClientPayloadError(message)
    if kind in ("ConnectError", "ProxyError") and key is not None:
        error = ClientProxyConnectionError if kind == "ProxyError" else ClientConnectorError
        return error(key, _os_error(message))
    if kind == "ConnectTimeout":
        return ConnectionTimeoutError(message)
    if kind.endswith("Timeout"):
        return SocketTimeoutError(message)
    if kind == "RemoteProtocolError":
        return ServerDisconnectedError(message)
    if kind == "WriteError":
        return ClientConnectionResetError(message)
    return _os_client_error(message)


def _make(fault: TransportError, mid_stream: bool) -> Exception:
    return _error(fault, mid_stream, None)


register_client("aiohttp", _KINDS, _make)


# -- the request, as the cassette reads it ---------------------------------------------

_BODY_METHODS = frozenset({"PATCH", "POST", "PUT"})


def _complete_headers(request: ClientRequest) -> None:
    """Add the headers ``ClientRequest.send`` adds as it writes (a default content type,
    ``Connection``), so that they are recorded, and replayed in ``request_info``.
    """
    headers = request.headers
    if (
        request.method in _BODY_METHODS
        and "Content-Type" not in headers
        and "Content-Type" not in request.skip_auto_headers
    ):
        headers["Content-Type"] = "application/octet-stream"
    session = request.session
    if "Connection" not in headers and session is not None and session.connector is not None:
        if session.connector.force_close and request.version == HttpVersion(1, 1):
            headers["Connection"] = "close"
        elif not session.connector.force_close and request.version == HttpVersion(1, 0):
            headers["Connection"] = "keep-alive"


async def _body(request: ClientRequest) -> bytes:
    """The request body as bytes; a stream or a file is read here, and sent on as read."""
    payload = request.body
    if not payload:
        return b""
    content = await payload.as_bytes()
    if payload.consumed:  # a file that cannot be read twice
        await request.update_body(content)
    return content


def _wire(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")


async def _as_httpx(request: ClientRequest) -> httpx.Request:
    """``request`` as it goes on the wire: URL with its query, headers aiohttp adds, body."""
    _complete_headers(request)
    content = await _body(request)
    asked = httpx.Request(
        request.method,
        str(request.url),
        headers=[(_wire(name), _wire(value)) for name, value in request.headers.items()],
        stream=httpx.ByteStream(content),  # exactly the headers given, none added
    )
    asked.read()
    return asked


# -- replay ------------------------------------------------------------------------------


class _NoConnection(BaseProtocol):
    """The protocol a replayed body's reader answers to: nothing to pause or resume."""

    def pause_reading(self) -> None:
        pass

    def resume_reading(self, resume_parser: bool = True) -> None:
        pass


class _ReplayReader(StreamReader):
    """aiohttp's reader of a response body, fed the next recorded chunk whenever the code
    waits for data, then the end, or the recorded fault as aiohttp's exception.
    """

    __slots__ = ("_chunked", "_source")

    def __init__(
        self,
        source: AsyncIterator[bytes],
        chunked: bool,
        protocol: BaseProtocol,
        loop: asyncio.AbstractEventLoop,
    ):
        super().__init__(protocol, 2**16, loop=loop)
        self._source = source
        self._chunked = chunked
        if chunked:
            self.begin_http_chunk_receiving()

    async def _wait(self, func_name: str) -> None:
        try:
            chunk = await self._source.__anext__()
        except StopAsyncIteration:
            self.feed_eof()
        except Exception as fault:  # the recorded fault, raised as aiohttp's own
            self.set_exception(fault)
            raise
        else:
            self.feed_data(chunk)
            if self._chunked:
                self.end_http_chunk_receiving()


def _version(response: httpx.Response) -> HttpVersion:
    found = re.match(rb"HTTP/(\d)(?:\.(\d))?", response.extensions.get("http_version", b""))
    if found is None:
        return HttpVersion(1, 1)
    return HttpVersion(int(found[1]), int(found[2] or 0))


_KNOWN_NAMES = {name.lower(): str(name) for name in vars(hdrs).values() if isinstance(name, istr)}


def _text(value: bytes) -> str:
    return value.decode("utf-8", "surrogateescape")  # as aiohttp's parser reads a header


def _name(value: bytes) -> str:
    """A header name as aiohttp's parser gives it: a known one in its usual spelling."""
    text = _text(value)
    return _KNOWN_NAMES.get(text.lower(), text)


def _bodiless(method: str, status: int, headers: CIMultiDictProxy[str]) -> bool:
    """Whether aiohttp reads no body for this response (its payload is empty from the start)."""
    no_body = method == "HEAD" or status in (204, 304) or 100 <= status < 200
    return no_body or headers.get("Content-Length") == "0"


def _replayed(request: ClientRequest, response: httpx.Response) -> ClientResponse:
    """A started ``ClientResponse`` for the recorded ``response``, as ``send`` and
    ``start`` would leave it, with no connection behind it.
    """
    stream = response.stream
    if not isinstance(stream, httpx.AsyncByteStream):
        raise TypeError(f"a replayed body must be async, not {type(stream).__name__}")
    if isinstance(stream, ReplayStream):
        stream.core = "aiohttp"
    protocol = _NoConnection(request.loop)
    raw = tuple(response.headers.raw)
    headers = CIMultiDictProxy(CIMultiDict((_name(k), _text(v)) for k, v in raw))
    chunked = "chunked" in headers.get("Transfer-Encoding", "").lower()
    reader = _ReplayReader(aiter(stream), chunked, protocol, request.loop)
    replayed = request.response_class(
        request.method,
        request.original_url,
        writer=None,
        continue100=None,
        timer=request._timer,
        request_info=request.request_info,
        traces=request._traces,
        loop=request.loop,
        session=request.session,
        stream_writer=StreamWriter(protocol, request.loop),
    )
    replayed._closed = False
    replayed.version = _version(response)
    replayed.status = response.status_code
    replayed.reason = _text(response.extensions.get("reason_phrase", b""))
    replayed._headers = headers
    replayed._raw_headers = raw
    replayed.content = reader
    reader.on_eof(replayed._response_eof)
    if _bodiless(request.method, response.status_code, headers):
        reader.feed_eof()  # as aiohttp's parser ends such a body at once
    if cookies := headers.getall("Set-Cookie", ()):
        replayed._raw_cookie_headers = tuple(cookies)
    return replayed


# -- recording ---------------------------------------------------------------------------


def _released_by_client(error: BaseException) -> bool:
    """Whether ``error`` is what aiohttp sets on a body the code released or closed."""
    return type(error) is ClientConnectionError and str(error) == "Connection closed"


class _Tee:
    """Where a response's taped reader sends what it is fed; ends the tape once."""

    def __init__(self, tape: Tape, headers: list[tuple[str, str]], decoded: bool):
        self.tape = tape
        self._headers = headers
        self._decoded = decoded
        self._ended = False

    def end(
        self, reader: StreamReader, original: type[StreamReader], error: BaseException | None
    ) -> None:
        """The body ended (``error`` is ``None``), failed, or was released: store it."""
        if self._ended:
            return
        self._ended = True
        reader.__class__ = original  # the tee is done with it
        if error is None:
            self.tape.complete = True
        elif not _released_by_client(error):
            self.tape.error = error
        if self._decoded and self.tape.chunks:
            # aiohttp decoded the body: the head (this adapter's own list) says so.
            length = str(sum(len(chunk) for chunk in self.tape.chunks))
            self._headers[:] = [
                (name, length if name.lower() == "content-length" else value)
                for name, value in self._headers
                if name.lower() != "content-encoding"
            ]
        self.tape.close()


class _TeeReader(StreamReader):
    """Mixed into the class of a response's reader while it is recorded: what the
    connection feeds it is taped, then handed on unchanged.
    """

    __slots__ = ()
    _tee: ClassVar[_Tee]
    _original: ClassVar[type[StreamReader]]

    def feed_data(self, data: bytes, size: int = 0) -> bool:
        if data:
            self._tee.tape.chunks.append(bytes(data))
        return super().feed_data(data, size)

    def feed_eof(self) -> None:
        super().feed_eof()
        self._tee.end(self, self._original, None)

    def set_exception(self, exc: BaseException, exc_cause: BaseException = _EXC_SENTINEL) -> None:
        super().set_exception(exc, exc_cause)
        self._tee.end(self, self._original, exc)


def _tee(response: ClientResponse, recording: PendingRecording) -> None:
    """Tape ``response``'s body: what has arrived already, then each chunk as it comes."""
    version = response.version or HttpVersion(1, 1)
    headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in response.raw_headers]
    tape = recording.start(
        ResponseHead(
            response.status, response.reason or "", headers, f"HTTP/{version.major}.{version.minor}"
        )
    )
    reader = response.content
    original = type(reader)
    tee = _Tee(tape, headers, decoded=getattr(reader, "total_compressed_bytes", None) is not None)
    tape.chunks.extend(bytes(chunk) for chunk in getattr(reader, "_buffer", ()))
    if reader.exception() is not None or reader.is_eof():
        tee.end(reader, original, reader.exception())
        return
    reader.__class__ = type(
        "TeeStreamReader",
        (_TeeReader, original),
        {"__slots__": (), "_tee": tee, "_original": original},
    )


async def _recorded(
    request: ClientRequest, handler: ClientHandlerType, recording: PendingRecording
) -> ClientResponse:
    try:
        response = await handler(request)
    except BaseException as error:
        recording.fail(error)
        raise
    _tee(response, recording)
    return response


# -- the patch ---------------------------------------------------------------------------


async def _cassette_middleware(
    request: ClientRequest, handler: ClientHandlerType
) -> ClientResponse:
    """Answer ``request`` from the cassette, or send it on (and record it)."""
    if request.headers.get("Upgrade", "").lower() == "websocket":
        return await handler(request)
    try:
        reply = answer(await _as_httpx(request))
    except ReplayedTransportError as replayed:
        raise _error(replayed.fault, False, request.connection_key) from None
    if reply is None:
        return await handler(request)
    if isinstance(reply, httpx.Response):
        return _replayed(request, reply)
    return await _recorded(request, handler, reply)


def _has_middlewares(version: str) -> bool:
    """Whether aiohttp ``version`` has client middlewares (3.12 and later)."""
    found = re.match(r"(\d+)\.(\d+)", version)
    return found is None or (int(found[1]), int(found[2])) >= (3, 12)


def patch(module: ModuleType) -> Callable[[], None]:
    """Add the cassette's middleware to every request of ``module.ClientSession`` (the
    ``aiohttp`` package); returns the undo.
    """
    session_class: type[ClientSession] = module.ClientSession
    original = session_class.__dict__["_request"]
    if not _has_middlewares(module.__version__):
        warnings.warn(
            f"agentcassette records aiohttp 3.12 and later, not {module.__version__}: its "
            f"requests are not recorded or replayed",
            UserWarning,
            stacklevel=2,
        )
        return lambda: None

    @functools.wraps(original)
    async def _request(self: ClientSession, *args: Any, **kwargs: Any) -> ClientResponse:
        given = kwargs.get("middlewares")
        middlewares = tuple(self._middlewares if given is None else given)
        if _cassette_middleware not in middlewares:
            kwargs["middlewares"] = (*middlewares, _cassette_middleware)
        response: ClientResponse = await original(self, *args, **kwargs)
        return response

    session_class._request = _request  # type: ignore[method-assign]

    def undo() -> None:
        if session_class.__dict__.get("_request") is _request:
            session_class._request = original  # type: ignore[method-assign]

    return undo
