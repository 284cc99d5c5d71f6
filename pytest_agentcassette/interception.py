"""Interception of httpx and httpx2 through respx, at the connection-pool layer.

respx's ``HTTPCoreMocker`` patches httpcore's connection pools, so every httpx client that
uses the default transport is covered wherever it was built. The same mocker pointed at
``httpcore2`` covers httpx2 clients: today's official openai, anthropic, google-genai and
mistralai SDKs. Both are subclassed here for recording: a request the cassette wants
recorded is sent for real through the original, unpatched pool method of the client's own
connection pool (its proxies, TLS and HTTP/2 settings apply), and the response body is
teed into the cassette as it streams.

The active cassette is found per asyncio task or thread through a context variable, falling
back to the most recently entered cassette (for worker threads, which start with an empty
context).
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import inspect
import threading
from abc import ABC
from contextvars import ContextVar, Token
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

import httpcore
import httpx
from respx.mocks import HTTPCoreMocker
from respx.models import PassThrough

from . import network_guard
from .errors import CassetteError
from .faults import ReplayedTransportError, core_exception
from .recording import AsyncTee, ResponseHead, SyncTee, Tape
from .replay import ReplayStream

if TYPE_CHECKING:
    from .cassette import Cassette

__all__ = ["PendingRecording", "RecordThrough", "activate", "deactivate", "httpx2_available"]


class PendingRecording(Protocol):
    """A request the cassette records: told about the response head, or about a failure."""

    def start(self, head: ResponseHead) -> Tape:
        """The response head arrived; returns the tape that receives the body."""

    def fail(self, error: BaseException) -> None:
        """Sending failed with ``error`` before any response came."""


class RecordThrough(Exception):
    """Raised by the cassette to have the mocker send a request for real and tee it."""

    def __init__(self, recording: PendingRecording):
        super().__init__("record this request")
        self.recording = recording


_bypass: ContextVar[bool] = ContextVar("agentcassette_bypass", default=False)
_current: ContextVar[Cassette | None] = ContextVar("agentcassette_current", default=None)


def _text(value: Any) -> str:
    return value.decode("latin-1") if isinstance(value, bytes) else str(value)


def _head(response: Any) -> ResponseHead:
    return ResponseHead(
        response.status,
        _text(response.extensions.get("reason_phrase", b"")),
        [(_text(k), _text(v)) for k, v in response.headers],
        _text(response.extensions.get("http_version", b"HTTP/1.1")),
    )


_INHERITED = object()  # a patched method that the class did not define itself


class _CassetteMocker(HTTPCoreMocker, ABC):
    """An httpcore-style mocker that can also record through the real pool."""

    response_class: ClassVar[Any] = httpcore.Response
    core: ClassVar[str]  # the HTTP core module whose exceptions a replay raises
    _swaps: ClassVar[list[tuple[Any, str, Any]]]  # (class, method name, own attribute)

    @classmethod
    def start(cls) -> None:
        """Wrap the pools' methods; plain attribute swaps, which cost a few microseconds
        where ``mock.patch(spec=True)`` costs a millisecond for every cassette.
        """
        if cls._swaps:
            return
        for target in cls.targets:
            module_name, _, class_name = target.rpartition(".")
            try:
                owner = getattr(importlib.import_module(module_name), class_name)
            except (ImportError, AttributeError):
                continue
            for method in cls.target_methods:
                current = getattr(owner, method, None)
                if current is None:
                    continue
                own = owner.__dict__.get(method, _INHERITED)
                setattr(owner, method, cls.mock(current))
                cls._swaps.append((owner, method, own))

    @classmethod
    def stop(cls, force: bool = False) -> None:
        """Put back what :meth:`start` replaced, newest first."""
        while cls._swaps:
            owner, method, own = cls._swaps.pop()
            if own is _INHERITED:
                delattr(owner, method)
            else:
                setattr(owner, method, own)

    @classmethod
    def mock(cls, spec: Any) -> Any:
        """Wrap ``spec``, the current ``handle_request`` or ``handle_async_request``.

        ``spec`` may already be another mocker's wrapper (respx's own, when a test also
        uses ``respx.mock``): it is wrapped all the same, and the wrappers keep the method's
        name and signature, so that respx started later wraps these in turn.
        """
        # A pool passes a recorded request on to its (also patched) connection objects:
        # those inner calls must reach the network, not the cassette again.
        if inspect.iscoroutinefunction(spec):

            async def handle_async_request(self: Any, request: Any) -> Any:
                if _bypass.get():
                    return await spec(self, request=request)
                httpx_request = cls.to_httpx_request(request=request)
                httpx_request, kwargs = await cls.prepare_async_request(
                    httpx_request, request=request
                )
                return await cls._send_async_request(
                    httpx_request, target_spec=spec, instance=self, **kwargs
                )

            return functools.wraps(spec)(handle_async_request)

        def handle_request(self: Any, request: Any) -> Any:
            if _bypass.get():
                return spec(self, request=request)
            httpx_request = cls.to_httpx_request(request=request)
            httpx_request, kwargs = cls.prepare_sync_request(httpx_request, request=request)
            return cls._send_sync_request(httpx_request, target_spec=spec, instance=self, **kwargs)

        return functools.wraps(spec)(handle_request)

    @classmethod
    def _send_sync_request(
        cls, httpx_request: httpx.Request, *, target_spec: Any, instance: Any, **kwargs: Any
    ) -> Any:
        try:
            httpx_response = _answer(httpx_request)
        except CassetteError as error:
            raise error from None  # not chained to respx's internal SideEffectError
        except ReplayedTransportError as replayed:
            raise core_exception(cls.core, replayed.fault, mid_stream=False) from None
        except (RecordThrough, PassThrough) as through:
            token = _bypass.set(True)
            try:
                response = target_spec(instance, **kwargs)
            except BaseException as error:
                if isinstance(through, RecordThrough):
                    through.recording.fail(error)
                raise
            finally:
                _bypass.reset(token)
            if isinstance(through, PassThrough):
                return response
            tape = through.recording.start(_head(response))
            return cls.response_class(
                status=response.status,
                headers=response.headers,
                content=SyncTee(response.stream, tape),
                extensions=response.extensions,
            )
        return cls.from_sync_httpx_response(httpx_response, instance, **kwargs)

    @classmethod
    async def _send_async_request(
        cls, httpx_request: httpx.Request, *, target_spec: Any, instance: Any, **kwargs: Any
    ) -> Any:
        try:
            httpx_response = _answer(httpx_request)
        except CassetteError as error:
            raise error from None  # not chained to respx's internal SideEffectError
        except ReplayedTransportError as replayed:
            raise core_exception(cls.core, replayed.fault, mid_stream=False) from None
        except (RecordThrough, PassThrough) as through:
            token = _bypass.set(True)
            try:
                response = await target_spec(instance, **kwargs)
            except BaseException as error:
                if isinstance(through, RecordThrough):
                    through.recording.fail(error)
                raise
            finally:
                _bypass.reset(token)
            if isinstance(through, PassThrough):
                return response
            tape = through.recording.start(_head(response))
            return cls.response_class(
                status=response.status,
                headers=response.headers,
                content=AsyncTee(response.stream, tape),
                extensions=response.extensions,
            )
        return cls.from_sync_httpx_response(httpx_response, instance, **kwargs)

    @classmethod
    def from_sync_httpx_response(
        cls, httpx_response: httpx.Response, target: Any, **kwargs: Any
    ) -> Any:
        if isinstance(httpx_response.stream, ReplayStream):
            httpx_response.stream.core = cls.core
        return cls.response_class(
            status=httpx_response.status_code,
            headers=httpx_response.headers.raw,
            content=httpx_response.stream,
            extensions=httpx_response.extensions,
        )


class HttpcoreCassetteMocker(_CassetteMocker):
    """Covers httpx clients (httpcore connection pools)."""

    core: ClassVar[str] = "httpcore"

    # No name: kept out of respx's global registry (a reloaded module, or another plugin
    # with an "httpcore2" mocker, would collide there); routers are wired to it directly.
    name = ""
    routers: ClassVar[list[Any]] = []
    _swaps: ClassVar[list[tuple[Any, str, Any]]] = []


class Httpcore2CassetteMocker(_CassetteMocker):
    """Covers httpx2 clients (httpcore2 connection pools); used when httpx2 is importable."""

    core: ClassVar[str] = "httpcore2"

    name = ""
    routers: ClassVar[list[Any]] = []
    _swaps: ClassVar[list[tuple[Any, str, Any]]] = []
    targets: ClassVar[list[str]] = [
        target.replace("httpcore.", "httpcore2.", 1) for target in HTTPCoreMocker.targets
    ]

    @classmethod
    def start(cls) -> None:
        import httpcore2

        cls.response_class = httpcore2.Response
        super().start()


def httpx2_available() -> bool:
    """Whether httpx2 clients can exist in this environment."""
    return importlib.util.find_spec("httpcore2") is not None


def _cassette_for_this_request() -> Cassette | None:
    """The cassette of this task or thread; else the one cassette open in the process."""
    with _lock:
        cassette = _current.get()
        if cassette is not None and any(entry[0] is cassette for entry in _active):
            return cassette
        # A worker thread starts with an empty context, and a task may outlive the
        # cassette it copied: fall back to the open cassettes, if they are unambiguous.
        threads = {thread for _, thread in _active}
        if len(threads) > 1:
            raise CassetteError(
                f"a request came from a thread that entered no cassette while "
                f"{len(_active)} cassettes are open in different threads, so it is unclear "
                f"which one it belongs to. Run that thread's code with "
                f"contextvars.copy_context().run(...) from inside its cassette, or enter "
                f"the cassette in that thread."
            )
        return _active[-1][0] if _active else None


def _answer(request: httpx.Request) -> httpx.Response:
    """The cassette's answer (replayed, or raising to record); with no cassette open any
    more, the request passes through. Called directly, not through a respx router: a
    route lookup per request is all cost and no use here.
    """
    cassette = _cassette_for_this_request()
    if cassette is None:
        raise PassThrough("no cassette is open", request=request, origin=None)  # type: ignore[arg-type]
    return cassette.handle_request(request)


_lock = threading.RLock()
_active: list[tuple[Cassette, int]] = []
_started: list[type[_CassetteMocker]] = []


def cassette_in_charge() -> Cassette | None:
    """The cassette of this task or thread; else, for a thread an SDK started, a replaying
    one among the open cassettes (the strictest), else the last one opened.
    """
    with _lock:
        cassette = _current.get()
        if cassette is not None and any(entry[0] is cassette for entry in _active):
            return cassette
        replaying = [entry[0] for entry in _active if not entry[0].is_recording]
        if replaying:
            return replaying[0]
        return _active[-1][0] if _active else None


def _start_mockers() -> None:
    mockers: list[type[_CassetteMocker]] = [HttpcoreCassetteMocker]
    if httpx2_available():
        mockers.append(Httpcore2CassetteMocker)
    try:
        network_guard.install(cassette_in_charge)
        for mocker in mockers:
            _started.append(mocker)
            mocker.start()
    except BaseException:
        _stop_mockers()  # leave nothing patched behind
        raise


def _stop_mockers() -> None:
    while _started:
        _started.pop().stop()
    network_guard.uninstall()


def activate(cassette: Cassette) -> Token[Cassette | None]:
    """Route every httpx/httpx2 request of this context (and of threads) to ``cassette``."""
    with _lock:
        if not _active:
            _start_mockers()
        _active.append((cassette, threading.get_ident()))
    return _current.set(cassette)


def deactivate(cassette: Cassette, token: Token[Cassette | None]) -> None:
    """Undo :func:`activate`; the patches go when the last cassette leaves."""
    try:
        _current.reset(token)
    except ValueError:  # exited in another context than it was entered in
        if _current.get() is cassette:
            _current.set(None)
    with _lock:
        _active[:] = [entry for entry in _active if entry[0] is not cassette]
        if not _active:
            _stop_mockers()
