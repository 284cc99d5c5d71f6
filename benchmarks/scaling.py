"""Scaling: what opening a cassette costs against its size, and what matching one request
costs against the number of interactions.

- Load: cassettes of 100 KB to 10 MB (independent 10-turn agent sessions, one after the
  other), opened as a replay opens them (read, check, index), against a bare
  ``yaml.load`` of the same bytes by libyaml.
- Match: cassettes of 10 to 2,000 interactions with distinct requests; the time per request
  to find and take its interaction, in recorded order and in a shuffled order.
"""

from __future__ import annotations

import functools
import random
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import yaml

from benchmarks.session import SYSTEM, TOOLS, reply, tool_result
from pytest_agentcassette import Body, Cassette, Interaction, RecordedRequest, RecordedResponse
from pytest_agentcassette._format import load_cassette, save_cassette
from pytest_agentcassette._matching import MatchConfig, MatchIndex

URL = "https://llm.bench.test/v1/chat/completions"
SIZES_KB = (100, 300, 1000, 3000, 10000)
COUNTS = (10, 100, 500, 2000)


def _request(body: bytes) -> RecordedRequest:
    headers = [("content-type", "application/json"), ("content-length", str(len(body)))]
    return RecordedRequest("POST", URL, headers, Body.from_bytes(body))


def _response(turn: int, last: bool) -> RecordedResponse:
    stream = reply(turn, last)
    events = [len(event) + 2 for event in stream.split(b"\n\n")[:-1]]
    headers = [("content-type", "text/event-stream")]
    return RecordedResponse(200, "OK", headers, Body.from_bytes(stream, events))


def session_interactions(session: int, turns: int = 10) -> list[Interaction]:
    """One agent session of ``turns`` turns, its history growing."""
    import json

    messages = [
        {"role": "system", "content": f"Session {session}. {SYSTEM}"},
        {"role": "user", "content": f"Task {session}: find why the handler fails."},
    ]
    interactions = []
    for turn in range(turns):
        body = {"model": "gpt-4o", "messages": list(messages), "tools": TOOLS, "stream": True}
        raw = json.dumps(body, separators=(",", ":")).encode()
        interactions.append(Interaction(_request(raw), _response(turn, turn == turns - 1)))
        messages += [
            {"role": "assistant", "content": f"Reading module {turn}."},
            {
                "role": "tool",
                "tool_call_id": f"call_{session}_{turn}",
                "content": tool_result(turn),
            },
        ]
    return interactions


def cassette_of_size(folder: Path, kilobytes: int) -> Path:
    """A cassette of about ``kilobytes`` KB: 10-turn sessions until it is that large."""
    path = folder / f"size-{kilobytes}.yaml"
    one = folder / "one-session.yaml"
    save_cassette(one, session_interactions(0))
    sessions = max(1, round(kilobytes * 1000 / one.stat().st_size))
    interactions = [i for s in range(sessions) for i in session_interactions(s)]
    save_cassette(path, interactions)
    return path


def _best(run: Callable[[], object], repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return min(times)


def open_cassette(path: Path) -> None:
    """Everything a replay does before the first request: read, check, link, index."""
    interactions = load_cassette(path)
    MatchIndex(interactions, MatchConfig())


def load_rows(folder: Path, sizes_kb: tuple[int, ...] = SIZES_KB) -> list[dict[str, object]]:
    """For each size: the cassette's open time and a bare libyaml load, in milliseconds."""
    rows: list[dict[str, object]] = []
    for kilobytes in sizes_kb:
        path = cassette_of_size(folder, kilobytes)
        raw = path.read_bytes()
        bare = _best(functools.partial(yaml.load, raw, Loader=yaml.CSafeLoader))
        ours = _best(functools.partial(open_cassette, path))
        rows.append(
            {
                "size KB": len(raw) // 1000,
                "open ms": ours * 1000,
                "libyaml ms": bare * 1000,
                "ratio": ours / bare,
                "ms per MB": ours * 1000 / (len(raw) / 1e6),
            }
        )
    return rows


def _distinct_interactions(count: int) -> list[Interaction]:
    interactions = []
    for n in range(count):
        body = (
            b'{"model":"gpt-4o","messages":[{"role":"user","content":"question %d about the '
            b'parser and its handler"}],"stream":false}' % n
        )
        answer = b'{"id":"chatcmpl-%d","choices":[{"message":{"content":"answer %d"}}]}' % (n, n)
        response = RecordedResponse(200, "OK", [], Body.from_bytes(answer))
        interactions.append(Interaction(_request(body), response))
    return interactions


def _per_request(folder: Path, count: int, shuffled: bool) -> float:
    path = folder / f"count-{count}.yaml"
    if not path.exists():
        save_cassette(path, _distinct_interactions(count))
    requests = [
        httpx.Request(
            "POST",
            URL,
            headers={"content-type": "application/json"},
            content=i.request.body.content,
        )
        for i in load_cassette(path)
    ]
    if shuffled:
        random.Random(count).shuffle(requests)
    samples = []
    for _ in range(3):
        cassette = Cassette(path)
        with cassette:
            started = time.perf_counter()
            for request in requests:
                cassette._answer_http(request)
            samples.append((time.perf_counter() - started) / count)
    return statistics.median(samples)


def match_rows(folder: Path, counts: tuple[int, ...] = COUNTS) -> list[dict[str, object]]:
    """Microseconds per request against the number of interactions."""
    return [
        {
            "interactions": count,
            "in order µs": _per_request(folder, count, shuffled=False) * 1e6,
            "shuffled µs": _per_request(folder, count, shuffled=True) * 1e6,
        }
        for count in counts
    ]
