"""Replay overhead: a pytest run of N tests, each replaying one agent session.

Contenders, all fed the same traffic (:mod:`benchmarks.session`) and run the same way (one
pytest process per contender; the time of a test is its setup, call and teardown as pytest
reports them):

- ``floor``: respx serves the replies from bytes already in memory, nothing is matched;
- ``agentcassette``: this plugin, strict matching (method, URL and normalized body);
- ``vcrpy url``: vcrpy + pytest-recording with its default matching (no body);
- ``vcrpy body``: the same, with ``body`` added to ``match_on``.

Both cassettes are recorded for real, each by its own tool, from the loopback server.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import textwrap
from pathlib import Path

from benchmarks.server import serving
from benchmarks.session import replies

BENCHMARKS = Path(__file__).parent
HOST = "http://llm.bench.test"  # what the cassettes say; nothing listens there

_CONFTEST = """
import json, os, time

import pytest

RESULTS = os.environ["BENCH_RESULTS"]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    started = time.perf_counter()
    yield
    with open(RESULTS, "a") as out:
        out.write(json.dumps([item.name, time.perf_counter() - started]) + "\\n")
"""

_TEST = """
import httpx
{imports}
from benchmarks.session import run_agent

{setup}

@pytest.mark.parametrize("n", range({tests}))
{marker}
def test_session(n):
    {body}
"""

_CONTENDERS: dict[str, dict[str, str | list[str]]] = {
    "floor": {
        "imports": "import pytest\nimport respx\nfrom benchmarks.session import replies",
        "setup": f"REPLIES = replies({{turns}})\nURL = {HOST!r}",
        "marker": "",
        "body": (
            "with respx.mock() as router, httpx.Client() as client:\n"
            "        answers = iter(REPLIES)\n"
            "        router.post(URL + '/v1/chat/completions').mock(\n"
            "            side_effect=lambda request: httpx.Response(\n"
            "                200, content=next(answers),\n"
            "                headers={'content-type': 'text/event-stream'}))\n"
            "        run_agent(client, URL, {turns})"
        ),
        "plugins": ["-p", "no:agentcassette", "-p", "no:recording"],
    },
    "agentcassette": {
        "imports": "import pytest",
        "setup": f"URL = {HOST!r}",
        "marker": '@pytest.mark.cassette("session")',
        "body": "with httpx.Client() as client:\n        run_agent(client, URL, {turns})",
        "plugins": ["-p", "no:recording"],
    },
    "vcrpy url": {
        "imports": "import pytest",
        "setup": f"URL = {HOST!r}",
        "marker": "@pytest.mark.vcr('session.yaml')",
        "body": "with httpx.Client() as client:\n        run_agent(client, URL, {turns})",
        "plugins": ["-p", "no:agentcassette"],
    },
    "vcrpy body": {
        "imports": "import pytest",
        "setup": (
            f"URL = {HOST!r}\n\n"
            "@pytest.fixture(scope='module')\n"
            "def vcr_config():\n"
            "    return {'match_on': ['method', 'scheme', 'host', 'port', 'path', 'query', "
            "'body']}"
        ),
        "marker": "@pytest.mark.vcr('session.yaml')",
        "body": "with httpx.Client() as client:\n        run_agent(client, URL, {turns})",
        "plugins": ["-p", "no:agentcassette"],
    },
}


def record_cassettes(turns: int, folder: Path, *, vcrpy: bool = True) -> dict[str, Path]:
    """Record the session with each tool from the loopback server; URLs then say HOST."""
    import httpx

    from benchmarks.session import run_agent
    from pytest_agentcassette import use_cassette

    made = {"agentcassette": folder / f"agentcassette-{turns}.yaml"}
    with serving(replies(turns)) as url:
        with use_cassette(made["agentcassette"], record_mode="all"), httpx.Client() as c:
            run_agent(c, url, turns)
        if vcrpy:
            import vcr

            made["vcrpy"] = folder / f"vcrpy-{turns}.yaml"
            with vcr.use_cassette(str(made["vcrpy"]), record_mode="all"), httpx.Client() as c:
                run_agent(c, url, turns)
        for path in made.values():
            text = path.read_text().replace(url, HOST).replace(url.split("//")[1], HOST[7:])
            path.write_text(text)
    return made


def _project(
    root: Path, contender: str, turns: int, tests: int, cassettes: dict[str, Path]
) -> Path:
    project = root / contender.replace(" ", "-") / str(turns)
    shutil.rmtree(project, ignore_errors=True)
    project.mkdir(parents=True)
    spec = _CONTENDERS[contender]
    (project / "conftest.py").write_text(_CONFTEST)
    module = project / "test_replay.py"
    module.write_text(
        _TEST.format(
            imports=spec["imports"],
            setup=str(spec["setup"]).replace("{turns}", str(turns)),
            tests=tests,
            marker=spec["marker"],
            body=str(spec["body"]).replace("{turns}", str(turns)),
        )
    )
    if contender == "agentcassette":
        folder = project / "cassettes" / "test_replay"
        folder.mkdir(parents=True)
        shutil.copy(cassettes["agentcassette"], folder / "session.yaml")
    elif contender.startswith("vcrpy"):
        folder = project / "cassettes" / "test_replay"
        folder.mkdir(parents=True)
        shutil.copy(cassettes["vcrpy"], folder / "session.yaml")
    return project


def run_contender(
    root: Path, contender: str, turns: int, tests: int, cassettes: dict[str, Path]
) -> list[float]:
    """Seconds per test (setup + call + teardown) in a fresh pytest process."""
    project = _project(root, contender, turns, tests, cassettes)
    results = project / "results.jsonl"
    env = {**os.environ, "BENCH_RESULTS": str(results), "PYTHONPATH": str(BENCHMARKS.parent)}
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    command += [*_CONTENDERS[contender]["plugins"], "-o", "addopts=", str(project)]
    done = subprocess.run(
        command, cwd=project, env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"{contender} ({turns} turns) failed:\n{done.stdout[-3000:]}")
    times = [json.loads(line)[1] for line in results.read_text().splitlines()]
    return times[1:]  # the first test also pays the imports


def median_ms(times: list[float]) -> float:
    return statistics.median(times) * 1000


def benchmark(
    root: Path, turns_list: tuple[int, ...], tests: int, rounds: int = 5
) -> list[dict[str, object]]:
    """One row per session length: each contender's time per test, in milliseconds.

    The contenders take turns, ``rounds`` times over (the machine's noise then falls on all
    of them alike); a contender's figure is its best round's median test.
    """
    rows = []
    for turns in turns_list:
        cassettes = record_cassettes(turns, root)
        best: dict[str, float] = {}
        for _ in range(rounds):
            for contender in _CONTENDERS:
                ms = median_ms(run_contender(root, contender, turns, tests, cassettes))
                best[contender] = min(ms, best.get(contender, ms))
        row: dict[str, object] = {"turns": turns, **best}
        row["cassette KB"] = cassettes["agentcassette"].stat().st_size // 1000
        row["vcrpy cassette KB"] = cassettes["vcrpy"].stat().st_size // 1000
        rows.append(row)
    return rows


if __name__ == "__main__":
    import tempfile

    tests = int(sys.argv[1]) if len(sys.argv) > 1 else 8
    with tempfile.TemporaryDirectory() as scratch:
        for row in benchmark(Path(scratch), (10, 50), tests=tests):
            print(textwrap.shorten(json.dumps(row), 300))
