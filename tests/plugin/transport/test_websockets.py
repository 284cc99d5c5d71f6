"""WebSocket connections of the ``websockets`` asyncio client: the handshake, each message
with its direction and time, and the close are recorded from a server on loopback; a
replay gives the client a real connection with no server and no network, answers each
message the code sends with what the server sent after it, and ends as the recording
ended. A message that changed fails with the same kind of diff as an HTTP request.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosedError, InvalidStatus
from websockets.http11 import Response
from websockets.sync.client import connect as connect_sync
from websockets.sync.server import Server, ServerConnection, serve

from pytest_agentcassette import (
    CassetteError,
    CassetteMismatchError,
    SecretRedactedWarning,
    UnusedInteractionsError,
    Usage,
    use_cassette,
)
from tests.support.network import NetworkCut

KEY = "sk-proj-" + "a1B2c3D4e5F6g7H8i9J0" * 2


def _realtime(connection: ServerConnection) -> None:
    """A realtime-style server: an event at once, an acknowledgement for each event, a
    streamed answer to ``response.create``, random ids in everything it sends.
    """
    connection.send(json.dumps({"type": "session.created", "event_id": secrets.token_hex(4)}))
    for message in connection:
        if isinstance(message, bytes):
            connection.send(message[::-1])
            continue
        event = json.loads(message)
        if event["type"] == "response.create":
            for word in ("Containers", " share", " a kernel."):
                connection.send(json.dumps({"type": "response.output_text.delta",
                                            "delta": word, "item_id": secrets.token_hex(4)}))  # fmt: skip
                time.sleep(event.get("pause", 0.005))
            call = {"type": "function_call", "call_id": "call_" + secrets.token_hex(6),
                    "name": "get_weather", "arguments": '{"city": "Paris"}'}  # fmt: skip
            usage = {"input_tokens": 12, "output_tokens": 5, "total_tokens": 17}
            done = {"type": "response.done", "response": {"output": [call], "usage": usage}}
            connection.send(json.dumps(done))
        elif event["type"] == "goodbye":
            connection.close(4000, "session over")
            return
        else:
            connection.send(json.dumps({"type": event["type"] + ".ack"}))


class WebSocketServer:
    """A ``websockets`` server on 127.0.0.1 in a thread, running ``handler``."""

    def __init__(self, handler: Callable[[ServerConnection], None], **options: Any):
        self._server: Server = serve(handler, "127.0.0.1", 0, **options)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        self.url = f"ws://127.0.0.1:{self._server.socket.getsockname()[1]}/v1/realtime"

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=5)


@pytest.fixture
def realtime_server() -> Iterator[WebSocketServer]:
    server = WebSocketServer(_realtime)
    yield server
    server.stop()


async def _session(url: str, voice: str = "alloy", pause: float = 0.005) -> list[Any]:
    """What a realtime client does: update the session, ask for a response, read it."""
    seen: list[Any] = []
    headers = {"Authorization": f"Bearer {KEY}"}
    async with connect(url + "?model=gpt-realtime", additional_headers=headers) as ws:
        seen.append(json.loads(await ws.recv())["type"])
        update = {"type": "session.update", "event_id": secrets.token_hex(3),
                  "session": {"voice": voice}}  # fmt: skip
        await ws.send(json.dumps(update))
        seen.append(json.loads(await ws.recv())["type"])
        await ws.send(json.dumps({"type": "response.create", "pause": pause}))
        while (event := json.loads(await ws.recv()))["type"] != "response.done":
            seen.append(event["delta"])
        await ws.send(b"\x01\x02\x03")
        seen.append(await ws.recv())
    return seen


def _sync_session(url: str, voice: str = "alloy") -> list[Any]:
    """:func:`_session`, through the sync client (the OpenAI SDK's sync Realtime client)."""
    seen: list[Any] = []
    with connect_sync(url + "?model=gpt-realtime", additional_headers={"Authorization": KEY}) as ws:
        seen.append(json.loads(ws.recv())["type"])
        ws.send(json.dumps({"type": "session.update", "session": {"voice": voice}}))
        seen.append(json.loads(ws.recv())["type"])
        ws.send(json.dumps({"type": "response.create", "pause": 0.005}))
        while (event := json.loads(ws.recv()))["type"] != "response.done":
            seen.append(event["delta"])
        ws.send(b"\x01\x02\x03")
        seen.append(ws.recv())
    return seen


EXPECTED = ["session.created", "session.update.ack", "Containers", " share", " a kernel.",
            b"\x03\x02\x01"]  # fmt: skip


def test_a_realtime_session_replays_with_the_server_stopped_and_no_network(
    tmp_path: Path, realtime_server: WebSocketServer, network_cut: NetworkCut
) -> None:
    path = tmp_path / "realtime.yaml"
    with use_cassette(path, record_mode="once") as recording:
        assert asyncio.run(_session(realtime_server.url)) == EXPECTED
    assert [i.request.method for i in recording.recorded] == [
        "GET", "session.update", "response.create", "(binary)",
    ]  # fmt: skip
    realtime_server.stop()
    with network_cut, use_cassette(path, record_mode="none") as replay:
        assert asyncio.run(_session(realtime_server.url)) == EXPECTED
    assert network_cut.attempts == []
    assert replay.mismatches == []
    assert replay.unplayed == []


def test_the_sync_client_records_and_replays_too_and_either_client_replays_the_other(
    tmp_path: Path, realtime_server: WebSocketServer, network_cut: NetworkCut
) -> None:
    path = tmp_path / "sync.yaml"
    with use_cassette(path, record_mode="once") as recording:
        assert _sync_session(realtime_server.url) == EXPECTED
    assert len(recording.recorded) == 4
    realtime_server.stop()
    with network_cut, use_cassette(path, record_mode="none") as replay:
        assert _sync_session(realtime_server.url) == EXPECTED
    assert replay.unplayed == []
    with network_cut, use_cassette(path, record_mode="none") as replay:
        assert asyncio.run(_session(realtime_server.url)) == EXPECTED
    assert network_cut.attempts == []
    with use_cassette(path, record_mode="none") as replay, pytest.raises(ConnectionClosedError):
        _sync_session(realtime_server.url, voice="verse")
    assert "replace /session/voice" in str(replay.mismatches[0])


def test_the_conversation_of_a_realtime_session_has_its_text_tool_calls_and_usage(
    tmp_path: Path, realtime_server: WebSocketServer
) -> None:
    path = tmp_path / "realtime.yaml"
    with use_cassette(path, record_mode="once"):
        asyncio.run(_session(realtime_server.url))
    realtime_server.stop()
    with use_cassette(path, record_mode="none") as replay:
        asyncio.run(_session(realtime_server.url))
    conversation = replay.conversation
    assert [e.api for e in conversation.exchanges] == ["openai-realtime"] * 4
    assert conversation.exchanges[2].text == "Containers share a kernel."
    (call,) = conversation.tool_calls
    assert (call.name, call.arguments, call.id) == ("get_weather", {"city": "Paris"}, "tool-call-1")
    assert conversation.usage == Usage(12, 5, 17)


def test_the_cassette_holds_each_message_with_its_direction_time_and_the_close(
    tmp_path: Path, realtime_server: WebSocketServer
) -> None:
    path = tmp_path / "realtime.yaml"
    with use_cassette(path, record_mode="once"):
        asyncio.run(_session(realtime_server.url))
    text = path.read_text()
    document = yaml.safe_load(text)
    assert document["version"] == 3
    opening, update, create, binary = (entry["websocket"] for entry in document["interactions"])
    assert opening["url"] == realtime_server.url + "?model=gpt-realtime"
    assert opening["open"]["headers"]["Authorization"] == "REDACTED"
    assert KEY not in text
    assert opening["open"]["response"]["code"] == 101
    assert json.loads(opening["receive"][0]["text"])["type"] == "session.created"
    assert json.loads(update["send"])["session"] == {"voice": "alloy"}
    deltas = [json.loads(frame["text"]).get("delta") for frame in create["receive"]]
    assert deltas == ["Containers", " share", " a kernel.", None]
    assert json.loads(create["receive"][-1]["text"])["type"] == "response.done"
    times = [frame["at"] for frame in create["receive"]]
    assert times == sorted(times)
    assert create["at"] <= times[0]
    assert binary["send"] == {"base64": "AQID"}
    assert binary["receive"] == [{"at": binary["receive"][0]["at"], "base64": "AwIB"}]
    assert binary["close"] == {"code": 1000, "reason": "", "by": "client"}


def test_a_message_that_differs_only_in_its_event_id_still_matches(
    tmp_path: Path, realtime_server: WebSocketServer
) -> None:
    path = tmp_path / "realtime.yaml"
    with use_cassette(path, record_mode="once"):
        asyncio.run(_session(realtime_server.url))
    realtime_server.stop()
    for _ in range(2):  # each run mints other event ids
        with use_cassette(path, record_mode="none"):
            assert asyncio.run(_session(realtime_server.url)) == EXPECTED


def test_a_changed_message_closes_the_connection_and_fails_with_the_diff(
    tmp_path: Path, realtime_server: WebSocketServer
) -> None:
    path = tmp_path / "realtime.yaml"
    with use_cassette(path, record_mode="once"):
        asyncio.run(_session(realtime_server.url))
    realtime_server.stop()
    with (
        use_cassette(path, record_mode="none") as replay,
        pytest.raises(ConnectionClosedError) as closed,
    ):
        asyncio.run(_session(realtime_server.url, voice="verse"))
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1011
    assert closed.value.rcvd.reason.startswith(
        "agentcassette: No recorded interaction matches session.update ws://"
    )
    (mismatch,) = replay.mismatches
    assert isinstance(mismatch, CassetteMismatchError)
    assert 'replace /session/voice: "alloy" → "verse"' in str(mismatch)


def test_after_a_mismatch_nothing_more_is_answered_or_played(tmp_path: Path) -> None:
    def echo(connection: ServerConnection) -> None:
        for message in connection:
            connection.send(json.dumps({"type": json.loads(message)["type"] + ".done"}))

    server = WebSocketServer(echo)

    async def two(first: int) -> list[Any]:
        async with connect(server.url) as ws:
            await ws.send(json.dumps({"type": "a", "value": first}))
            await ws.send(json.dumps({"type": "b"}))
            try:
                return [await ws.recv(), await ws.recv()]
            except ConnectionClosedError as closed:
                return [closed.rcvd.code if closed.rcvd else None]

    path = tmp_path / "two.yaml"
    with use_cassette(path, record_mode="once"):
        assert asyncio.run(two(1)) == ['{"type": "a.done"}', '{"type": "b.done"}']
    server.stop()
    with use_cassette(path, record_mode="none") as replay:
        assert asyncio.run(two(2)) == [1011]
    assert [i.id for i in replay.played] == [0]  # the opening only: "b" was never answered
    assert len(replay.mismatches) == 1


INNER = """
import asyncio, json

import pytest
from websockets.asyncio.client import connect


async def talk(voice):
    async with connect("{url}") as ws:
        await ws.recv()
        await ws.send(json.dumps({{"type": "session.update", "session": {{"voice": voice}}}}))
        return json.loads(await ws.recv())["type"]


@pytest.mark.cassette
def test_voice():
    assert asyncio.run(talk("{voice}")) == "session.update.ack"
"""


def test_a_test_whose_message_changed_fails_with_the_diff_and_the_command(
    pytester: pytest.Pytester, realtime_server: WebSocketServer
) -> None:
    pytester.makepyfile(test_voice=INNER.format(url=realtime_server.url, voice="alloy"))
    pytester.runpytest("--record-mode=once", "-p", "no:recording").assert_outcomes(passed=1)
    realtime_server.stop()
    pytester.makepyfile(test_voice=INNER.format(url=realtime_server.url, voice="verse"))
    result = pytester.runpytest("-p", "no:recording")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            f"*No recorded interaction matches session.update {realtime_server.url}",
            "  cassette:    cassettes/test_voice/test_voice.yaml (2 interactions, 1 played)",
            "  record mode: none (replay only; nothing was sent to the network)",
            "  nearest:     interaction 1 (session.update *): same method and URL, but the "
            "body differs",
            "  changes from the recording to this request:",
            '    replace /session/voice: "alloy" → "verse"',
        ],
        consecutive=True,
    )
    result.stdout.fnmatch_lines(
        [
            "If the change is intended, re-record the cassette:",
            "  pytest --record-mode=rewrite test_voice.py::test_voice",
        ]
    )


async def _until_closed(url: str) -> tuple[list[str], int | None, str]:
    received = []
    async with connect(url) as ws:
        received.append(json.loads(await ws.recv())["type"])
        await ws.send(json.dumps({"type": "goodbye"}))
        try:
            while True:
                received.append(await ws.recv())
        except ConnectionClosedError as closed:
            code = closed.rcvd.code if closed.rcvd else None
            return received, code, closed.rcvd.reason if closed.rcvd else ""
    raise AssertionError("the server did not close the connection")


def test_a_close_by_the_server_is_met_again_with_its_code_and_reason(
    tmp_path: Path, realtime_server: WebSocketServer
) -> None:
    path = tmp_path / "closed.yaml"
    with use_cassette(path, record_mode="once"):
        recorded = asyncio.run(_until_closed(realtime_server.url))
    assert recorded == (["session.created"], 4000, "session over")
    assert yaml.safe_load(path.read_text())["interactions"][-1]["websocket"]["close"] == {
        "code": 4000, "reason": "session over", "by": "server",
    }  # fmt: skip
    realtime_server.stop()
    with use_cassette(path, record_mode="none"):
        assert asyncio.run(_until_closed(realtime_server.url)) == recorded


def test_a_refused_handshake_is_refused_again(tmp_path: Path) -> None:
    def unauthorized(connection: ServerConnection, request: Any) -> Response:
        return connection.respond(401, "Incorrect API key provided\n")

    server = WebSocketServer(_realtime, process_request=unauthorized)
    path = tmp_path / "refused.yaml"

    async def open_one() -> InvalidStatus:
        with pytest.raises(InvalidStatus) as refused:
            async with connect(server.url):
                pass
        return refused.value

    with use_cassette(path, record_mode="once"):
        live = asyncio.run(open_one())
    server.stop()
    with use_cassette(path, record_mode="none"):
        replayed = asyncio.run(open_one())
    assert replayed.response.status_code == live.response.status_code == 401
    assert replayed.response.body == live.response.body == b"Incorrect API key provided\n"


def test_pacing_replays_messages_at_their_recorded_times(
    tmp_path: Path, realtime_server: WebSocketServer
) -> None:
    path = tmp_path / "paced.yaml"
    with use_cassette(path, record_mode="once"):
        asyncio.run(_session(realtime_server.url, pause=0.15))
    realtime_server.stop()
    with use_cassette(path, record_mode="none", websocket_pacing=1.0):
        started = time.monotonic()
        assert asyncio.run(_session(realtime_server.url, pause=0.15)) == EXPECTED
        paced = time.monotonic() - started
    assert paced >= 0.3  # the three deltas were 0.15 s apart


def test_messages_the_code_never_sent_are_unused_interactions(
    tmp_path: Path, realtime_server: WebSocketServer
) -> None:
    path = tmp_path / "realtime.yaml"
    with use_cassette(path, record_mode="once"):
        asyncio.run(_session(realtime_server.url))
    realtime_server.stop()

    async def only_the_first() -> None:
        async with connect(realtime_server.url + "?model=gpt-realtime") as ws:
            await ws.recv()

    with pytest.raises(UnusedInteractionsError) as unused, use_cassette(path, record_mode="none"):
        asyncio.run(only_the_first())
    assert [i.request.method for i in unused.value.unused] == [
        "session.update", "response.create", "(binary)",
    ]  # fmt: skip


def test_a_connection_the_cassette_does_not_hold_fails_where_it_is_opened(
    tmp_path: Path, realtime_server: WebSocketServer
) -> None:
    path = tmp_path / "realtime.yaml"
    with use_cassette(path, record_mode="once"):
        asyncio.run(_session(realtime_server.url))

    async def elsewhere() -> None:
        async with connect("ws://127.0.0.1:9/other"):
            pass

    with (
        pytest.raises(CassetteMismatchError, match="No recorded interaction matches GET ws://"),
        use_cassette(path, record_mode="none", unused_interactions="ignore"),
    ):
        asyncio.run(elsewhere())


def test_a_cassette_of_a_newer_format_says_to_upgrade(tmp_path: Path) -> None:
    path = tmp_path / "future.yaml"
    path.write_text("version: 5\ninteractions: []\n")
    with pytest.raises(CassetteError) as error, use_cassette(path, record_mode="none"):
        pass
    assert "this cassette needs a newer pytest-agentcassette: it is format version 5" in str(
        error.value
    )
    assert "pip install -U pytest-agentcassette" in str(error.value)


def test_a_websocket_entry_with_a_mistake_names_its_place(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(
        "version: 3\ninteractions:\n- websocket:\n    url: ws://127.0.0.1/x\n"
        "    send: hello\n    receive:\n    - {at: 0.1, txt: hi}\n"
    )
    with pytest.raises(CassetteError) as error, use_cassette(path, record_mode="none"):
        pass
    message = str(error.value)
    assert "broken.yaml, line 7" in message
    assert "interactions[0].websocket.receive[0].txt" in message
    assert "unknown field 'txt'. Did you mean 'text'?" in message


def test_a_credential_in_a_message_either_way_is_written_as_redacted(tmp_path: Path) -> None:
    def leaky(connection: ServerConnection) -> None:
        for message in connection:
            connection.send(json.dumps({"type": "echo", "said": message}))

    server = WebSocketServer(leaky)
    path = tmp_path / "leaky.yaml"

    async def leak() -> str:
        async with connect(server.url) as ws:
            await ws.send(json.dumps({"type": "auth", "key": KEY}))
            return str(await ws.recv())

    with pytest.warns(SecretRedactedWarning) as warned, use_cassette(path, record_mode="once"):
        asyncio.run(leak())
    server.stop()
    assert KEY not in path.read_text()
    message = str(warned[0].message)
    assert "interaction 1, request body: OpenAI project key (sk-proj-…)" in message
    assert "interaction 1, received WebSocket message 0: OpenAI project key (sk-proj-…)" in message
