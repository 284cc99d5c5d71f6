"""What the other transports cost a test that uses httpx only.

The plugin patches aiohttp, urllib3, websockets and the MCP SDK too, each only once its
library is imported (``pytest_agentcassette._transport.clients``). Here a test that replays
one streamed httpx turn runs in a fresh process twice over: with every client in the list,
as shipped, and with httpx and httpx2 alone (the list cut down before the first cassette).

- *cold*: the whole first test of a process (imports, first cassette, replay), median of
  fresh processes, the two variants interleaved;
- *steady*: one test (open the cassette, replay the turn, close it), median of 300 in one
  process, after 30 to warm up;
- *imported*: the modules of the other libraries and of their adapters that such a test
  imported (there should be none).
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from pathlib import Path

from benchmarks.session import reply

_PROBE = r"""
import json, sys, time
started = time.perf_counter()
import httpx
from pytest_agentcassette import use_cassette
from pytest_agentcassette._transport import clients

if sys.argv[2] == "httpx only":
    clients.CLIENTS = tuple(c for c in clients.CLIENTS if c.library in ("httpx", "httpx2"))

BODY = {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}], "stream": True}


def one_test(client):
    with use_cassette(sys.argv[1], record_mode="none"):
        with client.stream("POST", "https://api.openai.com/v1/chat/completions", json=BODY) as r:
            for _ in r.iter_lines():
                pass


with httpx.Client() as client:
    one_test(client)
    cold = time.perf_counter() - started
    steady = []
    for n in range(330):
        t = time.perf_counter()
        one_test(client)
        if n >= 30:
            steady.append(time.perf_counter() - t)
others = ("aiohttp", "urllib3", "websockets", "mcp", "requests")
ADAPTERS = ("aiohttp_client", "urllib3_client", "websocket", "mcp.stdio")  # adapters only
imported = sorted(
    m for m in sys.modules
    if m.split(".")[0] in others
    or m.startswith(tuple("pytest_agentcassette._transport." + a for a in ADAPTERS))
)
steady.sort()
print(json.dumps({"cold": cold, "steady": steady[len(steady) // 2], "imported": imported}))
"""


def _cassette(folder: Path) -> Path:
    from pytest_agentcassette._format import save_cassette
    from pytest_agentcassette._model import Body, Interaction, RecordedRequest, RecordedResponse

    body = json.dumps({"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}],
                       "stream": True}, separators=(",", ":")).encode()  # fmt: skip
    stream = reply(0, last=True)
    events = [event + b"\n\n" for event in stream.split(b"\n\n") if event]
    url = "https://api.openai.com/v1/chat/completions"
    headers = [("content-type", "application/json")]
    request = RecordedRequest("POST", url, headers, Body.from_bytes(body))
    response = RecordedResponse(
        200, "OK", [("content-type", "text/event-stream")],
        Body.from_bytes(b"".join(events), [len(e) for e in events]),
    )  # fmt: skip
    path = folder / "transports.yaml"
    save_cassette(path, [Interaction(request, response)])
    return path


def _probe(path: Path, variant: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, str(path), variant],
        capture_output=True, text=True, check=False,
        env={"PYTHONDONTWRITEBYTECODE": "1", "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"the transports probe failed:\n{done.stderr[-3000:]}")
    result: dict[str, object] = json.loads(done.stdout)
    return result


def transport_rows(folder: Path, processes: int = 7) -> list[dict[str, object]]:
    """Cold and steady milliseconds of an httpx-only test, with every client patched as
    shipped and with httpx alone; and what the test imported of the other libraries."""
    path = _cassette(folder)
    runs: dict[str, list[dict[str, object]]] = {"every client": [], "httpx only": []}
    for _ in range(processes):
        for variant, results in runs.items():
            results.append(_probe(path, variant))
    rows = []
    for variant, results in runs.items():
        imported = sorted({m for r in results for m in r["imported"]})  # type: ignore[attr-defined]
        rows.append(
            {
                "clients patched": variant,
                "cold ms": statistics.median(float(r["cold"]) for r in results) * 1000,  # type: ignore[arg-type]
                "steady µs": statistics.median(float(r["steady"]) for r in results) * 1e6,  # type: ignore[arg-type]
                "imported": ", ".join(imported) or "none",
            }
        )
    return rows
