"""``--cassette-report=PATH``: one self-contained HTML page for the run, through real inner
pytest runs (a tool-calling session, an agentcore team that delegates, a replay that meets a
changed request), with pytest-xdist, opened in headless Chromium, and at scale."""

from __future__ import annotations

import contextlib
import json
import re
import textwrap
import time
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest

import agentcore  # noqa: F401  (stays imported across in-process inner runs)
from pytest_agentcassette import use_cassette
from pytest_agentcassette._conversation.transcript import Transcript
from pytest_agentcassette._report.html import ReportedTest, render
from tests.support.chromium import dump_dom, png_facts, screenshot
from tests.support.network import NetworkCut
from tests.support.provider_server import ProviderServer
from tests.support.report_example import anchor_of, change_the_tool_result, session_files
from tests.support.wire_formats import Reply


class _Page(HTMLParser):
    """A page's text, and each test's text by its ``details`` element's id."""

    def __init__(self, text: str):
        super().__init__()
        self.text: list[str] = []
        self.tests: dict[str, list[str]] = {}
        self.links: list[str] = []
        self._test: str | None = None
        self._depth = 0
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        self.links += [str(v) for k, v in attrs if k in ("src", "href", "action", "srcset")]
        if tag == "details":
            self._depth += 1
            if found.get("class") == "t":
                self._test, self._depth = str(found["id"]), 1
                self.tests[self._test] = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "details":
            self._depth -= 1
            if self._depth == 0:
                self._test = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._test is not None:
            self.tests[self._test].append(data)

    def test(self, name: str) -> str:
        """The text of the test whose id ends with ``name``."""
        (found,) = [
            " ".join(t) for t in self.tests.values() if any(d.endswith(f"::{name}") for d in t)
        ]
        return " ".join(found.split())


def _run_session(
    pytester: pytest.Pytester,
    server: ProviderServer,
    monkeypatch: pytest.MonkeyPatch,
    cut: NetworkCut | None = None,
) -> _Page:
    """Record the session, change the tool's result, replay (with the network ``cut``): the
    replay's report."""
    for name, value in session_files(pytester.path, server).items():
        monkeypatch.setenv(name, value)
    recorded = pytester.runpytest("--record-mode=once", "--cassette-report=recorded.html")
    recorded.assert_outcomes(passed=2, skipped=1)
    recorded.stdout.fnmatch_lines(["cassettes: 2 recorded, 1 skipped", "cassette report: *"])
    page = _Page((pytester.path / "recorded.html").read_text())
    assert "recorded 2 interactions" in page.test("test_reads_the_file")
    change_the_tool_result(pytester.path)
    server.stop()
    with cut or contextlib.nullcontext():
        replayed = pytester.runpytest("--cassette-report=out/report.html")
    replayed.assert_outcomes(passed=1, failed=1, skipped=1)
    assert replayed.outlines.count("cassette report: out/report.html") == 1
    return _Page((pytester.path / "out" / "report.html").read_text())


DRIFT = 'replace /messages/3/content: "the file says hello" → "the file says goodbye"'


def test_the_report_shows_each_session_and_the_drift_a_failed_replay_met(
    pytester: pytest.Pytester,
    provider_server: ProviderServer,
    monkeypatch: pytest.MonkeyPatch,
    network_cut: NetworkCut,
) -> None:
    page = _run_session(pytester, provider_server, monkeypatch, network_cut)
    assert network_cut.attempts == []
    assert page.links == []  # nothing to load: no script, style sheet, image or link
    failed = page.test("test_reads_the_file")
    for shown in (
        "failed", "replayed 1 of 2 interactions", "saved 40 tokens",
        "cassettes/test_session/test_reads_the_file.yaml",
        "system You read files for the user.", "user Summarize the file x",
        'Calling read_file (path: "x")', '"path": "x"',
        "1 recorded interaction not played: the replay stopped here",
        "No recorded interaction matches POST", DRIFT,
        "pytest --record-mode=rewrite test_session.py::test_reads_the_file",
    ):  # fmt: skip
        assert shown in failed
    assert failed.index("Summarize the file x") < failed.index(DRIFT)  # after the conversation
    team = page.test("test_team_asks_the_weather_expert")
    for shown in (
        "passed", "replayed 3 of 3 interactions", "agents root weather",
        "transfer_task", "user What's the weather in Paris?", "Calling transfer_task",
        "root turn 1 · openai-chat · gpt-4o", "weather turn 2 · anthropic · claude-sonnet-4-0",
        "assistant Sunny, 21°C.", "assistant It is sunny in Paris.",
    ):  # fmt: skip
        assert shown in team
    assert "skipped" in page.test("test_not_today")
    assert "no weather on Sundays" in page.test("test_not_today")
    header = " ".join(" ".join(page.text).split())
    assert "3 tests 1 failed, 1 passed, 1 skipped" in header
    assert "3 cassettes 2 replayed, 1 unused" in header
    assert "160 tokens saved" in header


def _record(nodeid: str, outcome: str, prompt: str) -> ReportedTest:
    turn = {
        "position": 0, "api": "openai-chat", "method": "POST", "url": "http://127.0.0.1:9/v1",
        "status": 200, "agent": None, "model": "gpt-4o", "usage": None, "duration": 0.5,
        "sent": [{"role": "user", "text": prompt}], "answer": {"role": "assistant", "text": "ok"},
        "error": None,
    }  # fmt: skip
    transcript = {"turns": [turn], "other_requests": 0, "duration": 0.5, "agents": [],
                  "delegations": [], "usage": {"input_tokens": 0, "output_tokens": 0,
                                               "total_tokens": 0}}  # fmt: skip
    return {"nodeid": nodeid, "outcome": outcome, "order": 0, "cassette": "c.yaml",
            "mode": "replayed", "interactions": 1, "played": 1, "duration": 0.01,
            "headline": "", "failure": "", "transcript": transcript, "note": ""}  # fmt: skip


def test_the_failed_test_is_open_the_others_render_when_opened_and_all_text_is_escaped() -> None:
    record = _record("test_a.py::test_passes", "passed", "<script>alert(1)</script>")
    failed = _record('test_a.py::test_fails["<img src=x>"]', "failed", "prompt")
    failed.update({"failure": "it broke: <!-- -->", "headline": "it broke"})
    page = render([record, failed], title="<Report>")
    passing, failing = re.findall(r'<details class="t"[^>]*>', page)
    assert "open" not in passing
    assert "open" in failing
    assert page.split(passing)[1].split("</details>")[0].count("<template>") == 1
    assert "<template>" not in page.split(failing)[1]
    assert page.count("<script>") == 1  # the page's own
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img" not in page
    assert "test_fails[&quot;&lt;img src=x&gt;&quot;]" in page
    assert "<!--" not in page
    assert "<title>&lt;Report&gt;</title>" in page


def test_an_mcp_call_a_transport_error_and_a_handoff_show_in_their_turns() -> None:
    record = _record("test_t.py::test_tools", "passed", "")
    assert record["transcript"] is not None
    (turn,) = record["transcript"]["turns"]
    mcp = {"server": "stdio: python calc.py", "name": "add", "arguments": {"a": 1, "b": 2},
           "result": "3", "is_error": True}  # fmt: skip
    handoff = {"role": "assistant", "tool_calls": [
        {"id": "tool-call-1", "name": "handoff", "arguments": {"agent": "billing"}}]}  # fmt: skip
    record["transcript"]["turns"] = [
        {**turn, "api": "mcp", "sent": [], "answer": None, "mcp": mcp},
        {**turn, "answer": None, "error": "ReadTimeout: timed out"},
        {**turn, "agent": "root", "answer": handoff},
        {**turn, "agent": "billing", "sent": [{"role": "tool", "name": "handoff", "text": "ok"}]},
    ]
    record["transcript"]["agents"] = ["root", "billing"]
    page = _Page(render([record], title="r"))
    text = page.test("test_tools")
    for shown in (
        "turn 1 · mcp", "MCP · stdio: python calc.py", "Calling add (a: 1, b: 2)",
        "result error 3", "turn 2 · openai-chat · gpt-4o", "error ReadTimeout: timed out",
        "root turn 3", "Calling handoff (agent: \"billing\")", "billing turn 4",
        "handoff → ok", "agents root billing",
    ):  # fmt: skip
        assert shown in text
    svg = render([record], title="r").split('<svg class="graph"')[1].split("</svg>")[0]
    assert '<g class="e handoff">' in svg
    assert "<title>root</title>" in svg
    assert "<title>billing</title>" in svg


def test_a_cassette_that_does_not_load_is_an_error_with_its_message(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        test_broken="import pytest\n\n\n@pytest.mark.cassette\ndef test_broken():\n    pass\n"
    )
    cassette = pytester.path / "cassettes" / "test_broken" / "test_broken.yaml"
    cassette.parent.mkdir(parents=True)
    cassette.write_text("interactions: [\n")
    pytester.runpytest("--cassette-report=r.html").assert_outcomes(errors=1)
    text = _Page((pytester.path / "r.html").read_text()).test("test_broken")
    assert text.startswith("error test_broken.py::test_broken no cassette opened")
    assert "at setup: cassette cassettes/test_broken/test_broken.yaml, line 2" in text


def test_workers_send_their_tests_and_the_controller_writes_one_report(
    pytester: pytest.Pytester, provider_server: ProviderServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("xdist", reason="pytest-xdist is not installed (pip install -e '.[test]')")
    monkeypatch.setenv("PROVIDER_URL", provider_server.url)
    pytester.makepyfile(
        test_many=textwrap.dedent(
            """
            import os

            import httpx
            import pytest

            URL = os.environ["PROVIDER_URL"] + "/v1/chat/completions"


            @pytest.mark.cassette
            @pytest.mark.parametrize("n", range(6))
            def test_asks(n):
                body = {"model": "gpt-4o", "messages": [{"role": "user", "content": f"ask {n}"}]}
                assert httpx.post(URL, json=body).status_code == 200
            """
        )
    )
    for mode in ("--record-mode=once", "--record-mode=none"):
        result = pytester.runpytest_subprocess("-n", "2", mode, "--cassette-report=r.html")
        result.assert_outcomes(passed=6)
        assert result.outlines.count("cassette report: r.html") == 1
    page = _Page((pytester.path / "r.html").read_text())
    assert len(page.tests) == 6
    for n in range(6):
        assert f"user ask {n} " in page.test(f"test_asks[{n}]")
    assert [path.name for path in pytester.path.glob("*.html")] == ["r.html"]
    assert list(pytester.path.glob(".r.html.*")) == []  # no temporary file left


def test_the_report_opens_in_headless_chromium(
    pytester: pytest.Pytester,
    provider_server: ProviderServer,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    _run_session(pytester, provider_server, monkeypatch)
    report = pytester.path / "out" / "report.html"
    anchor = anchor_of(report.read_text(), "test_team_asks_the_weather_expert")
    dom = dump_dom(report, f"?q=GPT-4o{anchor}")  # searched, and the team's test opened
    assert "2 of 3 tests shown" in dom  # the script ran: the skipped test is filtered out
    (skipped,) = re.findall(r"<details [^>]*>(?=<summary><span class=\"o skipped)", dom)
    assert " hidden" in skipped
    visible = re.sub(r"<template>.*?</template>", "", dom, flags=re.S)  # what is rendered
    for shown in (
        "test_session.py::test_reads_the_file", "Summarize the file x", "read_file",
        "Asking the expert.", "the file says goodbye", "What's the weather in Paris?",
        "It is sunny in Paris.", 'aria-label="delegation graph"',
    ):  # fmt: skip
        assert shown in visible
    png = screenshot(report, tmp_path / "report.png", anchor)
    width, height, values = png_facts(png)
    assert (width, height) == (1280, 2000)
    assert values > 100  # text and colours, not one flat colour


SYSTEM_PROMPT = "You are a careful code reviewer. " * 60  # an agent's instruction, ~2 KB


def test_300_tests_of_10_turns_make_a_report_in_a_second_or_two(
    tmp_path: Path, provider_server: ProviderServer
) -> None:
    provider_server.script = [Reply(tool=("read_file", {"path": f"src/m{n}.py"})) for n in range(9)]
    provider_server.script.append(Reply("The code is fine. " * 20))
    messages = [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": "Review"}]
    with use_cassette(tmp_path / "session.yaml", record_mode="all") as cassette:
        for _ in range(10):
            body = {"model": "gpt-4o", "messages": messages}
            answer = httpx.post(f"{provider_server.url}/v1/chat/completions", json=body).json()
            message = answer["choices"][0]["message"]
            messages.append(message)
            for call in message.get("tool_calls") or ():
                result = f"def f():\n    return {call['id']!r}\n" * 12  # ~500 characters
                messages.append({"role": "tool", "tool_call_id": call["id"], "content": result})
    transcript = Transcript.of(cassette.exchanges).to_json()
    assert len(transcript["turns"]) == 10
    records = []
    for n in range(300):
        record = _record(f"tests/test_review.py::test_review[{n}]", "passed", "")
        record.update({"transcript": transcript, "interactions": 10, "played": 10})
        records.append(record)
    records[7].update({"outcome": "failed", "failure": "No recorded interaction matches ..."})
    start = time.perf_counter()
    page = render(records, title="Cassette report")
    assert time.perf_counter() - start < 3
    # The conversations' own text is the bulk of the page (their JSON is 13 KB a test, 3.9 MB
    # in all): the markup may add half as much again, nothing grows faster than the text, and
    # 300 tests of 3,000 turns and 2,700 tool calls stay near 5 MB, which Chromium opens in a
    # fraction of a second (the bodies of collapsed tests are parsed, not laid out).
    conversations = len(json.dumps([record["transcript"] for record in records]).encode())
    assert len(page.encode()) < 1.5 * conversations
    assert len(page.encode()) < 6_000_000
