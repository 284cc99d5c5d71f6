"""A cassette in use: loads the file, answers intercepted requests, records, saves."""

from __future__ import annotations

import functools
import inspect
import threading
from collections.abc import Callable, Iterable
from contextvars import Token
from os import PathLike
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar, cast

import httpx

from .bodies import Body, BodyFormatError
from .cassette_file import display_path, load_cassette, located_error, save_cassette
from .diagnostics import fix_hint, mismatch_message
from .errors import CassetteError, CassetteMismatchError
from .interception import RecordThrough, ResponseHead, activate, deactivate
from .matching import MatchIndex, RequestKey, UnusableInteraction, request_key
from .model import Interaction, RecordedRequest, RecordedResponse
from .record_mode import RecordMode
from .recording import Tape, decode_content
from .replay import replayed_response
from .scrub import (
    DEFAULT_REDACTED_HEADERS,
    DEFAULT_REDACTED_QUERY_PARAMETERS,
    lowercase_set,
    redact_headers,
    redact_url,
)

__all__ = ["Cassette", "use_cassette"]

_F = TypeVar("_F", bound=Callable[..., Any])


class _Recording:
    """A request sent for real; becomes an interaction when its response body closes."""

    def __init__(self, cassette: Cassette, request: RecordedRequest):
        self._cassette = cassette
        self.request = request
        self.interaction: Interaction | None = None
        self.failed = False
        self._tape: Tape | None = None
        self._head = ResponseHead(0, "", [], "HTTP/1.1")

    def start(self, head: ResponseHead) -> Tape:
        self._head = head
        self._tape = Tape(self._finish)
        return self._tape

    def fail(self) -> None:
        self.failed = True

    def close(self) -> None:
        """Store whatever arrived, if the client never closed the body."""
        if self._tape is not None:
            self._tape.close()

    def _finish(self, chunks: list[bytes], failed: bool) -> None:
        if failed:
            # The body broke off with an error: not a response the server meant to send.
            # The client saw the error; a retry, if any, is recorded on its own.
            self.failed = True
            return
        head = self._head
        headers, chunks = decode_content(head.headers, chunks)
        headers = redact_headers(headers, self._cassette.redacted_headers)
        body = Body.from_bytes(b"".join(chunks), [len(chunk) for chunk in chunks])
        response = RecordedResponse(head.status, head.reason, headers, body, head.http_version)
        self.interaction = Interaction(self.request, response)


class Cassette:
    """A YAML cassette of HTTP interactions, in use as a context manager.

    Inside ``with cassette:`` (or ``async with``), every request of an httpx or httpx2
    client goes to the cassette: it is replayed from the file, or sent for real and
    recorded, as ``record_mode`` says. Leaving the block writes the file when something was
    recorded. Prefer :func:`use_cassette` to build one.
    """

    def __init__(
        self,
        path: str | PathLike[str],
        *,
        record_mode: str | RecordMode = RecordMode.NONE,
        redact_headers: Iterable[str] = (),
        redact_query_parameters: Iterable[str] = (),
        record_command: str | None = None,
    ):
        self.path = Path(path)
        self.record_mode = RecordMode.parse(record_mode)
        self.redacted_headers = lowercase_set(DEFAULT_REDACTED_HEADERS, redact_headers)
        self.redacted_query_parameters = lowercase_set(
            DEFAULT_REDACTED_QUERY_PARAMETERS, redact_query_parameters
        )
        self.record_command = record_command
        self.existed = False
        self.saved = False
        self._loaded: list[Interaction] = []
        self._index = MatchIndex([])
        self._may_record = False
        self._played: list[Interaction] = []
        self._recordings: list[_Recording] = []
        self._mismatches: list[CassetteMismatchError] = []
        self._lock = threading.Lock()
        self._token: Token[Cassette | None] | None = None

    def __repr__(self) -> str:
        return f"<Cassette {display_path(self.path)!r} record_mode={self.record_mode.value}>"

    @property
    def is_recording(self) -> bool:
        """Whether requests without a recorded match are sent for real and recorded."""
        return self._may_record

    @property
    def interactions(self) -> list[Interaction]:
        """Every interaction the file will hold: those kept from it, then the new ones."""
        kept = [] if self.record_mode is RecordMode.ALL else list(self._loaded)
        result = kept + self.recorded
        for position, interaction in enumerate(result):
            interaction.id = position
        return result

    @property
    def recorded(self) -> list[Interaction]:
        """Interactions recorded in this use, in the order their requests were sent."""
        return [r.interaction for r in self._recordings if r.interaction is not None]

    @property
    def played(self) -> list[Interaction]:
        """Recorded interactions replayed so far, in the order they were played."""
        return list(self._played)

    @property
    def mismatches(self) -> list[CassetteMismatchError]:
        """The errors raised for requests that had nothing to replay."""
        return list(self._mismatches)

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
        if self._token is not None:
            deactivate(self, self._token)
            self._token = None
        self._close()

    async def __aenter__(self) -> Cassette:
        return self.__enter__()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.__exit__(exc_type, exc, traceback)

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

    def _open(self) -> None:
        self.saved = False
        self._loaded, self._played, self._recordings, self._mismatches = [], [], [], []
        self.existed = self.path.exists()
        hint = fix_hint(self.record_command)
        if self.existed and self.record_mode is not RecordMode.ALL:
            self._loaded = load_cassette(self.path, fix_hint=hint)
        try:
            self._index = MatchIndex(self._loaded)
        except UnusableInteraction as unusable:
            where = ("interactions", unusable.index, "request", *unusable.where)
            raise located_error(self.path, where, str(unusable), hint) from None
        self._may_record = self.record_mode in (RecordMode.ALL, RecordMode.NEW_EPISODES) or (
            self.record_mode is RecordMode.ONCE and not self.existed
        )

    def _close(self) -> None:
        for recording in list(self._recordings):
            recording.close()
        if not self._may_record:
            return
        if self.recorded or (self.record_mode is RecordMode.ALL and self.existed):
            save_cassette(self.path, self.interactions)
            self.saved = True

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Answer one intercepted request: replay it, or raise to record or to refuse it."""
        method = request.method
        url = redact_url(str(request.url), self.redacted_query_parameters)
        body = Body.from_bytes(request.content)
        key = request_key(method, url, body)
        with self._lock:
            found = None if self.record_mode is RecordMode.ALL else self._index.take(key)
            if found is not None:
                self._played.append(found)
        if found is not None:
            try:
                return replayed_response(found.response)
            except (BodyFormatError, TypeError, ValueError) as malformed:
                below = malformed.where if isinstance(malformed, BodyFormatError) else ()
                where = ("interactions", found.id, "response", "body", *below)
                hint = fix_hint(self.record_command)
                raise located_error(self.path, where, str(malformed), hint) from None
        if self._may_record:
            headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers.raw]
            recorded = RecordedRequest(
                method, url, redact_headers(headers, self.redacted_headers), body
            )
            recording = _Recording(self, recorded)
            with self._lock:
                self._recordings.append(recording)
            raise RecordThrough(recording)
        error = self._mismatch(method, url, key)
        with self._lock:
            self._mismatches.append(error)
        raise error

    def _mismatch(self, method: str, url: str, key: RequestKey) -> CassetteMismatchError:
        with self._lock:
            nearest = self._index.nearest(key) if self.existed else None
            played = len(self._played)
        details, advice = mismatch_message(
            method=method,
            url=url,
            shown_path=display_path(self.path),
            exists=self.existed,
            record_mode=self.record_mode,
            total=len(self._loaded),
            played=played,
            nearest=nearest,
            record_command=self.record_command,
        )
        return CassetteMismatchError(
            details,
            advice,
            path=self.path,
            method=method,
            url=url,
            record_mode=self.record_mode.value,
            nearest=nearest.reason if nearest else None,
        )


def use_cassette(
    path: str | PathLike[str],
    *,
    record_mode: str | RecordMode = RecordMode.NONE,
    redact_headers: Iterable[str] = (),
    redact_query_parameters: Iterable[str] = (),
    record_command: str | None = None,
) -> Cassette:
    """Build a :class:`Cassette` to run a ``with`` block in, replaying or recording its traffic.

    Example: ``with use_cassette("tests/cassettes/explain.yaml", record_mode="once"): ...``;
    ``async with`` works too, and so does ``@use_cassette(...)`` on a function.

    - ``record_mode``: ``"none"`` (default: replay only), ``"once"``, ``"new_episodes"``,
      ``"all"`` (alias ``"rewrite"``); see :class:`RecordMode`.
    - ``redact_headers`` / ``redact_query_parameters``: names added to the credentials that
      are always replaced by ``REDACTED`` before anything is written.
    - ``record_command``: the command that records this cassette, shown in error messages;
      ``{mode}`` in it is replaced by the record mode to use.
    """
    return Cassette(
        path,
        record_mode=record_mode,
        redact_headers=redact_headers,
        redact_query_parameters=redact_query_parameters,
        record_command=record_command,
    )
