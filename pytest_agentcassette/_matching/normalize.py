"""What a request body is compared as: volatile parts replaced, the rest kept.

Applied identically to the recorded and the live request, never to what is stored:

0. with ``null_is_absent``, keys whose value is ``null`` are removed (a client that sends
   ``"previous_response_id": null`` matches one that leaves the key out);
1. fields named by ``ignore_json_pointers`` are removed (``*`` matches any key or index);
2. ``normalize_text`` regexes rewrite every string (a date injected into a system prompt);
3. tool-call IDs become ``<tool-call-N>``, numbered by first appearance in the body, so a
   conversation that differs only in the IDs a provider minted still matches:

   - values of ``tool_call_id``, ``tool_use_id`` and ``call_id`` (tool results, Responses
     items), anywhere;
   - the ``id`` of a tool call: an item of a ``tool_calls`` list (OpenAI, Mistral, xAI), a
     block or item whose ``type`` is a call (Anthropic ``tool_use``, Responses
     ``function_call``...), a Gemini ``functionCall`` / ``functionResponse``;
   - the ``id`` of the other output items a Responses client sends back (``rs_``,
     ``msg_``), and ``previous_response_id``, as ``<response-item-N>`` / ``<response-N>``;
   - a known ID (``call_…``, ``toolu_…``, ``fc_…``) quoted inside other text;

4. opaque per-run tokens (Anthropic thinking ``signature``, Gemini ``thoughtSignature``,
   OpenAI ``encrypted_content``) become ``<opaque>``;
5. in a JSON-RPC message (MCP, over HTTP or stdio), the ``id`` the client chose becomes
   ``<jsonrpc-id>``, a progress token ``<progress-token>``, and the version fields of
   ``initialize`` (``protocolVersion``, ``clientInfo.version``, and the same two in the
   ``_meta`` that newer clients send with every request) ``<version>``, so that an SDK
   upgrade or another request order does not break a replay; a tool's ``arguments`` are
   the user's data and stay as they are;
6. a realtime API's client event over a WebSocket (a message with a ``type``) loses the
   ``event_id`` the client minted for it.

Names, arguments, message text, roles and order are untouched: a conversation whose tool
calls or messages changed does not match.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, NamedTuple

__all__ = ["BodyNormalizer", "TextNormalizer", "parse_pointer"]

_ID_FIELDS = frozenset({"tool_call_id", "tool_use_id", "call_id", "approval_request_id"})
_CALL_TYPES = frozenset(
    {
        "function",
        "tool_use",
        "server_tool_use",
        "function_call",
        "custom_tool_call",
        "mcp_call",
        "web_search_call",
        "file_search_call",
        "computer_call",
        "code_interpreter_call",
        "local_shell_call",
    }
)
_ITEM_TYPES = frozenset(
    {
        "reasoning",
        "message",
        "item_reference",
        "image_generation_call",
        "mcp_list_tools",
        "mcp_approval_request",
        "mcp_approval_response",
    }
)
_GEMINI_CALLS = frozenset(
    {"functionCall", "functionResponse", "function_call", "function_response"}
)
_OPAQUE_FIELDS = frozenset(
    {"signature", "thoughtSignature", "thought_signature", "encrypted_content", "encrypted_index"}
)
# Values that are the user's data, never rewritten: tool arguments and results, schemas.
_DATA_IN_CALLS = frozenset({"input", "arguments"})
_DATA_IN_GEMINI = frozenset({"args", "response"})
_DATA_ANYWHERE = frozenset({"parameters", "input_schema"})
# IDs quoted in free text: OpenAI's call_ + 24 (with a digit), cagent's call_<uuid>,
# Anthropic's toolu_01…, Responses' fc_…. Tool *names* (call_weather_api, call_getWeather)
# do not have these shapes.
_KNOWN_ID = re.compile(
    r"\b(?:call_(?=[A-Za-z]*[0-9])[A-Za-z0-9]{24}"
    r"|call_[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}"
    r"|toolu_0[0-9][A-Za-z0-9]{20,}|fc_[0-9a-f]{32,})\b"
)
_ID_HINTS = ("call_", "toolu_", "fc_")
_PLACEHOLDER = re.compile(r"<(tool-call|response-item|response)-([0-9]{1,9})>")

TextNormalizer = tuple["re.Pattern[str]", str]


def parse_pointer(pointer: str) -> tuple[str, ...]:
    """Split a JSON pointer (RFC 6901) into its tokens; raises ``ValueError`` if malformed."""
    if pointer == "":
        return ()
    if not pointer.startswith("/"):
        raise ValueError(f"JSON pointer {pointer!r} must start with '/', e.g. '/metadata/user_id'")
    return tuple(t.replace("~1", "/").replace("~0", "~") for t in pointer[1:].split("/"))


def _remove(value: Any, tokens: tuple[str, ...]) -> Any:
    """A copy of ``value`` without what ``tokens`` points at (``*`` is any key or index)."""
    if not tokens:
        return value
    head, rest = tokens[0], tokens[1:]
    if isinstance(value, dict):
        kept: dict[str, Any] = {}
        for key, item in value.items():
            selected = head in ("*", key)
            if selected and not rest:
                continue
            kept[key] = _remove(item, rest) if selected else item
        return kept
    if isinstance(value, list):
        items = []
        for index, item in enumerate(value):
            selected = head in ("*", str(index))
            if selected and not rest:
                continue
            items.append(_remove(item, rest) if selected else item)
        return items
    return value


class _Numbering:
    """Placeholders numbered by first appearance, one series per kind."""

    __slots__ = ("counts", "seen")

    def __init__(self) -> None:
        self.seen: dict[str, str] = {}
        self.counts: dict[str, int] = {}

    def __call__(self, kind: str, value: str) -> str:
        if value not in self.seen:
            placeholder = _PLACEHOLDER.fullmatch(value)
            if placeholder is not None:  # normalized already: kept, so a second pass is a no-op
                number = int(placeholder[2])
                self.counts[placeholder[1]] = max(self.counts.get(placeholder[1], 0), number)
                self.seen[value] = value
            else:
                self.counts[kind] = self.counts.get(kind, 0) + 1
                self.seen[value] = f"<{kind}-{self.counts[kind]}>"
        return self.seen[value]


def _kind(node: dict[str, Any]) -> str:
    kind = node.get("type")  # a JSON schema's "type" may be a list
    return kind if isinstance(kind, str) else ""


def _is_call(node: dict[str, Any], parent: str) -> bool:
    return parent == "tool_calls" or _kind(node) in _CALL_TYPES or parent in _GEMINI_CALLS


def _is_data(node: dict[str, Any], key: str, parent: str, call: bool) -> bool:
    return (
        key in _DATA_ANYWHERE
        or (parent == "params" and key == "arguments")  # an MCP tools/call
        or ((call or parent in ("function", "custom")) and key in _DATA_IN_CALLS)
        or (parent in _GEMINI_CALLS and key in _DATA_IN_GEMINI)
    )


def _ids(value: Any, number: _Numbering, parent: str = "") -> Any:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        call = _is_call(value, parent)
        for key in sorted(value):
            item = value[key]
            if _is_data(value, key, parent, call):
                out[key] = item
                continue
            if key == "data" and _kind(value) == "redacted_thinking":
                out[key] = "<opaque>"
                continue
            if isinstance(item, str) and item:
                if key in _ID_FIELDS or (key == "id" and call):
                    out[key] = number("tool-call", item)
                    continue
                if key == "id" and _kind(value) in _ITEM_TYPES:
                    out[key] = number("response-item", item)
                    continue
                if key == "previous_response_id":
                    out[key] = number("response", item)
                    continue
                if key in _OPAQUE_FIELDS:
                    out[key] = "<opaque>"
                    continue
            out[key] = _ids(item, number, key)
        return out
    if isinstance(value, list):
        return [_ids(item, number, parent) for item in value]
    if isinstance(value, str) and any(hint in value for hint in _ID_HINTS):
        return _KNOWN_ID.sub(lambda m: number("tool-call", m.group(0)), value)
    return value


def _meta(meta: dict[str, Any]) -> dict[str, Any]:
    """A request's ``_meta`` without what changes with the run or the SDK's version: the
    progress token, and the protocol version and client version that newer clients send
    with every request (``io.modelcontextprotocol/protocolVersion``, ``…/clientInfo``).
    """
    meta = dict(meta)
    if "progressToken" in meta:
        meta["progressToken"] = "<progress-token>"
    for key, value in meta.items():
        if key.endswith("/protocolVersion"):
            meta[key] = "<version>"
        elif key.endswith("/clientInfo") and isinstance(value, dict) and "version" in value:
            meta[key] = {**value, "version": "<version>"}
    return meta


def _jsonrpc(value: Any) -> Any:
    """A JSON-RPC message (or batch) with what the client mints per run replaced."""
    if isinstance(value, list):
        return [_jsonrpc(item) for item in value]
    if not (isinstance(value, dict) and "jsonrpc" in value):
        return value
    message = dict(value)
    if "id" in message and "method" in message:
        message["id"] = "<jsonrpc-id>"
    params = message.get("params")
    if isinstance(params, dict):
        params = dict(params)
        meta = params.get("_meta")
        if isinstance(meta, dict):
            params["_meta"] = _meta(meta)
        if message.get("method") == "notifications/cancelled" and "requestId" in params:
            params["requestId"] = "<jsonrpc-id>"
        if message.get("method") == "initialize":
            if "protocolVersion" in params:
                params["protocolVersion"] = "<version>"
            client = params.get("clientInfo")
            if isinstance(client, dict) and "version" in client:
                params["clientInfo"] = {**client, "version": "<version>"}
        message["params"] = params
    return message


def _without_nulls(value: Any) -> Any:
    """``value`` without the keys whose value is ``null``, at every depth (``null``s in a
    list stay: they hold a place).
    """
    if isinstance(value, dict):
        return {key: _without_nulls(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [_without_nulls(item) for item in value]
    return value


def _client_event(value: Any) -> Any:
    """A realtime API's client event (a WebSocket message with a ``type``) without the
    ``event_id`` the client minted for it.
    """
    if isinstance(value, dict) and isinstance(value.get("type"), str) and "event_id" in value:
        return {key: item for key, item in value.items() if key != "event_id"}
    return value


def _texts(value: Any, rewrite: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return rewrite(value)
    if isinstance(value, dict):
        return {key: _texts(item, rewrite) for key, item in value.items()}
    if isinstance(value, list):
        return [_texts(item, rewrite) for item in value]
    return value


class BodyNormalizer(NamedTuple):
    """Turns a JSON body (or text) into the form requests are compared in."""

    ignore_json_pointers: tuple[tuple[str, ...], ...] = ()
    normalize_text: tuple[TextNormalizer, ...] = ()
    null_is_absent: bool = False

    def _rewrite(self, text: str) -> str:
        for pattern, replacement in self.normalize_text:
            text = pattern.sub(replacement, text)
        return text

    def json(self, value: Any) -> Any:
        """The comparable form of a parsed JSON body."""
        if self.null_is_absent:
            value = _without_nulls(value)
        for tokens in self.ignore_json_pointers:
            value = _remove(value, tokens)
        if self.normalize_text:
            value = _texts(value, self._rewrite)
        return _ids(_jsonrpc(_client_event(value)), _Numbering())

    def text(self, text: str) -> str:
        """The comparable form of a body that is not JSON."""
        return self._rewrite(text) if self.normalize_text else text
