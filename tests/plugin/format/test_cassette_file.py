"""Reading and writing cassette files: every malformed file is named, with its line and the
fix; a broken file is never overwritten; an interrupted write never damages a good file."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import httpx
import pytest

from pytest_agentcassette import (
    Body,
    CassetteError,
    Interaction,
    RecordedRequest,
    RecordedResponse,
    use_cassette,
)
from pytest_agentcassette._format import save_cassette
from pytest_agentcassette._format.stored_body import stored_form
from tests.support.cassettes import load_cassette
from tests.support.provider_server import ProviderServer

GOOD = """\
version: 2
interactions:
- id: 0
  request:
    method: POST
    url: https://api.example.com/v1/chat/completions
    body:
      json: {model: gpt-4o}
  response:
    status: 200 OK
    code: 200
    headers: {content-type: application/json}
    body:
      json: {id: chatcmpl-1}
"""

BAD_CASSETTES = {
    "invalid yaml": (
        "version: 2\ninteractions:\n- id: 0\n  request: {method: POST\n",
        "line 5, column 1 is not valid YAML: ",  # libyaml and pure-Python PyYAML word the rest differently
    ),
    "empty file": ("\n", "is empty: expected 'version: 2' and 'interactions:'"),
    "not a mapping": ("- a\n- b\n", ": the document must be a mapping, got list"),
    "no version": (
        "interactions: []\n",
        ", line 1: missing 'version: 2' (is this a cassette? a vcrpy cassette is converted "
        "by: python -m pytest_agentcassette convert --in-place PATH",
    ),
    "vcrpy version 1": (
        "interactions: []\nversion: 1\n",
        ", line 2 (at version): version 1 is vcrpy's format (pytest-recording), which this "
        "plugin does not read; convert it: python -m pytest_agentcassette convert --in-place PATH",
    ),
    "interactions not a list": (
        "version: 2\ninteractions: {a: 1}\n",
        ", line 2 (at interactions): 'interactions' must be a list, got dict",
    ),
    "unknown top-level field": (
        "version: 2\ninteraction: []\n",
        ", line 2 (at interaction): unknown field 'interaction'. Did you mean 'interactions'? "
        "Expected one of version, interactions.",
    ),
    "missing response": (
        GOOD.split("  response:")[0],
        ", line 3 (at interactions[0]): missing required field 'response'",
    ),
    "missing code": (
        GOOD.replace("    code: 200\n", ""),
        ", line 9 (at interactions[0].response): missing required field 'code'",
    ),
    "code is a string": (
        GOOD.replace("code: 200", "code: '200'"),
        ", line 11 (at interactions[0].response.code): 'code' must be a whole number, got str",
    ),
    "code out of range": (
        GOOD.replace("code: 200", "code: 2000"),
        ", line 11 (at interactions[0].response.code): 'code' must be an HTTP status "
        "(100-599), got 2000",
    ),
    "misspelled field": (
        GOOD.replace("    url:", "    uri:"),
        ", line 6 (at interactions[0].request.uri): unknown field 'uri'. Did you mean "
        "'url'? Expected one of method, url,",
    ),
    "bad header value": (
        GOOD.replace("{content-type: application/json}", "{x-flag: [yes]}"),
        ", line 12 (at interactions[0].response.headers.x-flag): header 'x-flag' must hold "
        "strings, got bool (quote the value)",
    ),
    "bad body": (
        GOOD.replace("      json: {id: chatcmpl-1}", "      jsn: {id: chatcmpl-1}"),
        ", line 14 (at interactions[0].response.body.jsn): unknown key 'jsn'; a body has one "
        "of json, json_patch, text, base64",
    ),
    "bad line ending": (
        GOOD.replace("      json: {id: chatcmpl-1}", "      text: abc\n      line_ending: cr"),
        ", line 15 (at interactions[0].response.body.line_ending): line_ending must be one of "
        "lf, crlf",
    ),
    "python object tag": (
        "version: 2\ninteractions: !!python/object/apply:os.system ['true']\n",
        "line 2, column 15 is not valid YAML: the tag !!python/object/apply:os.system is not "
        "allowed: cassettes are read with YAML's safe loader, which builds no Python objects; "
        "remove the tag.",
    ),
}


@pytest.mark.parametrize("case", BAD_CASSETTES)
def test_a_malformed_cassette_names_the_file_the_line_and_the_problem(
    case: str, tmp_path: Path
) -> None:
    text, expected = BAD_CASSETTES[case]
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(CassetteError) as caught:
        load_cassette(path, fix_hint="HINT")
    message = str(caught.value)
    assert message.startswith(f"cassette {path}")
    assert expected in message
    assert message.endswith("\nHINT")
    assert caught.value.path == path


@pytest.mark.parametrize("mode", ["none", "once", "new_episodes"])
def test_a_broken_cassette_is_never_replaced(mode: str, tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(BAD_CASSETTES["missing code"][0])
    before = path.read_bytes()
    with (
        pytest.raises(CassetteError) as caught,
        use_cassette(path, record_mode=mode, record_command="pytest --record-mode={mode} t.py::x"),
    ):
        pass
    assert path.read_bytes() == before
    assert str(caught.value).endswith(
        "The file was left untouched. Fix it by hand, or re-record it from scratch with:\n"
        "  pytest --record-mode=rewrite t.py::x"
    )


def test_a_body_that_breaks_only_on_use_fails_with_the_file_and_place(tmp_path: Path) -> None:
    path = tmp_path / "chunks.yaml"
    path.write_text(
        GOOD.replace("      json: {id: chatcmpl-1}", "      text: abc\n      chunks: [1]")
    )
    with use_cassette(path), pytest.raises(CassetteError) as caught:
        httpx.post("https://api.example.com/v1/chat/completions", json={"model": "gpt-4o"})
    assert str(caught.value).startswith(
        f"cassette {path}, line 15 (at interactions[0].response.body.chunks): chunks add up "
        f"to 1 bytes but the body has 3; make them add up to 3, or remove chunks to replay it "
        f"in one piece."
    )


@pytest.mark.parametrize("side", ["request", "response"])
def test_json_text_that_is_not_json_fails_on_use_with_the_file_and_place(
    tmp_path: Path, side: str
) -> None:
    path = tmp_path / "json.yaml"
    old = "      json: {model: gpt-4o}" if side == "request" else "      json: {id: chatcmpl-1}"
    path.write_text(GOOD.replace(old, "      json: '{nope'"))
    line = 8 if side == "request" else 14
    with use_cassette(path), pytest.raises(CassetteError) as caught:
        httpx.post("https://api.example.com/v1/chat/completions", json={"model": "gpt-4o"})
    assert str(caught.value).startswith(
        f"cassette {path}, line {line} (at interactions[0].{side}.body.json): json is not valid "
        f"JSON: line 1, column 2, near '{{nope'"
    )


def _one_interaction(text: str) -> list[Interaction]:
    request = RecordedRequest("GET", "https://example.com/")
    response = RecordedResponse(200, "OK", [], Body.from_bytes(text.encode()))
    return [Interaction(request, response)]


def test_a_failed_write_leaves_the_old_cassette_and_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "keep.yaml"
    save_cassette(path, _one_interaction("old"))
    before = path.read_bytes()

    def disk_full(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", disk_full)
    with pytest.raises(OSError, match="No space left"):
        save_cassette(path, _one_interaction("new"))
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.yaml"]


def test_a_process_killed_while_writing_leaves_the_old_cassette_whole(tmp_path: Path) -> None:
    path = tmp_path / "keep.yaml"
    save_cassette(path, _one_interaction("old"))
    before = path.read_bytes()
    script = textwrap.dedent(
        f"""
        import os
        from pathlib import Path
        from pytest_agentcassette._format import saving
        from tests.plugin.format.test_cassette_file import _one_interaction

        real_fsync = os.fsync
        def die(fd):
            real_fsync(fd)
            os._exit(9)  # killed after writing the new text, before the rename
        os.fsync = die
        saving.save_cassette(Path({str(path)!r}), _one_interaction("new" * 1000))
        """
    )
    run = subprocess.run(
        [sys.executable, "-c", script], cwd=Path(__file__).parents[3], capture_output=True
    )
    assert run.returncode == 9, run.stderr.decode()
    assert path.read_bytes() == before
    assert load_cassette(path, fix_hint="")[0].response.body.content == b"old"


def test_the_cassette_keeps_the_permissions_of_the_file_it_replaces(tmp_path: Path) -> None:
    path = tmp_path / "mode.yaml"
    save_cassette(path, _one_interaction("a"))
    assert path.stat().st_mode & 0o777 == 0o644
    path.chmod(0o664)
    save_cassette(path, _one_interaction("b"))
    assert path.stat().st_mode & 0o777 == 0o664


def test_a_body_that_would_not_survive_yaml_is_stored_in_an_exact_form(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    interactions = _one_interaction('{"a":1}')
    body = interactions[0].response.body
    real_stored_form = stored_form

    def lossy(stored: Body) -> object:
        # Simulate a readable form that loses bytes: the save must notice and store
        # exact text instead.
        return {"json": {"a": 2}} if stored is body else real_stored_form(stored)

    monkeypatch.setattr("pytest_agentcassette._format.saving.stored_form", lossy)
    path = tmp_path / "exact.yaml"
    save_cassette(path, interactions)
    assert "text: '{\"a\":1}'" in path.read_text()
    assert load_cassette(path, fix_hint="")[0].response.body.content == b'{"a":1}'


def test_a_cassette_written_here_reads_back_the_same(
    tmp_path: Path, provider_server: ProviderServer
) -> None:
    path = tmp_path / "roundtrip.yaml"
    with use_cassette(path, record_mode="once") as cassette:
        httpx.post(
            provider_server.url + "/v1/chat/completions", json={"stream": True, "messages": []}
        )
        httpx.get(provider_server.url + "/binary")
    loaded = load_cassette(path, fix_hint="")
    for original, again in zip(cassette.interactions, loaded, strict=False):
        assert again.request.method == original.request.method
        assert again.request.url == original.request.url
        assert again.request.headers == original.request.headers
        assert again.request.body.content == original.request.body.content
        assert again.response.status_code == original.response.status_code
        assert again.response.reason == original.response.reason
        assert again.response.headers == original.response.headers
        assert again.response.body.chunks == original.response.body.chunks
