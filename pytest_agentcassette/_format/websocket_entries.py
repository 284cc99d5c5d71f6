"""WebSocket entries of a cassette, read and written.

A connection is a run of entries, one per message the code sent, each followed by what the
server sent before the code's next message, in the order it all happened:

.. code-block:: yaml

    - id: 3
      websocket:
        url: wss://api.openai.com/v1/realtime?model=gpt-realtime
        open:                       # the opening handshake: the connection's first entry
          headers: {Authorization: REDACTED}
          response: {status: 101 Switching Protocols, code: 101, headers: {...}}
        receive:                    # what the server sent at once
        - {at: 0.031, text: '{"type":"session.created",...}'}
    - id: 4
      websocket:
        url: wss://api.openai.com/v1/realtime?model=gpt-realtime
        send: '{"type":"session.update",...}'   # a binary message: {base64: ...}
        at: 0.032                   # seconds since the connection opened
        receive:
        - {at: 0.071, text: '{"type":"session.updated",...}'}
        close: {code: 1000, reason: '', by: client}   # where the connection ended

A handshake the server refused keeps its HTTP response (a ``401`` and its body), and no
messages.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any

from pytest_agentcassette._format.entry_parts import (
    check_keys,
    invalid,
    mapping,
    read_headers,
    read_response,
    required,
    stored_headers,
    type_name,
)
from pytest_agentcassette._format.stored_body import stored_form
from pytest_agentcassette._located import Where
from pytest_agentcassette._model import (
    Body,
    Interaction,
    RecordedRequest,
    RecordedResponse,
    WebSocketClose,
    WebSocketFrame,
    WebSocketTurn,
    is_websocket,
    websocket_message_kind,
)

__all__ = ["read_websocket", "websocket_to_stored"]

_FIELDS = ("url", "open", "send", "at", "receive", "close")
_CLOSED_BY = ("client", "server")


def read_websocket(data: Mapping[str, Any], where: Where) -> Interaction:
    """A WebSocket entry: the handshake, or a message the code sent; with what followed."""
    check_keys(data, _FIELDS, where)
    url = required(data, "url", str, where)
    if not is_websocket(url):
        raise invalid(f"'url' must start with ws:// or wss://, got {url!r}", (*where, "url"))
    if ("open" in data) == ("send" in data):
        raise invalid(
            "a websocket entry holds either 'open' (the connection's opening handshake) or "
            "'send' (a message the code sent), and not both",
            where,
        )
    turn = WebSocketTurn(
        opening="open" in data,
        received=_frames(data.get("receive"), (*where, "receive")),
        sent_at=_seconds(data, "at", where),
        close=_close(data.get("close"), (*where, "close")),
    )
    if turn.opening:
        request, response = _handshake(data["open"], url, where)
    else:
        sent = _message(data["send"], (*where, "send"))
        content = sent.encode("utf-8") if isinstance(sent, str) else sent
        request = RecordedRequest(websocket_message_kind(sent), url, [], Body.from_bytes(content))
        response = RecordedResponse(101, "Switching Protocols")
    response.websocket = turn
    return Interaction(request, response)


def _handshake(value: Any, url: str, where: Where) -> tuple[RecordedRequest, RecordedResponse]:
    where = (*where, "open")
    data = mapping(value, where, "'open' ({headers, response})")
    check_keys(data, ("headers", "response"), where)
    request = RecordedRequest("GET", url, read_headers(data.get("headers"), where))
    answer = mapping(required(data, "response", Mapping, where), (*where, "response"), "'response'")
    return request, read_response(answer, (*where, "response"))


def _message(value: Any, where: Where) -> str | bytes:
    """A message as stored: its text, or ``{base64: ...}`` for a binary one."""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping) and set(value) == {"base64"}:
        try:
            return base64.b64decode(str(value["base64"]), validate=False)
        except (binascii.Error, ValueError) as error:
            raise invalid(f"'base64' does not decode: {error}", (*where, "base64")) from None
    raise invalid(
        f"a message is its text, or {{base64: ...}} for a binary one; got {type_name(value)}",
        where,
    )


def _frames(value: Any, where: Where) -> list[WebSocketFrame]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise invalid(f"'receive' must be a list of messages, got {type_name(value)}", where)
    frames = []
    for position, item in enumerate(value):
        at = (*where, position)
        frame = mapping(item, at, "a received message ({at, text} or {at, base64})")
        check_keys(frame, ("at", "text", "base64"), at)
        if ("text" in frame) == ("base64" in frame):
            raise invalid("a received message holds either 'text' or 'base64'", at)
        stored = {"base64": frame["base64"]} if "base64" in frame else frame["text"]
        frames.append(WebSocketFrame(_message(stored, at), _seconds(frame, "at", at)))
    return frames


def _seconds(data: Mapping[str, Any], key: str, where: Where) -> float | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
        raise invalid(
            f"{key!r} must be seconds since the connection opened, got {value!r}",
            (*where, key),
        )
    return float(value)


def _close(value: Any, where: Where) -> WebSocketClose | None:
    if value is None:
        return None
    data = mapping(value, where, "'close' ({code, reason, by})")
    check_keys(data, ("code", "reason", "by"), where)
    code = data.get("code")
    if code is not None and (not isinstance(code, int) or isinstance(code, bool)):
        raise invalid(f"'code' must be a close code (1000...), got {code!r}", (*where, "code"))
    reason = data.get("reason") or ""
    by = data.get("by", "client")
    if not isinstance(reason, str):
        raise invalid(f"'reason' must be a string, got {type_name(reason)}", (*where, "reason"))
    if by not in _CLOSED_BY:
        raise invalid(f"'by' must be client or server, got {by!r}", (*where, "by"))
    return WebSocketClose(code, reason, by)


def _message_form(data: str | bytes) -> Any:
    if isinstance(data, bytes):
        return {"base64": base64.b64encode(data).decode("ascii")}
    return data


def _frame_form(frame: WebSocketFrame) -> dict[str, Any]:
    stored: dict[str, Any] = {} if frame.at is None else {"at": round(frame.at, 3)}
    if isinstance(frame.data, bytes):
        stored["base64"] = base64.b64encode(frame.data).decode("ascii")
    else:
        stored["text"] = frame.data
    return stored


def _response_form(response: RecordedResponse) -> dict[str, Any]:
    status = f"{response.status_code} {response.reason}".rstrip()
    stored: dict[str, Any] = {"status": status, "code": response.status_code}
    stored["headers"] = stored_headers(response.headers)
    if response.body.content:
        stored["body"] = stored_form(response.body)
    return stored


def websocket_to_stored(index: int, interaction: Interaction) -> dict[str, Any]:
    """The entry of a WebSocket interaction (see the module's example)."""
    request, response = interaction.request, interaction.response
    turn = response.websocket or WebSocketTurn(opening=request.method == "GET")
    stored: dict[str, Any] = {"url": request.url}
    if turn.opening:
        stored["open"] = {"headers": stored_headers(request.headers)}
        stored["open"]["response"] = _response_form(response)
    else:
        content = request.body.content
        sent: str | bytes = content if request.method == "(binary)" else content.decode()
        stored["send"] = _message_form(sent)
        if turn.sent_at is not None:
            stored["at"] = round(turn.sent_at, 3)
    if turn.received:
        stored["receive"] = [_frame_form(frame) for frame in turn.received]
    if turn.close is not None:
        close = turn.close
        stored["close"] = {"code": close.code, "reason": close.reason, "by": close.by}
    return {"id": index, "websocket": stored}
