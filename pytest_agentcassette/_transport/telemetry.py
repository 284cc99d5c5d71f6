"""What SDKs send and fetch beside the conversation: tracing endpoints and downloads.

A known tracing or telemetry endpoint (:data:`TELEMETRY`) is never recorded: while a
cassette replays it is answered here with an empty success, while one records it is sent
live and left out of the file, and the session's summary names each endpoint once with the
SDK's switch that turns its tracing off. Its ids are random per run, so a recorded export
could never replay. A known download (:data:`DOWNLOADS`) stopped by the network guard
names the cache that keeps it off the network.
"""

from __future__ import annotations

import fnmatch
import functools
import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    import httpx

__all__ = [
    "DOWNLOADS",
    "TELEMETRY",
    "Download",
    "Telemetry",
    "add_tally",
    "answer_telemetry",
    "download_for_host",
    "take_tally",
    "telemetry_for_host",
    "telemetry_lines",
    "telemetry_of",
]


class Telemetry(NamedTuple):
    """A tracing service: its hosts (``fnmatch`` patterns), the paths its exports go to
    (prefixes), and the switch that turns it off.
    """

    service: str
    hosts: tuple[str, ...]
    paths: tuple[str, ...]
    switch: str
    otlp: bool = False  # OpenTelemetry's protobuf exporters: an empty body is the answer


TELEMETRY = (
    Telemetry(
        "OpenAI Agents SDK tracing",
        ("api.openai.com",),
        ("/v1/traces/ingest",),
        "OPENAI_AGENTS_DISABLE_TRACING=1 (or agents.set_tracing_disabled(True))",
    ),
    Telemetry(
        "LangSmith tracing",
        ("api.smith.langchain.com", "*.smith.langchain.com"),
        ("/runs", "/otel/", "/info"),
        "LANGSMITH_TRACING=false (and LANGCHAIN_TRACING_V2=false)",
    ),
    Telemetry(
        "Langfuse tracing",
        ("cloud.langfuse.com", "*.langfuse.com"),
        ("/api/public/ingestion", "/api/public/otel/"),
        "LANGFUSE_TRACING_ENABLED=false",
    ),
    Telemetry(
        "Logfire",
        ("logfire-api.pydantic.dev", "logfire-us.pydantic.dev", "logfire-eu.pydantic.dev"),
        ("/v1/traces", "/v1/logs", "/v1/metrics"),
        "LOGFIRE_SEND_TO_LOGFIRE=false (or logfire.configure(send_to_logfire=False))",
        otlp=True,
    ),
)


class Download(NamedTuple):
    """Files a library downloads on first use, and how to have them without the network."""

    what: str
    hosts: tuple[str, ...]
    advice: str


DOWNLOADS = (
    Download(
        "tiktoken's encoding files",
        ("openaipublic.blob.core.windows.net",),
        "pre-populate tiktoken's cache and point TIKTOKEN_CACHE_DIR (or DATA_GYM_CACHE_DIR) at "
        "it: run tiktoken.get_encoding(...) once with TIKTOKEN_CACHE_DIR set, then commit "
        "that folder or cache it in CI",
    ),
    Download(
        "a Hugging Face Hub model or dataset",
        ("huggingface.co", "*.huggingface.co", "*.hf.co"),
        "download it once into HF_HOME (commit or cache that folder in CI) and run the tests "
        "with HF_HUB_OFFLINE=1",
    ),
)


def _matches(host: str, patterns: Iterable[str]) -> bool:
    host = host.lower().rstrip(".")
    return any(fnmatch.fnmatchcase(host, pattern) for pattern in patterns)


def telemetry_of(url: httpx.URL) -> Telemetry | None:
    """The tracing service ``url`` exports to, if it is a known one (asked of every
    request: the hosts' answers are kept).
    """
    telemetry = _telemetry_at(url.host)
    if telemetry is not None and url.path.startswith(telemetry.paths):
        return telemetry
    return None


@functools.lru_cache(maxsize=256)
def _telemetry_at(host: str) -> Telemetry | None:
    return next((t for t in TELEMETRY if _matches(host, t.hosts)), None)


def telemetry_for_host(host: str) -> Telemetry | None:
    """The tracing service at ``host``, whatever the path (what a socket knows)."""
    return next((t for t in TELEMETRY if _matches(host, t.hosts)), None)


def download_for_host(host: str) -> Download | None:
    """The known download served by ``host``."""
    return next((d for d in DOWNLOADS if _matches(host, d.hosts)), None)


# (service, endpoint, answered locally) -> requests, over the session
_tally: dict[tuple[str, str, bool], int] = {}
_lock = threading.Lock()


def answer_telemetry(
    telemetry: Telemetry, request: httpx.Request, *, recording: bool
) -> httpx.Response | None:
    """Count ``request``; in a replay, the empty success that answers it (``None`` while
    recording: the request is sent live, and not recorded).
    """
    import httpx

    from pytest_agentcassette._transport.replay import ReplayStream

    endpoint = f"{request.url.scheme}://{request.url.host}{request.url.path}"
    key = (telemetry.service, endpoint, not recording)
    with _lock:
        _tally[key] = _tally.get(key, 0) + 1
    if recording:
        return None
    body, kind = (b"", "application/x-protobuf") if telemetry.otlp else (b"{}", "application/json")
    headers = {"content-type": kind, "content-length": str(len(body))}
    return httpx.Response(200, headers=headers, stream=ReplayStream([body] if body else []))


def take_tally() -> list[tuple[str, str, bool, int]]:
    """The session's telemetry requests so far, as plain data; the tally starts over."""
    with _lock:
        taken = [(*key, count) for key, count in _tally.items()]
        _tally.clear()
    return taken


def add_tally(tally: Iterable[Iterable[object]]) -> None:
    """Add what :func:`take_tally` returned elsewhere (a pytest-xdist worker)."""
    with _lock:
        for service, endpoint, local, count in tally:
            key = (str(service), str(endpoint), bool(local))
            _tally[key] = _tally.get(key, 0) + int(str(count))


def _times(count: int) -> str:
    return f"{count} request{'' if count == 1 else 's'}"


def telemetry_lines(tally: list[tuple[str, str, bool, int]]) -> list[str]:
    """The summary's lines for ``tally``: each service once, its endpoints, the switch."""
    lines = []
    for local, title in (
        (True, "telemetry answered locally, never recorded:"),
        (False, "telemetry sent live while recording, not written to the cassette:"),
    ):
        services: dict[str, list[tuple[str, int]]] = {}
        for service, endpoint, is_local, count in tally:
            if is_local is local:
                services.setdefault(service, []).append((endpoint, count))
        if services:
            lines.append(title)
        for service, endpoints in services.items():
            switch = next(t.switch for t in TELEMETRY if t.service == service)
            lines += [f"  {endpoint} ({_times(count)})" for endpoint, count in endpoints]
            lines.append(f"    {service}: turn it off in tests with {switch}")
    return lines
