"""A recording process killed at any moment never damages the cassette it was replacing,
nor leaves a partial one in its place.

Recording processes (real subprocesses, talking to the scripted provider on loopback)
re-record one cassette over and over and are killed with SIGKILL: at random moments, and
at each step of a save. After every kill the cassette must load, whole.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from pytest_agentcassette._format.atomic import write_atomically
from tests.support.cassettes import load_cassette
from tests.support.provider_server import ProviderServer

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")

ROOT = Path(__file__).parents[3]
REQUESTS = 8

# Re-records the cassette forever; each request re-sends a long history, as agents do, so
# that saving takes a good part of each round.
RECORDER = f"""
import sys
from pathlib import Path

import httpx

from pytest_agentcassette import use_cassette

url, path = sys.argv[1], Path(sys.argv[2])
history = [{{"role": "user", "content": "word " * 1000}}]
print("ready", flush=True)
sys.stdin.readline()  # go
while True:
    with use_cassette(path, record_mode="all"):
        for n in range({REQUESTS}):
            history.append({{"role": "assistant", "content": f"turn {{n}} " * 300}})
            httpx.post(url + "/v1/chat/completions", json={{"model": "gpt-4o", "messages": history}})
    history = history[:1]
    print("saved", flush=True)
"""


def _recorder(url: str, path: Path, code: str = RECORDER) -> subprocess.Popen[str]:
    """A recorder, started: it has imported what it needs and waits for :func:`_go`."""
    return subprocess.Popen(
        [sys.executable, "-c", code, url, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def _go(process: subprocess.Popen[str]) -> None:
    assert process.stdin is not None
    assert process.stdout is not None
    assert process.stdout.readline() == "ready\n"
    process.stdin.write("go\n")
    process.stdin.flush()


def _kill(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    assert process.stdin is not None
    assert process.stdout is not None
    process.stdin.close()
    process.stdout.close()


def _assert_whole(path: Path) -> str:
    """The cassette loads, with every interaction and every body complete."""
    interactions = load_cassette(path, fix_hint="")
    assert len(interactions) == REQUESTS
    for interaction in interactions:
        assert interaction.request.json()["messages"][-1]["content"].endswith(" ")
        assert interaction.response.json()["choices"][0]["message"]["content"]
    return path.read_text()


def test_fifty_random_kills_never_damage_the_cassette(
    tmp_path: Path, provider_server: ProviderServer, record_property: Any
) -> None:
    path = tmp_path / "session.yaml"
    calibration = _recorder(provider_server.url, path)
    assert calibration.stdout is not None
    _go(calibration)
    started = time.perf_counter()
    for _ in range(3):
        assert calibration.stdout.readline() == "saved\n"
    round_time = (time.perf_counter() - started) / 3
    _kill(calibration)
    versions = {_assert_whole(path)}

    moments = random.Random(20261126)
    left_behind = 0
    waiting = _recorder(provider_server.url, path)
    for kill in range(50):
        recorder = waiting
        _go(recorder)
        if kill < 49:  # the next one starts up meanwhile
            waiting = _recorder(provider_server.url, path)
        time.sleep(moments.uniform(0, 2.5 * round_time))
        _kill(recorder)
        versions.add(_assert_whole(path))
        left_behind += any(tmp_path.glob(".session.yaml.*.tmp"))
    record_property("kills_that_left_a_temporary_file", left_behind)
    # The kills fell both before the first save of a recorder and after it.
    assert len(versions) > 1
    # The next save clears the temporary files that killed recorders left.
    write_atomically(path, path.read_text())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["session.yaml"]


STEPS = ["open", "write", "fsync", "replace", "_sync_folder"]


@pytest.mark.parametrize("step", STEPS)
def test_a_kill_at_each_step_of_a_save_leaves_the_old_cassette_or_the_new_one(
    step: str, tmp_path: Path, provider_server: ProviderServer
) -> None:
    path = tmp_path / "session.yaml"
    first = _recorder(provider_server.url, path)
    assert first.stdout is not None
    _go(first)
    assert first.stdout.readline() == "saved\n"
    _kill(first)
    old = _assert_whole(path)

    # The recorder dies the moment its save reaches ``step`` (``write``: half way through
    # the text; ``_sync_folder``: after the rename).
    killer = f"""
import os, signal, tempfile
import pytest_agentcassette._format.atomic as atomic

def die():
    os.kill(os.getpid(), signal.SIGKILL)

def wrap(module, name, before=True):
    real = getattr(module, name)
    def wrapper(*args, **kwargs):
        if before:
            die()
        result = real(*args, **kwargs)
        die()
    setattr(module, name, wrapper)

step = {step!r}
if step == "write":
    real_fdopen = os.fdopen
    def fdopen(fd, *args, **kwargs):
        stream = real_fdopen(fd, *args, **kwargs)
        real_write = stream.write
        def write(text):
            real_write(text[: len(text) // 2])
            stream.flush()
            die()
        stream.write = write
        return stream
    atomic.os.fdopen = fdopen
elif step == "open":  # the temporary file was just created
    wrap(atomic.os, "open", before=False)
elif step == "_sync_folder":
    wrap(atomic, step)
else:
    wrap(atomic.os, step)
"""
    second = _recorder(provider_server.url, path, killer + RECORDER)
    output, _ = second.communicate("go\n", timeout=60)
    assert second.returncode == -signal.SIGKILL
    assert output == "ready\n"  # and never "saved"
    now = _assert_whole(path)
    assert (now == old) is (step != "_sync_folder")  # after the rename, the new one


def test_a_symlinked_cassette_is_written_where_it_points(tmp_path: Path) -> None:
    real = tmp_path / "shared" / "session.yaml"
    real.parent.mkdir()
    real.write_text("old\n")
    link = tmp_path / "session.yaml"
    link.symlink_to(real)
    write_atomically(link, "new\n")
    assert link.is_symlink()
    assert real.read_text() == "new\n"


def test_a_new_cassette_gets_the_umask_and_an_old_one_keeps_its_mode(tmp_path: Path) -> None:
    old_umask = os.umask(0o077)
    try:
        write_atomically(tmp_path / "private.yaml", "x\n")
    finally:
        os.umask(old_umask)
    assert (tmp_path / "private.yaml").stat().st_mode & 0o777 == 0o600
    kept = tmp_path / "kept.yaml"
    kept.write_text("x\n")
    kept.chmod(0o640)
    write_atomically(kept, "y\n")
    assert kept.stat().st_mode & 0o777 == 0o640


def test_only_temporary_files_nobody_writes_are_removed(tmp_path: Path) -> None:
    import fcntl

    path = tmp_path / "test_answer[0].yaml"  # a parametrized test's default name
    dead = _dead_pid()
    abandoned = tmp_path / f".{path.name}.{dead}.0000.tmp"
    written = tmp_path / f".{path.name}.{dead}.1111.tmp"  # a writer in another container
    live = tmp_path / f".{path.name}.{os.getpid()}.2222.tmp"
    for temporary in (abandoned, written, live):
        temporary.write_text("partial")
    with written.open() as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)
        write_atomically(path, "whole\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [path.name, written.name, live.name]
    )


def _dead_pid() -> int:
    """The pid of a process that has exited."""
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], check=True,
                          capture_output=True, text=True)  # fmt: skip
    return int(done.stdout)
