"""Nothing leaves a replaying run, telemetry included: tracing endpoints answered locally
and never recorded, threads and exit handlers that outlive a replay refused and reported.

No packet is ever sent: connect and getaddrinfo are stand-ins that note what reached them.
"""

from __future__ import annotations

import socket
import textwrap
from pathlib import Path
from typing import Any

import httpx
import pytest

from pytest_agentcassette import NetworkBlockedError, use_cassette
from tests.support.stand_in import STAND_IN_CONFTEST


def test_telemetry_in_a_replay_is_answered_locally_and_named_once(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeconftest(STAND_IN_CONFTEST)
    pytester.makepyfile(
        test_traced="""
        import httpx
        import pytest
        import requests

        @pytest.mark.cassette
        def test_traced():
            for _ in range(2):
                sent = httpx.post("https://api.smith.langchain.com/runs/batch", json={"post": []})
                assert (sent.status_code, sent.json()) == (200, {})
            exported = requests.post(
                "https://api.openai.com/v1/traces/ingest", json={"data": []}, timeout=1
            )
            assert (exported.status_code, exported.json()) == (200, {})
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            "telemetry answered locally, never recorded:",
            "  https://api.smith.langchain.com/runs/batch (2 requests)",
            "    LangSmith tracing: turn it off in tests with LANGSMITH_TRACING=false "
            "(and LANGCHAIN_TRACING_V2=false)",
            "  https://api.openai.com/v1/traces/ingest (1 request)",
            "    OpenAI Agents SDK tracing: turn it off in tests with "
            "OPENAI_AGENTS_DISABLE_TRACING=1 (or agents.set_tracing_disabled(True))",
        ]
    )
    assert not (pytester.path / "cassettes").exists()


def test_telemetry_while_recording_is_sent_live_but_never_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reached: list[Any] = []

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        reached.append(host)
        raise socket.gaierror(-2, "stand-in")

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    path = tmp_path / "c.yaml"
    with use_cassette(path, record_mode="all") as cassette, pytest.raises(httpx.ConnectError):
        httpx.post("https://eu.api.smith.langchain.com/runs/multipart", content=b"x")
    assert reached == ["eu.api.smith.langchain.com"]  # sent live
    assert cassette.recorded == []
    assert not path.exists()


def test_a_known_download_stopped_in_a_replay_names_its_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(socket, "getaddrinfo", lambda *args, **kwargs: pytest.fail("reached"))
    with use_cassette(tmp_path / "c.yaml"), pytest.raises(NetworkBlockedError) as stopped:
        socket.getaddrinfo("openaipublic.blob.core.windows.net", 443)
    assert stopped.value.advice.startswith(
        "openaipublic.blob.core.windows.net serves tiktoken's encoding files: pre-populate "
        "tiktoken's cache and point TIKTOKEN_CACHE_DIR (or DATA_GYM_CACHE_DIR) at it"
    )
    with use_cassette(tmp_path / "c.yaml"), pytest.raises(NetworkBlockedError) as hub:
        socket.getaddrinfo("huggingface.co", 443)
    assert "HF_HOME" in hub.value.advice
    assert "HF_HUB_OFFLINE=1" in hub.value.advice


# A stand-in that stays until the process ends, and says on stderr if anything reached it.
LASTING_STAND_IN = """
import socket
import sys
import threading

go = threading.Event()


def refuse(sock, address):
    sys.stderr.write(f"STAND-IN REACHED {address}\\n")
    raise ConnectionRefusedError(111, "stand-in")


def resolve(host, port, *args, **kwargs):
    sys.stderr.write(f"STAND-IN REACHED {host}\\n")
    raise socket.gaierror(-2, "stand-in")


socket.socket.connect, socket.getaddrinfo = refuse, resolve


def pytest_unconfigure(config):
    go.set()
"""

OUTLIVING = """
import atexit
import socket
import threading

import pytest

from conftest import go


def connect(address):
    with socket.socket() as sock:
        try:
            sock.connect(address)
        except OSError as error:
            print(type(error).__name__)

ended = threading.Event()
soon = threading.Thread(
    target=lambda: (ended.wait(), connect(("192.0.2.10", 443))), name="uploader"
)


@pytest.mark.cassette
def test_replays():
    threading.Thread(target=lambda: (go.wait(), connect(("192.0.2.11", 443))), name="at-exit")\\
        .start()
    atexit.register(connect, ("192.0.2.12", 443))
    soon.start()


def test_after():
    ended.set()  # the replay's test is over
    soon.join()
    with socket.socket() as sock:  # the test's own code, outside any cassette, may connect
        try:
            sock.connect(("192.0.2.13", 443))
        except ConnectionRefusedError:  # the stand-in's: not refused by the guard
            pass
"""


def test_threads_and_exit_handlers_that_outlive_a_replay_are_refused_and_reported(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeconftest(LASTING_STAND_IN)
    pytester.makepyfile(test_outliving=textwrap.dedent(OUTLIVING))
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        [
            "connections refused after their test, a cassette having replayed:",
            "  agentcassette stopped a connection to 192.0.2.10:443 from thread 'uploader' "
            "after its test ended: a cassette of this session replayed, and nothing leaves a "
            "replaying run (nothing was sent).",
            "    Stop what sends it before its test ends (join the thread, flush or shut the "
            "client down in a fixture), or, if 192.0.2.10 may be reached, allow it: "
            'allowed_hosts=?"192.0.2.10"? on the cassette marker*',
        ]
    )
    stderr = result.stderr.str()
    assert "STAND-IN REACHED" not in stderr  # test_after's own connect got the stand-in's
    for host, thread in (("192.0.2.11", "at-exit"), ("192.0.2.12", "MainThread")):
        assert (
            f"agentcassette: agentcassette stopped a connection to {host}:443 from thread "
            f"'{thread}' after the session ended" in stderr
        )


OLD_CASSETTE = """\
version: 2
interactions:
- id: 0
  request:
    method: POST
    url: https://api.openai.com/v1/traces/ingest
    body:
      json: |
        {"data": [{"id": "trace_0a1b2c", "workflow_name": "Agent workflow"}]}
  response:
    status: 204 No Content
    code: 204
"""


def test_a_trace_export_an_earlier_release_recorded_is_not_reported_unused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(socket, "getaddrinfo", lambda *args, **kwargs: pytest.fail("reached"))
    path = tmp_path / "traced.yaml"
    path.write_text(OLD_CASSETTE)
    with use_cassette(path) as cassette:  # the run exports another trace, with new ids
        sent = httpx.post("https://api.openai.com/v1/traces/ingest", json={"data": []})
    assert sent.status_code == 200
    assert cassette.unplayed == []
    assert path.read_text() == OLD_CASSETTE


def test_a_download_through_a_patched_client_in_a_replay_names_its_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import requests

    from pytest_agentcassette import CassetteMismatchError

    monkeypatch.setattr(socket, "getaddrinfo", lambda *args, **kwargs: pytest.fail("reached"))
    url = "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken"
    with use_cassette(tmp_path / "c.yaml"), pytest.raises(CassetteMismatchError) as missed:
        requests.get(url, timeout=1)
    assert str(missed.value).endswith(
        "openaipublic.blob.core.windows.net serves tiktoken's encoding files: pre-populate "
        "tiktoken's cache and point TIKTOKEN_CACHE_DIR (or DATA_GYM_CACHE_DIR) at it: run "
        "tiktoken.get_encoding(...) once with TIKTOKEN_CACHE_DIR set, then commit that folder "
        "or cache it in CI."
    )
