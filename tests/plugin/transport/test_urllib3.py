"""urllib3, and requests and botocore on top of it, are recorded and replayed as httpx is:
each HTTP hop is one interaction (urllib3's own retries and redirects still run), every
read API is served from the cassette with the network cut, event streams are teed live
while recording, and a fault is met again as the same exception after the same chunks.
"""

from __future__ import annotations

import http.server
import io
import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import requests
import urllib3
from urllib3.connectionpool import HTTPConnectionPool
from urllib3.util.retry import Retry

from pytest_agentcassette import CassetteMismatchError, use_cassette
from tests.support.inner_runs import line_of
from tests.support.network import NetworkCut
from tests.support.provider_server import ProviderServer
from tests.support.replayed_faults import without_note

CHAT: dict[str, Any] = {
    "model": "gpt-4o",
    "stream": True,
    "messages": [{"role": "user", "content": "Hi"}],
}
WHOLE: dict[str, Any] = {**CHAT, "stream": False}


def _events(url: str, read: Callable[[urllib3.BaseHTTPResponse], list[bytes]]) -> list[bytes]:
    with urllib3.PoolManager() as pool:
        response = pool.request(
            "POST", url + "/v1/chat/completions", json=CHAT, preload_content=False
        )
        return read(response)


def _pieces(read: Callable[[], bytes]) -> list[bytes]:
    pieces = []
    while piece := read():
        pieces.append(piece)
    return pieces


URLLIB3_READS: dict[str, Callable[[urllib3.BaseHTTPResponse], list[bytes]]] = {
    "read()": lambda response: [response.read()],
    "read(amt)": lambda response: _pieces(lambda: response.read(100)),
    "read1()": lambda response: _pieces(response.read1),
    "stream(None)": lambda response: list(response.stream(None)),
    "stream(64)": lambda response: list(response.stream(64)),
    "read_chunked()": lambda response: list(response.read_chunked()),
    "not decoded": lambda response: list(response.stream(None, decode_content=False)),
    "lines": lambda response: list(response),
}


def test_every_urllib3_read_api_replays_what_it_read_with_the_network_cut(
    tmp_path: Path, provider_server: ProviderServer, network_cut: NetworkCut
) -> None:
    def session() -> list[Any]:
        url = provider_server.url
        with urllib3.PoolManager() as pool:
            preloaded = pool.request("POST", url + "/v1/chat/completions", json=WHOLE)
            whole = (preloaded.status, preloaded.headers["content-type"], preloaded.json())
        return [whole, *(_events(url, read) for read in URLLIB3_READS.values())]

    path = tmp_path / "urllib3.yaml"
    with use_cassette(path, record_mode="once") as recording:
        recorded = session()
    provider_server.stop()
    assert recorded[0][0] == 200
    assert recorded[0][2]["choices"][0]["message"]["content"] == "You said: Hi"
    streamed = recorded[1 + list(URLLIB3_READS).index("stream(None)")]
    assert len(streamed) == 6
    assert streamed[-1] == b"data: [DONE]\n\n"
    kept = recording.recorded[1 + list(URLLIB3_READS).index("stream(None)")]
    assert kept.response.body.chunks == streamed  # the cassette keeps the chunks too

    with network_cut, use_cassette(path) as replay:
        assert session() == recorded
    assert len(replay.played) == 1 + len(URLLIB3_READS)
    assert network_cut.attempts == []


def test_requests_replays_json_text_and_streamed_lines(
    tmp_path: Path, provider_server: ProviderServer, network_cut: NetworkCut
) -> None:
    url = provider_server.url + "/v1/chat/completions"

    def session() -> list[Any]:
        plain = requests.post(url, json=WHOLE)
        plain.raise_for_status()
        with requests.Session() as client:
            text = client.post(url, json=CHAT).text
            with client.post(url, json=CHAT, stream=True) as streamed:
                lines = list(streamed.iter_lines())
            with client.post(url, json=CHAT, stream=True) as streamed:
                chunks = list(streamed.iter_content(chunk_size=None))
        return [plain.status_code, plain.json(), plain.headers["content-type"], text, lines, chunks]

    path = tmp_path / "requests.yaml"
    with use_cassette(path, record_mode="once"):
        recorded = session()
    provider_server.stop()
    assert recorded[1]["choices"][0]["message"]["content"] == "You said: Hi"
    assert len(recorded[5]) == 6  # iter_content(None) yields the events as they came

    with network_cut, use_cassette(path) as replay:
        assert session() == recorded
    assert len(replay.played) == 4
    assert network_cut.attempts == []


def test_an_event_stream_reaches_the_code_live_while_it_is_recorded(
    tmp_path: Path, provider_server: ProviderServer, network_cut: NetworkCut
) -> None:
    url = provider_server.url + "/v1/slow"  # one event, then the rest when the gate opens

    def read(before_the_rest: Callable[[], None]) -> list[bytes]:
        with requests.post(url, json={}, stream=True) as response:
            lines = response.iter_lines()
            first = [next(lines), next(lines)]  # the first event and its blank line
            before_the_rest()
            return first + list(lines)

    seen_first: list[int] = []

    def open_gate() -> None:
        seen_first.append(provider_server.streams_finished)
        provider_server.gate.set()

    path = tmp_path / "live.yaml"
    with use_cassette(path, record_mode="once"):
        recorded = read(open_gate)
    provider_server.stop()
    assert seen_first == [0]  # the code had the first event while the server held the rest
    assert recorded[0].startswith(b'data: {"n":0')
    assert len(recorded) == 8

    with network_cut, use_cassette(path):
        assert read(lambda: None) == recorded
    assert network_cut.attempts == []


def _attempt(kind: str, url: str) -> tuple[list[bytes], BaseException]:
    """Ask with ``kind`` of client; the chunks that arrived and the error that ended it."""
    chunks: list[bytes] = []
    target = url + "/v1/chat/completions"
    try:
        if kind.startswith("urllib3"):
            with urllib3.PoolManager(timeout=0.3, retries=False) as pool:
                preload = kind == "urllib3-preload"
                response = pool.request("POST", target, json=CHAT, preload_content=preload)
                chunks.extend([response.data] if preload else response.stream(None))
        elif kind == "requests-stream":
            with requests.post(target, json=CHAT, stream=True, timeout=0.3) as streamed:
                chunks.extend(streamed.iter_content(chunk_size=None))
        else:
            chunks.append(requests.post(target, json=CHAT, timeout=0.3).content)
    except Exception as error:
        return chunks, error
    raise AssertionError("the request succeeded")


FAULTS = {
    # fault given to the server: (kind recorded, a response arrived)
    "hang up": ("RemoteProtocolError", False),
    2: ("RemoteProtocolError", True),
    "stall": ("ReadTimeout", False),
}


@pytest.mark.parametrize(
    "kind", ["urllib3-preload", "urllib3-stream", "requests-stream", "requests"]
)
@pytest.mark.parametrize(
    "fault", FAULTS, ids=["closed-before-response", "cut-mid-stream", "timeout"]
)
def test_a_fault_is_met_again_as_the_same_exception_after_the_same_chunks(
    kind: str,
    fault: str | int,
    tmp_path: Path,
    provider_server: ProviderServer,
    network_cut: NetworkCut,
) -> None:
    recorded_kind, responded = FAULTS[fault]
    provider_server.faults = [fault]
    provider_server.gate_timeout = 1.0
    path = tmp_path / "fault.yaml"
    with use_cassette(path, record_mode="once", record_outages=True) as recording:
        recorded_chunks, recorded_error = _attempt(kind, provider_server.url)
    provider_server.gate.set()
    provider_server.stop()
    (interaction,) = recording.recorded
    assert interaction.response.error is not None
    assert interaction.response.error.kind == recorded_kind
    assert (interaction.response.status_code == 200) is responded
    if kind.endswith("stream"):
        assert len(recorded_chunks) == (2 if responded else 0)  # two events, then the cut

    with network_cut, use_cassette(path) as replay:
        replayed_chunks, replayed_error = _attempt(kind, provider_server.url)
    assert type(replayed_error) is type(recorded_error)  # urllib3's, or requests' own
    # In a body urllib3 words the socket's error itself: no room for the replay's note.
    shown = str(replayed_error) if responded else without_note(replayed_error)
    assert shown == str(recorded_error)
    assert replayed_chunks == recorded_chunks
    assert len(replay.played) == 1
    assert network_cut.attempts == []


def test_a_timeout_in_the_middle_of_a_stream_is_met_again_there(
    tmp_path: Path, provider_server: ProviderServer, network_cut: NetworkCut
) -> None:
    provider_server.gate_timeout = 1.0

    def read() -> tuple[list[bytes], BaseException]:
        lines: list[bytes] = []
        try:
            with requests.post(
                provider_server.url + "/v1/slow", json={}, stream=True, timeout=0.3
            ) as response:
                lines.extend(response.iter_lines())
        except requests.RequestException as error:
            return lines, error
        raise AssertionError("the stream ended")

    path = tmp_path / "slow.yaml"
    with use_cassette(path, record_mode="once") as recording:
        recorded_lines, recorded_error = read()
    provider_server.gate.set()
    provider_server.stop()
    assert type(recorded_error) is requests.ConnectionError  # requests' word for it
    assert len(recorded_lines) == 2
    (interaction,) = recording.recorded
    assert interaction.response.error is not None
    assert interaction.response.error.kind == "ReadTimeout"

    with network_cut, use_cassette(path):
        replayed_lines, replayed_error = read()
    assert (replayed_lines, type(replayed_error)) == (recorded_lines, type(recorded_error))
    assert str(replayed_error) == str(recorded_error)  # urllib3's own words, in a body
    assert network_cut.attempts == []


def test_a_refused_connection_is_recorded_once_per_urllib3_retry_and_met_again(
    tmp_path: Path, network_cut: NetworkCut
) -> None:
    closed = ProviderServer().start()
    url = closed.url + "/v1/chat/completions"
    closed.stop()

    def ask() -> tuple[urllib3.exceptions.MaxRetryError, requests.ConnectionError]:
        with pytest.raises(urllib3.exceptions.MaxRetryError) as pooled:
            urllib3.PoolManager(retries=Retry(connect=2, backoff_factor=0)).request("GET", url)
        with pytest.raises(requests.ConnectionError) as asked:
            requests.post(url, json=CHAT)
        return pooled.value, asked.value

    path = tmp_path / "refused.yaml"
    with use_cassette(path, record_mode="once", record_outages=True) as recording:
        recorded = ask()
    kinds = [(i.request.method, i.response.error.kind) for i in recording.recorded]  # type: ignore[union-attr]
    assert kinds == [("GET", "ConnectError")] * 3 + [("POST", "ConnectError")]
    assert recording.recorded[0].response.error.message == (  # type: ignore[union-attr]
        "Failed to establish a new connection: [Errno 111] Connection refused"
    )
    with network_cut, use_cassette(path):
        replayed = ask()
    assert [without_note(error) for error in replayed] == [str(error) for error in recorded]
    assert isinstance(replayed[0].reason, urllib3.exceptions.NewConnectionError)
    assert network_cut.attempts == []


def test_error_statuses_replay_and_urllib3_retries_each_as_a_hop(
    tmp_path: Path, provider_server: ProviderServer, network_cut: NetworkCut
) -> None:
    provider_server.failures = [
        (500, {}, b'{"error":{"message":"Internal"}}'),
        (503, {"retry-after": "0"}, b'{"error":{"message":"Overloaded"}}'),
    ]
    url = provider_server.url + "/v1/chat/completions"

    def session() -> list[Any]:
        failed = requests.post(url, json=WHOLE)
        with pytest.raises(requests.HTTPError) as raised:
            failed.raise_for_status()
        retry = Retry(total=2, status_forcelist=[503], allowed_methods=None, backoff_factor=0)
        retried = urllib3.PoolManager(retries=retry).request("POST", url, json=WHOLE)
        assert retried.retries is not None
        history = [(attempt.status, attempt.method) for attempt in retried.retries.history]
        return [str(raised.value), failed.json(), retried.status, history, retried.json()]

    path = tmp_path / "statuses.yaml"
    with use_cassette(path, record_mode="once") as recording:
        recorded = session()
    provider_server.stop()
    assert recorded[0].startswith("500 Server Error")
    assert recorded[2:4] == [200, [(503, "POST")]]
    assert [i.response.status_code for i in recording.recorded] == [500, 503, 200]

    with network_cut, use_cassette(path):
        assert session() == recorded
    assert network_cut.attempts == []


def test_a_gzip_body_is_stored_decoded_and_replays_for_both_clients(
    tmp_path: Path, provider_server: ProviderServer, network_cut: NetworkCut
) -> None:
    url = provider_server.url + "/gzip"

    def session() -> list[Any]:
        pooled = urllib3.PoolManager().request("GET", url, headers={"accept-encoding": "gzip"})
        asked = requests.get(url)
        return [pooled.json(), asked.json(), asked.headers.get("content-encoding")]

    path = tmp_path / "gzip.yaml"
    with use_cassette(path, record_mode="once") as recording:
        recorded = session()
    provider_server.stop()
    assert recorded[0]["items"] == list(range(50))
    assert recorded[2] == "gzip"  # live, requests saw the encoding
    for interaction in recording.recorded:
        assert interaction.response.header("content-encoding") is None
        assert interaction.response.body.json()["items"] == list(range(50))

    with network_cut, use_cassette(path):
        replayed = session()
    assert replayed[:2] == recorded[:2]
    assert network_cut.attempts == []


class _Redirects(http.server.BaseHTTPRequestHandler):
    """``/old`` redirects to ``/new``; ``/echo`` answers with the body it got (chunked or
    not) and how it came."""

    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _body(self) -> bytes:
        if "chunked" in (self.headers.get("transfer-encoding") or ""):
            body = b""
            while size := int(self.rfile.readline().strip(), 16):
                body += self.rfile.read(size)
                self.rfile.readline()
            self.rfile.readline()
            return body
        return self.rfile.read(int(self.headers.get("content-length") or 0))

    def _reply(self, status: int, body: bytes, **headers: str) -> None:
        self.send_response(status)
        for name, value in {"content-length": str(len(body)), **headers}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        if self.path == "/old":
            self._reply(302, b"", location="/new")
        else:
            self._reply(200, json.dumps({"path": self.path}).encode())

    def do_POST(self) -> None:
        body = self._body()
        framing = "chunked" if self.headers.get("transfer-encoding") else "length"
        self._reply(200, json.dumps({"got": body.decode(), "framing": framing}).encode())


@pytest.fixture
def redirects() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Redirects)
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_redirect_is_recorded_hop_by_hop_and_followed_again_in_replay(
    tmp_path: Path, redirects: str, network_cut: NetworkCut
) -> None:
    def session() -> list[Any]:
        pooled = urllib3.PoolManager().request("GET", redirects + "/old")
        asked = requests.get(redirects + "/old")
        return [
            pooled.json(),
            pooled.geturl(),
            asked.json(),
            asked.url,
            [hop.status_code for hop in asked.history],
        ]

    path = tmp_path / "redirect.yaml"
    with use_cassette(path, record_mode="once") as recording:
        recorded = session()
    assert recorded == [{"path": "/new"}, "/new", {"path": "/new"}, redirects + "/new", [302]]
    hops = [
        (i.request.url.removeprefix(redirects), i.response.status_code) for i in recording.recorded
    ]
    assert hops == [("/old", 302), ("/new", 200)] * 2

    with network_cut, use_cassette(path):
        assert session() == recorded
    assert network_cut.attempts == []


def test_file_and_generator_bodies_are_recorded_as_the_bytes_sent(
    tmp_path: Path, redirects: str, network_cut: NetworkCut
) -> None:
    def session() -> list[Any]:
        filed = requests.post(redirects + "/echo", data=io.BytesIO(b'{"a": 1}'))
        pieces = (piece for piece in [b'{"b": ', b"2}"])
        streamed = urllib3.PoolManager().request("POST", redirects + "/echo", body=pieces)
        return [filed.json(), streamed.json()]

    path = tmp_path / "bodies.yaml"
    with use_cassette(path, record_mode="once", request_headers="all") as recording:
        recorded = session()
    assert recorded == [
        {"got": '{"a": 1}', "framing": "length"},
        {"got": '{"b": 2}', "framing": "chunked"},  # sent as urllib3 sends an iterable
    ]
    assert [i.request.body.json() for i in recording.recorded] == [{"a": 1}, {"b": 2}]
    assert recording.recorded[1].request.header("transfer-encoding") == "chunked"

    with network_cut, use_cassette(path):
        assert session() == recorded
    assert network_cut.attempts == []


def test_credentials_are_redacted_and_a_requests_cassette_replays_through_httpx(
    tmp_path: Path, provider_server: ProviderServer, network_cut: NetworkCut
) -> None:
    url = provider_server.url + "/v1/chat/completions"
    path = tmp_path / "shared.yaml"
    with (
        use_cassette(path, record_mode="once", request_headers="all"),
        requests.post(
            url, json=CHAT, headers={"Authorization": "Bearer sk-proj-abc123secret"}, stream=True
        ) as response,
    ):
        recorded = list(response.iter_content(chunk_size=None))
    provider_server.stop()
    text = path.read_text()
    assert "sk-proj-abc123secret" not in text
    assert "      Authorization: REDACTED\n" in text

    with (
        network_cut,
        use_cassette(path),
        httpx.Client() as client,
        client.stream("POST", url, json=CHAT) as replayed,
    ):
        assert list(replayed.iter_raw()) == recorded  # one format, whichever client
    assert network_cut.attempts == []


def test_an_https_replay_connects_to_nothing_not_even_a_proxy(
    tmp_path: Path, provider_server: ProviderServer, network_cut: NetworkCut
) -> None:
    path = tmp_path / "https.yaml"
    with use_cassette(path, record_mode="once"):
        recorded = requests.post(provider_server.url + "/v1/chat/completions", json=WHOLE).json()
    provider_server.stop()
    secure = provider_server.url.replace("http://", "https://")
    path.write_text(path.read_text().replace(provider_server.url, secure))

    with network_cut, use_cassette(path, allow_playback_repeats=True):
        assert requests.post(secure + "/v1/chat/completions", json=WHOLE).json() == recorded
        through_proxy = requests.post(
            secure + "/v1/chat/completions",
            json=WHOLE,
            proxies={"https": "http://127.0.0.1:9"},  # the tunnel is never opened
        )
        assert through_proxy.json() == recorded
    assert network_cut.attempts == []  # no TLS handshake, no proxy


def test_a_refused_https_proxy_is_recorded_and_met_again(
    tmp_path: Path, network_cut: NetworkCut
) -> None:
    closed = ProviderServer().start()
    proxy = closed.url
    closed.stop()

    def ask() -> requests.exceptions.ProxyError:
        with pytest.raises(requests.exceptions.ProxyError) as raised:
            requests.get("https://127.0.0.1:1/v1/models", proxies={"https": proxy})
        return raised.value

    path = tmp_path / "proxy.yaml"
    with use_cassette(path, record_mode="once", record_outages=True) as recording:
        recorded = ask()
    (interaction,) = recording.recorded
    assert interaction.request.url == "https://127.0.0.1:1/v1/models"
    assert interaction.response.error is not None
    assert interaction.response.error.kind == "ConnectError"
    with network_cut, use_cassette(path):
        assert without_note(ask()) == str(recorded)
    assert network_cut.attempts == []


def test_the_clients_own_mistakes_are_not_recorded(
    tmp_path: Path, provider_server: ProviderServer
) -> None:
    with (
        use_cassette(tmp_path / "mistakes.yaml", record_mode="once") as recording,
        pytest.raises(ValueError, match="Invalid header value"),
    ):
        urllib3.PoolManager().request(
            "POST", provider_server.url + "/v1/chat/completions", headers={"x-key": "k\n"}
        )
    assert recording.recorded == []


def test_the_pools_are_unpatched_when_the_last_cassette_closes(tmp_path: Path) -> None:
    unpatched = HTTPConnectionPool._make_request
    with use_cassette(tmp_path / "c.yaml", record_mode="once"):
        assert HTTPConnectionPool._make_request is not unpatched
    assert HTTPConnectionPool._make_request is unpatched


def test_a_changed_requests_call_fails_with_the_drift_diff(
    pytester: pytest.Pytester, provider_server: ProviderServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PROVIDER_URL", provider_server.url)
    source = """
        import os

        import pytest
        import requests

        URL = os.environ["PROVIDER_URL"] + "/v1/chat/completions"

        @pytest.mark.cassette
        def test_answer():
            body = {{"model": "gpt-4o", "messages": [{{"role": "user", "content": "{text}"}}]}}
            requests.post(URL, json=body, headers={{"authorization": "Bearer sk-inner"}})
        """
    pytester.makepyfile(test_chat=source.format(text="hello"))
    pytester.runpytest("--record-mode=once").assert_outcomes(passed=1)
    test_file = pytester.makepyfile(test_chat=source.format(text="hello again"))
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    url = f"{provider_server.url}/v1/chat/completions"
    result.stdout.fnmatch_lines(
        [
            "_* test_answer _*",
            f"No recorded interaction matches POST {url}",
            "  cassette:    cassettes/test_chat/test_answer.yaml (1 interaction, 0 played)",
            "  record mode: none (replay only; nothing was sent to the network)",
            f"  nearest:     interaction 0 (POST {url}): same method and URL, but the body differs",
            "  changes from the recording to this request:",
            '    replace /messages/0/content: "hello" → "hello again"',
            f"  sent from:   test_chat.py:{line_of(test_file, 'requests.post(URL')}",
        ],
        consecutive=True,
    )
    assert "requests.exceptions" not in result.stdout.str()  # not wrapped by requests
    assert len(provider_server.requests) == 1


def test_a_mismatch_reaches_the_code_as_the_plugins_error(
    tmp_path: Path, provider_server: ProviderServer
) -> None:
    with use_cassette(tmp_path / "empty.yaml") as replay, pytest.raises(CassetteMismatchError):
        requests.post(provider_server.url + "/v1/chat/completions", json=WHOLE)
    assert replay.played == []
    assert provider_server.requests == []


BEDROCK_REPLY = {
    "output": {"message": {"role": "assistant", "content": [{"text": "Hello from Bedrock"}]}},
    "stopReason": "end_turn",
    "usage": {"inputTokens": 3, "outputTokens": 4, "totalTokens": 7},
    "metrics": {"latencyMs": 12},
}


class _Bedrock(http.server.BaseHTTPRequestHandler):
    """Bedrock runtime's ``Converse``, answering every call with the same reply."""

    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length") or 0))
        body = json.dumps(BEDROCK_REPLY).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.send_header("x-amzn-requestid", "7f3c0c9e-0000-4000-8000-000000000000")
        self.end_headers()
        self.wfile.write(body)


def test_botocore_bedrock_converse_replays_with_the_server_gone_and_sigv4_redacted(
    tmp_path: Path, network_cut: NetworkCut
) -> None:
    session = pytest.importorskip("botocore.session")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Bedrock)
    threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True).start()
    endpoint = f"http://127.0.0.1:{server.server_port}"

    def converse() -> Any:
        client = session.get_session().create_client(
            "bedrock-runtime",
            region_name="us-east-1",
            endpoint_url=endpoint,
            aws_access_key_id="AKIAIOSFODNN7EXAMPLE",
            aws_secret_access_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        )
        messages = [{"role": "user", "content": [{"text": "Hi"}]}]
        reply = client.converse(modelId="anthropic.claude-3-haiku-20240307-v1:0", messages=messages)
        return reply["output"], reply["usage"]

    path = tmp_path / "bedrock.yaml"
    try:
        with use_cassette(path, record_mode="once", request_headers="all") as recording:
            recorded = converse()
    finally:
        server.shutdown()
        server.server_close()
    assert recorded[0]["message"]["content"] == [{"text": "Hello from Bedrock"}]
    (interaction,) = recording.recorded
    assert interaction.request.url.endswith("/converse")
    text = path.read_text()
    assert "AKIA" not in text
    assert "AWS4-HMAC-SHA256" not in text
    assert "      Authorization: REDACTED\n" in text

    with network_cut, use_cassette(path):
        assert converse() == recorded
    assert network_cut.attempts == []
