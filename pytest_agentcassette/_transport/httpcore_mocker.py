"""Interception of httpx and httpx2 through respx, at the connection-pool layer.

respx's ``HTTPCoreMocker`` patches httpcore's connection pools, so every httpx client that
uses the default transport is covered wherever it was built. The same mocker pointed at
``httpcore2`` covers httpx2 clients: today's official openai, anthropic, google-genai and
mistralai SDKs. Both are subclassed here for recording: a request the cassette wants
recorded is sent for real through the original, unpatched pool method of the client's own
connection pool (its proxies, TLS and HTTP/2 settings apply), and the response body is
teed into the cassette as it streams.

Which cassette answers is the registry's call
(:func:`pytest_agentcassette._transport.registry.cassette_for_this_request`).
"""

from __future__ import annotations

import functools
import importlib
import inspect
from abc import ABC
from collections.abc import Callable
from contextvars import ContextVar
from types import ModuleType
from typing import TYPE_CHECKING, Any, ClassVar

import httpcore
import httpx
from respx.mocks import HTTPCoreMocker
from respx.models import PassThrough
from respx.patterns import parse_url

from pytest_agentcassette._errors import CassetteError
from pytest_agentcassette._transport.asking import RecordThrough, answer
from pytest_agentcassette._transport.faults import ReplayedTransportError, core_exception
from pytest_agentcassette._transport.replay import ReplayStream

if TYPE_CHECKING:
    from pytest_agentcassette._transport.tee import ResponseHead

__all__ = ["patch"]


_bypass: ContextVar[bool] = ContextVar("agentcassette_bypass", default=False)


def _text(value: Any) -> str:
    return value.decode("latin-1") if isinstance(value, bytes) else str(value)


def _head(response: Any) -> ResponseHead:
    from pytest_agentcassette._transport.tee import ResponseHead  # recording only

    return ResponseHead(
        response.status,
        _text(response.extensions.get("reason_phrase", b"")),
        [(_text(k), _text(v)) for k, v in response.headers],
        _text(response.extensions.get("http_version", b"HTTP/1.1")),
    )


_INHERITED = object()  # a patched method that the class did not define itself

_URLS: dict[tuple[Any, ...], httpx.URL] = {}  # an httpcore URL's parts -> its httpx.URL
_URLS_KEPT = 256


def _url(raw: Any) -> httpx.URL:
    """The ``httpx.URL`` of an httpcore request's URL, as respx builds it; the same URL
    is parsed once (an agent sends its requests to one endpoint; URLs are immutable).
    """
    key = (raw.scheme, raw.host, raw.port, raw.target)
    url = _URLS.get(key)
    if url is None:
        if len(_URLS) >= _URLS_KEPT:
            _URLS.clear()
        url = _URLS[key] = parse_url(key)
    return url


class _CassetteMocker(HTTPCoreMocker, ABC):
    """An httpcore-style mocker that can also record through the real pool."""

    response_class: ClassVar[Any] = httpcore.Response
    core: ClassVar[str]  # the HTTP core module whose exceptions a replay raises
    _swaps: ClassVar[list[tuple[Any, str, Any]]]  # (class, method name, own attribute)
    _wrappers: ClassVar[dict[Any, Any]]  # a method -> its wrapper, made once

    @classmethod
    def to_httpx_request(cls, **kwargs: Any) -> httpx.Request:
        """The pool's request as respx converts it, with its URL parsed once."""
        request = kwargs["request"]
        method = request.method
        return httpx.Request(
            method.decode("ascii") if isinstance(method, bytes) else method,
            _url(request.url),
            headers=request.headers,
            stream=request.stream,
            extensions=request.extensions,
        )

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
                wrapper = cls._wrappers.get(current)
                if wrapper is None:  # each cassette swaps the same methods in again
                    wrapper = cls._wrappers[current] = cls.mock(current)
                setattr(owner, method, wrapper)
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
            from pytest_agentcassette._transport.tee import SyncTee

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
            from pytest_agentcassette._transport.tee import AsyncTee

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
    # with an "httpcore2" mocker, would collide there). No router is ever registered either:
    # the cassette answers directly (_answer); the empty list is this class's own.
    name = ""
    routers: ClassVar[list[Any]] = []
    _swaps: ClassVar[list[tuple[Any, str, Any]]] = []
    _wrappers: ClassVar[dict[Any, Any]] = {}


class Httpcore2CassetteMocker(_CassetteMocker):
    """Covers httpx2 clients (httpcore2 connection pools); used when httpx2 is importable."""

    core: ClassVar[str] = "httpcore2"

    name = ""
    routers: ClassVar[list[Any]] = []
    _swaps: ClassVar[list[tuple[Any, str, Any]]] = []
    _wrappers: ClassVar[dict[Any, Any]] = {}
    targets: ClassVar[list[str]] = [
        target.replace("httpcore.", "httpcore2.", 1) for target in HTTPCoreMocker.targets
    ]

    @classmethod
    def start(cls) -> None:
        import httpcore2

        cls.response_class = httpcore2.Response
        super().start()


def _answer(request: httpx.Request) -> httpx.Response:
    """The cassette's answer (replayed, or raising to record), asked as every client asks
    (:func:`~pytest_agentcassette._transport.asking.answer`); with no cassette open any
    more, or for telemetry sent while recording, the request passes through. Called
    directly, not through a respx router: a route lookup per request is all cost and no
    use here.
    """
    answered = answer(request)
    if answered is None:
        raise PassThrough("not for the cassette", request=request, origin=None)  # type: ignore[arg-type]
    if isinstance(answered, httpx.Response):
        return answered
    raise RecordThrough(answered)


def patch(module: ModuleType) -> Callable[[], None]:
    """Patch the connection pools of ``module`` (httpcore or httpcore2); returns the undo."""
    mocker: type[_CassetteMocker] = (
        Httpcore2CassetteMocker if module.__name__ == "httpcore2" else HttpcoreCassetteMocker
    )
    mocker.start()
    return mocker.stop
