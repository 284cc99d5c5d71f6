"""What every provider shares: the streaming model call, the HTTP exchange with bounded
retries, the provider's own error messages, and server-sent events.

A provider's ``stream()`` yields :class:`TextDelta` as text arrives and ends with one
:class:`ModelTurn`: the whole answer, its tool calls (argument fragments reassembled), why
it stopped and the usage counted.
"""

from __future__ import annotations

import email.utils
import json
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from agentcore.config.model import ModelConfig, StructuredOutput
from agentcore.errors import MissingAPIKeyError, ProviderError
from agentcore.messages import Message, ToolCall, ToolDefinition, Usage

__all__ = [
    "AGENT_HEADER",
    "HttpExchange",
    "ModelTurn",
    "Provider",
    "Sleep",
    "TextDelta",
    "iter_sse",
    "provider_message",
]

Sleep = Callable[[float], None]


@dataclass(frozen=True)
class TextDelta:
    """A piece of the model's text, as it streams."""

    text: str


@dataclass
class ModelTurn:
    """One complete model answer."""

    text: str = ""
    tool_calls: list[ToolCall] = field(default_factory=list)
    finish_reason: str = ""
    """``stop``, ``length``, ``tool_calls``, or the provider's own word."""
    usage: Usage | None = None


def iter_sse(lines: Iterator[str]) -> Iterator[tuple[str, str]]:
    """``(event, data)`` for each server-sent event; several ``data:`` lines are joined."""
    event, data = "", list[str]()
    for line in lines:
        if not line:
            if data:
                yield event, "\n".join(data)
            event, data = "", []
            continue
        name, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if name == "event":
            event = value
        elif name == "data":
            data.append(value)
    if data:
        yield event, "\n".join(data)


def provider_message(body: bytes) -> str:
    """The provider's own error message from an error body, whatever its shape."""
    text = body.decode("utf-8", errors="replace").strip()
    try:
        document = json.loads(text)
    except ValueError:
        return text[:500] or "(empty response)"
    if isinstance(document, list) and document:
        document = document[0]  # Gemini wraps errors in a list when streaming
    if isinstance(document, dict):
        error = document.get("error", document)
        if isinstance(error, dict):
            for key in ("message", "detail", "msg"):
                if isinstance(error.get(key), str):
                    return str(error[key])
        if isinstance(error, str):
            return error
        if isinstance(document.get("message"), str):
            return str(document["message"])
        if isinstance(document.get("detail"), str):
            return str(document["detail"])
    return text[:500]


def _retry_after(response: httpx.Response) -> float | None:
    milliseconds = response.headers.get("retry-after-ms")
    if milliseconds:
        try:
            return max(0.0, float(milliseconds) / 1000)
        except ValueError:
            pass
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None  # not a date either: fall back to the usual backoff
    return max(0.0, when.timestamp() - time.time())


AGENT_HEADER = "x-agentcore-agent"
"""Names the agent that sends a request (the plugin's transcripts read it)."""


class HttpExchange:
    """POSTs a JSON body and hands back a streaming 2xx response, or raises.

    429 and 5xx answers are retried ``max_retries`` times, waiting what ``Retry-After``
    (or ``retry-after-ms``) says, else 1 s, 2 s, 4 s... capped at ``max_wait``; waiting goes
    through ``sleep``, so tests inject one that does not sleep.
    """

    def __init__(
        self,
        client: httpx.Client,
        *,
        sleep: Sleep = time.sleep,
        max_retries: int = 2,
        max_wait: float = 30.0,
    ):
        self.client = client
        self.sleep = sleep
        self.max_retries = max_retries
        self.max_wait = max_wait

    def stream(
        self,
        provider: str,
        url: str,
        body: Mapping[str, Any],
        headers: Mapping[str, str],
        *,
        missing_key: str | None = None,
    ) -> httpx.Response:
        """The open response (close it when done); raises for an error answer."""
        content = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        all_headers = {"content-type": "application/json", **headers}
        for attempt in range(self.max_retries + 1):
            request = self.client.build_request("POST", url, content=content, headers=all_headers)
            try:
                response = self.client.send(request, stream=True)
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.ReadTimeout) as error:
                if attempt < self.max_retries:
                    self.sleep(min(self.max_wait, 2.0**attempt))
                    continue
                raise ProviderError(provider, 0, f"cannot reach {url}: {error}", url=url) from error
            except httpx.HTTPError as error:
                raise ProviderError(
                    provider, 0, f"request to {url} failed: {error}", url=url
                ) from error
            if response.status_code < 400:
                return response
            error_body = response.read()
            response.close()
            status = response.status_code
            retryable = status in (408, 409, 429) or status >= 500
            if retryable and attempt < self.max_retries:
                wait = _retry_after(response)
                self.sleep(min(self.max_wait, wait if wait is not None else 2.0**attempt))
                continue
            if missing_key and status in (401, 403):
                raise MissingAPIKeyError(provider, missing_key, status)
            raise ProviderError(provider, status, provider_message(error_body), url=url)
        raise AssertionError("unreachable")  # pragma: no cover


def api_key(
    model: ModelConfig, variables: tuple[str, ...], env: Mapping[str, str]
) -> tuple[str, str | None]:
    """``(key, missing variable)``: the key from ``token_key`` or the provider's variables."""
    names = (model.token_key,) if model.token_key else variables
    for name in names:
        if env.get(name):
            return env[name], None
    return "", names[0] if names else None


class Provider(ABC):
    """A model behind an HTTP API; subclasses speak one wire format. ``thinking``: whether
    the session reasons (see :mod:`agentcore.providers.thinking`).
    """

    thinking: bool = False
    structured_output: StructuredOutput | None = None
    """The agent's ``structured_output``: the response format each request asks for."""

    def __init__(
        self,
        model: ModelConfig,
        *,
        base_url: str,
        key: str,
        missing_key: str | None,
        http: HttpExchange,
        name: str,
    ):
        self.model = model
        self.base_url = base_url.rstrip("/")
        self.key = key
        self.missing_key = missing_key
        self.http = http
        self.name = name

    @abstractmethod
    def request(
        self, messages: list[Message], tools: list[ToolDefinition]
    ) -> tuple[str, dict[str, Any], dict[str, str]]:
        """``(url, body, headers)`` of the streaming call for this conversation."""

    @abstractmethod
    def read(self, response: httpx.Response) -> Iterator[TextDelta | ModelTurn]:
        """Parse the streamed answer: text deltas, then one :class:`ModelTurn`."""

    def stream(
        self, messages: list[Message], tools: list[ToolDefinition], *, agent: str | None = None
    ) -> Iterator[TextDelta | ModelTurn]:
        """Call the model and stream its answer; ``agent`` (the one asking) is named in the
        request's ``x-agentcore-agent`` header, so that a recording says which agent spoke.
        """
        url, body, headers = self.request(messages, tools)
        if agent is not None:
            headers = {**headers, AGENT_HEADER: agent}
        response = self.http.stream(self.name, url, body, headers, missing_key=self.missing_key)
        try:
            yield from self.read(response)
        except httpx.HTTPError as error:
            raise ProviderError(self.name, 0, f"the answer broke off: {error}", url=url) from error
        except ValueError as error:  # a data line that is not JSON
            problem = f"unreadable answer: {_not_json(error)}"
            raise ProviderError(self.name, 0, problem, url=url) from error
        except (AttributeError, TypeError, LookupError, ArithmeticError) as error:
            # JSON, but not in the provider's shapes (a list, a string, a number out of range)
            raise ProviderError(
                self.name,
                0,
                f"unreadable answer from {url}: an event is not in {self.name}'s format "
                f"({type(error).__name__}: {error}). Check that the model's base_url points "
                f"at a {self.name}-compatible API.",
                url=url,
            ) from error
        finally:
            response.close()

    def unfinished(self) -> ProviderError:
        """The error for a stream that ended before the model finished its answer."""
        return ProviderError(
            self.name, 0, "the answer ended before the model finished (the stream was cut)"
        )


def _not_json(error: ValueError) -> str:
    """What was wrong with the answer, in agentcore's words (CPython's wording of a JSON
    error changes between versions).
    """
    if not isinstance(error, json.JSONDecodeError):
        return str(error)
    near = error.doc[max(0, error.pos - 12) : error.pos + 12]
    return f"not JSON at line {error.lineno}, column {error.colno}, near {near!r}"
