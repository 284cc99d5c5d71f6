"""A scripted LLM provider on 127.0.0.1: the recording target of every test that records.

It speaks the wire formats the tests need (OpenAI chat completions, Anthropic messages,
Gemini ``streamGenerateContent?alt=sse``), streams server-sent events with a pause between
events, one HTTP chunk per event, and mints fresh random ids and timestamps in every reply,
as real providers do: a replay that matches what was recorded cannot have come from here.

A few extra routes serve what a recorder must cope with: gzip bodies, bytes that are not
UTF-8, cookies, and a stream that holds its last events until the test lets it go.
"""

from __future__ import annotations

import gzip
import http.server
import json
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

BINARY_BODY = bytes(range(256)) * 4  # not valid UTF-8


@dataclass
class ReceivedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Reply:
    """What the next request gets: text, or a tool call (name, arguments)."""

    text: str = ""
    tool: tuple[str, dict[str, Any]] | None = None


def _words(text: str) -> list[str]:
    pieces = text.split(" ")
    return [piece + (" " if i < len(pieces) - 1 else "") for i, piece in enumerate(pieces)]


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


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


@dataclass
class ProviderServer:
    """Start with :meth:`start`; ``url`` is its base URL; :meth:`stop` closes the port."""

    event_pause: float = 0.002
    requests: list[ReceivedRequest] = field(default_factory=list)
    script: list[Reply] = field(default_factory=list)
    gate: threading.Event = field(default_factory=threading.Event)
    gate_timeout: float = 5.0
    streams_finished: int = 0
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
        for event in events:
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
            payload = _compact({"id": secrets.token_hex(6), "items": list(range(50))}).encode()
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
        elif path == "/v1/models":
            models = {"object": "list", "data": [{"id": "gpt-4o", "created": int(time.time())}]}
            self._send(200, _compact(models).encode(), "application/json")
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
        if path == "/v1/files":
            upload = {"id": f"file-{secrets.token_hex(6)}", "bytes": len(raw)}
            self._send(200, _compact(upload).encode(), "application/json")
            return
        body = json.loads(raw) if raw else {}
        if path == "/v1/chat/completions":
            self._openai_chat(body)
        elif path == "/v1/messages":
            self._anthropic(body)
        elif path.endswith(":streamGenerateContent"):
            self._gemini(body, parse_qs(urlsplit(self.path).query))
        elif path == "/v1/slow":
            self._stream(self._slow_events())
        else:
            self._send(404, b'{"error":"not found"}', "application/json")

    def _openai_chat(self, body: dict[str, Any]) -> None:
        reply = self.provider.next_reply(body)
        completion_id = f"chatcmpl-{secrets.token_urlsafe(21)}"
        created = int(time.time())
        model = body.get("model", "gpt-4o")
        if not body.get("stream"):
            message: dict[str, Any] = {"role": "assistant", "content": reply.text or None}
            if reply.tool:
                message["tool_calls"] = [self._openai_tool_call(reply.tool)]
            response = {
                "id": completion_id,
                "object": "chat.completion",
                "created": created,
                "model": model,
                "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 12, "completion_tokens": 5, "total_tokens": 17},
            }
            self._send(200, _compact(response).encode(), "application/json")
            return

        def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
            data = {
                "id": completion_id,
                "object": "chat.completion.chunk",
                "created": created,
                "model": model,
                "system_fingerprint": f"fp_{secrets.token_hex(5)}",
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            }
            return f"data: {_compact(data)}\n\n".encode()

        def events() -> Iterator[bytes]:
            yield chunk({"role": "assistant", "content": ""})
            for word in _words(reply.text) if reply.text else []:
                yield chunk({"content": word})
            if reply.tool:
                call = self._openai_tool_call(reply.tool)
                arguments = call["function"]["arguments"]
                call["function"]["arguments"] = ""
                yield chunk({"tool_calls": [{"index": 0, **call}]})
                for start in range(0, len(arguments), 7):
                    piece = arguments[start : start + 7]
                    yield chunk({"tool_calls": [{"index": 0, "function": {"arguments": piece}}]})
            yield chunk({}, "tool_calls" if reply.tool else "stop")
            yield b"data: [DONE]\n\n"

        self._stream(events())

    @staticmethod
    def _openai_tool_call(tool: tuple[str, dict[str, Any]]) -> dict[str, Any]:
        name, arguments = tool
        return {
            "id": f"call_{secrets.token_urlsafe(18)[:24]}",
            "type": "function",
            "function": {"name": name, "arguments": _compact(arguments)},
        }

    def _anthropic(self, body: dict[str, Any]) -> None:
        reply = self.provider.next_reply(body)
        message_id = f"msg_01{secrets.token_urlsafe(18)[:22]}"

        def event(name: str, data: dict[str, Any]) -> bytes:
            return f"event: {name}\ndata: {_compact(data)}\n\n".encode()

        def events() -> Iterator[bytes]:
            yield event(
                "message_start",
                {
                    "type": "message_start",
                    "message": {
                        "id": message_id,
                        "type": "message",
                        "role": "assistant",
                        "model": body.get("model", "claude-sonnet-4-0"),
                        "content": [],
                        "usage": {"input_tokens": 12, "output_tokens": 1},
                    },
                },
            )
            yield event(
                "content_block_start",
                {"type": "content_block_start", "index": 0, "content_block": {"type": "text"}},
            )
            yield b'event: ping\ndata: {"type": "ping"}\n\n'
            for word in _words(reply.text):
                delta = {"type": "text_delta", "text": word}
                yield event(
                    "content_block_delta",
                    {"type": "content_block_delta", "index": 0, "delta": delta},
                )
            yield event("content_block_stop", {"type": "content_block_stop", "index": 0})
            yield event(
                "message_delta",
                {
                    "type": "message_delta",
                    "delta": {"stop_reason": "end_turn"},
                    "usage": {"output_tokens": 9},
                },
            )
            yield event("message_stop", {"type": "message_stop"})

        self._stream(events())

    def _gemini(self, body: dict[str, Any], query: dict[str, list[str]]) -> None:
        reply = self.provider.next_reply(body)
        response_id = secrets.token_urlsafe(16)

        def events() -> Iterator[bytes]:
            words = _words(reply.text)
            for index, word in enumerate(words):
                data: dict[str, Any] = {
                    "candidates": [
                        {"content": {"parts": [{"text": word}], "role": "model"}, "index": 0}
                    ],
                    "modelVersion": "gemini-2.5-flash",
                    "responseId": response_id,
                }
                if index == len(words) - 1:
                    data["candidates"][0]["finishReason"] = "STOP"
                # Gemini's own framing: ", " after keys, CRLF line ends.
                yield f"data: {json.dumps(data, separators=(',', ': '))}\r\n\r\n".encode()

        if query.get("alt") == ["sse"]:
            self._stream(events())
        else:
            self._send(400, b'{"error":{"message":"use alt=sse"}}', "application/json")

    def _slow_events(self) -> Iterator[bytes]:
        yield f"data: {_compact({'n': 0, 'id': secrets.token_hex(4)})}\n\n".encode()
        self.provider.gate.wait(self.provider.gate_timeout)
        for n in range(1, 4):
            yield f"data: {_compact({'n': n, 'id': secrets.token_hex(4)})}\n\n".encode()
