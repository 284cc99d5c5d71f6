"""``python -m pytest_agentcassette convert``: vcrpy's cassettes in this plugin's format.

Each converted cassette replays, through httpx, the bytes vcrpy itself serves from the
original (vcrpy replays it here for the comparison); the cassettes are small vcrpy files
written by each test.
"""

from __future__ import annotations

import base64
import gzip
import json
import sys
import types
import zlib
from pathlib import Path

import httpx
import pytest
import vcr

from pytest_agentcassette import CassetteError, use_cassette
from pytest_agentcassette.__main__ import main
from tests.support.cassettes import load_cassette

VCRPY_MATCHING = ["method", "url"]

PLAIN = """\
interactions:
- request:
    body: '{"model": "gpt-4o", "messages": [{"role": "user", "content": "Hi"}]}'
    headers:
      Content-Type:
      - application/json
      Authorization:
      - Bearer a-key-of-this-test
      X-Trace:
      - !!binary |
        YWJj
    method: POST
    uri: https://api.openai.com/v1/chat/completions?b=2&a=1
  response:
    body:
      string: '{"id":"chatcmpl-1","choices":[{"message":{"content":"Hello"}}]}'
    headers:
      Content-Type:
      - application/json
      Set-Cookie:
      - a=1
      - b=2
    status:
      code: 200
      message: OK
- request:
    body: !!binary |
      AAEC
    headers: {}
    method: PUT
    uri: https://files.example.com/upload
  response:
    body:
      string: !!binary |
        //79
    headers: {}
    status:
      code: 201
      message: Created
- request:
    body: null
    headers: {}
    method: GET
    uri: https://files.example.com/missing
  response:
    body:
      string: ''
    headers: {}
    status:
      code: 404
      message: Not Found
version: 1
"""


def _write(folder: Path, name: str, text: str | bytes) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path


def _requests(original: Path) -> list[httpx.Request]:
    """The requests the vcrpy cassette recorded, to send again."""
    import yaml

    document = yaml.safe_load(original.read_text())
    requests = []
    for item in document["interactions"]:
        request = item["request"]
        body = request.get("body") or b""
        if "parsed_body" in request:
            body = json.dumps(request["parsed_body"])
        url = request["uri"]
        requests.append(httpx.Request(request["method"], url, content=body))
    return requests


def _served(requests: list[httpx.Request]) -> list[tuple[int, bytes, list[bytes]]]:
    with httpx.Client() as client:
        answers = []
        for request in requests:
            response = client.send(request, stream=True)
            chunks = list(response.iter_bytes())
            answers.append((response.status_code, b"".join(chunks), chunks))
            response.close()
        return answers


def _vcrpy_serves(original: Path) -> list[tuple[int, bytes]]:
    """What vcrpy itself replays from the original, request by request."""
    recorder = vcr.VCR(record_mode="none")
    with recorder.use_cassette(str(original)):
        return [(code, content) for code, content, _ in _served(_requests(original))]


def _plugin_serves(converted: Path, original: Path) -> list[tuple[int, bytes, list[bytes]]]:
    with use_cassette(converted, record_mode="none", match_on=VCRPY_MATCHING):
        return _served(_requests(original))


def _convert(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[str]]:
    status = main(["convert", *args])
    return status, capsys.readouterr().out.splitlines()


def test_a_converted_cassette_replays_what_vcrpy_served(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    original = _write(tmp_path / "vcrpy", "test_chat.yaml", PLAIN)
    status, lines = _convert(capsys, str(original.parent), "--out", str(tmp_path / "out"))
    converted = tmp_path / "out" / "test_chat.yaml"
    assert status == 0
    assert lines[0] == f"converted: {original} -> {converted} (3 interactions)"
    assert lines[1] == "1 file: 1 converted, 0 already converted, 0 skipped, 0 failed"
    assert "  agentcassette_match_on = method url" in lines
    assert "  agentcassette_unused_interactions = ignore" in lines
    served = _plugin_serves(converted, original)
    assert [(code, content) for code, content, _ in served] == _vcrpy_serves(original)
    assert served[1][1] == b"\xff\xfe\xfd"
    (chat, upload, missing) = load_cassette(converted)
    assert chat.request.url == "https://api.openai.com/v1/chat/completions?b=2&a=1"
    assert chat.request.header("Authorization") == "REDACTED"
    assert chat.request.header("X-Trace") == "abc"
    assert [v for k, v in chat.response.headers if k == "Set-Cookie"] == ["a=1", "b=2"]
    assert (chat.response.status_code, chat.response.reason) == (200, "OK")
    assert upload.request.body.content == b"\x00\x01\x02"
    assert (missing.response.status_code, missing.response.reason) == (404, "Not Found")
    assert missing.request.body.content == b""
    assert "version: 2\n" in converted.read_text()


def test_compressed_bodies_are_stored_decoded(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = b'{"answer": "decoded"}'
    deflated = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    encoded = {"gzip": gzip.compress(text), "deflate": deflated.compress(text) + deflated.flush()}
    entries = "".join(
        f"""\
- request: {{body: null, headers: {{}}, method: GET, uri: 'https://example.com/{name}'}}
  response:
    body:
      string: !!binary |
        {base64.b64encode(data).decode()}
    headers:
      Content-Encoding: [{name}]
      Content-Length: ['{len(data)}']
      Content-Type: [application/json]
    status: {{code: 200, message: OK}}
"""
        for name, data in encoded.items()
    )
    original = _write(tmp_path, "zipped.yaml", f"version: 1\ninteractions:\n{entries}")
    status, _ = _convert(capsys, str(original), "--out", str(tmp_path / "out"))
    converted = tmp_path / "out" / "zipped.yaml"
    assert status == 0
    served = _plugin_serves(converted, original)
    assert [(code, content) for code, content, _ in served] == _vcrpy_serves(original)
    for interaction in load_cassette(converted):
        assert interaction.response.body.content == text
        assert interaction.response.header("content-encoding") is None
        assert interaction.response.header("content-length") == str(len(text))
    assert "json: |" in converted.read_text()


BROTLI = """\
interactions:
- request: {body: null, headers: {}, method: GET, uri: 'https://example.com/br'}
  response:
    body: {string: !!binary "AQID"}
    headers: {Content-Encoding: [br]}
    status: {code: 200, message: OK}
"""


def test_brotli_is_decoded_with_a_brotli_module_and_kept_as_sent_without(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    original = _write(tmp_path, "br.yaml", BROTLI)
    for name in ("brotli", "brotlicffi"):
        monkeypatch.setitem(sys.modules, name, None)  # import fails
    status, lines = _convert(capsys, str(original), "--out", str(tmp_path / "kept"))
    assert status == 0
    assert lines[0].endswith(
        "(1 interaction; interactions[0].response: a br-compressed body, kept compressed with "
        "its content-encoding: no brotli module here (pip install brotli, then convert the "
        "original again))"
    )
    (kept,) = load_cassette(tmp_path / "kept" / "br.yaml")
    assert (kept.response.body.content, kept.response.header("Content-Encoding")) == (
        b"\x01\x02\x03",
        "br",
    )
    fake = types.SimpleNamespace(decompress=lambda data: b"decoded " + data, error=ValueError)
    monkeypatch.setitem(sys.modules, "brotli", fake)
    status, lines = _convert(capsys, str(original), "--out", str(tmp_path / "decoded"))
    (decoded,) = load_cassette(tmp_path / "decoded" / "br.yaml")
    assert (decoded.response.body.content, decoded.response.headers) == (
        b"decoded \x01\x02\x03",
        [],
    )


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_an_event_stream_stored_whole_replays_one_event_per_chunk(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], newline: str
) -> None:
    events = ['data: {"delta": "Hel"}', 'data: {"delta": "lo"}', "data: [DONE]"]
    stream = "".join(event + newline * 2 for event in events)
    original = _write(
        tmp_path,
        "stream.yaml",
        f"""\
interactions:
- request: {{body: '{{"stream": true}}', headers: {{}}, method: POST, uri: 'https://example.com/v1'}}
  response:
    body: {{string: {json.dumps(stream)}}}
    headers: {{Content-Type: [text/event-stream; charset=utf-8]}}
    status: {{code: 200, message: OK}}
version: 1
""",
    )
    status, _ = _convert(capsys, str(original), "--out", str(tmp_path / "out"))
    converted = tmp_path / "out" / "stream.yaml"
    assert status == 0
    ((code, content, chunks),) = _plugin_serves(converted, original)
    assert [(code, content)] == _vcrpy_serves(original)
    assert chunks == [(event + newline * 2).encode() for event in events]
    assert "chunks" not in converted.read_text()


PARSED = """\
interactions:
- request:
    headers:
      content-type: [application/json]
    method: POST
    parsed_body:
      messages:
      - {content: "Caf\\u00e9?", role: user}
      model: gpt-4o
    uri: https://api.openai.com/v1/chat/completions
  response:
    headers:
      content-type: [application/json]
    parsed_body:
      choices:
      - message: {content: "Oui, caf\\u00e9", role: assistant}
    status: {code: 200, message: OK}
version: 1
"""


def test_a_custom_serializers_parsed_body_becomes_the_json_vcrpy_served(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # pydantic-ai's serializer stores JSON bodies as data; vcrpy serves json.dumps of it.
    original = _write(tmp_path, "parsed.yaml", PARSED)
    status, _ = _convert(capsys, str(original), "--out", str(tmp_path / "out"))
    converted = tmp_path / "out" / "parsed.yaml"
    assert status == 0
    (interaction,) = load_cassette(converted)
    reply = {"choices": [{"message": {"content": "Oui, café", "role": "assistant"}}]}
    assert interaction.response.body.content == json.dumps(reply).encode()
    assert interaction.request.json()["messages"][0]["content"] == "Café?"
    ((code, content, _),) = _plugin_serves(converted, original)
    assert (code, content) == (200, json.dumps(reply).encode())
    assert "json: |" in converted.read_text()


def test_files_that_are_not_vcrpy_cassettes_are_left_alone_with_the_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "cassettes"
    already = "version: 2\ninteractions: []\n"
    files = {
        "a_websocket.yaml": "version: 1\ninteractions:\n- {kind: message, direction: sent}\n",
        "b_lfs.yaml": "version https://git-lfs.github.com/spec/v1\noid sha256:ab\nsize 9\n",
        "c_empty.yml": "",
        "d_config.yaml": "name: an agent\nmodel: gpt-4o\n",
        "e_broken.yaml": "interactions: [\n",
        "f_mine.yaml": already,
        "g_future.yaml": "version: 7\ninteractions: []\n",
        "notes.txt": "not YAML by name",
    }
    for name, text in files.items():
        _write(folder, name, text)
    status, lines = _convert(capsys, str(folder), "--in-place")
    shown = [line.replace(f"{folder}/", "") for line in lines]
    assert status == 0
    assert shown[:7] == [
        "skipped: a_websocket.yaml: not an HTTP cassette (an entry holds kind, direction: a "
        "WebSocket or gRPC log?)",
        "skipped: b_lfs.yaml: a git-LFS pointer, not the file itself (git lfs pull fetches it)",
        "skipped: c_empty.yml: an empty file",
        "skipped: d_config.yaml: YAML, but not a cassette (no interactions)",
        shown[4],
        "already converted: f_mine.yaml (version 2)",
        "skipped: g_future.yaml: a cassette of unknown version 7",
    ]
    assert shown[4].startswith("skipped: e_broken.yaml: not valid YAML (line 2): ")
    assert shown[7:] == ["7 files: 0 converted, 1 already converted, 6 skipped, 0 failed"]
    assert (folder / "f_mine.yaml").read_text() == already


def test_nothing_is_overwritten_unless_in_place_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    original = _write(tmp_path / "suite", "cassettes/test_a/one.yaml", PLAIN)
    out = tmp_path / "out"
    taken = _write(out, "cassettes/test_a/one.yaml", "mine\n")
    status, lines = _convert(capsys, str(tmp_path / "suite"), "--out", str(out))
    assert status == 1
    assert lines[0] == (
        f"failed: {original}: {taken} exists already and is left alone; remove it or choose "
        f"another --out folder"
    )
    assert taken.read_text() == "mine\n"
    assert original.read_text() == PLAIN
    status, lines = _convert(capsys, str(original), "--in-place")
    assert (status, lines[0]) == (0, f"converted: {original} (3 interactions)")
    assert len(load_cassette(original)) == 3
    status, lines = _convert(capsys, str(original), "--in-place")
    assert (status, lines[0]) == (0, f"already converted: {original} (version 2)")


def test_usage_errors_exit_with_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["convert", str(tmp_path)])
    assert exited.value.code == 2
    assert "one of the arguments --out --in-place is required" in capsys.readouterr().err
    assert main(["convert", str(tmp_path / "nowhere"), "--in-place"]) == 2
    assert capsys.readouterr().err == (
        f"agentcassette convert: no such file or folder: {tmp_path / 'nowhere'}\n"
    )


def test_the_tools_help_lists_each_command_once(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--help"])
    assert exited.value.code == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "usage: python -m pytest_agentcassette [-h] COMMAND ..."
    commands = lines[lines.index("commands:") + 1 :]
    assert [line.split()[0] for line in commands if line.startswith("  ")] == [
        "scan",
        "show",
        "convert",
    ]


def test_a_cassette_that_does_not_convert_is_named_with_its_line_and_place(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = PLAIN.replace("      code: 201\n", "      code: created\n")
    original = _write(tmp_path, "broken.yaml", broken)
    status, lines = _convert(capsys, str(original), "--in-place")
    assert status == 1
    assert lines[0] == (
        f"failed: {original}, line 37 (at interactions[1].response.status): expected a status "
        f"such as {{code: 200, message: OK}}, got {{'code': 'created', 'message': 'Created'}}; "
        f"fix that place by hand and convert again, or record the test again with this plugin"
    )
    assert lines[1] == "1 file: 0 converted, 0 already converted, 0 skipped, 1 failed"
    assert original.read_text() == broken


def test_loading_a_vcrpy_cassette_says_how_to_convert_it(tmp_path: Path) -> None:
    original = _write(tmp_path, "old.yaml", PLAIN)
    with pytest.raises(CassetteError) as raised, use_cassette(original):
        pass
    assert (
        "version 1 is vcrpy's format (pytest-recording), which this plugin does not read; "
        "convert it: python -m pytest_agentcassette convert --in-place PATH"
    ) in str(raised.value)


def test_converted_cassettes_match_as_vcrpy_did(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """vcrpy never compared bodies: with the settings the command prints, a request whose
    body changed since the recording still replays, as it did with vcrpy.
    """
    original = _write(tmp_path, "chat.yaml", PLAIN.split("- request:\n    body: !!binary")[0])
    _convert(capsys, str(original), "--in-place")
    changed = httpx.Request(
        "POST", "https://api.openai.com/v1/chat/completions?a=1&b=2", content=b'{"other": 1}'
    )
    with use_cassette(original, record_mode="none", match_on=VCRPY_MATCHING):
        ((code, content, _),) = _served([changed])
    assert code == 200
    assert content.startswith(b'{"id":"chatcmpl-1"')
