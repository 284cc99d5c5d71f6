"""The recorded data: interactions, each a request and the response it received."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .bodies import NOT_JSON, Body

__all__ = ["Headers", "Interaction", "RecordedRequest", "RecordedResponse", "TransportError"]

Headers = list[tuple[str, str]]


def _get_header(headers: Headers, name: str) -> str | None:
    wanted = name.lower()
    for key, value in headers:
        if key.lower() == wanted:
            return value
    return None


@dataclass
class RecordedRequest:
    """A request as stored in a cassette (credentials already redacted)."""

    method: str
    url: str
    headers: Headers = field(default_factory=list)
    body: Body = field(default_factory=lambda: Body.from_bytes(b""))

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (case-insensitive), or ``None``."""
        return _get_header(self.headers, name)

    @property
    def text(self) -> str:
        """The body decoded as UTF-8 (undecodable bytes replaced)."""
        return self.body.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """The body parsed as JSON; raises ``ValueError`` if it is not JSON."""
        value = self.body.json()
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


@dataclass
class RecordedResponse:
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

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (case-insensitive), or ``None``."""
        return _get_header(self.headers, name)

    @property
    def text(self) -> str:
        """The body decoded as UTF-8 (undecodable bytes replaced)."""
        return self.body.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """The body parsed as JSON; raises ``ValueError`` if it is not JSON (an SSE stream)."""
        value = self.body.json()
        if value is NOT_JSON:
            raise ValueError(f"the {self.status_code} response body is not JSON")
        return value


@dataclass
class Interaction:
    """One request and its response; ``id`` is its position in the cassette."""

    request: RecordedRequest
    response: RecordedResponse
    id: int = 0
