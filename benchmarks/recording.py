"""Recording overhead and replay memory.

- Recording: a client streams one reply (60 events, 1 ms apart, as a provider streams)
  from the loopback server, directly and through the recorder; the time to the first
  event and to the last, median of 15 runs each, interleaved.
- Memory: the peak resident size of a process that replays a whole 10 MB cassette,
  against the same process before the replay: the interpreter, httpx and the requests to
  send loaded, and the code a replay runs imported (a one-interaction cassette replayed
  first), so that the figure is what the cassette itself costs; the target is at most
  twice the cassette's size. The imports' share is shown beside it (fixed, whatever the
  cassette; the cold-start figure of the agent table counts their time).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

from benchmarks.server import serving
from benchmarks.session import reply

PAUSE = 0.001


def _stream(client: httpx.Client, url: str) -> tuple[float, float]:
    started = time.perf_counter()
    first = None
    body = {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}], "stream": True}
    with client.stream("POST", url + "/v1/chat/completions", json=body) as response:
        for line in response.iter_lines():
            if first is None and line.startswith("data: "):
                first = time.perf_counter() - started
    return first or 0.0, time.perf_counter() - started


def recording_rows(folder: Path, runs: int = 15) -> list[dict[str, object]]:
    """Time to the first event and in total, direct and through the recorder (ms)."""
    from pytest_agentcassette import use_cassette

    direct: list[tuple[float, float]] = []
    recorded: list[tuple[float, float]] = []
    with serving([reply(0, last=False)], pause=PAUSE) as url, httpx.Client() as client:
        _stream(client, url)  # warm up the connection
        for run in range(runs):
            direct.append(_stream(client, url))
            with use_cassette(folder / f"recording-{run}.yaml", record_mode="all"):
                recorded.append(_stream(client, url))
    rows = []
    for name, samples in (("direct", direct), ("through the recorder", recorded)):
        rows.append(
            {
                "path": name,
                "first event ms": statistics.median(s[0] for s in samples) * 1000,
                "last event ms": statistics.median(s[1] for s in samples) * 1000,
            }
        )
    return rows


_REPLAY_ALL = """
import marshal, sys, httpx

def status(field):  # kB, from Linux's /proc
    for line in open("/proc/self/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1])

with open(sys.argv[2], "rb") as stream:
    requests = marshal.load(stream)  # the client's own data: (method, url, body) each
interpreter = status("VmRSS")
from pytest_agentcassette import use_cassette
with use_cassette(sys.argv[3]), httpx.Client() as client:  # the code a replay runs, imported
    method, url, content = requests[0]
    client.request(method, url, content=content).read()
with open("/proc/self/clear_refs", "w") as refs:
    refs.write("5")  # the peak starts again from here
baseline = status("VmRSS")
with use_cassette(sys.argv[1]) as cassette, httpx.Client() as client:
    for method, url, content in requests:
        client.request(method, url, content=content).read()
assert len(cassette.played) == len(requests)
print(status("VmHWM"), baseline, interpreter)
"""


def memory_row(cassette: Path) -> dict[str, object]:
    """Peak RSS of a process replaying every interaction of ``cassette`` (MB), and how
    much of it the replay added to a process that already held the requests to send
    (Linux: the peak is reset once the requests are loaded)."""
    import marshal

    from pytest_agentcassette._format import load_cassette, save_cassette

    requests = cassette.with_suffix(".requests")
    interactions = load_cassette(cassette)
    sent = [(i.request.method, i.request.url, i.request.body.content) for i in interactions]
    requests.write_bytes(marshal.dumps(sent))
    first = cassette.with_name("first-interaction.yaml")
    save_cassette(first, interactions[:1])
    done = subprocess.run(
        [sys.executable, "-c", _REPLAY_ALL, str(cassette), str(requests), str(first)],
        capture_output=True,
        text=True,
        check=True,
    )
    peak, before, interpreter = (int(n) * 1024 / 1e6 for n in done.stdout.split())
    size = cassette.stat().st_size / 1e6
    added = peak - before
    return {
        "cassette MB": size,
        "baseline RSS MB": before,
        "peak RSS MB": peak,
        "added by the replay MB": added,
        "added / cassette": f"{added / size:.2f}x",
        "imports MB": before - interpreter,
    }
