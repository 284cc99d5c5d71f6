"""Loopback emulators of the realtime model APIs spoken over a WebSocket: OpenAI's Realtime
API (:class:`RealtimeServer`) and Gemini's Live API, ``BidiGenerateContent``
(:class:`LiveServer`, over TLS: google-genai only connects with ``wss``).

Each runs a ``websockets`` asyncio server on 127.0.0.1 in a thread with its own event loop,
so sync tests can start it, and keeps every connection it accepted (path, headers, the
events it received) for assertions. As real providers do, it mints fresh random ids in
every event: a replay that matches the recording cannot have come from here. Answers follow
``script`` (text, then optionally one tool call), else echo the last text the client sent,
streamed word by word with a pause between events.
"""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import json
import secrets
import ssl
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from websockets.asyncio.server import ServerConnection, serve

from tests.support.wire_formats import Reply, compact, words

_Server = TypeVar("_Server", bound="_LoopbackServer")


@dataclass
class ReceivedConnection:
    """One client connection: the path of its opening request, its headers, and every JSON
    event the client sent on it."""

    path: str
    headers: dict[str, str]
    events: list[dict[str, Any]] = field(default_factory=list)


def _id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(8)}"


@dataclass
class _LoopbackServer:
    """Start with :meth:`start`; ``url`` is the base URL to give the SDK; :meth:`stop`
    closes the port."""

    event_pause: float = 0.002
    script: list[Reply] = field(default_factory=list)
    connections: list[ReceivedConnection] = field(default_factory=list)
    _stopped: bool = False

    @property
    def received(self) -> list[dict[str, Any]]:
        """Every event received, over all connections, in order."""
        return [event for connection in self.connections for event in connection.events]

    def start(self: _Server) -> _Server:
        listening = threading.Event()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_until_complete, args=(self._serve(listening),), daemon=True
        )
        self._thread.start()
        if not listening.wait(timeout=5):
            raise RuntimeError("the loopback WebSocket server did not start")
        return self

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        self._loop.call_soon_threadsafe(self._done.set)
        self._thread.join(timeout=5)
        self._loop.close()

    @property
    def port(self) -> int:
        return self._port

    def _server_ssl(self) -> ssl.SSLContext | None:
        return None

    async def _serve(self, listening: threading.Event) -> None:
        self._done = asyncio.Event()
        async with serve(self._accept, "127.0.0.1", 0, ssl=self._server_ssl()) as server:
            self._port = int(server.sockets[0].getsockname()[1])
            listening.set()
            await self._done.wait()

    async def _accept(self, ws: ServerConnection) -> None:
        request = ws.request
        assert request is not None
        connection = ReceivedConnection(request.path, dict(request.headers.raw_items()))
        self.connections.append(connection)
        await self.converse(ws, connection.events)

    async def converse(self, ws: ServerConnection, received: list[dict[str, Any]]) -> None:
        raise NotImplementedError

    def next_reply(self, echoed: str) -> Reply:
        return self.script.pop(0) if self.script else Reply(text=f"You said: {echoed}")

    async def _emit(self, ws: ServerConnection, event: dict[str, Any], pause: bool = False) -> None:
        if pause:
            await asyncio.sleep(self.event_pause)
        await ws.send(json.dumps(event))


def _last_text(items: list[dict[str, Any]]) -> str:
    """The text of the last conversation item that has some (a message or a tool's output)."""
    for item in reversed(items):
        if item.get("type") == "function_call_output":
            return str(item.get("output", ""))
        for part in item.get("content") or []:
            if part.get("text"):
                return str(part["text"])
    return ""


def _tokens(text: str) -> int:
    return len(text.split())


@dataclass
class RealtimeServer(_LoopbackServer):
    """OpenAI's Realtime API (GA event shapes, text output): ``session.created`` on connect;
    ``session.update`` → ``session.updated``; ``conversation.item.create`` →
    ``conversation.item.created``; ``response.create`` → ``response.created``, then
    ``response.output_text.delta``/``.done`` and, for a scripted tool call,
    ``response.function_call_arguments.delta``/``.done``, then ``response.done``."""

    @property
    def url(self) -> str:
        """The SDK's ``base_url`` is ``url + "/v1"``: it connects to ``ws://…/v1/realtime``."""
        return f"http://127.0.0.1:{self.port}"

    async def converse(self, ws: ServerConnection, received: list[dict[str, Any]]) -> None:
        session: dict[str, Any] = {
            "type": "realtime",
            "object": "realtime.session",
            "id": _id("sess"),
            "model": "gpt-realtime",
            "output_modalities": ["audio"],
            "instructions": "You are a helpful assistant.",
            "tools": [],
            "tool_choice": "auto",
            "max_output_tokens": "inf",
        }
        items: list[dict[str, Any]] = []
        await self._emit(ws, self._event("session.created", session=session))
        async for message in ws:
            event = json.loads(message)
            received.append(event)
            kind = event.get("type")
            if kind == "session.update":
                session.update(event.get("session") or {})
                await self._emit(ws, self._event("session.updated", session=session))
            elif kind == "conversation.item.create":
                item = {
                    **event["item"],
                    "id": _id("item"),
                    "object": "realtime.item",
                    "status": "completed",
                }
                previous = items[-1]["id"] if items else None
                items.append(item)
                created = self._event("conversation.item.created", previous_item_id=previous)
                await self._emit(ws, {**created, "item": item})
            elif kind == "response.create":
                await self._respond(ws, session, items)
            else:
                error = {"type": "invalid_request_error", "message": f"Unsupported: {kind}"}
                await self._emit(ws, self._event("error", error=error))

    @staticmethod
    def _event(kind: str, **fields: Any) -> dict[str, Any]:
        return {"type": kind, "event_id": _id("event"), **fields}

    async def _respond(
        self, ws: ServerConnection, session: dict[str, Any], items: list[dict[str, Any]]
    ) -> None:
        reply = self.next_reply(_last_text(items))
        response: dict[str, Any] = {
            "object": "realtime.response",
            "id": _id("resp"),
            "status": "in_progress",
            "conversation_id": _id("conv"),
            "output_modalities": session["output_modalities"],
            "output": [],
            "usage": None,
        }
        await self._emit(ws, self._event("response.created", response=response))
        at = {"response_id": response["id"], "output_index": 0}
        output: list[dict[str, Any]] = []
        if reply.text:
            item_id = _id("item")
            for piece in words(reply.text):
                delta = self._event(
                    "response.output_text.delta", **at, item_id=item_id, content_index=0
                )
                await self._emit(ws, {**delta, "delta": piece}, pause=True)
            done = self._event("response.output_text.done", **at, item_id=item_id, content_index=0)
            await self._emit(ws, {**done, "text": reply.text}, pause=True)
            content = [{"type": "output_text", "text": reply.text}]
            output.append(self._item(item_id, type="message", role="assistant", content=content))
        if reply.tool:
            name, arguments = reply.tool
            call = self._item(
                _id("item"), type="function_call", name=name, call_id=_id("call"), arguments=""
            )
            call_at = {**at, "output_index": len(output), "item_id": call["id"]}
            call_at["call_id"] = call["call_id"]
            encoded = compact(arguments)
            for start in range(0, len(encoded), 8):
                delta = self._event("response.function_call_arguments.delta", **call_at)
                await self._emit(ws, {**delta, "delta": encoded[start : start + 8]}, pause=True)
            done = self._event("response.function_call_arguments.done", **call_at, name=name)
            await self._emit(ws, {**done, "arguments": encoded}, pause=True)
            output.append({**call, "arguments": encoded})
        items.extend(output)
        spoken = _tokens(reply.text) + (len(reply.tool[1]) if reply.tool else 0)
        heard = sum(_tokens(_last_text([item])) for item in items)
        usage = {
            "total_tokens": heard + spoken,
            "input_tokens": heard,
            "output_tokens": spoken,
            "input_token_details": {"text_tokens": heard, "audio_tokens": 0, "cached_tokens": 0},
            "output_token_details": {"text_tokens": spoken, "audio_tokens": 0},
        }
        finished = {**response, "status": "completed", "output": output, "usage": usage}
        await self._emit(ws, self._event("response.done", response=finished), pause=True)

    @staticmethod
    def _item(item_id: str, **fields: Any) -> dict[str, Any]:
        return {"id": item_id, "object": "realtime.item", "status": "completed", **fields}


@dataclass
class LiveServer(_LoopbackServer):
    """Gemini's Live API (``BidiGenerateContent``, JSON in camelCase) over TLS with a fresh
    self-signed certificate for 127.0.0.1: ``setup`` → ``setupComplete``; a ``clientContent``
    turn, a ``realtimeInput`` text or a ``toolResponse`` → ``serverContent`` chunks of
    ``modelTurn.parts[].text``, then ``generationComplete`` and ``turnComplete`` (with
    ``usageMetadata``); a scripted tool call is a ``toolCall`` with a fresh id."""

    def __post_init__(self) -> None:
        self._certificate, self._key = _self_signed_certificate()

    @property
    def url(self) -> str:
        """The SDK's ``HttpOptions.base_url``; it connects to ``wss://127.0.0.1:…/ws/…``."""
        return f"https://127.0.0.1:{self.port}"

    @property
    def client_ssl(self) -> ssl.SSLContext:
        """A client context that trusts this server's certificate (and nothing else)."""
        return ssl.create_default_context(cadata=self._certificate.decode())

    def _server_ssl(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        with tempfile.TemporaryDirectory() as folder:
            certificate, key = Path(folder, "cert.pem"), Path(folder, "key.pem")
            certificate.write_bytes(self._certificate)
            key.write_bytes(self._key)
            context.load_cert_chain(certificate, key)
        return context

    async def converse(self, ws: ServerConnection, received: list[dict[str, Any]]) -> None:
        heard: list[str] = []
        async for message in ws:
            event = json.loads(message)
            received.append(event)
            # Protobuf JSON: a field may be named in camelCase or in snake_case (the SDK
            # sends the top-level ones in snake_case, what is inside them in camelCase).
            content = event.get("clientContent", event.get("client_content"))
            realtime_input = event.get("realtimeInput", event.get("realtime_input")) or {}
            tool_response = event.get("toolResponse", event.get("tool_response"))
            if "setup" in event:
                await self._emit(ws, {"setupComplete": {}})
            elif content is not None:
                for turn in content.get("turns") or []:
                    heard += [part["text"] for part in turn.get("parts", []) if "text" in part]
                if content.get("turnComplete"):
                    await self._respond(ws, heard)
            elif "text" in realtime_input:
                heard.append(realtime_input["text"])
                await self._respond(ws, heard)
            elif tool_response is not None:
                for answer in tool_response.get("functionResponses", []):
                    heard.append(compact(answer.get("response")))
                await self._respond(ws, heard)

    async def _respond(self, ws: ServerConnection, heard: list[str]) -> None:
        reply = self.next_reply(heard[-1] if heard else "")
        for piece in words(reply.text) if reply.text else []:
            turn = {"role": "model", "parts": [{"text": piece}]}
            await self._emit(ws, {"serverContent": {"modelTurn": turn}}, pause=True)
        if reply.tool:
            name, arguments = reply.tool
            call = {"id": _id("function-call"), "name": name, "args": arguments}
            await self._emit(ws, {"toolCall": {"functionCalls": [call]}}, pause=True)
            return  # the turn goes on once the client sends the tool's response
        await self._emit(ws, {"serverContent": {"generationComplete": True}}, pause=True)
        prompt, answer = sum(_tokens(text) for text in heard), _tokens(reply.text)
        usage = {
            "promptTokenCount": prompt,
            "responseTokenCount": answer,
            "totalTokenCount": prompt + answer,
        }
        complete = {"serverContent": {"turnComplete": True}, "usageMetadata": usage}
        await self._emit(ws, complete, pause=True)


def _self_signed_certificate() -> tuple[bytes, bytes]:
    """A certificate for 127.0.0.1, valid for a day, and its key (PEM)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    pem_key = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return certificate.public_bytes(serialization.Encoding.PEM), pem_key
