"""SIGTERM and SIGHUP (``timeout``, a cancelled CI job, ``docker stop``, a closed terminal)
end a recorded run as Ctrl-C does: what was recorded is saved aside as ``NAME.failed.yaml``,
the same messages are printed, and the exit status is 128 + the signal, as shells report it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from agentcore.cli.signals import Interrupted, exit_status, signals_as_interrupts
from tests.support.cassettes import load_cassette
from tests.support.cli_runs import NO_NETWORK, SCRIPT, agent_file
from tests.support.provider_server import ProviderServer
from tests.support.wire_formats import Reply

SIGNALS = [signal.SIGTERM, signal.SIGHUP]
SAVED_ASIDE = (
    "agentcore: the run was interrupted, so s.yaml was not written; what was recorded is in "
    "s.failed.yaml\n\nagentcore: interrupted\n"
)


@contextmanager
def _agentcore(folder: Path, *argv: str) -> Iterator[subprocess.Popen[str]]:
    """The installed ``agentcore ARGV`` in ``folder``, stdout into ``folder/out.txt``
    (readable while it runs), killed if the test leaves it running."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(folder),
        "LANG": "C.UTF-8",
        **NO_NETWORK,
        "NO_PROXY": "127.0.0.1",
    }
    with open(folder / "out.txt", "w", encoding="utf-8") as out:
        process = subprocess.Popen(
            [str(SCRIPT), *argv],
            cwd=folder,
            env=env,
            stdin=subprocess.PIPE,
            stdout=out,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            yield process
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()


def _wait_for(condition: Callable[[], bool], process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 20
    while not condition() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert condition(), process.communicate(timeout=5)


def _stop(process: subprocess.Popen[str], signum: int) -> str:
    process.send_signal(signum)
    _, err = process.communicate(timeout=20)
    return err


@pytest.mark.parametrize("signum", SIGNALS, ids=lambda s: signal.Signals(s).name)
def test_a_signal_mid_request_saves_what_was_recorded_aside(
    tmp_path: Path, provider_server: ProviderServer, signum: int
) -> None:
    agent_file(tmp_path, provider_server)
    provider_server.script = [Reply(tool=("list_directory", {"path": "."}))]
    # the first answer comes whole (a cut after 10,000 events never happens); the second
    # request gets no answer until the test is over
    provider_server.faults = [10_000, "stall"]
    provider_server.gate_timeout = 30
    try:
        with _agentcore(tmp_path, "exec", "agent.yaml", "--record=s", "List") as process:
            _wait_for(lambda: len(provider_server.requests) == 2, process)
            err = _stop(process, signum)
    finally:
        provider_server.gate.set()
    assert process.returncode == 128 + signum, err
    assert err.endswith(SAVED_ASIDE)
    assert not (tmp_path / "s.yaml").exists()
    assert not (tmp_path / ".s.yaml.recording").exists()
    recorded = load_cassette(tmp_path / "s.failed.yaml")
    assert [i.request.url for i in recorded] == [f"{provider_server.url}/v1/chat/completions"]
    assert "list_directory" in (tmp_path / "out.txt").read_text()


def test_a_signal_while_a_tool_runs_saves_the_recording_and_kills_the_command(
    tmp_path: Path, provider_server: ProviderServer
) -> None:
    agent_file(tmp_path, provider_server, toolsets="[{type: shell}]")
    provider_server.script = [Reply(tool=("shell", {"cmd": "echo $$ > pid; exec sleep 60"}))]
    pid_file = tmp_path / "pid"
    with _agentcore(tmp_path, "exec", "agent.yaml", "--yolo", "--record=s", "Wait") as process:
        _wait_for(lambda: pid_file.exists() and pid_file.read_text().strip() != "", process)
        err = _stop(process, signal.SIGTERM)
    assert process.returncode == 143, err
    assert err.endswith(SAVED_ASIDE)
    assert len(load_cassette(tmp_path / "s.failed.yaml")) == 1
    assert _ends(int(pid_file.read_text()))  # the command's group was killed, not left


def _ends(pid: int, seconds: float = 5.0) -> bool:
    """Whether process ``pid`` is gone, or dead and waiting to be reaped (its new parent
    reaps it in its own time), within ``seconds``.
    """
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            state = ""
        if state in ("Z", "X"):
            return True
        time.sleep(0.02)
    return False


def test_a_signal_at_the_prompt_of_run_stops_it_as_mid_turn(
    tmp_path: Path, provider_server: ProviderServer
) -> None:
    """Ctrl-C at ``> `` ends the conversation as EOF does (exit 0); SIGTERM is not the user
    leaving, and the exit status says the run was stopped."""
    agent_file(tmp_path, provider_server)
    with _agentcore(tmp_path, "run", "agent.yaml", "--record=s") as process:
        assert process.stdin is not None
        process.stdin.write("hello\n")
        process.stdin.flush()
        out = tmp_path / "out.txt"
        _wait_for(lambda: out.read_text().endswith("You said: hello\n\n> "), process)
        err = _stop(process, signal.SIGTERM)
    assert process.returncode == 143, err
    assert err.endswith(SAVED_ASIDE)
    assert len(load_cassette(tmp_path / "s.failed.yaml")) == 1


def _signal_self(signum: int) -> None:
    os.kill(os.getpid(), signum)
    time.sleep(0.2)  # the handler runs here, if it raises


def test_the_handlers_raise_once_then_the_previous_ones_come_back() -> None:
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(Interrupted) as stopped, signals_as_interrupts():
        _signal_self(signal.SIGTERM)
    assert exit_status(stopped.value) == 143
    assert exit_status(KeyboardInterrupt()) == 130
    assert signal.getsignal(signal.SIGTERM) is before
    with signals_as_interrupts():  # a second signal, while the run cleans up, is ignored
        with pytest.raises(Interrupted):
            _signal_self(signal.SIGHUP)
        _signal_self(signal.SIGTERM)
    assert signal.getsignal(signal.SIGTERM) is before


def test_an_ignored_sighup_stays_ignored() -> None:
    """Under ``nohup``, closing the terminal does not stop the run."""
    before = signal.signal(signal.SIGHUP, signal.SIG_IGN)
    try:
        with signals_as_interrupts():
            assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN
            assert signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL
    finally:
        signal.signal(signal.SIGHUP, before)
