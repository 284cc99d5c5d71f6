"""A loopback server that answers ``POST /v1/chat/completions`` with the next reply of a
scripted session, one HTTP chunk per SSE event (as providers stream)."""

from __future__ import annotations

import http.server
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        pass

    def setup(self) -> None:
        super().setup()
        # One small write per event: without this, Nagle's algorithm holds them back.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length") or 0))
        body = self.server.next_reply()
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("transfer-encoding", "chunked")
        self.end_headers()
        for event in body.split(b"\n\n")[:-1]:
            event += b"\n\n"
            self.wfile.write(b"%x\r\n%s\r\n" % (len(event), event))
            self.wfile.flush()
            if self.server.pause:
                time.sleep(self.server.pause)
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, replies: list[bytes], pause: float):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.replies = list(replies)
        self.pause = pause
        self._lock = threading.Lock()
        self._next = 0

    def next_reply(self) -> bytes:
        with self._lock:
            body = self.replies[self._next % len(self.replies)]
            self._next += 1
            return body


@contextmanager
def serving(replies: list[bytes], pause: float = 0.0) -> Iterator[str]:
    """Serve ``replies`` in order (then again) on 127.0.0.1; yields the base URL."""
    server = _Server(replies, pause)
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
