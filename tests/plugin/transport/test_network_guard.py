"""Nothing leaves the machine during a replay, whatever library tries.

No packet is ever sent: the real ``connect`` and ``getaddrinfo`` are replaced by recorders
*before* the cassette installs its guard, so the guard wraps the recorders, and even a
broken guard would only reach them. The outside addresses are documentation ones
(192.0.2.0/24, 2001:db8::/32) and ``.invalid`` names.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from pathlib import Path
from typing import Any

import pytest

from pytest_agentcassette import NetworkBlockedError, use_cassette
from tests.support.stand_in import STAND_IN_CONFTEST

OUTSIDE = ("192.0.2.10", 443)
OUTSIDE_V6 = ("2001:db8::10", 443, 0, 0)
OUTSIDE_NAME = "llm.example.invalid"


class StandIn:
    """Takes the place of the real connect and getaddrinfo, noting what reached them."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch):
        self.reached: list[Any] = []

        def connect(sock: socket.socket, address: Any) -> None:
            self.reached.append(("connect", address))
            raise ConnectionRefusedError(111, "stand-in: refused")

        def connect_ex(sock: socket.socket, address: Any) -> int:
            self.reached.append(("connect_ex", address))
            return 111

        def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
            self.reached.append(("getaddrinfo", host))
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port or 0))]

        monkeypatch.setattr(socket.socket, "connect", connect)
        monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@pytest.fixture
def stand_in(monkeypatch: pytest.MonkeyPatch) -> StandIn:
    return StandIn(monkeypatch)


def _connect(address: tuple[Any, ...], family: int = socket.AF_INET) -> BaseException | None:
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        try:
            sock.connect(address)
        except BaseException as error:
            return error
    return None


def test_a_replay_stops_connections_off_the_machine_before_they_are_made(
    tmp_path: Path, stand_in: StandIn
) -> None:
    with use_cassette(tmp_path / "c.yaml") as cassette:
        error = _connect(OUTSIDE)
        v6 = _connect(OUTSIDE_V6, socket.AF_INET6)
        with pytest.raises(NetworkBlockedError) as named:
            socket.getaddrinfo(OUTSIDE_NAME, 443)
        with socket.socket() as sock, pytest.raises(NetworkBlockedError):
            sock.connect_ex(OUTSIDE)
    assert stand_in.reached == []
    assert isinstance(error, NetworkBlockedError)
    assert isinstance(error, ConnectionError)  # what libraries expect of a refused connect
    assert isinstance(v6, NetworkBlockedError)
    assert str(error).startswith(
        f"agentcassette stopped a connection to 192.0.2.10:443: the cassette {tmp_path}/c.yaml "
        f"is replaying (record mode none), and nothing may reach the network in a replay."
    )
    assert 'allowed_hosts=["192.0.2.10"]' in str(error)
    assert (named.value.host, named.value.port) == (OUTSIDE_NAME, 443)
    assert len(cassette.blocked) == 4


def test_this_machine_and_allowed_hosts_stay_reachable(tmp_path: Path, stand_in: StandIn) -> None:
    with use_cassette(tmp_path / "c.yaml", allowed_hosts=["*.example.invalid", "192.0.2.10"]):
        for address in (("127.0.0.1", 80), ("127.8.0.1", 80), ("localhost", 80), OUTSIDE):
            assert isinstance(_connect(address), ConnectionRefusedError)  # the stand-in's
        assert isinstance(_connect(("::1", 80, 0, 0), socket.AF_INET6), ConnectionRefusedError)
        socket.getaddrinfo(OUTSIDE_NAME, 443)
        socket.getaddrinfo("localhost", 80)
    assert [kind for kind, _ in stand_in.reached] == ["connect"] * 5 + ["getaddrinfo"] * 2


@pytest.mark.parametrize(
    ("record_mode", "file_exists", "guarded"),
    [
        ("none", False, True),
        ("none", True, True),
        ("once", True, True),
        ("once", False, False),
        ("new_episodes", True, False),
        ("all", True, False),
    ],
)
def test_only_a_replay_is_guarded(
    tmp_path: Path, stand_in: StandIn, record_mode: str, file_exists: bool, guarded: bool
) -> None:
    path = tmp_path / "c.yaml"
    if file_exists:
        path.write_text("version: 2\ninteractions: []\n")
    with use_cassette(path, record_mode=record_mode):
        error = _connect(OUTSIDE)
    assert isinstance(error, NetworkBlockedError) is guarded
    assert bool(stand_in.reached) is not guarded


def test_outside_any_cassette_nothing_is_guarded(stand_in: StandIn) -> None:
    assert isinstance(_connect(OUTSIDE), ConnectionRefusedError)
    assert stand_in.reached == [("connect", OUTSIDE)]


def test_threads_and_event_loops_are_guarded_too(tmp_path: Path, stand_in: StandIn) -> None:
    outcomes: list[BaseException | None] = []

    async def open_connection() -> None:
        await asyncio.open_connection(OUTSIDE_NAME, 443)

    with use_cassette(tmp_path / "c.yaml"):
        worker = threading.Thread(target=lambda: outcomes.append(_connect(OUTSIDE)))
        worker.start()
        worker.join()
        with pytest.raises(NetworkBlockedError):
            asyncio.run(open_connection())  # getaddrinfo runs in the loop's executor thread
    assert isinstance(outcomes[0], NetworkBlockedError)
    assert stand_in.reached == []


def test_a_blocked_request_fails_the_test_even_if_the_code_swallows_it(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeconftest(STAND_IN_CONFTEST)
    pytester.makepyfile(
        test_guard="""
        import urllib.request

        import pytest

        @pytest.mark.cassette
        def test_fetch():
            try:
                urllib.request.urlopen("http://llm.example.invalid/v1/models", timeout=1)
            except OSError:
                pass  # swallowed, as client libraries do before they retry
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*agentcassette stopped a connection to llm.example.invalid:80: the cassette "
            "cassettes/test_guard/test_fetch.yaml is replaying (record mode none)*",
            "*To record its traffic, send it through one of those clients and run:",
            "*pytest --record-mode=rewrite test_guard.py::test_fetch",
            '*allowed_hosts=?"llm.example.invalid"? on the cassette marker*',
        ]
    )
