"""The shared-client agent and a suite of short tests, for every contender.

A test module holds one SDK client for the whole process; here that is one module-level
``httpx.Client`` that every test uses. Two tables:

- *agent*: the 50-turn session (:mod:`benchmarks.session`) in each of 4 tests of a fresh
  pytest process run with ``PYTHONDONTWRITEBYTECODE=1``; *cold* is the first test (it pays
  the tool's first cassette and lazy imports), *steady* the median of tests 2-4; best of
  5 runs;
- *suite*: 200 tests of 2 streamed turns each, the whole ``python -m pytest -q -p
  no:cacheprovider`` process timed as a user runs it; best of 7 runs.

Contenders: *floor* (respx serves the same bytes from memory, a fresh mock per test), this
plugin, cassetter and vcrpy + pytest-recording, all matching method, URL and body. Every
contender but vcrpy runs in cassetter's virtual env (:mod:`benchmarks.cassetter_venv`), so
that each pays the same start-up; vcrpy, and the others when that env cannot be made, in
this project's. Each test has its own cassette file (a copy of the one its tool recorded).
"""

from __future__ import annotations

import compileall
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path

from benchmarks.replay import _CONFTEST, BENCHMARKS, HOST, record_cassettes

_MODULE = """
import httpx
import pytest
{imports}
from benchmarks.session import PATH, replies, run_agent

URL = {host!r}
TURNS = {turns}
CLIENT = httpx.Client()  # one per process, as a test module holds an SDK client
{setup}


@pytest.mark.parametrize("n", [pytest.param(n, marks={marks}) for n in range({tests})])
def test_agent(n):
{body}
"""

_FLOOR_BODY = """    answers = iter(REPLIES)
    with respx.mock() as router:
        router.post(URL + PATH).mock(side_effect=lambda request: httpx.Response(
            200, content=next(answers), headers={'content-type': 'text/event-stream'}))
        run_agent(CLIENT, URL, TURNS)"""

_CHUNKED_SETUP = """
class Chunks(httpx.SyncByteStream):
    def __init__(self, chunks):
        self.chunks = chunks

    def __iter__(self):
        yield from self.chunks


CHUNKS = [[event + b"\\n\\n" for event in r.split(b"\\n\\n")[:-1]] for r in replies(TURNS)]"""

_CHUNKED_BODY = """    answers = iter(CHUNKS)
    with respx.mock() as router:
        router.post(URL + PATH).mock(side_effect=lambda request: httpx.Response(
            200, stream=Chunks(next(answers)), headers={'content-type': 'text/event-stream'}))
        run_agent(CLIENT, URL, TURNS)"""

_VCR_CONFIG = """
@pytest.fixture(scope="module")
def vcr_config():
    return {config!r}
"""


@dataclass(frozen=True)
class Contender:
    imports: str
    setup: str
    marks: str
    plugins: tuple[str, ...]
    cassette: str | None  # which tool's recording it replays
    body: str = "    run_agent(CLIENT, URL, TURNS)"
    # In cassetter's environment (shared by every contender but vcrpy), where this plugin
    # is no installed distribution: what loads this plugin there, or leaves cassetter out.
    shared_env_plugins: tuple[str, ...] = ("-p", "no:cassetter")


# The project's own test tools register pytest plugins that a user's environment (and
# cassetter's, made fresh with pytest, respx and httpx) does not have; hypothesis's alone
# imports hypothesis at the end of every run. Every contender that runs in this project's
# environment leaves them out, so that each pays for its own plugin only.
_NOT_A_USERS = (
    *("-p", "no:hypothesispytest", "-p", "no:xdist", "-p", "no:xdist.looponfail"),
    *("-p", "no:platformdirs"),
)

CONTENDERS = {
    "floor": Contender(
        "import respx",
        "REPLIES = replies(TURNS)",
        "()",
        ("-p", "no:agentcassette", "-p", "no:recording", *_NOT_A_USERS),
        None,
        _FLOOR_BODY,
    ),
    # Shown, not judged: the floor with each SSE event its own chunk, as the recording
    # server sent them and as this plugin replays them (the client reads each).
    "floor, event chunks": Contender(
        "import respx",
        _CHUNKED_SETUP,
        "()",
        ("-p", "no:agentcassette", "-p", "no:recording", *_NOT_A_USERS),
        None,
        _CHUNKED_BODY,
    ),
    "agentcassette": Contender(
        "",
        "",
        'pytest.mark.cassette(f"s{n}")',
        ("-p", "no:recording", *_NOT_A_USERS),
        "agentcassette",
        shared_env_plugins=("-p", "no:cassetter", "-p", "pytest_agentcassette.plugin"),
    ),
    "cassetter": Contender(
        "",
        _VCR_CONFIG.format(config={"match_on": ["method", "uri", "body"], "record_mode": "none"}),
        'pytest.mark.vcr(f"s{n}.yaml")',
        (),
        "cassetter",
        shared_env_plugins=(),
    ),
    "vcrpy": Contender(
        "",
        _VCR_CONFIG.format(
            config={"match_on": ["method", "scheme", "host", "port", "path", "query", "body"]}
        ),
        'pytest.mark.vcr(f"s{n}.yaml")',
        ("-p", "no:agentcassette", *_NOT_A_USERS),
        "vcrpy",
    ),
}

_RECORD_CASSETTER = """
import sys, httpx
from cassetter import use_cassette
from benchmarks.server import serving
from benchmarks.session import replies, run_agent

path, turns = sys.argv[1], int(sys.argv[2])
with serving(replies(turns)) as url:
    with use_cassette(path, record_mode="all", match_on=["method", "uri", "body"]):
        with httpx.Client() as client:
            run_agent(client, url, turns)
print(url)
"""


def compile_plugin() -> None:
    """Write the bytecode of this project's packages, as ``pip install`` does when it
    installs them (an editable install leaves that to the first import, which
    ``PYTHONDONTWRITEBYTECODE=1`` forbids): each contender then loads its code as a user's
    installation would.
    """
    for package in ("pytest_agentcassette", "agentcore"):
        compileall.compile_dir(BENCHMARKS.parent / package, quiet=1)


def _env(**extra: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(BENCHMARKS.parent), **extra}


def record_cassetter(turns: int, folder: Path, python: Path) -> Path:
    """Record the session with cassetter (in its env); its URLs then say HOST."""
    path = folder / f"cassetter-{turns}.yaml"
    done = subprocess.run(
        [str(python), "-c", _RECORD_CASSETTER, str(path), str(turns)],
        capture_output=True,
        text=True,
        check=True,
        env=_env(),
    )
    url = done.stdout.strip().splitlines()[-1]
    text = path.read_text().replace(url, HOST).replace(url.split("//")[1], HOST[7:])
    path.write_text(text)
    return path


def record_all(turns: int, folder: Path, cassetter: Path | None) -> dict[str, Path]:
    """Each tool's recording of a ``turns``-turn session (vcrpy only when installed)."""
    made = record_cassettes(turns, folder, vcrpy=find_spec("vcr") is not None)
    if cassetter is not None:
        made["cassetter"] = record_cassetter(turns, folder, cassetter)
    return made


def write_project(
    root: Path, name: str, turns: int, tests: int, cassettes: dict[str, Path]
) -> Path:
    """A pytest project of ``tests`` tests, each replaying ``turns`` turns with ``name``."""
    spec = CONTENDERS[name]
    project = root / f"{name.replace(', ', '-').replace(' ', '-')}-{turns}x{tests}"
    shutil.rmtree(project, ignore_errors=True)
    project.mkdir(parents=True)
    (project / "conftest.py").write_text(_CONFTEST)
    source = _MODULE.format(
        imports=spec.imports, host=HOST, turns=turns, setup=spec.setup, marks=spec.marks,
        tests=tests, body=spec.body,
    )  # fmt: skip
    (project / "test_agent.py").write_text(source)
    if spec.cassette is not None:
        folder = project / "cassettes" / "test_agent"
        folder.mkdir(parents=True)
        for n in range(tests):
            shutil.copy(cassettes[spec.cassette], folder / f"s{n}.yaml")
    return project


def run_pytest(
    project: Path, name: str, python: Path | None, env: dict[str, str]
) -> tuple[list[float], float]:
    """Seconds per test (setup + call + teardown), and the whole process's wall time."""
    results = project / "results.jsonl"
    results.unlink(missing_ok=True)
    spec = CONTENDERS[name]
    command = [str(python or sys.executable), "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    shared_env = spec.shared_env_plugins if python is not None else ()
    command += [*spec.plugins, *shared_env, "-o", "addopts=", str(project)]
    started = time.perf_counter()
    done = subprocess.run(
        command,
        cwd=project,
        env=_env(BENCH_RESULTS=str(results), **env),
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{name} failed in {project}:\n{done.stdout[-3000:]}")
    return [json.loads(line)[1] for line in results.read_text().splitlines()], wall


def _skipped(name: str, reason: str, columns: list[str]) -> dict[str, object]:
    return {"contender": name, columns[0]: f"skipped ({reason})", **dict.fromkeys(columns[1:], "")}


def _runnable(
    cassettes: dict[str, Path], cassetter: Path | None, why: str
) -> dict[str, str | None]:
    """Each contender, with None if it can run or why it cannot."""
    return {
        name: (
            None
            if spec.cassette is None or spec.cassette in cassettes
            else why
            if spec.cassette == "cassetter"
            else "vcrpy and pytest-recording are not installed"
        )
        for name, spec in CONTENDERS.items()
    }


# vcrpy's figures are 2 to 80 times the others' and decide no target: one run shows them.
_ONE_ROUND = ("vcrpy",)


def _runs(
    root: Path, cassetter: tuple[Path | None, str], turns: int, tests: int, rounds: int,
    env: dict[str, str],
) -> tuple[dict[str, str | None], Iterator[tuple[str, list[float], float]]]:  # fmt: skip
    """Each contender's cassette recorded and the plugin compiled; then which contenders
    run (None) or why not, and ``(name, seconds per test, wall time)`` for each run of each
    contender that runs, contenders taking turns, ``rounds`` times over (vcrpy once).
    """
    python, why = cassetter
    cassettes = record_all(turns, root, python)
    runnable = _runnable(cassettes, python, why)
    compile_plugin()

    def runs() -> Iterator[tuple[str, list[float], float]]:
        for round_ in range(rounds):
            for name, skip in runnable.items():
                if skip or (round_ and name in _ONE_ROUND):
                    continue
                project = write_project(root, name, turns, tests, cassettes)
                interpreter = python if name != "vcrpy" else None  # one env for the others
                yield (name, *run_pytest(project, name, interpreter, env))

    return runnable, runs()


def agent_rows(
    root: Path, cassetter: tuple[Path | None, str], turns: int = 50, tests: int = 4,
    rounds: int = 5,
) -> list[dict[str, object]]:  # fmt: skip
    """Steady (median of tests 2..) and cold (first test) ms per contender, best of rounds."""
    env = {"PYTHONDONTWRITEBYTECODE": "1"}
    runnable, runs = _runs(root, cassetter, turns, tests, rounds, env)
    steady: dict[str, float] = {}
    cold: dict[str, float] = {}
    for name, times, _ in runs:
        ms = statistics.median(times[1:]) * 1000, times[0] * 1000
        steady[name] = min(ms[0], steady.get(name, ms[0]))
        cold[name] = min(ms[1], cold.get(name, ms[1]))
    rows: list[dict[str, object]] = []
    for name, skip in runnable.items():
        if skip:
            rows.append(_skipped(name, skip, ["steady ms", "cold ms", "steady vs floor"]))
            continue
        row = {"contender": name, "steady ms": steady[name], "cold ms": cold[name]}
        rows.append({**row, "steady vs floor": f"{steady[name] / steady['floor']:.2f}x"})
    return rows


def suite_rows(
    root: Path, cassetter: tuple[Path | None, str], tests: int = 200, turns: int = 2,
    rounds: int = 7,
) -> list[dict[str, object]]:  # fmt: skip
    """The whole pytest process's wall time per contender, best of ``rounds`` runs (as for
    the agent: on a shared machine, noise only ever adds time).
    """
    runnable, runs = _runs(root, cassetter, turns, tests, rounds, {})
    walls: dict[str, list[float]] = {name: [] for name in runnable}
    for name, _, wall in runs:
        walls[name].append(wall)
    rows: list[dict[str, object]] = []
    for name, skip in runnable.items():
        if skip:
            rows.append(_skipped(name, skip, ["run s", "per test ms"]))
            continue
        wall = min(walls[name])
        rows.append({"contender": name, "run s": wall, "per test ms": wall / tests * 1000})
    return rows
