"""The recorded data: interactions, each a request and the response it received, and the
bodies they carried. Nothing here knows how a cassette stores them.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

__all__ = [
    "NOT_JSON",
    "SERVER_EXITED",
    "STDIO_SCHEME",
    "Body",
    "BodySource",
    "Headers",
    "Interaction",
    "Matcher",
    "RecordedRequest",
    "RecordedResponse",
    "TransportError",
    "WebSocketClose",
    "WebSocketFrame",
    "WebSocketTurn",
    "is_websocket",
    "json_value",
    "may_be_jsonrpc",
    "stdio_request",
    "websocket_message_kind",
]

Headers = list[tuple[str, str]]

NOT_JSON: Any = object()
"""What :func:`json_value` returns for a body that is not a JSON document."""

_JSON_START = re.compile(rb"[ \t\r\n]*[\[{]")
_JSON_ARRAY = re.compile(rb"[ \t\r\n]*\[")
_EDGE = 1024


class BodySource(Protocol):
    """Where the bytes of a body come from when they are decoded on first use (a body as a
    cassette stores it): loading a cassette then costs little more than parsing its YAML.
    Decoding raises :class:`~pytest_agentcassette._located.LocatedError` for a malformed
    stored form.
    """

    def decode(self) -> tuple[bytes, list[int]]:
        """The body's bytes and the sizes of the chunks they are replayed in."""

    def stored_json(self) -> tuple[Any] | None:
        """``(document,)`` when the source holds the body's JSON document as such (cheaper
        than parsing the bytes), else ``None``.
        """

    @property
    def in_file(self) -> bool:
        """Whether the bytes are a cut of the cassette file's own, which the source holds:
        decoding again costs a copy, so the body does not keep one of its own.
        """

    def mentions(self, word: bytes) -> bool:
        """Whether ``word`` (no space or line break in it) is in the bytes, told without
        decoding them where the source can (a cut of the file).
        """


class Body:
    """The exact bytes of a request or response body and the chunks they arrived in.

    Build one with :meth:`from_bytes`. A body loaded from a cassette is decoded on first
    use; ``_source`` is the form it was stored in, which the cassette format reads back to
    write it as it found it.
    """

    __slots__ = ("_chunk_sizes", "_content", "_jsonrpc", "_source")

    def __init__(self) -> None:
        self._content: bytes | None = None
        self._chunk_sizes: list[int] | None = None
        self._source: BodySource | None = None
        self._jsonrpc: bool | None = None  # may_be_jsonrpc's answer, once asked

    @classmethod
    def from_bytes(cls, content: bytes, chunk_sizes: Sequence[int] | None = None) -> Body:
        """A body received as ``content``, in pieces of ``chunk_sizes`` bytes (default: one)."""
        body = cls()
        body._content = content
        body._chunk_sizes = list(chunk_sizes) if chunk_sizes is not None else None
        return body

    @classmethod
    def decoded_from(cls, source: BodySource) -> Body:
        """A body whose bytes ``source`` gives when they are first needed."""
        body = cls()
        body._source = source
        return body

    def __repr__(self) -> str:
        if self._content is None:
            if self._source is not None and self._source.in_file:
                return "<Body (its bytes read from the cassette file at each use)>"
            return "<Body (not decoded yet)>"
        shown = self._content if len(self._content) <= 40 else self._content[:39] + b"..."
        return f"<Body {shown!r} ({len(self._content)} bytes, {len(self.chunks)} chunks)>"

    @property
    def content(self) -> bytes:
        """All bytes of the body."""
        return self._decoded()[0]

    @property
    def chunks(self) -> list[bytes]:
        """The body as the pieces the client received, in order."""
        content, sizes = self._decoded()
        if sizes is None:
            return [content] if content else []
        ends = list(itertools.accumulate(sizes))
        return list(map(content.__getitem__, map(slice, [0, *ends[:-1]], ends)))

    def mentions(self, word: bytes) -> bool:
        """Whether ``word`` occurs in the body; a word without spaces or line breaks is
        looked for in the file itself for a body cut from it (nothing is decoded).
        """
        if self._content is None and self._source is not None and word.isalnum():
            return self._source.mentions(word)
        return word in self.content

    def held(self) -> Body:
        """The body with its bytes held: itself, or a copy holding the bytes that this one
        decodes at each use (see :attr:`BodySource.in_file`), for a use that reads them
        more than once.
        """
        if self._content is not None:
            return self
        return Body.from_bytes(*self._decoded())

    def _decoded(self) -> tuple[bytes, list[int] | None]:
        if self._content is not None:
            return self._content, self._chunk_sizes
        if self._source is None:  # pragma: no cover - a body has bytes or a source
            raise ValueError("a body without bytes or a source")
        content, sizes = self._source.decode()
        if not self._source.in_file:  # else the file's bytes are the body's
            self._content, self._chunk_sizes = content, sizes
        return content, sizes

    def json(self) -> Any:
        """The body parsed as JSON; raises ``ValueError`` if it is not a JSON document."""
        value = json_value(self)
        if value is NOT_JSON:
            raise ValueError("the body is not a JSON document")
        return value


def json_value(body: Body) -> Any:
    """The body's JSON document, or :data:`NOT_JSON`."""
    source = body._source
    stored = source.stored_json() if source is not None else None
    if stored is not None:
        return stored[0]
    content = body.content
    if not _JSON_START.match(content):
        return NOT_JSON
    try:
        return json.loads(content)
    except ValueError:
        return NOT_JSON


def may_be_jsonrpc(body: Body) -> bool:
    """Whether ``body`` may be a JSON-RPC message (MCP's): it has ``"jsonrpc"`` as a key.

    A message has one member that may be long (``params``, ``result`` or ``error``) and
    the key is before or after it, so a long body is looked at near its ends only (an
    LLM request of 50 turns is not searched end to end for it); a batch (an array) is
    searched whole. The answer is kept with the body.
    """
    if body._jsonrpc is None:
        content, key = body.content, b'"jsonrpc"'
        if len(content) <= 2 * _EDGE or _JSON_ARRAY.match(content):
            body._jsonrpc = key in content
        else:
            edges = content.find(key, 0, _EDGE), content.find(key, len(content) - _EDGE)
            body._jsonrpc = edges != (-1, -1)
    return body._jsonrpc


class _Message:
    """What a request and a response share: headers and a body."""

    headers: Headers
    body: Body

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (case-insensitive), or ``None``."""
        wanted = name.lower()
        for key, value in self.headers:
            if key.lower() == wanted:
                return value
        return None

    @property
    def text(self) -> str:
        """The body decoded as UTF-8 (undecodable bytes replaced)."""
        return self.body.content.decode("utf-8", errors="replace")


@dataclass
class RecordedRequest(_Message):
    """A request as stored in a cassette (credentials already redacted)."""

    method: str
    url: str
    headers: Headers = field(default_factory=list)
    body: Body = field(default_factory=lambda: Body.from_bytes(b""))

    def json(self) -> Any:
        """The body parsed as JSON; raises ``ValueError`` if it is not JSON."""
        value = json_value(self.body)
        if value is NOT_JSON:
            raise ValueError(f"the body of {self.method} {self.url} is not JSON")
        return value


@dataclass(frozen=True)
class TransportError:
    """A failure of the connection that the client met, as recorded: ``kind`` is the
    exception's class name in httpcore (and httpx): ``ConnectError``, ``ReadTimeout``,
    ``RemoteProtocolError``...
    """

    kind: str
    message: str = ""


@dataclass(frozen=True)
class WebSocketFrame:
    """A WebSocket message the server sent: its text, or its bytes for a binary message;
    ``at`` is when it arrived, in seconds since the connection opened.
    """

    data: str | bytes
    at: float | None = None


@dataclass(frozen=True)
class WebSocketClose:
    """How a WebSocket connection ended: the close ``code`` and ``reason``, and ``by``
    whom (``client`` or ``server``); ``code`` is ``None`` when the connection dropped
    without a closing handshake.
    """

    code: int | None
    reason: str = ""
    by: str = "client"


@dataclass
class WebSocketTurn:
    """A WebSocket interaction: the opening handshake (``opening``) or a message the code
    sent (at ``sent_at``), with the messages the server sent after it and before the
    code's next one, and the end of the connection if it came then.
    """

    opening: bool
    received: list[WebSocketFrame] = field(default_factory=list)
    sent_at: float | None = None
    close: WebSocketClose | None = None


@dataclass
class RecordedResponse(_Message):
    """A response as stored in a cassette.

    ``error`` is the transport error the client met: with ``status_code`` 0, instead of
    any response (the connection was refused, the request timed out); otherwise, while
    reading the body, after the chunks in ``body``.
    """

    status_code: int
    reason: str = ""
    headers: Headers = field(default_factory=list)
    body: Body = field(default_factory=lambda: Body.from_bytes(b""))
    http_version: str = "HTTP/1.1"
    duration: float | None = None
    """Seconds from sending the request to the end of the body, when recorded."""
    error: TransportError | None = None
    complete: bool = True
    """``False`` when the client closed the body before the server ended it (a stream it
    stopped reading, such as the event stream an MCP client holds open)."""
    websocket: WebSocketTurn | None = None
    """For a WebSocket interaction: what the server sent after the request's message."""

    def json(self) -> Any:
        """The body parsed as JSON; raises ``ValueError`` if it is not JSON (an SSE stream)."""
        value = json_value(self.body)
        if value is NOT_JSON:
            raise ValueError(f"the {self.status_code} response body is not JSON")
        return value


Matcher = Callable[[RecordedRequest, RecordedRequest], bool]
"""A ``match_on`` callable: whether a recorded request may answer a live one."""


@dataclass
class Interaction:
    """One request and its response; ``id`` is its position in the cassette, ``test`` the
    test that recorded it when several tests share the cassette (``None`` otherwise).
    """

    request: RecordedRequest
    response: RecordedResponse
    id: int = 0
    test: str | None = None


AGENT_HEADER = "x-agentcore-agent"
"""The request header in which agentcore names the agent that asked (a transcript's speaker)."""

KEPT_REQUEST_HEADERS = frozenset({"content-type", AGENT_HEADER})
"""Request headers a recording keeps even when matching never compares them: how the body
reads, and which agent asked."""

STDIO_SCHEME = "stdio:"
"""The URL of an MCP server over stdio is ``stdio:`` and its command line."""

SERVER_EXITED = TransportError("ServerExited", "the server ended the session")
"""What an MCP server over stdio did after an exchange when it exited on its own (a crash)
before the code ended the session; a replay ends the session there too."""


def stdio_request(server: str, body: Body) -> RecordedRequest:
    """A message the code sent to the MCP server ``server`` over stdio, as an interaction's
    request: its method is the JSON-RPC method (``(response)`` for the code's answer to a
    server's request), its URL names the server.
    """
    try:
        message = json.loads(body.content)
    except ValueError:
        message = None
    method = "(response)"
    if isinstance(message, dict) and isinstance(message.get("method"), str):
        method = str(message["method"])
    elif not isinstance(message, (dict, list)):
        method = "(not JSON)"
    return RecordedRequest(method, STDIO_SCHEME + server, [], body)


def is_websocket(url: str) -> bool:
    """Whether ``url`` is a WebSocket connection's (``ws://`` or ``wss://``)."""
    return url.startswith(("ws://", "wss://", "WS://", "WSS://"))


def websocket_message_kind(data: str | bytes) -> str:
    """The method of a WebSocket message as an interaction's request: its JSON ``type``
    (a realtime API's client event, ``session.update``), or its one top-level key (a live
    API's ``setup`` or ``realtimeInput``), else ``(text)`` or ``(binary)``.
    """
    if isinstance(data, bytes):
        return "(binary)"
    try:
        message = json.loads(data)
    except ValueError:
        return "(text)"
    if isinstance(message, dict):
        if isinstance(message.get("type"), str):
            return str(message["type"])
        if len(message) == 1:
            return str(next(iter(message)))
    return "(text)"
