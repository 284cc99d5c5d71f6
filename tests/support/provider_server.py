"""A scripted LLM provider on 127.0.0.1: the recording target of every test that records.

It speaks the wire formats of :mod:`tests.support.wire_formats` (OpenAI Chat Completions and
Responses, Anthropic Messages, Gemini, Mistral; whole or streamed), streams server-sent
events with a pause between events, one HTTP chunk per event, and mints fresh random ids and
timestamps in every reply, as real providers do: a replay that matches what was recorded
cannot have come from here. Replies follow ``script`` (text or a tool call), else echo the
last user message.

A few extra routes serve what a recorder must cope with: gzip bodies, bytes that are not
UTF-8, cookies, and a stream that holds its last events until the test lets it go.
"""

from __future__ import annotations

import gzip
import hashlib
import http.server
import json
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.support import wire_formats
from tests.support.wire_formats import Reply, Wire, compact

BINARY_BODY = bytes(range(256)) * 4  # not valid UTF-8


@dataclass
class ReceivedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


def _last_user_text(body: dict[str, Any]) -> str:
    for message in reversed(body.get("messages") or body.get("contents") or []):
        if message.get("role") == "user":
            content = message.get("content", message.get("parts"))
            if isinstance(content, str):
                return content
            for part in content or []:
                if isinstance(part, dict) and part.get("text"):
                    return str(part["text"])
    return ""


EMBEDDING_DIMENSIONS = 8


def embedding(text: str) -> list[float]:
    """A deterministic vector for ``text``: how many of its words fall in each of 8 buckets
    (by a hash of the lowercased word), so texts sharing words point the same way.
    """
    vector = [0.0] * EMBEDDING_DIMENSIONS
    for word in text.lower().split():
        vector[hashlib.sha256(word.encode()).digest()[0] % EMBEDDING_DIMENSIONS] += 1.0
    return vector


@dataclass
class ProviderServer:
    """Start with :meth:`start`; ``url`` is its base URL; :meth:`stop` closes the port."""

    event_pause: float = 0.002
    requests: list[ReceivedRequest] = field(default_factory=list)
    script: list[Reply] = field(default_factory=list)
    gate: threading.Event = field(default_factory=threading.Event)
    gate_timeout: float = 5.0
    streams_finished: int = 0
    failures: list[tuple[int, dict[str, str], bytes]] = field(default_factory=list)
    """Answers given to the next POSTs before any scripted reply: (status, headers, body);
    a ``content-type`` among the headers replaces ``application/json``."""
    faults: list[str | int] = field(default_factory=list)
    """How the next POSTs fail, before any other answer: ``"hang up"`` (the connection is
    closed before a response), ``"stall"`` (no answer until ``gate`` opens), or a number of
    events after which a streamed reply is cut off."""
    _stopped: bool = False

    def start(self) -> ProviderServer:
        server = self

        class Handler(_Handler):
            provider = server

        self._httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.01,), daemon=True)
        self._thread.start()
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_port}"

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def next_reply(self, body: dict[str, Any]) -> Reply:
        if self.script:
            return self.script.pop(0)
        return Reply(text=f"You said: {_last_user_text(body)}")


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    provider: ProviderServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    # -- plumbing ---------------------------------------------------------------------

    def _read(self) -> bytes:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        self.provider.requests.append(
            ReceivedRequest(self.command, self.path, dict(self.headers.items()), body)
        )
        return body

    def _send(self, status: int, body: bytes, content_type: str, **headers: str) -> None:
        self.send_response(status)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(body)))
        self.send_header("x-request-id", f"req_{secrets.token_hex(8)}")
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        self.wfile.write(body)

    def _stream(self, events: Iterator[bytes], content_type: str = "text/event-stream") -> None:
        self.send_response(200)
        self.send_header("content-type", content_type)
        self.send_header("transfer-encoding", "chunked")
        self.send_header("x-request-id", f"req_{secrets.token_hex(8)}")
        self.end_headers()
        for sent, event in enumerate(events):
            if sent == getattr(self, "_cut_after", None):
                self.wfile.flush()
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            self.wfile.write(b"%x\r\n%s\r\n" % (len(event), event))
            self.wfile.flush()
            time.sleep(self.provider.event_pause)
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()
        self.provider.streams_finished += 1

    # -- routes -----------------------------------------------------------------------

    def do_GET(self) -> None:
        self._read()
        path = urlsplit(self.path).path
        if path == "/binary":
            self._send(200, BINARY_BODY, "application/octet-stream")
        elif path == "/gzip":
            payload = compact({"id": secrets.token_hex(6), "items": list(range(50))}).encode()
            self._send(200, gzip.compress(payload), "application/json", content_encoding="gzip")
        elif path == "/cookie":
            self._send(200, b"{}", "application/json", set_cookie=f"session={secrets.token_hex(8)}")
        elif path == "/latin1":
            self._send(200, b"{}", "application/json", x_note="caf\xe9")  # sent as latin-1
        elif path == "/truncated":
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", "100")
            self.end_headers()
            self.wfile.write(b'{"partial"')
            self.wfile.flush()
            self.close_connection = True
        elif path == "/robots.txt":
            self._send(200, b"User-agent: *\nDisallow: /private\n", "text/plain")
        elif path in ("/page", "/private/page"):
            page = (
                b"<html><head><title>T</title><style>p{}</style></head><body>"
                b"<h1>Containers</h1><p>A container is a <a href='/more'>process</a>.</p>"
                b"<ul><li>isolated</li><li>portable</li></ul></body></html>"
            )
            self._send(200, page, "text/html; charset=utf-8")
        elif path.startswith("/api/"):  # an HTTP API (the api toolset): the path and headers
            seen = {"method": "GET", "path": self.path, "auth": self.headers.get("x-auth", "")}
            self._send(200, compact(seen).encode(), "application/json")
        elif path == "/v1/models":
            models = {"object": "list", "data": [{"id": "gpt-4o", "created": int(time.time())}]}
            self._send(200, compact(models).encode(), "application/json")
        else:
            self._send(404, b'{"error":"not found"}', "application/json")

    def do_HEAD(self) -> None:
        self._read()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-encoding", "gzip")
        self.send_header("content-length", "77")
        self.end_headers()

    def do_POST(self) -> None:
        raw = self._read()
        path = urlsplit(self.path).path
        fault = self.provider.faults.pop(0) if self.provider.faults else None
        if fault == "hang up":
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if fault == "stall":
            self.provider.gate.wait(self.provider.gate_timeout)
            self.close_connection = True
            return
        self._cut_after = fault if isinstance(fault, int) else None
        if self.provider.failures:
            status, headers, body = self.provider.failures.pop(0)
            headers = dict(headers)
            content_type = headers.pop("content-type", "application/json")
            self._send(status, body, content_type, **headers)
            return
        if path == "/v1/files":
            upload = {"id": f"file-{secrets.token_hex(6)}", "bytes": len(raw)}
            self._send(200, compact(upload).encode(), "application/json")
            return
        if path.startswith("/api/"):  # an HTTP API (the api toolset): what it was sent
            seen = {"method": "POST", "path": self.path, "body": raw.decode()}
            self._send(200, compact(seen).encode(), "application/json")
            return
        body = json.loads(raw) if raw else {}
        if path.endswith("/engines/_configure"):  # Docker Model Runner: configure a model
            self._send(202, b"", "text/plain")
            return
        if path.endswith("/embeddings"):  # OpenAI-style: vectors that depend on the words only
            vectors = [embedding(str(text)) for text in body.get("input") or []]
            data = [
                {"object": "embedding", "index": i, "embedding": v} for i, v in enumerate(vectors)
            ]
            usage = {"prompt_tokens": len(vectors), "total_tokens": len(vectors)}
            answer = {"object": "list", "data": data, "model": body.get("model"), "usage": usage}
            self._send(200, compact(answer).encode(), "application/json")
            return
        reply = self.provider.next_reply(body)
        if path == "/mistral/v1/chat/completions":
            self._reply(wire_formats.openai_chat(body, reply, mistral=True))
        elif path.endswith("/chat/completions"):  # OpenAI, and xAI, Nebius... at /<name>/v1
            self._reply(wire_formats.openai_chat(body, reply))
        elif path == "/v1/responses":
            self._reply(wire_formats.openai_responses(body, reply))
        elif path == "/v1/messages":
            self._reply(wire_formats.anthropic(body, reply))
        elif path.endswith(":generateContent"):
            self._reply(wire_formats.gemini(body, reply, stream=False))
        elif path.endswith(":streamGenerateContent"):
            if parse_qs(urlsplit(self.path).query).get("alt") != ["sse"]:
                self._send(400, b'{"error":{"message":"use alt=sse"}}', "application/json")
            else:
                self._reply(wire_formats.gemini(body, reply, stream=True))
        elif path == "/v1/slow":
            self._stream(self._slow_events())
        else:
            self._send(404, b'{"error":"not found"}', "application/json")

    def _reply(self, wire: Wire) -> None:
        if wire.events is None:
            self._send(200, wire.body, wire.content_type)
        else:
            self._stream(iter(wire.events), wire.content_type)

    def _slow_events(self) -> Iterator[bytes]:
        yield f"data: {compact({'n': 0, 'id': secrets.token_hex(4)})}\n\n".encode()
        self.provider.gate.wait(self.provider.gate_timeout)
        for n in range(1, 4):
            yield f"data: {compact({'n': n, 'id': secrets.token_hex(4)})}\n\n".encode()
