"""MCP servers over stdio, recorded and replayed in the same cassette as the HTTP traffic.

The MCP SDK's ``stdio_client`` (which pydantic-ai, fastmcp, the OpenAI Agents SDK and
agentcore all use) starts its server through one function of ``mcp.client.stdio``; that
function is patched while a cassette is open. Recording, the real server starts and the
lines of JSON that cross its stdin and stdout are copied as they pass: each message the
code sends is an interaction, answered by the server's messages that followed it (its
response, found by id, and the notifications the server sent meanwhile). Replaying, no
process starts: a stand-in answers each message with what the cassette recorded for it.

A server is known by a stable identity, its command's name and its arguments as the code
wrote them (an interpreter's absolute path differs between a laptop and CI), so its
interactions have the URL ``stdio:<command> <args>``.
"""

from __future__ import annotations

import json
import math
import os
import shlex
import signal
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol, TextIO

import anyio
import anyio.abc
from anyio.streams.memory import MemoryObjectReceiveStream

from pytest_agentcassette._errors import CassetteError, CassetteMismatchError
from pytest_agentcassette._model import (
    SERVER_EXITED,
    Body,
    Interaction,
    RecordedRequest,
    RecordedResponse,
    stdio_request,
)
from pytest_agentcassette._transport.mcp.jsonrpc import (
    answer_id,
    parsed,
    question_id,
    reanswered,
    request_id,
)
from pytest_agentcassette._transport.registry import cassette_for_this_request

__all__ = [
    "StdioCassette",
    "StdioExchange",
    "patch",
    "server_identity",
]

_MODULE = "mcp.client.stdio"
_SPAWN = "_create_platform_compatible_process"
_PYTHON = ("python", "python3")


class StdioCassette(Protocol):
    """What the stdio interception needs of the cassette in charge."""

    @property
    def is_recording(self) -> bool: ...

    def _answer_message(self, live: RecordedRequest) -> Interaction:
        """The recorded interaction that answers ``live``; raises when there is none."""

    def _record_pending(self, pending: StdioExchange) -> None:
        """Keep ``pending`` among the interactions this use records."""


def _command_name(command: str) -> str:
    name = Path(command).name.removesuffix(".exe")
    stem = name.rstrip("0123456789.")
    return "python" if stem in _PYTHON else name


def _argument(argument: str, cwd: Path) -> str:
    option, equals, value = argument.partition("=")
    if equals and option.startswith("-") and os.path.isabs(value):
        return f"{option}={_argument(value, cwd)}"  # --db=/home/me/notes.sqlite
    if not os.path.isabs(argument):
        return argument
    try:
        return Path(argument).relative_to(cwd).as_posix()
    except ValueError:
        return Path(argument).name


def server_identity(command: str, args: Sequence[str], cwd: str | os.PathLike[str] | None) -> str:
    """The command line that names a server in a cassette: the command's name (any Python
    interpreter is ``python``) and its arguments, absolute paths made relative to the
    working directory (or cut to their last part), so that it is the same on every machine.
    """
    base = Path(cwd if cwd is not None else os.getcwd()).resolve()
    return shlex.join([_command_name(command), *(_argument(a, base) for a in args)])


class StdioExchange:
    """A message the code sent to a recorded server and the server's messages that answer
    it; becomes an interaction as it goes, and a finished one when the server stops.
    """

    def __init__(self, server: str, line: str):
        self.request = stdio_request(server, Body.from_bytes(line.encode("utf-8")))
        self.replies: list[str] = []
        self._started = time.perf_counter()
        self._duration: float | None = None
        self._closed: Interaction | None = None
        self.server_exited = False  # the server ended the session after these replies

    @property
    def interaction(self) -> Interaction:
        """The interaction so far (final once :meth:`close` ran)."""
        if self._closed is not None:
            return self._closed
        content = "".join(reply + "\n" for reply in self.replies).encode("utf-8")
        ended = SERVER_EXITED if self.server_exited else None
        response = RecordedResponse(
            200, body=Body.from_bytes(content), duration=self._duration, error=ended
        )
        return Interaction(self.request, response)

    def answered(self) -> None:
        """The server's response arrived: the exchange took this long (a notification,
        which has no response, has no duration).
        """
        self._duration = round(time.perf_counter() - self._started, 3)

    def close(self) -> None:
        """The server stopped (or the cassette closed): what it said is all there is."""
        if self._closed is None:
            self._closed = self.interaction


class _Lines:
    """Bytes in, whole lines out (JSON-RPC over stdio is one message per line)."""

    def __init__(self) -> None:
        self._buffer = b""

    def feed(self, data: bytes) -> list[str]:
        *lines, self._buffer = (self._buffer + data).split(b"\n")
        return [line.decode("utf-8", errors="replace") for line in lines if line.strip()]


class _Recorder:
    """Sorts the lines of one recorded server into exchanges."""

    def __init__(self, cassette: StdioCassette, server: str):
        self._cassette = cassette
        self._server = server
        self._sent, self._said = _Lines(), _Lines()
        self._waiting: dict[str, StdioExchange] = {}  # by the JSON of the request's id
        self._exchanges: list[StdioExchange] = []
        self._early: list[str] = []  # what the server said before the code said anything
        self.code_closed = False  # the code closed the server's stdin: the session is over

    def sent(self, data: bytes) -> None:
        for line in self._sent.feed(data):
            exchange = StdioExchange(self._server, line)
            exchange.replies += self._early
            self._early = []
            self._cassette._record_pending(exchange)
            self._exchanges.append(exchange)
            waits_for = _key(request_id(exchange.request.body))
            if waits_for is not None:
                self._waiting[waits_for] = exchange

    def said(self, data: bytes) -> None:
        for line in self._said.feed(data):
            answered = _key(answer_id(parsed(line)))
            exchange = self._waiting.pop(answered, None) if answered is not None else None
            if exchange is not None:
                exchange.answered()
            elif self._exchanges:
                exchange = self._exchanges[-1]
            if exchange is None:
                self._early.append(line)
            else:
                exchange.replies.append(line)

    def server_ended(self) -> None:
        """The server's stdout ended: if the code had not ended the session, the server
        did (it crashed, or exited), and a replay ends it at the same point.
        """
        if not self.code_closed and self._exchanges:
            self._exchanges[-1].server_exited = True

    def close(self) -> None:
        for exchange in self._exchanges:
            exchange.close()


class _TeeIn(anyio.abc.ByteSendStream):
    def __init__(self, inner: anyio.abc.ByteSendStream, recorder: _Recorder):
        self._inner = inner
        self._recorder = recorder

    async def send(self, item: bytes) -> None:
        self._recorder.sent(item)
        await self._inner.send(item)

    async def aclose(self) -> None:
        self._recorder.code_closed = True
        await self._inner.aclose()


class _TeeOut(anyio.abc.ByteReceiveStream):
    def __init__(self, inner: anyio.abc.ByteReceiveStream, recorder: _Recorder):
        self._inner = inner
        self._recorder = recorder

    async def receive(self, max_bytes: int = 65536) -> bytes:
        try:
            data = await self._inner.receive(max_bytes)
        except anyio.EndOfStream:
            self._recorder.server_ended()
            raise
        self._recorder.said(data)
        return data

    async def aclose(self) -> None:
        await self._inner.aclose()


class _RecordedProcess(anyio.abc.Process):
    """The real server, its stdin and stdout copied into the cassette as they pass."""

    def __init__(self, real: anyio.abc.Process, recorder: _Recorder):
        self._real = real
        self._recorder = recorder
        self._stdin = _TeeIn(real.stdin, recorder) if real.stdin is not None else None
        self._stdout = _TeeOut(real.stdout, recorder) if real.stdout is not None else None

    def __getattr__(self, name: str) -> Any:  # the SDK reaches for the asyncio transport
        return getattr(self._real, name)

    async def aclose(self) -> None:
        try:
            await self._real.aclose()
        finally:
            self._recorder.close()

    async def wait(self) -> int:
        return await self._real.wait()

    def terminate(self) -> None:
        self._real.terminate()

    def kill(self) -> None:
        self._real.kill()

    def send_signal(self, sig: signal.Signals) -> None:
        self._real.send_signal(sig)

    @property
    def pid(self) -> int:
        return self._real.pid

    @property
    def returncode(self) -> int | None:
        return self._real.returncode

    @property
    def stdin(self) -> anyio.abc.ByteSendStream | None:
        return self._stdin

    @property
    def stdout(self) -> anyio.abc.ByteReceiveStream | None:
        return self._stdout

    @property
    def stderr(self) -> anyio.abc.ByteReceiveStream | None:
        return self._real.stderr


class _ReplayedStdin(anyio.abc.ByteSendStream):
    def __init__(self, server: _ReplayedProcess):
        self._server = server
        self._lines = _Lines()

    async def send(self, item: bytes) -> None:
        for line in self._lines.feed(item):
            await self._server.answer(line)

    async def aclose(self) -> None:
        await self._server.stop()


class _ReplayedProcess(anyio.abc.Process):
    """Stands in for a recorded server: answers each message from the cassette; no process
    runs. A message with nothing recorded gets a JSON-RPC error, and the test fails with
    the cassette's diagnostic.
    """

    def __init__(self, cassette: StdioCassette, server: str):
        self._cassette = cassette
        self._server = server
        self._to_code, self._code_reads = anyio.create_memory_object_stream[bytes](math.inf)
        self._stdin = _ReplayedStdin(self)
        self._returncode: int | None = None
        # What the server said after asking the code something (elicitation, sampling):
        # held until the code answers, by the JSON of the server's request id.
        self._held: dict[str, tuple[list[str], bool]] = {}

    async def answer(self, line: str) -> None:
        """Answer one message of the code with what the recorded server said after it."""
        if self._returncode is not None:
            return  # the server has exited: nobody reads what the code writes
        live = stdio_request(self._server, Body.from_bytes(line.encode("utf-8")))
        live_id = request_id(live.body)
        try:
            found = self._cassette._answer_message(live)
        except CassetteError as error:
            if live_id is not None:
                await self._to_code.send(_error_answer(live_id[0], error))
            return
        recorded_id = request_id(found.request.body)
        content = found.response.body.content
        if live_id is not None and recorded_id is not None:
            content = reanswered(content, recorded_id[0], live_id[0], lines=True)
        exits = found.response.error is not None and found.response.error == SERVER_EXITED
        lines = [reply for reply in content.decode("utf-8").split("\n") if reply.strip()]
        await self._say(lines, exits)
        await self._release(_key(answer_id(parsed(line))))

    async def _say(self, lines: list[str], exits: bool) -> None:
        """Write ``lines`` to the code, up to a request of the server's own: what follows it
        waits for the code's answer (as the recorded server waited for it).
        """
        for number, reply in enumerate(lines):
            await self._to_code.send((reply + "\n").encode("utf-8"))
            asked = _key(question_id(parsed(reply)))
            if asked is not None and number + 1 < len(lines):
                self._held[asked] = (lines[number + 1 :], exits)
                return
        if exits:
            await self.stop(exit_code=1)

    async def _release(self, answered: str | None) -> None:
        if answered is not None and answered in self._held:
            lines, exits = self._held.pop(answered)
            await self._say(lines, exits)

    async def stop(self, exit_code: int = 0) -> None:
        """The code closed the server's stdin (or the recorded server exited): it exits at
        once, and its stdout ends.
        """
        if self._returncode is None:
            self._returncode = exit_code
            await self._to_code.aclose()

    async def aclose(self) -> None:
        await self.stop()

    async def wait(self) -> int:
        await self.stop()
        return 0

    def terminate(self) -> None:
        self._returncode = self._returncode if self._returncode is not None else -15

    def kill(self) -> None:
        self._returncode = self._returncode if self._returncode is not None else -9

    def send_signal(self, sig: signal.Signals) -> None:
        self.terminate()

    @property
    def pid(self) -> int:
        return -1  # no process

    @property
    def returncode(self) -> int | None:
        return self._returncode

    @property
    def stdin(self) -> anyio.abc.ByteSendStream:
        return self._stdin

    @property
    def stdout(self) -> MemoryObjectReceiveStream[bytes]:  # type: ignore[override]
        return self._code_reads

    @property
    def stderr(self) -> None:
        return None


def _key(found: tuple[Any] | None) -> str | None:
    """A JSON-RPC id as a dictionary key (``1`` and ``"1"`` are two ids)."""
    return json.dumps(found[0]) if found is not None else None


def _error_answer(request: Any, error: CassetteError) -> bytes:
    first = str(error.details if isinstance(error, CassetteMismatchError) else error)
    message = f"agentcassette: {first.splitlines()[0]} (the test fails with the details)"
    answer = {"jsonrpc": "2.0", "id": request, "error": {"code": -32603, "message": message}}
    return (json.dumps(answer) + "\n").encode("utf-8")


Spawn = Callable[..., Any]
InCharge = Callable[[], Any]


def _patched(original: Spawn, in_charge: InCharge) -> Spawn:
    async def spawn(
        command: str,
        args: list[str],
        env: dict[str, str] | None = None,
        errlog: TextIO | None = None,
        cwd: Path | str | None = None,
    ) -> anyio.abc.Process:
        cassette = in_charge()
        if cassette is None:
            process: anyio.abc.Process = await original(
                command, args, env=env, errlog=errlog, cwd=cwd
            )
            return process
        server = server_identity(command, args, cwd)
        if not cassette.is_recording:
            return _ReplayedProcess(cassette, server)
        real = await original(command, args, env=env, errlog=errlog, cwd=cwd)
        return _RecordedProcess(real, _Recorder(cassette, server))

    return spawn


def patch(module: ModuleType) -> Callable[[], None]:
    """Patch the MCP SDK's start of stdio servers in ``mcp.client.stdio``; returns the undo."""
    original = getattr(module, _SPAWN)
    setattr(module, _SPAWN, _patched(original, cassette_for_this_request))

    def undo() -> None:
        setattr(module, _SPAWN, original)

    return undo
