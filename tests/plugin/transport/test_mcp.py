"""MCP servers in the cassette: over stdio, the messages to and from each server the code
starts through the SDK are recorded beside the HTTP interactions, and a replay answers
them with no process started; over streamable HTTP, the traffic replays like any httpx2
traffic, ids and the held-open event stream included."""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from pytest_agentcassette import CassetteError, CassetteMismatchError, McpCall, use_cassette
from tests.support.mcp_calc import http_server, write_server
from tests.support.network import NetworkCut
from tests.support.provider_server import ProviderServer
from tests.support.wire_formats import Reply

pytest.importorskip("mcp", reason="the MCP SDK is not installed (pip install -e '.[test]')")


async def _use_calc(read: Any, write: Any, a: int = 2) -> list[str]:
    from mcp import ClientSession

    async with ClientSession(read, write) as session:
        await session.initialize()
        tools = await session.list_tools()
        added = await session.call_tool("add", {"a": a, "b": 3})
        echoed = await session.call_tool("echo", {"text": "hello"})
    named = [tool.name for tool in tools.tools if tool.name in ("add", "echo")]
    return [*named, added.content[0].text, echoed.content[0].text]  # type: ignore[union-attr]


def _over_stdio(server: Path, a: int = 2) -> list[str]:
    from mcp.client.stdio import StdioServerParameters, stdio_client

    async def run() -> list[str]:
        params = StdioServerParameters(
            command=sys.executable, args=[server.name], cwd=server.parent
        )
        async with stdio_client(params) as (read, write):
            return await _use_calc(read, write, a)

    return asyncio.run(run())


def test_an_mcp_server_over_stdio_replays_with_no_process_started(
    tmp_path: Path, network_cut: NetworkCut, started: list[list[str]]
) -> None:
    server = write_server(tmp_path)
    path = tmp_path / "calc.yaml"
    with use_cassette(path, record_mode="once") as recording:
        recorded = _over_stdio(server)
    assert recorded == ["add", "echo", "5", "hello"]
    assert started == [[sys.executable, "calc_server.py"]]
    assert [i.request.method for i in recording.recorded] == [
        "initialize", "notifications/initialized", "tools/list", "tools/call", "tools/call",
    ]  # fmt: skip
    assert {i.request.url for i in recording.recorded} == {"stdio:python calc_server.py"}

    server.unlink()
    started.clear()
    with network_cut, use_cassette(path) as replay:
        assert _over_stdio(server) == recorded
    assert started == []  # the recorded server answered
    assert len(replay.played) == 5
    assert replay.conversation.mcp_calls == [
        McpCall("python calc_server.py", "add", {"a": 2, "b": 3}, "5", False),
        McpCall("python calc_server.py", "echo", {"text": "hello"}, "hello", False),
    ]


def test_the_cassette_holds_each_message_as_a_line_of_json(tmp_path: Path) -> None:
    path = tmp_path / "calc.yaml"
    with use_cassette(path, record_mode="once"):
        _over_stdio(write_server(tmp_path))
    text = path.read_text()
    assert (
        '- id: 3\n  stdio:\n    server: python calc_server.py\n    send: \'{"jsonrpc":"2.0"' in text
    )
    assert '"method":"tools/call","params":{"name":"add","arguments":{"a":2,"b":3}}}' in text
    assert '    receive: |\n      {"jsonrpc":"2.0","id":' in text


def test_a_changed_tool_call_fails_with_what_changed(tmp_path: Path) -> None:
    path = tmp_path / "calc.yaml"
    server = write_server(tmp_path)
    with use_cassette(path, record_mode="once"):
        _over_stdio(server)
    from mcp.shared.exceptions import MCPError

    # The code meets a JSON-RPC error; the test fails with the cassette's diagnostic.
    error = pytest.RaisesExc(MCPError, match="agentcassette: No recorded interaction matches")
    with use_cassette(path) as replay, pytest.RaisesGroup(error, flatten_subgroups=True):
        _over_stdio(server, a=7)
    (miss,) = replay.mismatches
    assert isinstance(miss, CassetteMismatchError)
    assert miss.details.splitlines()[0] == (
        "No recorded interaction matches tools/call stdio:python calc_server.py"
    )
    assert "    replace /params/arguments/a: 2 → 7" in miss.details


def test_the_answer_carries_the_id_the_client_chose(tmp_path: Path) -> None:
    path = tmp_path / "calc.yaml"
    server = write_server(tmp_path)
    with use_cassette(path, record_mode="once"):
        _over_stdio(server)
    # Another SDK version numbers its requests otherwise: 30 where this one said 3.
    text = path.read_text()
    assert text.count('"id":3,') == 2
    path.write_text(text.replace('"id":3,', '"id":30,'))
    with use_cassette(path):
        assert _over_stdio(server) == ["add", "echo", "5", "hello"]


def test_unplayed_messages_are_unused_interactions(tmp_path: Path) -> None:
    path = tmp_path / "calc.yaml"
    server = write_server(tmp_path)
    with use_cassette(path, record_mode="once"):
        _over_stdio(server)

    async def fewer() -> None:
        from mcp import ClientSession
        from mcp.client.stdio import StdioServerParameters, stdio_client

        params = StdioServerParameters(command=sys.executable, args=[server.name], cwd=tmp_path)
        async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
            await session.initialize()

    with pytest.raises(CassetteError) as caught, use_cassette(path):
        asyncio.run(fewer())
    assert "3 recorded interactions were never played" in str(caught.value)
    assert "  unused:      interaction 2: tools/list stdio:python calc_server.py" in str(
        caught.value
    )


def test_a_credential_in_a_tool_call_is_written_as_redacted_and_still_replays(
    tmp_path: Path,
) -> None:
    key = "sk-proj-" + "Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zAb7cDe0f"
    path = tmp_path / "calc.yaml"
    server = write_server(tmp_path)

    async def echo_key() -> str:
        from mcp import ClientSession
        from mcp.client.stdio import StdioServerParameters, stdio_client

        params = StdioServerParameters(command=sys.executable, args=[server.name], cwd=tmp_path)
        async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            result = await session.call_tool("echo", {"text": key})
            return str(result.content[0].text)  # type: ignore[union-attr]

    with (
        pytest.warns(UserWarning, match="credentials found and written as REDACTED"),
        use_cassette(path, record_mode="once"),
    ):
        assert asyncio.run(echo_key()) == key
    assert key not in path.read_text()
    assert '"arguments":{"text":"REDACTED"}' in path.read_text()
    with use_cassette(path):
        assert asyncio.run(echo_key()) == "REDACTED"


def test_a_broken_stdio_entry_names_its_place(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("version: 2\ninteractions:\n- id: 0\n  stdio:\n    server: python calc.py\n")
    with pytest.raises(CassetteError) as caught, use_cassette(path):
        pass
    assert str(caught.value).startswith(
        f"cassette {path}, line 4 (at interactions[0].stdio): missing required field 'send' "
        "(the message the code sent).\nThe file was left untouched."
    )


def test_a_pydantic_ai_agent_with_an_mcp_server_over_stdio_replays_with_neither_running(
    tmp_path: Path,
    provider_server: ProviderServer,
    network_cut: NetworkCut,
    started: list[list[str]],
) -> None:
    server = write_server(tmp_path)

    def run(base_url: str) -> Any:
        from fastmcp.client import Client
        from fastmcp.client.transports import StdioTransport
        from openai import AsyncOpenAI
        from pydantic_ai import Agent
        from pydantic_ai.mcp import MCPToolset
        from pydantic_ai.models.openai import OpenAIChatModel
        from pydantic_ai.providers.openai import OpenAIProvider

        async def go() -> Any:
            client = AsyncOpenAI(base_url=base_url + "/v1", api_key="sk-test")
            model = OpenAIChatModel("gpt-4o", provider=OpenAIProvider(openai_client=client))
            transport = StdioTransport(
                command=sys.executable, args=[server.name], cwd=str(tmp_path)
            )
            agent = Agent(model, toolsets=[MCPToolset(Client(transport))])
            async with client:
                return await agent.run("What is 2 + 40?")

        return asyncio.run(go())

    provider_server.script = [Reply(tool=("add", {"a": 2, "b": 40})), Reply("It is 42.")]
    path = tmp_path / "agent.yaml"
    with use_cassette(path, record_mode="once") as recording:
        assert run(provider_server.url).output == "It is 42."
    assert started == [[sys.executable, "calc_server.py"]]
    assert {i.request.url.partition(":")[0] for i in recording.recorded} == {"http", "stdio"}

    provider_server.stop()
    server.unlink()
    started.clear()
    with network_cut, use_cassette(path) as replay:
        assert run(provider_server.url).output == "It is 42."
    assert started == []
    assert network_cut.attempts == []
    assert [call.name for call in replay.tool_calls] == ["add"]
    assert [(c.name, c.result) for c in replay.conversation.mcp_calls] == [("add", "42")]


def test_an_mcp_server_over_streamable_http_replays_with_the_server_stopped(
    tmp_path: Path, network_cut: NetworkCut
) -> None:
    from mcp.client.streamable_http import streamable_http_client

    async def over_http(url: str) -> list[str]:
        async with streamable_http_client(url) as (read, write, *_):
            return await _use_calc(read, write)

    path = tmp_path / "http.yaml"
    with http_server(tmp_path) as url, use_cassette(path, record_mode="once") as recording:
        recorded = asyncio.run(over_http(url))
    (stream,) = [i for i in recording.recorded if i.request.method == "GET"]
    # the event stream held open for the server
    assert stream.response.header("content-type") == "text/event-stream"

    began = time.perf_counter()
    with network_cut, use_cassette(path) as replay:
        assert asyncio.run(over_http(url)) == recorded
    assert time.perf_counter() - began < 5  # the event stream neither ended nor hung
    assert len(replay.played) == len(recording.recorded)
    assert network_cut.attempts == []
    assert [c.name for c in replay.conversation.mcp_calls] == ["add", "echo"]


INNER_TEST = """
import asyncio
import sys

import pytest
from mcp import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client


async def add(a):
    params = StdioServerParameters(command=sys.executable, args=["calc_server.py"])
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        return (await session.call_tool("add", {{"a": a, "b": 3}})).content[0].text


@pytest.mark.cassette
def test_adds():
    assert asyncio.run(add({a})) == "{total}"
"""


def test_a_test_whose_tool_call_changed_fails_with_the_diff_and_the_command(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_server(pytester.path)
    monkeypatch.chdir(pytester.path)
    pytester.makepyfile(test_calc=INNER_TEST.format(a=2, total=5))
    pytester.runpytest("--record-mode=once", "-p", "no:recording").assert_outcomes(passed=1)
    (pytester.path / "calc_server.py").unlink()
    pytester.makepyfile(test_calc=INNER_TEST.format(a=7, total=10))
    result = pytester.runpytest("-p", "no:recording")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "No recorded interaction matches tools/call stdio:python calc_server.py",
            "  cassette:    cassettes/test_calc/test_adds.yaml (* interactions, 2 played)",
            "  record mode: none (replay only; nothing was sent to the network)",
            "  nearest:     interaction 2 (tools/call stdio:python calc_server.py): same "
            "method and URL, but the body differs",
            "  changes from the recording to this request:",
            "    replace /params/arguments/a: 2 → 7",
            "  sent from:   test_calc.py:18",
            "If the change is intended, re-record the cassette:",
            "  pytest --record-mode=rewrite test_calc.py::test_adds",
        ],
        consecutive=True,
    )


def test_an_answer_is_given_the_live_id_in_json_in_events_and_in_lines() -> None:
    from pytest_agentcassette._transport.mcp.jsonrpc import reanswered

    answer = b'{"jsonrpc":"2.0","id":3,"result":{"ok":true}}'
    assert reanswered(answer, 3, 7) == b'{"jsonrpc":"2.0","id":7,"result":{"ok":true}}'
    assert reanswered(answer, 3, "3") == b'{"jsonrpc":"2.0","id":"3","result":{"ok":true}}'
    assert reanswered(answer, 4, 7) == answer  # it answers another request
    stream = b'event: message\ndata: {"jsonrpc":"2.0","method":"notifications/progress"}\n\n'
    stream += b"event: message\ndata: " + answer + b"\n\n"
    assert reanswered(stream, 3, 7) == stream.replace(b'"id":3', b'"id":7')
    lines = b'{"jsonrpc":"2.0","method":"notifications/message"}\n' + answer + b"\n"
    assert reanswered(lines, 3, 7, lines=True) == lines.replace(b'"id":3', b'"id":7')


def test_an_mcp_server_over_the_older_sse_transport_replays_its_answers_in_step(
    tmp_path: Path, network_cut: NetworkCut
) -> None:
    # Over SSE, every answer comes on the GET stream the client holds open: a replay must
    # release each one after the request it answers, not all at once.
    from mcp.client.sse import sse_client

    async def over_sse(url: str) -> list[str]:
        async with sse_client(url) as (read, write):
            return await _use_calc(read, write)

    path = tmp_path / "sse.yaml"
    with http_server(tmp_path, "sse") as url, use_cassette(path, record_mode="once"):
        recorded = asyncio.run(over_sse(url))
    assert recorded == ["add", "echo", "5", "hello"]
    began = time.perf_counter()
    with network_cut, use_cassette(path) as replay:
        assert asyncio.run(over_sse(url)) == recorded
    assert time.perf_counter() - began < 5
    assert network_cut.attempts == []
    assert [(c.name, c.result) for c in replay.conversation.mcp_calls] == [
        ("add", "5"),
        ("echo", "hello"),
    ]


# -- what a review found, kept fixed ----------------------------------------------------------


async def _session(server: Path, work: Any, **callbacks: Any) -> Any:
    from mcp import ClientSession
    from mcp.client.stdio import StdioServerParameters, stdio_client

    params = StdioServerParameters(command=sys.executable, args=[server.name], cwd=server.parent)
    async with stdio_client(params) as (read, write), ClientSession(read, write, **callbacks) as s:
        await s.initialize()
        return await work(s)


def test_a_server_that_crashed_while_recorded_crashes_again_in_replay_without_a_hang(
    tmp_path: Path,
) -> None:
    from mcp.shared.exceptions import MCPError

    server = write_server(tmp_path)
    path = tmp_path / "crash.yaml"
    closed = pytest.RaisesExc(MCPError, match="Connection closed")
    for mode in ("once", "none"):
        began = time.perf_counter()
        with (
            pytest.RaisesGroup(closed, flatten_subgroups=True),
            use_cassette(path, record_mode=mode),
        ):
            asyncio.run(_session(server, lambda s: s.call_tool("crash", {})))
        assert time.perf_counter() - began < 5
    assert "    server_exited: true\n" in path.read_text()


def test_a_question_of_the_server_is_answered_before_the_tool_returns(tmp_path: Path) -> None:
    import mcp.types

    server = write_server(tmp_path)
    order: list[str] = []

    async def answer(context: Any, params: Any) -> Any:
        await asyncio.sleep(0.05)  # a person takes a moment
        order.append("answered")
        return mcp.types.ElicitResult(action="accept", content={"name": "Ada"})

    async def greet(session: Any) -> str:
        result = await session.call_tool("greet", {})
        order.append("returned")
        return str(result.content[0].text)

    path = tmp_path / "greet.yaml"
    for mode in ("once", "none"):
        order.clear()
        with use_cassette(path, record_mode=mode):
            assert asyncio.run(_session(server, greet, elicitation_callback=answer)) == (
                "Hello, Ada!"
            )
        assert order == ["answered", "returned"]


def test_concurrent_calls_replay_though_the_sdk_lists_the_tools_again(tmp_path: Path) -> None:
    server = write_server(tmp_path)

    async def three(session: Any) -> list[str]:
        results = await asyncio.gather(
            session.call_tool("add", {"a": 1, "b": 1}),
            session.call_tool("add", {"a": 2, "b": 2}),
            session.call_tool("echo", {"text": "x"}),
        )
        return [str(result.content[0].text) for result in results]

    path = tmp_path / "gather.yaml"
    with use_cassette(path, record_mode="once"):
        assert asyncio.run(_session(server, three)) == ["2", "4", "x"]
    with use_cassette(path):
        assert asyncio.run(_session(server, three)) == ["2", "4", "x"]


def test_progress_reaches_the_client_whatever_ids_it_chose(tmp_path: Path) -> None:
    server = write_server(tmp_path)
    seen: list[float] = []

    async def progress(done: float, total: float | None, message: str | None) -> None:
        seen.append(done)

    async def count(session: Any) -> str:
        result = await session.call_tool("count", {"n": 3}, progress_callback=progress)
        return str(result.content[0].text)

    path = tmp_path / "count.yaml"
    with use_cassette(path, record_mode="once"):
        assert asyncio.run(_session(server, count)) == "counted to 3"
    assert seen == [1, 2, 3]
    text = path.read_text()
    path.write_text(
        text.replace('"id":2,', '"id":20,').replace('"progressToken":2', '"progressToken":20')
    )
    seen.clear()
    with use_cassette(path):
        assert asyncio.run(_session(server, count)) == "counted to 3"
    assert seen == [1, 2, 3]


def test_recording_a_server_again_replaces_its_old_session(tmp_path: Path) -> None:
    server = write_server(tmp_path)
    path = tmp_path / "again.yaml"
    with use_cassette(path, record_mode="once"):
        _over_stdio(server)
    with use_cassette(path, record_mode="new_episodes") as again:
        _over_stdio(server, a=7)
    assert len(again.interactions) == len(again.recorded)  # the old session is gone
    with use_cassette(path):
        assert _over_stdio(server, a=7)[2] == "10"
    with use_cassette(path) as replay, pytest.raises(BaseException):  # noqa: PT011, B017
        _over_stdio(server, a=1)
    (miss,) = replay.mismatches
    assert "new_episodes" not in miss.advice  # it would keep the stale session
    assert miss.advice == "If the change is intended, re-record it with record_mode='all'."


def test_a_server_the_cassette_does_not_hold_is_named_with_those_it_does(tmp_path: Path) -> None:
    server = write_server(tmp_path)
    path = tmp_path / "one.yaml"
    with use_cassette(path, record_mode="once"):
        _over_stdio(server)
    other = tmp_path / "other_server.py"
    other.write_text(server.read_text())
    with use_cassette(path) as replay, pytest.raises(BaseException):  # noqa: PT011, B017
        _over_stdio(other)
    assert replay.mismatches[0].details.splitlines()[-1] == (
        "  nearest:     this MCP server was not recorded; the cassette holds: python calc_server.py"
    )


def test_an_option_naming_an_absolute_path_is_the_same_on_every_machine(tmp_path: Path) -> None:
    from pytest_agentcassette._transport.mcp.stdio import server_identity

    assert server_identity("/usr/bin/python3.12", ["--db=/home/me/notes.sqlite"], "/srv") == (
        "python --db=notes.sqlite"
    )
    assert server_identity("npx", ["-y", f"{tmp_path}/tools/server.js"], tmp_path) == (
        "npx -y tools/server.js"
    )


def test_a_result_with_a_line_separator_is_read_whole(tmp_path: Path) -> None:
    server = write_server(tmp_path)

    async def echo(session: Any) -> str:
        result = await session.call_tool("echo", {"text": "one\u2028two"})
        return str(result.content[0].text)

    with use_cassette(tmp_path / "sep.yaml", record_mode="once") as cassette:
        assert asyncio.run(_session(server, echo)) == "one\u2028two"
    assert [call.result for call in cassette.conversation.mcp_calls] == ["one\u2028two"]


def test_over_http_too_a_question_is_answered_before_the_tool_returns(tmp_path: Path) -> None:
    import mcp.types
    from mcp import ClientSession
    from mcp.client.streamable_http import streamable_http_client

    order: list[str] = []

    async def answer(context: Any, params: Any) -> Any:
        await asyncio.sleep(0.05)
        order.append("answered")
        return mcp.types.ElicitResult(action="accept", content={"name": "Ada"})

    async def greet(url: str) -> str:
        async with (
            streamable_http_client(url) as (read, write, *_),
            ClientSession(read, write, elicitation_callback=answer) as session,
        ):
            await session.initialize()
            result = await session.call_tool("greet", {})
            order.append("returned")
            return str(result.content[0].text)  # type: ignore[union-attr]

    path = tmp_path / "greet.yaml"
    with http_server(tmp_path) as url, use_cassette(path, record_mode="once"):
        assert asyncio.run(greet(url)) == "Hello, Ada!"
    assert order == ["answered", "returned"]
    order.clear()
    with use_cassette(path):
        assert asyncio.run(greet(url)) == "Hello, Ada!"
    assert order == ["answered", "returned"]


def test_over_sse_a_call_left_out_fails_at_once_rather_than_hang(tmp_path: Path) -> None:
    from mcp import ClientSession
    from mcp.client.sse import sse_client

    async def echo(url: str, texts: list[str]) -> None:
        async with sse_client(url) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            for text in texts:
                await session.call_tool("echo", {"text": text})

    path = tmp_path / "sse.yaml"
    with http_server(tmp_path, "sse") as url, use_cassette(path, record_mode="once"):
        asyncio.run(echo(url, ["x", "y"]))
    began = time.perf_counter()
    unused = "1 recorded interaction was never played"
    with pytest.raises(CassetteError, match=unused), use_cassette(path):
        asyncio.run(echo(url, ["y"]))
    assert time.perf_counter() - began < 5


def test_a_server_used_after_its_cassette_closed_is_told_so(tmp_path: Path) -> None:
    from mcp import ClientSession
    from mcp.client.stdio import StdioServerParameters, stdio_client
    from mcp.shared.exceptions import MCPError

    server = write_server(tmp_path)
    path = tmp_path / "calc.yaml"
    with use_cassette(path, record_mode="once"):
        _over_stdio(server)

    async def outlive() -> None:
        cassette = use_cassette(path, unused_interactions="ignore")
        params = StdioServerParameters(command=sys.executable, args=[server.name], cwd=tmp_path)
        with cassette:
            opened = stdio_client(params)
            read, write = await opened.__aenter__()
            session = ClientSession(read, write)
            await session.__aenter__()
            await session.initialize()
        try:
            with pytest.raises(MCPError, match=r"was started inside cassette .* which has closed"):
                await session.call_tool("add", {"a": 2, "b": 3})
        finally:
            await session.__aexit__(None, None, None)
            await opened.__aexit__(None, None, None)

    asyncio.run(outlive())
