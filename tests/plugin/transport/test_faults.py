"""Provider faults are recorded as they happened and replay the same way, so that the retry
and error paths of an agent can be tested: error statuses, an ``event: error`` in a stream,
a connection closed before the response or cut in the middle of a stream, a timeout.
"""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import httpx2
import pytest

from pytest_agentcassette import TransportError, use_cassette
from tests.support.cassettes import load_cassette
from tests.support.clients import CLIENT_KINDS
from tests.support.network import NetworkCut
from tests.support.provider_server import ProviderServer
from tests.support.wire_formats import Reply

CHAT = {"model": "gpt-4o", "stream": True, "messages": [{"role": "user", "content": "Hi"}]}


def _attempt(kind: str, url: str, *, timeout: float = 5.0) -> tuple[list[bytes], BaseException]:
    """Stream a chat request with a fresh client of ``kind``: the chunks that arrived, and
    the error that ended it (the test expects one)."""
    module: Any = httpx2 if kind.startswith("httpx2") else httpx
    chunks: list[bytes] = []
    if not kind.endswith("async"):
        try:
            with (
                module.Client(timeout=timeout) as client,
                client.stream("POST", url + "/v1/chat/completions", json=CHAT) as response,
            ):
                for chunk in response.iter_raw():
                    chunks.append(chunk)
        except Exception as error:
            return chunks, error
        raise AssertionError("the request succeeded")

    async def main() -> BaseException:
        try:
            async with (
                module.AsyncClient(timeout=timeout) as client,
                client.stream("POST", url + "/v1/chat/completions", json=CHAT) as response,
            ):
                async for chunk in response.aiter_raw():
                    chunks.append(chunk)
        except Exception as error:
            return error
        raise AssertionError("the request succeeded")

    return chunks, asyncio.run(main())


def _note(path: Path, interaction: int = 0) -> str:
    """What a replayed transport error's message gains (no record command outside pytest)."""
    return (
        f" [agentcassette: replayed from {path}, interaction {interaction}, as recorded; if "
        f"the provider answers now, record it again: use record_mode='all']"
    )


FAULTS = {
    # fault given to the server: (httpx exception, recorded kind, a response arrived)
    "hang up": ("RemoteProtocolError", "RemoteProtocolError", False),
    2: ("RemoteProtocolError", "RemoteProtocolError", True),
    "stall": ("ReadTimeout", "ReadTimeout", False),
}


@pytest.mark.parametrize("kind", CLIENT_KINDS)
@pytest.mark.parametrize(
    "fault", FAULTS, ids=["closed-before-response", "cut-mid-stream", "timeout"]
)
def test_a_transport_error_is_recorded_and_met_again_in_replay(
    kind: str,
    fault: str | int,
    tmp_path: Path,
    provider_server: ProviderServer,
    network_cut: NetworkCut,
) -> None:
    error_name, recorded_kind, responded = FAULTS[fault]
    provider_server.faults = [fault]
    provider_server.script = [Reply("Containers are boxes for processes.")]
    provider_server.gate_timeout = 2.0
    path = tmp_path / "fault.yaml"
    with use_cassette(path, record_mode="once", record_outages=True) as recording:
        recorded_chunks, recorded_error = _attempt(kind, provider_server.url, timeout=0.3)
    provider_server.gate.set()
    provider_server.stop()
    assert type(recorded_error).__name__ == error_name
    (interaction,) = recording.recorded
    assert interaction.response.error is not None
    assert interaction.response.error.kind == recorded_kind
    assert (interaction.response.status_code == 200) is responded
    assert bool(recorded_chunks) is responded  # the cut one sent two events first

    with network_cut, use_cassette(path) as replay:
        replayed_chunks, replayed_error = _attempt(kind, provider_server.url)
    assert type(replayed_error) is type(recorded_error)  # httpx's, or httpx2's
    assert str(replayed_error) == f"{recorded_error}{_note(path)}"
    assert b"".join(replayed_chunks) == b"".join(recorded_chunks)
    assert len(replay.played) == 1
    assert network_cut.attempts == []


def test_a_connection_refused_is_recorded_and_replayed(
    tmp_path: Path, network_cut: NetworkCut
) -> None:
    path = tmp_path / "refused.yaml"
    closed = ProviderServer().start()
    url = closed.url
    closed.stop()
    with (
        use_cassette(path, record_mode="once", record_outages=True),
        pytest.raises(httpx.ConnectError) as recorded,
    ):
        httpx.post(url + "/v1/chat/completions", json=CHAT)
    (interaction,) = load_cassette(path, fix_hint="")
    assert interaction.response.status_code == 0
    assert interaction.response.error == TransportError("ConnectError", str(recorded.value))
    with network_cut, use_cassette(path), pytest.raises(httpx.ConnectError) as replayed:
        httpx.post(url + "/v1/chat/completions", json=CHAT)
    assert str(replayed.value) == f"{recorded.value}{_note(path)}"
    assert network_cut.attempts == []


def test_the_cassette_shows_the_error_where_it_happened(
    tmp_path: Path, provider_server: ProviderServer
) -> None:
    provider_server.faults = ["hang up", 2]
    provider_server.script = [Reply("One two three four five six.")] * 2
    path = tmp_path / "faults.yaml"
    with use_cassette(path, record_mode="once"):
        for _ in range(2):
            _attempt("httpx-sync", provider_server.url)
    text = path.read_text()
    before, cut = text.split("\n- id: 1\n")
    assert "  response:\n    error:\n      kind: RemoteProtocolError\n      message:" in before
    assert "code:" not in before  # no response came: no status to show
    assert "    code: 200\n" in cut
    assert "\n    error:\n      kind: RemoteProtocolError\n" in cut  # after the body it cut
    assert cut.index("    body:") < cut.index("    error:")


def test_an_sdk_meets_the_same_cut_stream_and_its_retry_replays_in_order(
    tmp_path: Path, provider_server: ProviderServer, network_cut: NetworkCut
) -> None:
    import openai

    def ask() -> tuple[str, list[str]]:
        seen: list[str] = []
        with openai.OpenAI(
            base_url=provider_server.url + "/v1", api_key="sk-test", max_retries=1
        ) as client:
            # A request closed before its response is retried by the SDK; a stream cut
            # in the middle reaches the code, which asks again.
            for _ in range(2):
                try:
                    stream = client.chat.completions.create(
                        model="gpt-4o", messages=[{"role": "user", "content": "Hi"}], stream=True
                    )
                    for chunk in stream:
                        if chunk.choices and chunk.choices[0].delta.content:
                            seen.append(chunk.choices[0].delta.content)
                    return "done", seen
                except (httpx2.HTTPError, openai.APIConnectionError) as error:
                    seen.append(f"<{type(error).__name__}>")
        return "gave up", seen

    provider_server.faults = ["hang up", 3]
    provider_server.script = [Reply("One two three four five six."), Reply("Hello again.")]
    path = tmp_path / "sdk.yaml"
    with use_cassette(path, record_mode="once") as recording:
        recorded = ask()
    provider_server.stop()
    assert [i.response.status_code for i in recording.recorded] == [0, 200, 200]
    assert recorded[0] == "done"
    assert recorded[1][2] == "<APIConnectionError>"  # the SDK wraps the cut stream

    with network_cut, use_cassette(path) as replay:
        replayed = ask()
    assert replayed == recorded
    assert len(replay.played) == 3
    assert network_cut.attempts == []


def test_error_statuses_and_an_error_event_in_a_stream_replay_as_recorded(
    tmp_path: Path, provider_server: ProviderServer, network_cut: NetworkCut
) -> None:
    import anthropic

    overloaded = b'{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}'
    provider_server.failures = [
        (500, {}, b'{"type":"error","error":{"type":"api_error","message":"Internal"}}'),
        (
            200,
            {"content-type": "text/event-stream"},
            b"event: message_start\n"
            b'data: {"type":"message_start","message":{"id":"msg_1","type":"message",'
            b'"role":"assistant","model":"claude-sonnet-4-0","content":[],"stop_reason":null,'
            b'"stop_sequence":null,"usage":{"input_tokens":5,"output_tokens":1}}}\n\n'
            b"event: error\ndata: " + overloaded + b"\n\n",
        ),
    ]

    def ask() -> list[str]:
        outcomes = []
        with anthropic.Anthropic(
            base_url=provider_server.url, api_key="sk-ant-test", max_retries=0
        ) as claude:
            for _ in range(2):
                try:
                    with claude.messages.stream(
                        model="claude-sonnet-4-0",
                        max_tokens=64,
                        messages=[{"role": "user", "content": "Hi"}],
                    ) as stream:
                        outcomes.append(stream.get_final_text())
                except anthropic.APIError as error:
                    status = getattr(error, "status_code", None)
                    outcomes.append(f"{type(error).__name__} {status}: {error.message}")
        return outcomes

    path = tmp_path / "errors.yaml"
    with use_cassette(path, record_mode="once"):
        recorded = ask()
    provider_server.stop()
    assert recorded[0].startswith("InternalServerError 500: ")
    assert recorded[1].startswith("APIStatusError 200: ")  # the error event, mid-stream
    assert "Overloaded" in recorded[1]
    with network_cut, use_cassette(path):
        assert ask() == recorded
    assert network_cut.attempts == []


def test_the_clients_own_mistakes_are_not_recorded_as_provider_faults(
    tmp_path: Path, provider_server: ProviderServer
) -> None:
    url = provider_server.url + "/v1/chat/completions"
    provider_server.faults = ["stall"]
    provider_server.gate_timeout = 5.0
    path = tmp_path / "mistakes.yaml"
    with use_cassette(path, record_mode="once", record_outages=True) as recording:
        # A header value no HTTP/1.1 client may send (a key read with its newline).
        with pytest.raises(httpx.LocalProtocolError):
            httpx.post(url, json=CHAT, headers={"authorization": "Bearer sk-test\n"})
        # A pool too small for the requests: the second waits for the first, in vain.
        limits = httpx.Limits(max_connections=1)
        with httpx.Client(limits=limits, timeout=httpx.Timeout(5.0, pool=0.2)) as client:
            met: list[BaseException] = []

            def stalled() -> None:
                try:
                    client.post(url, json=CHAT)
                except httpx.HTTPError as error:
                    met.append(error)

            first = threading.Thread(target=stalled)
            first.start()
            time.sleep(0.1)
            with pytest.raises(httpx.PoolTimeout):
                client.post(url, json=CHAT)
            provider_server.gate.set()  # the stalled request ends: the server hangs up
            first.join()
    assert [type(error) for error in met] == [httpx.RemoteProtocolError]
    # Only what the server did is kept: its hang-up, not the client's own mistakes.
    assert [i.response.error for i in recording.recorded] == [
        TransportError("RemoteProtocolError", "Server disconnected without sending a response.")
    ]


def test_the_summary_lists_the_transport_errors_a_run_recorded(
    pytester: pytest.Pytester, provider_server: ProviderServer
) -> None:
    pytester.makepyfile(
        test_flaky=f"""
        import httpx
        import pytest

        @pytest.mark.cassette
        def test_asks_twice():
            with pytest.raises(httpx.RemoteProtocolError):
                httpx.post("{provider_server.url}/v1/chat/completions", json={{}})
            httpx.post("{provider_server.url}/v1/chat/completions", json={{}})
        """
    )
    provider_server.faults = ["hang up"]
    result = pytester.runpytest("--record-mode=once", "-p", "no:randomly")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            "transport errors recorded (replays meet them again; if the network, not the "
            "provider, failed, re-record):",
            "  cassettes/test_flaky/test_asks_twice.yaml: interaction 0: RemoteProtocolError "
            "(no response) Server disconnected without sending a response.",
        ]
    )
