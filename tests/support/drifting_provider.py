"""A loopback provider whose answers change shape on demand, as a provider's new API
version would: what ``--record-mode=verify`` is there to notice. Every answer has fresh ids
and text, and a stream a varying number of deltas, which verify must not count as drift.
"""

from __future__ import annotations

import http.server
import json
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["DriftingProvider", "drifting_provider"]


class DriftingProvider(http.server.ThreadingHTTPServer):
    """Answers with fresh ids and text on every call; ``renamed`` and ``new_event`` change
    the shape of what it sends, as a provider's new API version would.
    """

    renamed = False
    new_event = False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(http.server.BaseHTTPRequestHandler):
    server: DriftingProvider

    def log_message(self, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        if self.path == "/v1/messages":
            self._stream()
            return
        tokens = "input_tokens" if self.server.renamed else "prompt_tokens"
        reply = {
            "id": f"chatcmpl-{secrets.token_hex(4)}",
            "choices": [{"message": {"content": f"answer {secrets.token_hex(8)}"}}],
            "usage": {tokens: 12, "completion_tokens": secrets.randbelow(50)},
        }
        self._send("application/json", json.dumps(reply).encode())

    def _stream(self) -> None:
        deltas = [("content_block_delta", {"delta": {"text": secrets.token_hex(2)}})] * (
            1 + secrets.randbelow(4)  # a longer answer has more deltas: not a change of shape
        )
        names = [("message_start", {"message": {"id": secrets.token_hex(4)}}), *deltas]
        if self.server.new_event:
            names.append(("citations_delta", {"citation": {"url": "https://example.com"}}))
        names.append(("message_stop", {}))
        body = "".join(f"event: {n}\ndata: {json.dumps(d)}\n\n" for n, d in names)
        self._send("text/event-stream", body.encode())

    def _send(self, kind: str, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@contextmanager
def drifting_provider() -> Iterator[DriftingProvider]:
    """A :class:`DriftingProvider` on a free loopback port, for the ``with`` block."""
    server = DriftingProvider(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
