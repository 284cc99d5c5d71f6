"""Secret scanning before every write: credentials that escaped header and query scrubbing
are redacted (and reported) or refuse the write; ``python -m pytest_agentcassette scan``
finds them in files on disk. Every secret here is made up; none is in a YAML file of the
repository (cassettes with planted secrets are built in tmp_path).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import httpx
import pytest

from pytest_agentcassette import (
    Body,
    CassetteSecretError,
    Interaction,
    RecordedRequest,
    RecordedResponse,
    SecretRedactedWarning,
    TransportError,
    use_cassette,
)
from pytest_agentcassette._format import save_cassette
from pytest_agentcassette._secrets import SecretFinding, guard_secrets
from pytest_agentcassette._secrets.patterns import find_credentials, key_values
from tests.support.cassettes import load_cassette
from tests.support.provider_server import ProviderServer

ROOT = Path(__file__).parents[3]

FAKE = "FAKE0fake1TEST2test3"
SECRETS = {
    "OpenAI project key": f"sk-proj-{FAKE}{FAKE}",
    "OpenAI user key": f"sk-None-{FAKE}{FAKE}",
    "OpenAI API key": f"sk-{FAKE}{FAKE}",
    "Anthropic API key": f"sk-ant-api03-{FAKE}{FAKE}-AA",
    "Google API key": f"AIza{FAKE}FAKE4fake5TEST6",
    "xAI API key": f"xai-{FAKE}{FAKE}",
    "bearer token": f"{FAKE}.{FAKE}",  # found after "Bearer "
    "private key": (
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEFAKEfakeTESTtest0123456789+/\nFAKEfake==\n"
        "-----END RSA PRIVATE KEY-----"
    ),
    "value of $MISTRAL_API_KEY": "made-up-mistral-key-0042",
}
SHOWN = {
    "OpenAI project key": "sk-proj-…",
    "OpenAI user key": "sk-None-…",
    "OpenAI API key": "sk-…",
    "Anthropic API key": "sk-ant-…",
    "Google API key": "AIza…",
    "xAI API key": "xai-…",
    "bearer token": "Bearer …",
    "private key": "-----BEGIN … PRIVATE KEY-----",
    "value of $MISTRAL_API_KEY": "$MISTRAL_API_KEY",
}
URL = "https://api.example.test/v1/chat/completions"


@pytest.fixture(autouse=True)
def _mistral_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MISTRAL_API_KEY", SECRETS["value of $MISTRAL_API_KEY"])


def in_text(kind: str) -> str:
    """The secret as it appears in a message: a bearer token follows its scheme."""
    return f"Bearer {SECRETS[kind]}" if kind == "bearer token" else SECRETS[kind]


def chat(content: str) -> bytes:
    body = {"model": "gpt-4o", "messages": [{"role": "user", "content": content}]}
    return json.dumps(body, separators=(",", ":")).encode()


def exchange(
    request_body: bytes = b"", response_body: bytes = b"{}", **extra: object
) -> Interaction:
    request = RecordedRequest("POST", str(extra.get("url", URL)), [], Body.from_bytes(request_body))
    headers = list(extra.get("headers", [("content-type", "application/json")]))  # type: ignore[call-overload]
    chunks = extra.get("chunks")
    body = Body.from_bytes(response_body, chunks)  # type: ignore[arg-type]
    return Interaction(request, RecordedResponse(200, "OK", headers, body))


def saved(tmp_path: Path, interactions: list[Interaction]) -> tuple[str, list[Interaction]]:
    path = tmp_path / "c.yaml"
    with pytest.warns(SecretRedactedWarning) as caught:
        guard_secrets(path, interactions, "redact")
    save_cassette(path, interactions)
    text = path.read_text()
    for kind in SECRETS:
        assert SECRETS[kind] not in str(caught[0].message)
        assert SECRETS[kind] not in text, kind
    return text, load_cassette(path, fix_hint="")


# -- the patterns -------------------------------------------------------------------------


@pytest.mark.parametrize("kind", SECRETS)
def test_every_kind_is_found_with_what_may_be_shown(kind: str) -> None:
    text = f'{{"note":"here: {in_text(kind)}, done"}}'.replace("\n", "\\n").encode()
    (match,) = find_credentials(text)
    assert (match.kind, match.shown) == (kind, SHOWN[kind])
    assert SECRETS[kind].replace("\n", "\\n") in text[match.start : match.end].decode()


ORDINARY = [
    "The task-based design keeps risk-free defaults; ask-me-anything sessions run weekly.",
    "call_abc123 call_7GfN2kqQ9xXvLrT1 msg_01XFDUDYJgAACzvnptvVoYEL toolu_01A09q90qw90lq917835lq9",
    "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT resp_67ccd2bed1ec8190b14f964abc0542670bb6a6b452d3795b",
    "scikit-learn's sk-learn-2024-compatible-interface-v2 and the sk-proj-roadmap-for-2025 page",
    "Use a Bearer token in the Authorization header; Bearer REDACTED; bearer authentication",
    "AIza is how Google keys start; xai-grok-2-latest is a model; sk-ant-api03 is a prefix",
    "-----BEGIN PRIVATE KEY----- marks a PEM block (no key follows in this sentence)",
    "a sha256 of 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 and a uuid",
]


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_text_and_ids_are_not_credentials(text: str) -> None:
    assert find_credentials(text.encode()) == []


def test_short_and_placeholder_key_values_are_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "test")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "REDACTED")
    monkeypatch.setenv("MY_SERVICE_API_KEY", "custom-service-key-77")
    found = find_credentials(b"test REDACTED REDACTED custom-service-key-77")
    assert [(m.kind, m.shown) for m in found] == [
        ("value of $MY_SERVICE_API_KEY", "$MY_SERVICE_API_KEY")
    ]


# -- redaction before the write, in every body form ----------------------------------------


@pytest.mark.parametrize("kind", SECRETS)
def test_a_json_request_body_is_redacted_and_stays_json(tmp_path: Path, kind: str) -> None:
    text, (loaded,) = saved(tmp_path, [exchange(chat(f"my key is {in_text(kind)} ok"))])
    content = loaded.request.json()["messages"][0]["content"]
    prefix = "Bearer " if kind == "bearer token" else ""
    assert content == f"my key is {prefix}REDACTED ok"
    assert "json:" in text  # still stored as readable JSON


def session(key: str, turns: int = 4) -> list[Interaction]:
    """An agent session whose first message holds ``key``: every later request repeats it."""
    history = [{"role": "user", "content": f"use {key}"}]
    history += [{"role": "user", "content": f"context {n} " + "x" * 300} for n in range(4)]
    interactions = []
    for turn in range(turns):
        history = [*history, {"role": "assistant", "content": f"turn {turn}"}]
        interactions.append(exchange(json.dumps({"model": "gpt-4o", "messages": history}).encode()))
    return interactions


def test_patch_chained_requests_are_redacted_before_the_patches_are_made(tmp_path: Path) -> None:
    key = SECRETS["OpenAI project key"]
    interactions = session(key)
    path = tmp_path / "c.yaml"
    with pytest.warns(SecretRedactedWarning, match=r"interactions 0-3, request body"):
        findings = guard_secrets(path, interactions, "redact")
    assert [f.interaction for f in findings] == [0, 1, 2, 3]
    save_cassette(path, interactions)
    text = path.read_text()
    assert key not in text
    assert text.count("json_patch:") == 3  # the history is still stored as changes
    loaded = load_cassette(path, fix_hint="")
    assert [i.request.json()["messages"][0]["content"] for i in loaded] == ["use REDACTED"] * 4


def test_a_loaded_patch_chain_is_redacted_when_the_cassette_is_written_again(
    tmp_path: Path,
) -> None:
    key = SECRETS["Anthropic API key"]
    path = tmp_path / "c.yaml"
    save_cassette(path, session(key))  # as an older version of the plugin wrote it
    assert path.read_text().count(key) == 1
    assert "json_patch:" in path.read_text()
    loaded = load_cassette(path, fix_hint="")
    with pytest.warns(SecretRedactedWarning, match=r"interactions 0-3, request body: Anthropic"):
        guard_secrets(path, loaded, "redact")
    save_cassette(path, loaded)
    again = load_cassette(path, fix_hint="")
    assert key not in path.read_text()
    assert [i.request.json()["messages"][-1]["content"] for i in again] == [
        f"turn {n}" for n in range(4)
    ]
    assert {i.request.json()["messages"][0]["content"] for i in again} == {"use REDACTED"}


def test_an_sse_response_is_redacted_with_its_chunks_kept_per_event(tmp_path: Path) -> None:
    key = SECRETS["Anthropic API key"]
    events = [
        b'data: {"delta":"your key "}\n\n',
        f'data: {{"delta":"{key}"}}\n\n'.encode(),
        b"data: [DONE]\n\n",
    ]
    interaction = exchange(
        chat("hi"),
        b"".join(events),
        headers=[("content-type", "text/event-stream")],
        chunks=[len(e) for e in events],
    )
    text, (loaded,) = saved(tmp_path, [interaction])
    assert loaded.response.body.chunks == [
        events[0],
        b'data: {"delta":"REDACTED"}\n\n',
        events[2],
    ]
    assert "chunks:" not in text  # one chunk per event: the default, not written


def test_plain_text_and_binary_bodies_are_redacted(tmp_path: Path) -> None:
    google = SECRETS["Google API key"]
    plain = exchange(b"note " + google.encode(), f"echo {google}\n".encode())
    binary = exchange(b"\xff\xfe" + SECRETS["xAI API key"].encode() + b"\x00")
    _, (first, second) = saved(tmp_path, [plain, binary])
    assert (first.request.body.content, first.response.body.content) == (
        b"note REDACTED",
        b"echo REDACTED\n",
    )
    assert second.request.body.content == b"\xff\xfeREDACTED\x00"


def test_headers_and_urls_that_escaped_scrubbing_are_redacted(tmp_path: Path) -> None:
    interaction = exchange(
        chat("hi"),
        url=f"https://api.example.test/v1/chat?auth={SECRETS['OpenAI API key']}&n=1",
        headers=[("x-forwarded-auth", f"Bearer {SECRETS['bearer token']}")],
    )
    interaction.request.headers = [("x-my-key", SECRETS["value of $MISTRAL_API_KEY"])]
    path = tmp_path / "c.yaml"
    with pytest.warns(SecretRedactedWarning) as caught:
        findings = guard_secrets(path, [interaction], "redact")
    assert [str(f) for f in findings] == [
        "interaction 0, request URL: OpenAI API key (sk-…)",
        "interaction 0, request header x-my-key: value of $MISTRAL_API_KEY ($MISTRAL_API_KEY)",
        "interaction 0, response header x-forwarded-auth: bearer token (Bearer …)",
    ]
    assert str(caught[0].message) == (
        "credentials found and written as REDACTED in " + str(path) + ":\n"
        "  interaction 0, request URL: OpenAI API key (sk-…)\n"
        "  interaction 0, request header x-my-key: value of $MISTRAL_API_KEY ($MISTRAL_API_KEY)\n"
        "  interaction 0, response header x-forwarded-auth: bearer token (Bearer …)\n"
        "Review the cassette; to fail instead of redacting, set secrets='refuse'."
    )
    assert interaction.request.url == "https://api.example.test/v1/chat?auth=REDACTED&n=1"
    assert interaction.request.headers == [("x-my-key", "REDACTED")]
    assert interaction.response.headers == [("x-forwarded-auth", "Bearer REDACTED")]


# -- through use_cassette: record, replay, refuse -----------------------------------------


def test_a_recorded_secret_is_redacted_and_the_cassette_still_replays(
    tmp_path: Path, provider_server: ProviderServer
) -> None:
    path = tmp_path / "chat.yaml"
    key = SECRETS["OpenAI project key"]
    body = {"model": "gpt-4o", "stream": True, "messages": [{"role": "user", "content": key}]}
    url = provider_server.url + "/v1/chat/completions"
    with pytest.warns(SecretRedactedWarning, match="interaction 0, request body: OpenAI"):  # noqa: SIM117
        with use_cassette(path, record_mode="once") as cassette:
            recorded = httpx.post(url, json=body).text
    assert key in recorded  # the server echoed it; the code saw it
    assert {f.field for f in cassette.secrets_found} == {"request body", "response body"}
    assert key not in path.read_text()
    provider_server.stop()
    with use_cassette(path) as cassette:  # the live request still carries the key
        replayed = httpx.post(url, json=body).text
    assert key not in replayed
    assert "REDACTED" in replayed
    assert len(cassette.played) == 1


def test_refuse_leaves_the_previous_cassette_as_it_was(
    tmp_path: Path, provider_server: ProviderServer
) -> None:
    path = tmp_path / "chat.yaml"
    url = provider_server.url + "/v1/chat/completions"
    with use_cassette(path, record_mode="once"):
        httpx.post(url, json={"model": "m", "messages": [{"role": "user", "content": "hi"}]})
    before = path.read_bytes()
    leak = {"model": "m", "messages": [{"role": "user", "content": SECRETS["xAI API key"]}]}
    with (
        pytest.raises(CassetteSecretError) as refused,
        use_cassette(path, record_mode="new_episodes", secrets="refuse"),
    ):
        httpx.post(url, json=leak)
    assert str(refused.value) == (
        f"cassette {path} not written: it would hold credentials ({path} is unchanged):\n"
        "  interaction 1, request body: xAI API key (xai-…)\n"
        "  interaction 1, response body: xAI API key (xai-…)\n"
        "Keep credentials out of what the code sends, or set secrets='redact' to store them "
        "as REDACTED."
    )
    assert refused.value.findings == [
        SecretFinding(1, "request body", "xAI API key", "xai-…"),
        SecretFinding(1, "response body", "xAI API key", "xai-…"),
    ]
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["chat.yaml"]  # no temporary file left


def test_refusing_a_new_cassette_writes_nothing(tmp_path: Path) -> None:
    interactions = [exchange(chat(SECRETS["Google API key"]))]
    path = tmp_path / "new.yaml"
    with pytest.raises(CassetteSecretError, match=r"\(nothing was written\)"):
        guard_secrets(path, interactions, "refuse")
    assert SECRETS["Google API key"] in interactions[0].request.text  # nothing changed
    assert not path.exists()


def test_a_wrong_secrets_option_lists_the_choices(tmp_path: Path) -> None:
    with pytest.raises(
        Exception,
        match=r"secrets must be one of redact, refuse, got 'refuze'\. Did you mean 'refuse'\?",
    ):
        use_cassette(tmp_path / "c.yaml", secrets="refuze")  # type: ignore[arg-type]


# -- no false positives on real recordings --------------------------------------------------


def _no_findings(paths: list[Path]) -> None:
    assert paths
    for path in paths:
        interactions = load_cassette(path, fix_hint="")
        assert guard_secrets(path, interactions, "refuse") == [], path


def test_the_committed_cassettes_hold_no_credentials() -> None:
    _no_findings(sorted(ROOT.glob("examples/**/cassettes/**/*.yaml")))


def test_the_cagent_corpus_holds_no_credentials(cagent_corpus: Path) -> None:
    _no_findings(sorted((cagent_corpus / "cassettes").glob("*.yaml")))


# -- the scan command -------------------------------------------------------------------------


def scan(*paths: str | Path, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k != "MISTRAL_API_KEY"}
    command = [sys.executable, "-m", "pytest_agentcassette", "scan", *map(str, paths)]
    return subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, env=environment, timeout=120
    )


def test_the_repository_holds_no_credentials_in_its_yaml_files() -> None:
    """What CI runs: every *.yaml / *.yml file in the repository (this test file and the
    other Python sources are not YAML, so the made-up secrets here are not scanned)."""
    run = scan(".")
    assert (run.returncode, run.stderr) == (0, "")
    assert run.stdout.startswith("no credentials in ")


def test_scan_reports_each_credential_where_it_is_stored(tmp_path: Path) -> None:
    key = SECRETS["OpenAI project key"]
    interactions = session(key, turns=3)
    interactions[2].response.headers = [("x-debug", f"Bearer {SECRETS['bearer token']}")]
    cassettes = tmp_path / "cassettes"
    cassettes.mkdir()
    save_cassette(cassettes / "leak.yaml", interactions)
    (cassettes / "nested").mkdir()
    (cassettes / "nested" / "clean.yml").write_text("version: 2\ninteractions: []\n")
    (tmp_path / "ci.yaml").write_text(
        f"jobs:\n  test:\n    env:\n      KEY: {SECRETS['Google API key']}\n"
    )
    (tmp_path / ".venv").mkdir()
    (tmp_path / ".venv" / "vendored.yaml").write_text(f"k: {SECRETS['xAI API key']}\n")
    text = (cassettes / "leak.yaml").read_text()
    key_line = next(n for n, line in enumerate(text.splitlines(), 1) if key in line)
    header_line = next(n for n, line in enumerate(text.splitlines(), 1) if "x-debug" in line)

    run = scan(".", cwd=tmp_path)
    assert run.returncode == 1
    assert run.stdout.splitlines() == [
        f"cassettes/leak.yaml:{key_line}: OpenAI project key sk-proj-… (interaction 0, request body)",
        f"cassettes/leak.yaml:{header_line}: bearer token Bearer … (interaction 2, response header x-debug)",
        "ci.yaml:4: Google API key AIza… (at jobs.test.env.KEY)",
        "3 credentials found in 3 files (2 cassettes): remove them, or re-record with the "
        "plugin, which writes REDACTED in their place",
    ]
    assert all(secret not in run.stdout for secret in SECRETS.values())


def test_scan_says_when_there_is_nothing_and_fails_on_usage_errors(tmp_path: Path) -> None:
    (tmp_path / "clean.yaml").write_text("version: 2\ninteractions: []\n")
    (tmp_path / "notes.yaml").write_text("{{ helm: template }}: [\n")  # not YAML: read as text
    ok = scan(tmp_path / "clean.yaml", tmp_path / "notes.yaml")
    assert (ok.returncode, ok.stdout, ok.stderr) == (
        0,
        "no credentials in 2 files (1 cassette)\n",
        "",
    )

    missing = scan(tmp_path / "nope")
    assert (missing.returncode, missing.stdout) == (2, "")
    assert missing.stderr == f"agentcassette scan: no such file or folder: {tmp_path / 'nope'}\n"

    usage = scan()
    assert usage.returncode == 2
    assert "error: the following arguments are required: PATH" in usage.stderr


def test_scan_reads_an_invalid_yaml_file_line_by_line(tmp_path: Path) -> None:
    (tmp_path / "broken.yaml").write_text(f"a: [\nb: {SECRETS['Anthropic API key']}\n")
    run = scan("broken.yaml", cwd=tmp_path)
    assert run.returncode == 1
    assert run.stdout.splitlines()[0] == (
        "broken.yaml:2: Anthropic API key sk-ant-… (not valid YAML, read as text)"
    )


def test_scan_fails_with_2_on_an_unreadable_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from pytest_agentcassette.__main__ import main

    (tmp_path / "locked.yaml").write_text("a: 1\n")
    (tmp_path / "fine.yaml").write_text("a: 1\n")
    real = Path.read_bytes

    def read_bytes(path: Path) -> bytes:
        if path.name == "locked.yaml":
            raise PermissionError(13, "Permission denied")
        return real(path)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    monkeypatch.chdir(tmp_path)
    assert main(["scan", "."]) == 2
    out, err = capsys.readouterr()
    assert (out, err) == ("", "agentcassette scan: cannot read locked.yaml: Permission denied\n")


# -- what users see in pytest ------------------------------------------------------------------

INNER = """
import os

import httpx
import pytest

URL = os.environ["PROVIDER_URL"] + "/v1/chat/completions"


def ask(text):
    return httpx.post(URL, json={{"model": "gpt-4o", "messages": [{{"role": "user", "content": text}}]}})

{tests}
"""


@pytest.fixture
def inner(
    pytester: pytest.Pytester, provider_server: ProviderServer, monkeypatch: pytest.MonkeyPatch
) -> pytest.Pytester:
    monkeypatch.setenv("PROVIDER_URL", provider_server.url)
    return pytester


def test_the_summary_and_the_warning_name_the_cassette_and_the_place(
    inner: pytest.Pytester,
) -> None:
    key = SECRETS["OpenAI project key"]
    inner.makepyfile(
        test_chat=INNER.format(
            tests=textwrap.dedent(
                f"""
                @pytest.mark.cassette
                def test_leak():
                    ask("the key is {key}")
                """
            )
        )
    )
    result = inner.runpytest(
        "--record-mode=once",
        "-W",
        "default::pytest_agentcassette.SecretRedactedWarning",
        "-p",
        "no:recording",
    )
    result.assert_outcomes(passed=1, warnings=1)
    result.stdout.fnmatch_lines(
        [
            "*SecretRedactedWarning: credentials found and written as REDACTED in cassettes/test_chat/test_leak.yaml:",
            "    interaction 0, request body: OpenAI project key (sk-proj-…)",
            "    interaction 0, response body: OpenAI project key (sk-proj-…)",
            "  Review the cassette; to fail instead of redacting, set secrets='refuse'.",
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "*- agentcassette -*",
            "cassettes: 1 recorded",
            "written (review and commit):",
            "  cassettes/test_chat/test_leak.yaml (1 interaction)",
            "credentials written as REDACTED (review these cassettes):",
            "  cassettes/test_chat/test_leak.yaml: interaction 0, request body: OpenAI project key (sk-proj-…)",
            "  cassettes/test_chat/test_leak.yaml: interaction 0, response body: OpenAI project key (sk-proj-…)",
        ],
        consecutive=True,
    )
    assert key not in result.stdout.str()
    assert key not in (inner.path / "cassettes/test_chat/test_leak.yaml").read_text()


def test_refuse_from_the_ini_file_fails_the_test_and_keeps_the_old_file(
    inner: pytest.Pytester,
) -> None:
    key = SECRETS["Google API key"]
    inner.makeini("[pytest]\nagentcassette_secrets = refuse\n")
    inner.makepyfile(
        test_chat=INNER.format(
            tests=textwrap.dedent(
                f"""
                @pytest.mark.cassette(record_mode="new_episodes")
                def test_leak():
                    ask("hello")
                    ask("the key is {key}")
                """
            )
        )
    )
    cassette = inner.path / "cassettes" / "test_chat" / "test_leak.yaml"
    cassette.parent.mkdir(parents=True)
    cassette.write_text("version: 2\ninteractions: []\n")
    result = inner.runpytest("-p", "no:recording")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_leak*",
            "cassette cassettes/test_chat/test_leak.yaml not written: it would hold credentials "
            "(cassettes/test_chat/test_leak.yaml is unchanged):",
            "  interaction 1, request body: Google API key (AIza…)",
            "  interaction 1, response body: Google API key (AIza…)",
            "Keep credentials out of what the code sends, or set secrets='redact' to store them as REDACTED.",
        ],
        consecutive=True,
    )
    result.stdout.fnmatch_lines(
        [
            "cassettes: 1 not written (credentials)",
            "not written, credentials found (the files are unchanged):",
            "  cassettes/test_chat/test_leak.yaml: interaction 1, request body: Google API key (AIza…)",
            "  cassettes/test_chat/test_leak.yaml: interaction 1, response body: Google API key (AIza…)",
        ]
    )
    assert cassette.read_text() == "version: 2\ninteractions: []\n"
    assert key not in result.stdout.str()


def test_a_wrong_secrets_marker_value_is_an_error(inner: pytest.Pytester) -> None:
    inner.makepyfile(
        test_chat=INNER.format(
            tests=textwrap.dedent(
                """
                @pytest.mark.cassette(secrets="ignore")
                def test_leak():
                    pass
                """
            )
        )
    )
    result = inner.runpytest("-p", "no:recording")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "@pytest.mark.cassette(...) on test_chat.py::test_leak: secrets must be one of "
            "redact, refuse, got 'ignore'."
        ]
    )


def test_scan_searches_an_aliased_node_once(tmp_path: Path) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{n}: &a{n} [*a{n - 1}, *a{n - 1}, *a{n - 1}, *a{n - 1}]" for n in range(1, 30)]
    (tmp_path / "bomb.yaml").write_text("\n".join(lines) + "\n")
    run = scan("bomb.yaml", cwd=tmp_path)
    assert (run.returncode, run.stdout) == (0, "no credentials in 1 file (0 cassettes)\n")


def test_the_readme_scan_command_and_hook_run_as_written(tmp_path: Path) -> None:
    import re
    import shlex

    import yaml

    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("**Secrets that escape") : readme.index("## Limitations")]
    (command,) = re.findall(r"```console\n(.*?)\n```", section, flags=re.S)
    (hook,) = re.findall(r"```yaml\n(.*?)```", section, flags=re.S)
    assert shlex.split(command) == [
        "python",
        "-m",
        "pytest_agentcassette",
        "scan",
        "tests/cassettes",
    ]
    (config,) = yaml.safe_load(hook)["repos"][0]["hooks"]
    assert re.search(config["files"], "tests/cassettes/x.yaml")  # as pre-commit matches
    assert not re.search(config["files"], "tests/test_secrets.py")
    assert "- run: python -m pytest_agentcassette scan ." in section

    (tmp_path / "tests" / "cassettes").mkdir(parents=True)
    leak = tmp_path / "tests" / "cassettes" / "x.yaml"
    leak.write_text(f"version: 2\ninteractions: []\nnote: {SECRETS['OpenAI project key']}\n")
    entry = shlex.split(config["entry"])
    assert entry[:3] == ["python", "-m", "pytest_agentcassette"]
    run = scan(*entry[4:], "tests/cassettes/x.yaml", cwd=tmp_path)  # as pre-commit calls it
    assert run.returncode == 1
    assert run.stdout.splitlines()[0] == (
        "tests/cassettes/x.yaml:3: OpenAI project key sk-proj-… (at note)"
    )
    leak.write_text("version: 2\ninteractions: []\n")
    run = scan(*shlex.split(command)[4:], cwd=tmp_path)
    assert (run.returncode, run.stdout) == (0, "no credentials in 1 file (1 cassette)\n")


def test_a_loaded_body_that_does_not_decode_is_left_to_the_writer(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(
        "version: 2\ninteractions:\n- request: {method: GET, url: 'https://x.test/'}\n"
        "  response: {code: 200, body: {text: abc, chunks: [5]}}\n"
    )
    (loaded,) = load_cassette(path, fix_hint="")
    assert guard_secrets(path, [loaded], "refuse") == []


# -- the reason phrase, transport errors, header names ----------------------------------------


def raw_server(*replies: bytes) -> str:
    """A server on 127.0.0.1 that answers its next connections with ``replies``, as is (a
    reason phrase or a header line no well-behaved server sends)."""
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        with listener:
            for reply in replies:
                connection, _ = listener.accept()
                with connection:
                    connection.recv(65536)
                    connection.sendall(reply)

    threading.Thread(target=serve, daemon=True).start()
    return f"http://127.0.0.1:{listener.getsockname()[1]}"


def test_a_reason_phrase_and_a_transport_error_message_are_redacted(tmp_path: Path) -> None:
    key = SECRETS["OpenAI project key"]
    url = raw_server(
        f"HTTP/1.1 401 Invalid key {key}\r\ncontent-length: 2\r\n\r\nno".encode(),
        # h11 quotes the whole header line in its error, bearer token and all
        f"HTTP/1.1 200 OK\r\nx-echo: Bearer {key}\x00\r\ncontent-length: 0\r\n\r\n".encode(),
    )
    path = tmp_path / "c.yaml"
    cassette = use_cassette(path, record_mode="once")

    def record() -> None:
        with cassette:
            assert httpx.get(url + "/a").reason_phrase == f"Invalid key {key}"
            with pytest.raises(httpx.RemoteProtocolError, match="illegal header line"):
                httpx.get(url + "/b")

    with pytest.warns(SecretRedactedWarning, match="interaction 1, response error message"):
        record()
    assert [str(finding) for finding in cassette.secrets_found] == [
        "interaction 0, response reason: OpenAI project key (sk-proj-…)",
        "interaction 1, response error message: OpenAI project key (sk-proj-…)",
    ]
    assert key not in path.read_text()
    first, second = load_cassette(path, fix_hint="")
    assert first.response.reason == "Invalid key REDACTED"
    assert second.response.error is not None
    assert "x-echo: Bearer REDACTED" in second.response.error.message
    with use_cassette(path):  # and it replays, redacted
        assert httpx.get(url + "/a").reason_phrase == "Invalid key REDACTED"
        with pytest.raises(httpx.RemoteProtocolError, match="Bearer REDACTED"):
            httpx.get(url + "/b")


def test_an_error_before_any_response_and_a_header_name_are_redacted_or_refused(
    tmp_path: Path,
) -> None:
    key = SECRETS["OpenAI user key"]
    failed = exchange()  # the client's own header broke the request: no response came
    failed.response = RecordedResponse(
        0, error=TransportError("LocalProtocolError", f"Illegal header value b'Bearer {key}\\n'")
    )
    named = exchange(headers=[(f"x-{key}", "1")])
    path = tmp_path / "c.yaml"
    with pytest.raises(CassetteSecretError) as refused:
        guard_secrets(path, [failed, named], "refuse")
    assert refused.value.findings == [
        SecretFinding(0, "response error message", "OpenAI user key", "sk-None-…"),
        SecretFinding(1, "response header name", "OpenAI user key", "sk-None-…"),
    ]
    assert failed.response.error is not None
    assert key in failed.response.error.message
    with pytest.warns(SecretRedactedWarning):
        guard_secrets(path, [failed, named], "redact")
    assert failed.response.error == TransportError(
        "LocalProtocolError", "Illegal header value b'Bearer REDACTED\\n'"
    )
    assert named.response.headers == [("x-REDACTED", "1")]


def test_a_warning_made_an_error_still_lets_the_cassette_be_written(
    inner: pytest.Pytester,
) -> None:
    key = SECRETS["OpenAI project key"]
    inner.makeini("[pytest]\nfilterwarnings = error\n")
    inner.makepyfile(
        test_chat=INNER.format(
            tests=textwrap.dedent(
                f"""
                @pytest.mark.cassette
                def test_leak():
                    ask("the key is {key}")
                """
            )
        )
    )
    result = inner.runpytest("--record-mode=once", "-p", "no:recording")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*credentials found and written as REDACTED in cassettes/test_chat/test_leak.yaml:",
            "*- agentcassette -*",
            "written (review and commit):",
            "  cassettes/test_chat/test_leak.yaml (1 interaction)",
            "credentials written as REDACTED (review these cassettes):",
        ]
    )
    cassette = inner.path / "cassettes/test_chat/test_leak.yaml"
    assert "REDACTED" in cassette.read_text()
    assert key not in cassette.read_text()
    assert key not in result.stdout.str()


# -- key variables, boundaries, private keys -------------------------------------------------


def test_a_key_variable_counts_only_if_its_value_looks_generated() -> None:
    keys = key_values(
        {
            "OPENAI_API_KEY": "placeholder",
            "ANTHROPIC_API_KEY": "a-long-but-plain-placeholder-value",
            "MY_SERVICE_API_KEY": "svc-7Hq2mZ9xK4pL1wR8",
            "GEMINI_API_KEY": "REDACTED",
        }
    )
    assert keys == [("MY_SERVICE_API_KEY", b"svc-7Hq2mZ9xK4pL1wR8")]
    html = b'{"content":"<input placeholder=\\"Name\\"> a-long-but-plain-placeholder-value"}'
    assert find_credentials(html, keys) == []
    inside_longer_tokens = b"xsvc-7Hq2mZ9xK4pL1wR8 svc-7Hq2mZ9xK4pL1wR8x svc-7Hq2mZ9xK4pL1wR8_2"
    assert find_credentials(inside_longer_tokens, keys) == []
    text = b'{"a":"key=svc-7Hq2mZ9xK4pL1wR8&n=1","b":"line\\nsvc-7Hq2mZ9xK4pL1wR8"}'
    found = find_credentials(text, keys)
    assert [text[m.start : m.end] for m in found] == [b"svc-7Hq2mZ9xK4pL1wR8"] * 2


def test_a_key_after_a_json_escaped_line_break_is_found() -> None:
    for kind in ("OpenAI project key", "Anthropic API key", "xAI API key"):
        text = json.dumps({"content": f"the key:\n{SECRETS[kind]}\tdone"}).encode()
        assert [m.kind for m in find_credentials(text, [])] == [kind]


def test_private_key_headers_without_a_footer_are_searched_once_each() -> None:
    """Many headers and no footer: a lazy search for the footer from each header would take
    time quadratic in the text; every header is still judged on its own text."""
    body = b"MIIEFAKEfakeTESTtest0123456789+/"
    bare = b"-----BEGIN RSA PRIVATE KEY-----\n" * 20_000
    assert find_credentials(bare, []) == []
    block = b"-----BEGIN PRIVATE KEY-----\n" + body + b"\n"
    found = find_credentials(block * 20_000, [])
    assert [(m.start, m.end) for m in found] == [
        (n * len(block), (n + 1) * len(block)) for n in range(20_000)
    ]
    ended = block * 20_000 + b"-----END PRIVATE KEY-----"
    assert [(m.start, m.end) for m in find_credentials(ended, [])] == [(0, len(ended))]
    escaped = b"-----BEGIN PRIVATE KEY-----\\n" + body + b"\\n"  # as in JSON
    found = find_credentials(escaped * 5_000 + b"-----END CERTIFICATE-----", [])
    assert [(m.start, m.end) for m in found] == [
        (n * len(escaped), (n + 1) * len(escaped)) for n in range(5_000)
    ]


# -- the scan command reads comments ------------------------------------------------------------


def test_scan_reports_a_credential_in_a_comment_once(tmp_path: Path) -> None:
    project, user = SECRETS["OpenAI project key"], SECRETS["OpenAI user key"]
    (tmp_path / "ci.yml").write_text(
        f"# OPENAI_API_KEY: {project}\n"
        f"env:\n"
        f'  URL: "https://x.test/#{project}"  # {user}\n'
        f"  run: |\n"
        f"    # {project}\n"
        f"    echo\n"
        f"  list: [1,  # {SECRETS['xAI API key']}\n"
        f"    2]\n"
        f"# {project}"  # no line break at the end
    )
    run = scan("ci.yml", cwd=tmp_path)
    (tmp_path / "ci.yml").unlink()  # planted: not for the suite's scan of what it wrote
    assert run.returncode == 1
    assert run.stdout.splitlines()[:-1] == [
        "ci.yml:1: OpenAI project key sk-proj-… (comment)",
        "ci.yml:3: OpenAI project key sk-proj-… (at env.URL)",
        "ci.yml:3: OpenAI user key sk-None-… (comment)",
        "ci.yml:5: OpenAI project key sk-proj-… (at env.run)",
        "ci.yml:7: xAI API key xai-… (comment)",
        "ci.yml:9: OpenAI project key sk-proj-… (comment)",
    ]


# -- a key the model streams in pieces ------------------------------------------------------


def _chat_stream(pieces: list[str]) -> bytes:
    events = [
        {"id": "chatcmpl-1", "object": "chat.completion.chunk", "model": "gpt-4o",
         "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]}
        for piece in pieces
    ]  # fmt: skip
    return b"".join(b"data: %s\n\n" % json.dumps(event).encode() for event in events) + (
        b"data: [DONE]\n\n"
    )


def test_a_key_streamed_in_pieces_is_redacted_and_replays_as_redacted(
    tmp_path: Path, provider_server: ProviderServer
) -> None:
    import openai

    key = SECRETS["OpenAI project key"]
    pieces = ["Your key is ", key[:5], key[5:17], key[17:], ". Keep it safe."]
    provider_server.failures = [
        (200, {"content-type": "text/event-stream"}, _chat_stream(pieces)),
        (200, {"content-type": "text/event-stream"}, _chat_stream(pieces)),
    ]

    def ask() -> str:
        with openai.OpenAI(base_url=provider_server.url + "/v1", api_key="sk-test") as client:
            stream = client.chat.completions.create(
                model="gpt-4o", messages=[{"role": "user", "content": "My key?"}], stream=True
            )
            return "".join(chunk.choices[0].delta.content or "" for chunk in stream)

    path = tmp_path / "stream.yaml"
    with pytest.warns(SecretRedactedWarning) as warned, use_cassette(path, record_mode="once"):
        assert ask() == f"Your key is {key}. Keep it safe."  # the code saw what was sent
    assert "interaction 0, response body, split across streamed events: OpenAI project key" in (
        str(warned[0].message)
    )
    text = path.read_text()
    assert key[5:17] not in text
    assert key[17:] not in text
    # Refused, when asked: nothing is written.
    refused = tmp_path / "refused.yaml"
    with (
        pytest.raises(CassetteSecretError, match="split across streamed events"),
        use_cassette(refused, record_mode="once", secrets="refuse"),
    ):
        ask()
    assert not refused.exists()
    provider_server.stop()
    with use_cassette(path):
        assert ask() == "Your key is REDACTED. Keep it safe."
