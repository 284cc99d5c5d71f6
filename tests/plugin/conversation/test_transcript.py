"""A cassette read as a transcript, and ``python -m pytest_agentcassette show``: the
conversation turn by turn whatever the provider (what was new in each request, the
answer, tool calls with arguments and results, MCP calls), which agent spoke, tokens and
recorded provider time; as text (coloured on a terminal only) or as JSON.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from pytest_agentcassette import use_cassette
from pytest_agentcassette._conversation.transcript import Transcript
from pytest_agentcassette._format import load_cassette
from tests.support.agents import load
from tests.support.mcp_calc import write_server
from tests.support.provider_server import ProviderServer
from tests.support.wire_formats import Reply


def _show(*arguments: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "pytest_agentcassette", "show", *arguments]
    return subprocess.run(command, capture_output=True, text=True, cwd=cwd, check=False)


def _scenarios(corpus: Path) -> list[dict[str, Any]]:
    return list(yaml.safe_load((corpus / "scenarios.yaml").read_text())["scenarios"])


def test_a_cagent_session_reads_as_the_conversation_cagents_test_expects(
    cagent_corpus: Path,
) -> None:
    for scenario in _scenarios(cagent_corpus):
        shown = _show(str(cagent_corpus / scenario["cassette"]), "--color=never")
        assert shown.returncode == 0, shown.stderr
        expect = scenario["expect"]
        # cagent prints what the model said and the tools it called; the transcript says
        # it too, turn by turn (cagent's cassettes do not say which agent spoke).
        wanted = expect.get("equals", "").split("\n") + expect.get("contains", [])
        for line in wanted:
            if line and not line.startswith("--- Agent:"):
                assert line in shown.stdout, (scenario["name"], line, shown.stdout)
        assert f"user       {scenario['prompt']}" in shown.stdout


def test_the_tool_call_session_turn_by_turn(cagent_corpus: Path) -> None:
    path = cagent_corpus / "cassettes" / "TestExec_OpenAI_ToolCall.yaml"
    shown = _show(str(path), "--color=never").stdout.splitlines()
    turns = [line for line in shown if line.startswith("turn ")]
    assert turns == [
        "turn 1 · openai-chat · gpt-4o · 803 tokens (785 in, 18 out) · 1.15 s",
        "turn 2 · openai-chat · gpt-4o · 817 tokens (815 in, 2 out) · 0.79 s",
    ]
    second = shown[shown.index(turns[1]) + 1 :]
    assert second == [
        '  tool       list_directory response → "FILE README.me\\n"',
        "  assistant  1",
    ]
    assert shown[0].endswith(
        "TestExec_OpenAI_ToolCall.yaml · 2 turns · 1,620 tokens (1,600 in, 20 out) · 1.94 s "
        "recorded"
    )
    assert '  assistant  Calling list_directory(path: "testdata/working_dir")' in shown


def test_json_gives_the_same_as_data(cagent_corpus: Path) -> None:
    path = cagent_corpus / "cassettes" / "TestExec_OpenAI_ToolCall.yaml"
    (data,) = json.loads(_show(str(path), "--json").stdout)
    first, second = data["turns"]
    assert first["answer"]["tool_calls"] == [
        {
            "id": "tool-call-1",
            "name": "list_directory",
            "arguments": {"path": "testdata/working_dir"},
        }
    ]
    assert second["sent"] == [
        {"role": "tool", "text": "FILE README.me\n", "tool_call_id": "tool-call-1",
         "name": "list_directory"}
    ]  # fmt: skip
    assert second["answer"] == {"role": "assistant", "text": "1"}
    assert data["usage"] == {"input_tokens": 1600, "output_tokens": 20, "total_tokens": 1620}
    assert data["duration"] == 1.937
    assert data == {"cassette": data["cassette"], **Transcript.of(load_cassette(path)).to_json()}


def test_colour_on_a_terminal_only(cagent_corpus: Path) -> None:
    path = str(cagent_corpus / "cassettes" / "TestExec_Anthropic.yaml")
    assert "\033[" not in _show(path).stdout  # piped: plain
    coloured = _show(path, "--color=always").stdout
    assert "\033[32massistant " in coloured
    assert "\033[1m" in coloured


def _first(wire: str) -> dict[str, Any]:
    ask = "What is in a.txt?"
    if wire == "anthropic":
        return {"model": "claude-sonnet-4-0", "max_tokens": 100,
                "messages": [{"role": "user", "content": ask}]}  # fmt: skip
    if wire == "gemini":
        return {"contents": [{"role": "user", "parts": [{"text": ask}]}]}
    return {"model": "gpt-4o", "input": ask}


def _second(wire: str, first: dict[str, Any], answer: dict[str, Any]) -> dict[str, Any]:
    """The next request: the conversation, the model's tool call, and the result "hi"."""
    if wire == "anthropic":
        use = next(b for b in answer["content"] if b["type"] == "tool_use")
        result = {"type": "tool_result", "tool_use_id": use["id"], "content": "hi"}
        turns = [{"role": "assistant", "content": answer["content"]},
                 {"role": "user", "content": [result]}]  # fmt: skip
        return {**first, "messages": first["messages"] + turns}
    if wire == "gemini":
        parts = answer["candidates"][0]["content"]["parts"]
        reply = {"functionResponse": {"name": "read_file", "response": {"content": "hi"}}}
        turns = [{"role": "model", "parts": parts}, {"role": "user", "parts": [reply]}]
        return {"contents": first["contents"] + turns}
    call = next(item for item in answer["output"] if item["type"] == "function_call")
    output = {"type": "function_call_output", "call_id": call["call_id"], "output": "hi"}
    items = [{"role": "user", "content": first["input"]}, *answer["output"], output]
    return {"model": "gpt-4o", "input": items}


@pytest.mark.parametrize(
    ("wire", "path"),
    [
        ("anthropic", "/v1/messages"),
        ("gemini", "/v1beta/models/gemini-2.5-flash:generateContent"),
        ("openai-responses", "/v1/responses"),
    ],
)
def test_every_provider_reads_the_same(
    wire: str, path: str, tmp_path: Path, provider_server: ProviderServer
) -> None:
    provider_server.script = [Reply(tool=("read_file", {"path": "a.txt"})), Reply("It says hi.")]
    cassette = tmp_path / "session.yaml"
    with use_cassette(cassette, record_mode="once"), httpx.Client() as client:
        first = _first(wire)
        answer = client.post(provider_server.url + path, json=first).json()
        client.post(provider_server.url + path, json=_second(wire, first, answer))
    one, two = Transcript.of(load_cassette(cassette)).turns
    assert [(m.role, m.text) for m in one.sent] == [("user", "What is in a.txt?")]
    assert one.answer is not None
    (call,) = one.answer.tool_calls
    assert (call.name, call.arguments, call.id) == ("read_file", {"path": "a.txt"}, "tool-call-1")
    (result,) = two.sent
    assert (result.role, result.name) == ("tool", "read_file")
    assert "hi" in result.text
    if wire != "gemini":  # Gemini's function calls carry no id here
        assert result.tool_call_id == "tool-call-1"
    assert two.answer is not None
    assert two.answer.text == "It says hi."
    assert one.model == ("gemini-2.5-flash" if wire == "gemini" else _first(wire)["model"])


TEAM = """\
agents:
  root:
    model: main
    instruction: Delegate weather questions.
    sub_agents: [weather]
  weather:
    model: main
    description: Knows the weather
    instruction: You are a weather expert.
"""


def test_an_agentcore_team_says_which_agent_spoke_and_who_delegated_to_whom(
    tmp_path: Path, provider_server: ProviderServer
) -> None:
    task = {"agent": "weather", "task": "Weather in Paris?", "expected_output": "A sentence."}
    provider_server.script = [
        Reply(tool=("transfer_task", task)),
        Reply("Sunny in Paris."),
        Reply("It is sunny in Paris."),
    ]
    cassette = tmp_path / "team.yaml"
    with use_cassette(cassette, record_mode="once"), load(tmp_path, provider_server, TEAM) as team:
        team.run("What's the weather in Paris?")
    transcript = Transcript.of(load_cassette(cassette))
    assert [turn.agent for turn in transcript.turns] == ["root", "weather", "root"]
    assert transcript.agents == ["root", "weather"]
    assert transcript.delegations == [("root", "weather")]
    last = transcript.turns[2]
    assert [(m.role, m.text) for m in last.sent] == [("tool", "Sunny in Paris.")]
    shown = _show(str(cassette), "--color=never").stdout
    assert "agents root, weather" in shown.splitlines()[0]
    assert "turn 2 · agent weather · openai-chat · gpt-4o" in shown
    assert 'Calling transfer_task(agent: "weather", task: "Weather in Paris?"' in shown


def test_mcp_tool_calls_are_turns_too(tmp_path: Path) -> None:
    from mcp import ClientSession
    from mcp.client.stdio import StdioServerParameters, stdio_client

    server = write_server(tmp_path)

    async def add() -> None:
        params = StdioServerParameters(
            command=sys.executable, args=[server.name], cwd=server.parent
        )
        async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            await session.call_tool("add", {"a": 2, "b": 3})

    cassette = tmp_path / "calc.yaml"
    with use_cassette(cassette, record_mode="once"):
        asyncio.run(add())
    transcript = Transcript.of(load_cassette(cassette))
    (turn,) = transcript.turns
    assert turn.mcp is not None
    assert (turn.mcp.name, turn.mcp.arguments, turn.mcp.result) == ("add", {"a": 2, "b": 3}, "5")
    assert transcript.other_requests >= 2  # initialize, its notification (and a listing)
    shown = _show(str(cassette), "--color=never").stdout
    assert "turn 1 · mcp · python calc_server.py" in shown
    assert "  tool       Calling add(a: 2, b: 3)" in shown
    assert '             add response → "5"' in shown
    assert f"{transcript.other_requests} other requests not shown" in shown


def test_a_cassette_that_cannot_be_read_says_where_and_the_others_still_show(
    tmp_path: Path, cagent_corpus: Path
) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("version: 2\ninteractions:\n- request: {method: GET}\n")
    good = cagent_corpus / "cassettes" / "TestExec_Mistral.yaml"
    shown = _show(str(broken), str(good), "--color=never")
    assert shown.returncode == 2
    assert "The sum of 2 + 2 is 4." in shown.stdout
    assert shown.stderr.startswith(
        f"agentcassette show: cassette {broken}, line 3 (at interactions[0].request): "
        "missing required field 'url'"
    )


def test_a_folder_shows_every_cassette_in_it(tmp_path: Path, cagent_corpus: Path) -> None:
    shown = _show(str(cagent_corpus / "cassettes"), "--json")
    assert len(json.loads(shown.stdout)) == len(list((cagent_corpus / "cassettes").glob("*.yaml")))


def test_a_body_that_does_not_decode_is_named_with_its_place(tmp_path: Path) -> None:
    broken = tmp_path / "body.yaml"
    broken.write_text(
        "version: 2\ninteractions:\n"
        "- request: {method: POST, url: 'https://api.openai.com/v1/chat/completions',\n"
        "            body: {json: '{not json'}}\n"
        "  response: {code: 200}\n"
    )
    shown = _show(str(broken))
    assert shown.returncode == 2
    assert shown.stderr.startswith(
        f"agentcassette show: cassette {broken}, line 4 (at interactions[0].request.body.json): "
        "json is not valid JSON"
    )


VCRPY_TOOL_CALL = """\
interactions:
- request:
    body: '{"model": "gpt-4o", "messages": [{"role": "user", "content": "List the files"}]}'
    headers:
      Content-Type:
      - application/json
    method: POST
    uri: https://api.openai.com/v1/chat/completions
  response:
    body:
      string: '{"choices": [{"message": {"role": "assistant", "content": null, "tool_calls":
        [{"id": "call_1", "type": "function", "function": {"name": "list_dir",
        "arguments": "{\\"path\\": \\".\\"}"}}]}}], "usage": {"prompt_tokens": 20,
        "completion_tokens": 5, "total_tokens": 25}}'
    headers:
      Content-Type:
      - application/json
    status:
      code: 200
      message: OK
version: 1
"""


def test_a_converted_vcrpy_cassette_shows_too(tmp_path: Path) -> None:
    original = tmp_path / "vcr" / "test_list.yaml"
    original.parent.mkdir()
    original.write_text(VCRPY_TOOL_CALL)
    command = [sys.executable, "-m", "pytest_agentcassette", "convert", "--out",
               str(tmp_path / "converted"), str(original.parent)]  # fmt: skip
    subprocess.run(command, capture_output=True, text=True, check=True, cwd=tmp_path)
    converted = next((tmp_path / "converted").rglob("test_list.yaml"))
    shown = _show(str(converted), "--color=never").stdout.splitlines()
    assert "turn 1 · openai-chat · gpt-4o · 25 tokens (20 in, 5 out)" in shown
    assert "  user       List the files" in shown
    assert '  assistant  Calling list_dir(path: ".")' in shown
