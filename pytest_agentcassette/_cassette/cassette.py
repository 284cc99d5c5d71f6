"""A cassette in use: loads the file, answers intercepted requests, records, saves.

This is the engine's boundary: problems found inside it (a
:class:`~pytest_agentcassette._located.LocatedError` at a place in the file, a file that
cannot be read) become the :class:`~pytest_agentcassette.CassetteError` a user reads here,
with the command that records the cassette again.
"""

from __future__ import annotations

import functools
import inspect
import json
import threading
import warnings
from collections.abc import Callable
from contextvars import Token
from dataclasses import replace
from os import PathLike
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, Unpack, cast

import httpx

from pytest_agentcassette import _matching
from pytest_agentcassette._cassette.messages import (
    fix_hint,
    mismatch_error,
    outage_message,
    replay_note,
    unused_message,
)
from pytest_agentcassette._errors import (
    CassetteError,
    CassetteMismatchError,
    NetworkBlockedError,
    ResponseDriftError,
    UnusedInteractionsError,
    UnusedInteractionsWarning,
)
from pytest_agentcassette._format import (
    SharedParts,
    cassette_error,
    file_state,
    load_cassette,
    merged,
    save_cassette,
    save_turn,
    split_shared,
)
from pytest_agentcassette._located import LocatedError, display_path
from pytest_agentcassette._matching import (
    MatchConfig,
    MatchIndex,
    normalize_url,
)
from pytest_agentcassette._model import (
    KEPT_REQUEST_HEADERS,
    STDIO_SCHEME,
    Body,
    Interaction,
    RecordedRequest,
    RecordedResponse,
    is_websocket,
)
from pytest_agentcassette._options import resolve_options
from pytest_agentcassette._record_mode import RecordMode
from pytest_agentcassette._secrets import (
    DEFAULT_REDACTED_HEADERS,
    DEFAULT_REDACTED_QUERY_PARAMETERS,
    lowercase_set,
    redact_headers,
    redact_url,
)
from pytest_agentcassette._sse import event_sizes
from pytest_agentcassette._transport.asking import RecordThrough
from pytest_agentcassette._transport.interception import activate, deactivate
from pytest_agentcassette._transport.mcp.held_stream import GatedStream, gated, held_open
from pytest_agentcassette._transport.mcp.jsonrpc import code_answer_id, reanswered, request_id
from pytest_agentcassette._transport.replay import replayed_response
from pytest_agentcassette._transport.telemetry import download_for_host, telemetry_of

if TYPE_CHECKING:
    from pytest_agentcassette._conversation import Conversation, ToolCall, Usage
    from pytest_agentcassette._options import CassetteOptions
    from pytest_agentcassette._secrets import SecretFinding

__all__ = ["Cassette", "opened_paths", "use_cassette"]


_F = TypeVar("_F", bound=Callable[..., Any])

_OPENED: set[Path] = set()  # every cassette file opened in this process, as given


def _is_telemetry(interaction: Interaction) -> bool:
    """Whether ``interaction`` is an export to a known tracing service."""
    url = interaction.request.url
    if not url.startswith(("http://", "https://")):
        return False
    return telemetry_of(httpx.URL(url)) is not None


def _as_stored(live: RecordedRequest) -> RecordedRequest:
    """``live`` with its credentials redacted as a cassette stores them (asked when the
    request as sent matched nothing: the secret patterns load on that need only).
    """
    from pytest_agentcassette._secrets import redacted_for_matching

    return redacted_for_matching(live)


def opened_paths(*, forget: bool = False) -> set[Path]:
    """Every cassette file opened in this process so far (``use_cassette`` blocks too);
    ``forget`` starts the count again (a new pytest session in the same process).
    """
    opened = set(_OPENED)
    if forget:
        _OPENED.clear()
    return opened


class _Pending(Protocol):
    """A request being recorded; an interaction once its answer is in."""

    @property
    def request(self) -> RecordedRequest: ...

    @property
    def interaction(self) -> Interaction | None: ...

    def close(self) -> None:
        """Keep what arrived, if the code never finished reading it."""


class Cassette:
    """A YAML cassette of HTTP, WebSocket and MCP interactions, in use as a context manager.

    Inside ``with cassette:`` (or ``async with``, or as a decorator), every request of an
    httpx, httpx2, aiohttp or urllib3 (requests, botocore) client, every WebSocket
    connection of the ``websockets`` clients and every MCP server started over stdio goes
    to the cassette: it is replayed from the file, or sent for real and recorded, as
    ``record_mode`` says. Leaving the block writes the file when
    something was recorded, and checks that a replay played every recorded interaction
    and that the exchanges cost no more tokens than ``max_tokens``.
    Build one with :func:`use_cassette`.
    """

    def __init__(
        self,
        path: str | PathLike[str],
        *,
        record_command: str | None = None,
        test: str | None = None,
        **options: Unpack[CassetteOptions],
    ):
        self.path = Path(path)
        self.test = test
        values = resolve_options(options, source="use_cassette")
        self.record_mode: RecordMode = values["record_mode"]
        self.allowed_hosts: tuple[str, ...] = values["allowed_hosts"]
        self.replay_retry_after: float | None = values["replay_retry_after"]
        self.websocket_pacing: float = values["websocket_pacing"]
        self.unused_interactions: str = values["unused_interactions"]
        self.secrets: str = values["secrets"]
        self.max_tokens: int | None = values["max_tokens"]
        self.record_outages: bool = values["record_outages"]
        self.request_headers: str = values["request_headers"]
        self.redacted_headers = lowercase_set(DEFAULT_REDACTED_HEADERS, values["redact_headers"])
        self.redacted_query_parameters = lowercase_set(
            DEFAULT_REDACTED_QUERY_PARAMETERS, values["redact_query_parameters"]
        )
        self.record_command = record_command
        self._match_config = MatchConfig.build(
            match_on=values["match_on"],
            allow_playback_repeats=values["allow_playback_repeats"],
            ignore_headers=values["ignore_headers"],
            ignore_json_pointers=values["ignore_json_pointers"],
            normalize_text=values["normalize_text"],
            null_is_absent=values["null_is_absent"],
        )
        self.secrets_found: list[SecretFinding] = []  # credentials the last write redacted
        self.existed = False  # the file existed
        self.had_recording = False  # ... and held interactions of this test (``test``)
        self.saved = False
        # Computed once when the cassette opens, off the event loop, for the messages of
        # the request path (resolving a path touches the file system).
        self._shown_path = str(self.path)
        self._source: bytes | None = None  # the file as loaded: the lines of its errors
        self.outage = False  # nothing was written: no request got a response
        self._loaded: list[Interaction] = []  # this test's, from the file
        self._shared = SharedParts()  # other tests' interactions, in a shared cassette
        self._index = MatchIndex([], self._match_config)
        self._may_record = False
        self._diverged = False
        self._used: list[Interaction | _Pending] = []
        self._recordings: list[_Pending] = []
        self._verified: list[tuple[Interaction | None, _Pending]] = []  # verify: (recorded, live)
        self.drift: list[str] = []  # verify: what changed, a line each
        self._mismatches: list[CassetteMismatchError] = []
        self._blocked: list[NetworkBlockedError] = []
        self._refused = False  # the cassette raised an error to the code
        self._jsonrpc_answers: dict[tuple[str, str], tuple[Any]] = {}
        self._code_answers: dict[tuple[str, str], tuple[Any]] = {}
        self._lock = threading.Lock()
        self._token: Token[Any] | None = None

    def __repr__(self) -> str:
        return f"<Cassette {display_path(self.path)!r} record_mode={self.record_mode.value}>"

    @property
    def is_recording(self) -> bool:
        """Whether requests without a recorded match are sent for real and recorded."""
        return self._may_record

    @property
    def interactions(self) -> list[Interaction]:
        """Every interaction the file will hold: those kept from it, then the new ones (in
        a shared cassette, other tests' stay where they were).
        """
        result = self._shared.joined(self._own())
        for position, interaction in enumerate(result):
            interaction.id = position
        return result

    def _own(self) -> list[Interaction]:
        """The interactions of this use (its test's, in a shared cassette) as the file will
        hold them.
        """
        recorded = self.recorded
        if self.record_mode is RecordMode.UPDATE:  # the session as this run had it
            return self.exchanges
        kept = [] if self.record_mode is RecordMode.ALL else list(self._loaded)
        # A server over stdio recorded again replaces its old sessions: a replay starts it
        # once, and would leave the older session unplayed.
        again = {i.request.url for i in recorded if i.request.url.startswith(STDIO_SCHEME)}
        kept = [i for i in kept if i.request.url not in again]
        return kept + recorded

    @property
    def recorded(self) -> list[Interaction]:
        """Interactions recorded in this use, in the order their requests were sent."""
        return [r.interaction for r in self._recordings if r.interaction is not None]

    @property
    def played(self) -> list[Interaction]:
        """Recorded interactions replayed so far, in the order they were played."""
        return [used for used in self._used if isinstance(used, Interaction)]

    @property
    def exchanges(self) -> list[Interaction]:
        """What the code exchanged in this use, replayed or recorded, in request order."""
        result = []
        for used in self._used:
            interaction = used if isinstance(used, Interaction) else used.interaction
            if interaction is not None:
                result.append(interaction)
        return result

    @property
    def unplayed(self) -> list[Interaction]:
        """Interactions loaded from the file that no request has replayed (a trace export
        an earlier release recorded is not counted: such requests are answered locally now).
        """
        return [i for i in self._index.unplayed() if not _is_telemetry(i)]

    @property
    def mismatches(self) -> list[CassetteMismatchError]:
        """The errors raised for requests that had nothing to replay."""
        return list(self._mismatches)

    @property
    def blocked(self) -> list[NetworkBlockedError]:
        """The connections and clients stopped while this cassette was in use."""
        return list(self._blocked)

    @property
    def conversation(self) -> Conversation:
        """A provider-neutral view of :attr:`exchanges`: messages, text, tool calls, usage."""
        from pytest_agentcassette._conversation import Conversation

        return Conversation.of(self.exchanges)

    @property
    def tool_calls(self) -> list[ToolCall]:
        """The tool calls the model made in :attr:`exchanges`, in order."""
        return self.conversation.tool_calls

    @property
    def usage(self) -> Usage:
        """The tokens the provider counted over :attr:`exchanges`, replayed or recorded (an
        exchange that reported none counts 0): what ``max_tokens`` is checked against.
        """
        return self.conversation.usage

    def __enter__(self) -> Cassette:
        if self._token is not None:
            raise CassetteError(f"cassette {display_path(self.path)} is already in use")
        self._open()
        self._token = activate(self)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._leave(check=exc_type is None)

    async def __aenter__(self) -> Cassette:
        """Open the cassette in a worker thread (reading the file would block the event
        loop), then answer the requests of this task.
        """
        from anyio.to_thread import run_sync  # httpx's dependency; asyncio and trio alike

        if self._token is not None:
            raise CassetteError(f"cassette {self._shown_path} is already in use")
        await run_sync(self._open)
        self._token = activate(self)  # in the task's own context
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Stop answering in the task's own context, then save and check in a worker
        thread, off the event loop.
        """
        from anyio.to_thread import run_sync

        if self._token is not None:
            deactivate(self, self._token)
            self._token = None
        await run_sync(functools.partial(self._leave, check=exc_type is None))

    def __call__(self, function: _F) -> _F:
        """Use the cassette as a decorator: each call of ``function`` runs inside it."""
        if inspect.iscoroutinefunction(function):

            @functools.wraps(function)
            async def run_async(*args: Any, **kwargs: Any) -> Any:
                async with self:
                    return await function(*args, **kwargs)

            return cast(_F, run_async)

        @functools.wraps(function)
        def run(*args: Any, **kwargs: Any) -> Any:
            with self:
                return function(*args, **kwargs)

        return cast(_F, run)

    def _leave(self, *, check: bool) -> None:
        """Stop answering requests, save what was recorded and, with ``check``, report the
        interactions a replay never played, then a token budget exceeded.
        """
        if self._token is not None:
            deactivate(self, self._token)
            self._token = None
        self._source = None  # a problem found in saving is in the file as it is now
        self._close()
        self._check_drift()  # even after a failure: the provider's change may be its cause
        if check:
            self._check_unused()
            self._check_budget()

    def _public(self, error: LocatedError | OSError) -> CassetteError:
        """The error a user reads for a problem in this cassette's file."""
        self._refused = True
        hint = fix_hint(self.record_command)
        return cassette_error(self.path, error, hint, shown=self._shown_path, source=self._source)

    def _open(self) -> None:
        self._loaded, self._used, self._recordings, self._mismatches = [], [], [], []
        self._blocked, self.secrets_found, self.saved, self._refused = [], [], False, False
        self.outage, self._shared, self._verified, self.drift = False, SharedParts(), [], []
        self._opened = file_state(self.path)
        self.existed = self._opened is not None
        _OPENED.add(self.path)
        self._shown_path, self._source = display_path(self.path), None
        try:
            if self.existed and (self.record_mode is not RecordMode.ALL or self.test):
                self._source = self.path.read_bytes()
                self._shared = split_shared(load_cassette(self.path, self._source), self.test)
                self._loaded = self._shared.own
            self._index = MatchIndex(self._loaded, self._match_config)
        except (LocatedError, OSError) as error:
            raise self._public(error) from None
        self.had_recording = self.existed and (self.test is None or bool(self._loaded))
        recording_modes = (
            RecordMode.ALL,
            RecordMode.NEW_EPISODES,
            RecordMode.UPDATE,
            RecordMode.VERIFY,
        )
        self._may_record = self.record_mode in recording_modes or (
            self.record_mode is RecordMode.ONCE and not self.had_recording
        )
        self._diverged = False  # update: a request no longer matched; record from there on

    def _close(self) -> None:
        for recording in list(self._recordings):
            recording.close()
        if not self._may_record or self.record_mode is RecordMode.VERIFY:
            return
        if not (self.recorded or self._rewrites_unplayed()):
            return
        self._refuse_outage()
        self._quiet_recorded()
        from pytest_agentcassette._secrets import guard_secrets, warn_found  # on a write only

        with save_turn(self.path):  # another process may have saved this file meanwhile
            try:
                interactions = self._to_write()
            except (LocatedError, OSError) as error:
                raise self._public(error) from None
            self.secrets_found = guard_secrets(self.path, interactions, self.secrets, warn=False)
            save_cassette(self.path, interactions)
            self.saved = True
        warn_found(self.path, self.secrets_found)  # after the write: -W error must not stop it

    def _to_write(self) -> list[Interaction]:
        """What the file will hold, with what another process saved since it was opened:
        other tests' interactions of a shared cassette as they are now; in a cassette of
        one test, what the file holds now followed by what was recorded (``once`` and
        ``new_episodes``; ``all`` and ``update`` replace it).
        """
        if self.test is not None:
            for interaction in self.recorded:
                interaction.test = self.test
            if file_state(self.path) != self._opened:
                now = load_cassette(self.path) if self.path.exists() else []
                self._shared = split_shared(now, self.test)
            return self.interactions
        if self.record_mode in (RecordMode.ALL, RecordMode.UPDATE):
            return self.interactions
        return merged(self.path, self._opened, self.interactions, self.recorded)

    def _quiet_recorded(self) -> None:
        """Keep in the requests recorded now only the headers that matching can compare
        (and :data:`KEPT_REQUEST_HEADERS`), unless ``request_headers="all"``: an SDK's
        bookkeeping (``Host``, ``User-Agent``, ``x-stainless-*``...) is noise in review.
        """
        if self.request_headers == "all":
            return
        config = self._match_config
        for interaction in self.recorded:
            request = interaction.request
            kept = [
                (name, value)
                for name, value in request.headers
                if name.lower() in KEPT_REQUEST_HEADERS or config.compares_header(name)
            ]
            if len(kept) != len(request.headers):
                interaction.request = replace(request, headers=kept)

    def _refuse_outage(self) -> None:
        """A recording in which no request got a response (each met a transport error:
        the provider unreachable, most likely) is not written, unless ``record_outages``.
        """
        recorded = [i for i in self.recorded if not i.request.url.startswith(STDIO_SCHEME)]
        if self.record_outages or not recorded:
            return
        if any(i.response.status_code != 0 or i.response.error is None for i in recorded):
            return
        self.outage = True
        message = outage_message(
            recorded,
            shown_path=display_path(self.path),
            existed=self.had_recording,
            record_command=self.record_command,
        )
        raise CassetteError(message, path=self.path)

    def _rewrites_unplayed(self) -> bool:
        """Whether the file is written even with nothing recorded: ``all`` replaces it,
        ``update`` drops what this run no longer sent.
        """
        if not self.had_recording:
            return False
        return self.record_mode is RecordMode.ALL or (
            self.record_mode is RecordMode.UPDATE and bool(self.unplayed)
        )

    def _check_unused(self) -> None:
        """A replay that left recorded interactions unused hides a regression: say so, as
        ``unused_interactions`` asks (unless a request was already refused, for want of a
        match or for a fault in the file, or stopped: that is the story, and what it left
        unplayed follows from it).
        """
        policy = self.unused_interactions
        if policy == "ignore" or self.is_recording or self._refused or self._blocked:
            return
        if not self.unplayed:
            return
        message = unused_message(
            self.unplayed,
            shown_path=self._shown_path,
            total=len(self.interactions),
            record_command=self.record_command,
            warning=policy == "warn",
        )
        if policy == "warn":
            warnings.warn(UnusedInteractionsWarning(message), stacklevel=1)
        else:
            raise UnusedInteractionsError(message, path=self.path, unused=self.unplayed)

    def _check_budget(self) -> None:
        """Exchanges that cost more tokens than ``max_tokens`` fail (a recording is saved
        first), unless a request was refused or stopped: that is the story.
        """
        if self.max_tokens is None or self._refused or self._blocked:
            return
        from pytest_agentcassette._cassette.budget import check_budget

        check_budget(
            self.exchanges,
            budget=self.max_tokens,
            path=self.path,
            written=self.saved,
            record_command=self.record_command,
        )

    def _note_blocked(self, error: NetworkBlockedError) -> None:
        """Keep a request stopped on this cassette's behalf (the test fails with it)."""
        with self._lock:
            self._blocked.append(error)

    def _scrubbed(self, live: RecordedRequest) -> RecordedRequest:
        """``live`` with credentials redacted from its URL and headers, as stored."""
        return replace(
            live,
            url=redact_url(live.url, self.redacted_query_parameters),
            headers=redact_headers(live.headers, self.redacted_headers),
        )

    def _answer_http(self, request: httpx.Request) -> httpx.Response:
        """Answer one intercepted request: replay it, or raise to record or to refuse it."""
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers.raw]
        live = RecordedRequest(
            request.method,
            redact_url(str(request.url), self.redacted_query_parameters),
            redact_headers(headers, self.redacted_headers),
            Body.from_bytes(request.content),
        )
        found = self._take(live) if self._replays() else None
        if found is not None:
            return self._replay(found, live)
        self._diverged = self.record_mode is RecordMode.UPDATE
        if self._may_record:
            from pytest_agentcassette._transport.tee import Recording  # recording only

            recording = Recording(live, self.redacted_headers)
            self._record_pending(recording)
            if self.record_mode is RecordMode.VERIFY:
                with self._lock:
                    self._verified.append((self._recorded_match(live), recording))
            raise RecordThrough(recording)
        raise self._refuse(live)

    def _recorded_match(self, live: RecordedRequest) -> Interaction | None:
        """The recorded interaction ``live`` matches, taken but not replayed (``verify``
        compares its response with the live one).
        """
        try:
            found = self._index.take(live)
            if found is None and (probe := _as_stored(live)) is not live:
                found = self._index.take(probe)
        except LocatedError as error:
            raise self._public(error) from None
        return found

    def _check_drift(self) -> None:
        """In ``verify``: fail with every response whose shape is no longer the recorded
        one's, and every request nothing recorded matches.
        """
        if self.record_mode is not RecordMode.VERIFY:
            return
        from pytest_agentcassette._cassette.drift import drift_lines, drift_message

        self.drift = drift_lines(self._verified)
        if self.drift:
            message = drift_message(self.drift, self._shown_path, self.record_command)
            raise ResponseDriftError(message, path=self.path, changes=self.drift)

    def _replays(self) -> bool:
        """Whether a request may be answered from the file (not in ``all`` or ``verify``,
        nor in ``update`` once a request no longer matched the recording).
        """
        live_modes = (RecordMode.ALL, RecordMode.VERIFY)
        return self.record_mode not in live_modes and not self._diverged

    def _answer_connection(self, live: RecordedRequest) -> Interaction | None:
        """The recorded opening of a WebSocket connection that answers ``live`` (its
        messages then replay too); ``None`` when the connection is to be recorded.
        """
        live = self._scrubbed(live)
        found = self._take(live) if self._replays() else None
        if found is not None or self._may_record:
            self._diverged = found is None and self.record_mode is RecordMode.UPDATE
            return found
        raise self._refuse(live)

    def _answer_message(self, live: RecordedRequest) -> Interaction:
        """The recorded interaction that answers a message sent to an MCP server over
        stdio, or over a replayed WebSocket connection.
        """
        if self._token is None:
            raise CassetteError(self._outlived(live))
        if is_websocket(live.url):
            live = self._scrubbed(live)
        found = self._take(live)
        if found is None:
            raise self._refuse(live)
        return found

    def _record_pending(self, pending: _Pending) -> None:
        """Keep ``pending`` among what this use records, in the order requests were sent."""
        if self._token is None:  # a server that outlived the cassette it was started in
            warnings.warn(self._outlived(pending.request), UserWarning, stacklevel=2)
        with self._lock:
            self._recordings.append(pending)
            self._used.append(pending)

    def _outlived(self, request: RecordedRequest) -> str:
        if is_websocket(request.url):
            return (
                f"the WebSocket connection to {request.url} was opened inside cassette "
                f"{self._shown_path}, which has closed, and is still in use "
                f"({request.method} is not recorded or replayed). Open the connection inside "
                f"the test, or keep the cassette open as long as the connection is."
            )
        server = request.url.removeprefix(STDIO_SCHEME)
        return (
            f"the MCP server '{server}' was started inside cassette "
            f"{self._shown_path}, which has closed, and is still in use ({request.method} "
            f"is not recorded or replayed). Start the server inside each test (a fixture of "
            f"function scope), or keep the cassette open as long as the server runs."
        )

    def _refuse(self, live: RecordedRequest) -> CassetteMismatchError:
        """The error for a request with nothing to replay, kept for the test to fail with
        (for a known download, such as tiktoken's, with the cache that avoids it).
        """
        error = self._mismatch(_as_stored(live))  # no credential in the error
        host = httpx.URL(live.url).host if live.url.startswith(("http:", "https:")) else ""
        download = download_for_host(host) if host else None
        if download is not None:
            error.advice += f"\n{host} serves {download.what}: {download.advice}."
            error.args = (f"{error.details}\n{error.advice}",)
        with self._lock:
            self._mismatches.append(error)
            self._refused = True
        return error

    def _take(self, live: RecordedRequest) -> Interaction | None:
        """The recorded interaction that answers ``live`` (now played), or ``None``."""
        with self._lock:
            try:
                found = self._index.take(live)
                if found is None and (probe := _as_stored(live)) is not live:
                    found = self._index.take(probe)  # as the cassette stores it
            except LocatedError as error:
                raise self._public(error) from None
            if found is not None:
                self._used.append(found)
        return found

    def _replay(self, found: Interaction, live: RecordedRequest) -> httpx.Response:
        try:
            response = found.response
            response = replace(response, body=response.body.held())  # decoded once here
            recorded_id = request_id(found.request.body)
            live_id = request_id(live.body) if recorded_id is not None else None
            if live_id is not None and recorded_id is not None and live_id != recorded_id:
                content = reanswered(response.body.content, recorded_id[0], live_id[0])
                response = replace(response, body=Body.from_bytes(content, event_sizes(content)))
            self._note_answered(found, live_id, recorded_id)
            if response.error is not None:  # the code reads where it came from, and the fix
                note = replay_note(self._shown_path, found.id, self.record_command)
                error = replace(response.error, message=response.error.message + note)
                response = replace(response, error=error)
            return replayed_response(
                response, retry_after=self.replay_retry_after, stream=self._gated(found, response)
            )
        except (TypeError, ValueError) as malformed:
            where = ("interactions", found.id, "response", "body")
            if not isinstance(malformed, LocatedError):
                malformed = LocatedError(str(malformed))
            raise self._public(malformed.rooted_at(*where)) from None

    def _gated(self, found: Interaction, response: RecordedResponse) -> GatedStream | None:
        """An event stream released in step with the code, where the replay needs one."""
        hold = held_open(found.request, response)
        if not hold and not gated(found.request, response):
            return None
        return GatedStream(
            response.body.content,
            found.request.url,
            self._answered,
            self._code_answered,
            hold_open=hold,
        )

    def _note_answered(
        self, found: Interaction, live_id: tuple[Any] | None, recorded_id: tuple[Any] | None
    ) -> None:
        """Remember that the JSON-RPC request ``found`` recorded was replayed, and with which
        live id, for an event stream that carries its answer (MCP's SSE transport); and
        that the code answered a request of the server's, for a stream that waits on it.
        """
        answer = code_answer_id(found.request.body) if recorded_id is None else None
        if recorded_id is None and answer is None:
            return
        url = normalize_url(found.request.url)
        with self._lock:
            if recorded_id is not None:
                key = (url, json.dumps(recorded_id[0]))
                self._jsonrpc_answers[key] = live_id if live_id is not None else recorded_id
            if answer is not None:
                self._code_answers[(url, json.dumps(answer[0]))] = answer

    def _code_answered(self, url: str, asked: Any) -> tuple[Any] | None:
        """``(id,)`` once the code answered the server's request ``asked`` sent to ``url``."""
        with self._lock:
            return self._code_answers.get((normalize_url(url), json.dumps(asked)))

    def _answered(self, url: str, recorded: Any) -> tuple[Any] | None:
        """``(live id,)`` once the JSON-RPC request with id ``recorded`` to ``url`` was
        replayed, else ``None``.
        """
        with self._lock:
            return self._jsonrpc_answers.get((normalize_url(url), json.dumps(recorded)))

    def _mismatch(self, live: RecordedRequest) -> CassetteMismatchError:
        try:
            key = self._index.live_key(live)
            with self._lock:
                nearest = (
                    _matching.find_nearest(self._index, live, key) if self.had_recording else None
                )
                played = sum(self._index.played)
        except LocatedError as error:
            raise self._public(error) from None
        return mismatch_error(
            live,
            nearest,
            path=self.path,
            shown_path=self._shown_path,
            exists=self.had_recording,
            shared=len(self._shared.others),
            record_mode=self.record_mode,
            total=len(self._loaded),
            played=played,
            record_command=self.record_command,
            match_config=self._match_config,
            servers=tuple(
                dict.fromkeys(
                    i.request.url.removeprefix(STDIO_SCHEME)
                    for i in self._loaded
                    if i.request.url.startswith(STDIO_SCHEME)
                )
            ),
        )


def use_cassette(
    path: str | PathLike[str],
    *,
    record_command: str | None = None,
    test: str | None = None,
    **options: Unpack[CassetteOptions],
) -> Cassette:
    """A :class:`Cassette` to run a ``with`` block in, replaying or recording its traffic.

    Example: ``with use_cassette("tests/cassettes/explain.yaml", record_mode="once"): ...``;
    ``async with`` works too, and so does ``@use_cassette(...)`` on a function.

    ``options`` are those of :class:`~pytest_agentcassette.CassetteOptions` (the same as
    the ``cassette`` marker's): ``record_mode``, ``match_on``, ``unused_interactions``,
    ``secrets``... An unknown one is an error that names the nearest.
    ``record_command`` is the command that records this cassette, shown in error messages;
    ``{mode}`` in it is replaced by the record mode to use.
    ``test`` names the user of a cassette that several share (the plugin passes the test
    id when a marker names the cassette): what it records is marked with it, and it
    replays, records and is checked against its own interactions only.
    """
    return Cassette(path, record_command=record_command, test=test, **options)
