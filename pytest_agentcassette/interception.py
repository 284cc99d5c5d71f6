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

import importlib.util
import inspect
import threading
from abc import ABC
from contextvars import ContextVar, Token
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

import httpcore
import httpx
import respx
from respx.mocks import HTTPCoreMocker
from respx.models import PassThrough

from .errors import CassetteError
from .recording import AsyncTee, SyncTee, Tape

if TYPE_CHECKING:
    from .cassette import Cassette

__all__ = ["PendingRecording", "RecordThrough", "activate", "deactivate", "httpx2_available"]


class PendingRecording(Protocol):
    """A request the cassette records: told about the response head, or about a failure."""

    def start(self, status: int, reason: str, headers: list[tuple[str, str]]) -> Tape:
        """The response head arrived; returns the tape that receives the body."""

    def fail(self) -> None:
        """Sending failed; nothing will be recorded."""


class RecordThrough(Exception):
    """Raised by the cassette to have the mocker send a request for real and tee it."""

    def __init__(self, recording: PendingRecording):
        super().__init__("record this request")
        self.recording = recording


_bypass: ContextVar[bool] = ContextVar("agentcassette_bypass", default=False)
_current: ContextVar[Cassette | None] = ContextVar("agentcassette_current", default=None)


def _head(response: Any) -> tuple[int, str, list[tuple[str, str]]]:
    reason = response.extensions.get("reason_phrase", b"")
    reason = reason.decode("latin-1") if isinstance(reason, bytes) else str(reason)
    headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in response.headers]
    return response.status, reason, headers


class _CassetteMocker(HTTPCoreMocker, ABC):
    """An httpcore-style mocker that can also record through the real pool."""

    response_class: ClassVar[Any] = httpcore.Response

    @classmethod
    def mock(cls, spec: Any) -> Any:
        mocked = super().mock(spec)
        if mocked is spec:
            return spec
        # A pool passes a recorded request on to its (also patched) connection objects:
        # those inner calls must reach the network, not the cassette again.
        if inspect.iscoroutinefunction(spec):

            async def amock(self: Any, *args: Any, **kwargs: Any) -> Any:
                if _bypass.get():
                    return await spec(self, *args, **kwargs)
                return await mocked(self, *args, **kwargs)

            return amock

        def smock(self: Any, *args: Any, **kwargs: Any) -> Any:
            if _bypass.get():
                return spec(self, *args, **kwargs)
            return mocked(self, *args, **kwargs)

        return smock

    @classmethod
    def _send_sync_request(
        cls, httpx_request: httpx.Request, *, target_spec: Any, instance: Any, **kwargs: Any
    ) -> Any:
        try:
            httpx_response = cls.handler(httpx_request)
        except CassetteError as error:
            raise error from None  # not chained to respx's internal SideEffectError
        except (RecordThrough, PassThrough) as through:
            token = _bypass.set(True)
            try:
                response = target_spec(instance, **kwargs)
            except BaseException:
                if isinstance(through, RecordThrough):
                    through.recording.fail()
                raise
            finally:
                _bypass.reset(token)
            if isinstance(through, PassThrough):
                return response
            tape = through.recording.start(*_head(response))
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
            httpx_response = await cls.async_handler(httpx_request)
        except CassetteError as error:
            raise error from None  # not chained to respx's internal SideEffectError
        except (RecordThrough, PassThrough) as through:
            token = _bypass.set(True)
            try:
                response = await target_spec(instance, **kwargs)
            except BaseException:
                if isinstance(through, RecordThrough):
                    through.recording.fail()
                raise
            finally:
                _bypass.reset(token)
            if isinstance(through, PassThrough):
                return response
            tape = through.recording.start(*_head(response))
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
        return cls.response_class(
            status=httpx_response.status_code,
            headers=httpx_response.headers.raw,
            content=httpx_response.stream,
            extensions=httpx_response.extensions,
        )


class HttpcoreCassetteMocker(_CassetteMocker):
    """Covers httpx clients (httpcore connection pools)."""

    # No name: kept out of respx's global registry (a reloaded module, or another plugin
    # with an "httpcore2" mocker, would collide there); routers are wired to it directly.
    name = ""
    routers: ClassVar[list[Any]] = []
    _patches: ClassVar[list[Any]] = []


class Httpcore2CassetteMocker(_CassetteMocker):
    """Covers httpx2 clients (httpcore2 connection pools); used when httpx2 is importable."""

    name = ""
    routers: ClassVar[list[Any]] = []
    _patches: ClassVar[list[Any]] = []
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


def _dispatch(request: httpx.Request) -> httpx.Response | httpx.Request:
    cassette = _current.get() or (_active[-1] if _active else None)
    if cassette is None:
        return request  # respx's pass-through: no cassette is active any more
    return cassette.handle_request(request)


_lock = threading.Lock()
_active: list[Cassette] = []
_started: list[type[_CassetteMocker]] = []


def _start_mockers() -> None:
    mockers: list[type[_CassetteMocker]] = [HttpcoreCassetteMocker]
    if httpx2_available():
        mockers.append(Httpcore2CassetteMocker)
    for mocker in mockers:
        router = respx.Router(assert_all_called=False)
        router.route(name="agentcassette").mock(side_effect=_dispatch)
        mocker.register(router)
        mocker.start()
        _started.append(mocker)


def _stop_mockers() -> None:
    while _started:
        mocker = _started.pop()
        for router in list(mocker.routers):
            mocker.unregister(router)
        mocker.stop()


def activate(cassette: Cassette) -> Token[Cassette | None]:
    """Route every httpx/httpx2 request of this context (and of threads) to ``cassette``."""
    with _lock:
        if not _active:
            _start_mockers()
        _active.append(cassette)
    return _current.set(cassette)


def deactivate(cassette: Cassette, token: Token[Cassette | None]) -> None:
    """Undo :func:`activate`; the patches go when the last cassette leaves."""
    try:
        _current.reset(token)
    except ValueError:  # exited in another context than it was entered in
        if _current.get() is cassette:
            _current.set(None)
    with _lock:
        if cassette in _active:
            _active.remove(cassette)
        if not _active:
            _stop_mockers()
