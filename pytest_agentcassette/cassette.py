"""A cassette in use: loads the file, answers intercepted requests, records, saves."""

from __future__ import annotations

import functools
import inspect
import threading
from collections.abc import Callable, Iterable, Mapping
from contextvars import Token
from os import PathLike
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar, cast

import httpx

from .bodies import Body, BodyFormatError
from .cassette_file import display_path, load_cassette, located_error, save_cassette
from .diagnostics import fix_hint, mismatch_message
from .drift import find_nearest, recorded_comparable, render_patch
from .errors import CassetteError, CassetteMismatchError, NetworkBlockedError
from .interception import RecordThrough, activate, deactivate
from .matching import Matcher, MatchIndex, RequestKey, UnusableInteraction
from .model import Interaction, RecordedRequest
from .options import match_config
from .record_mode import RecordMode
from .recording import Recording
from .replay import replayed_response, retry_wait
from .scrub import (
    DEFAULT_REDACTED_HEADERS,
    DEFAULT_REDACTED_QUERY_PARAMETERS,
    lowercase_set,
    redact_headers,
    redact_url,
)
from .secrets_guard import Finding, guard_secrets, redacted_for_matching, secrets_policy, warn_found
from .shared_save import file_state, merged, save_turn

if TYPE_CHECKING:
    from .conversation import Conversation, ToolCall

__all__ = ["Cassette", "use_cassette"]


_F = TypeVar("_F", bound=Callable[..., Any])


class Cassette:
    """A YAML cassette of HTTP interactions, in use as a context manager.

    Inside ``with cassette:`` (or ``async with``, or as a decorator), every request of an
    httpx or httpx2 client goes to the cassette: it is replayed from the file, or sent for
    real and recorded, as ``record_mode`` says. Leaving the block writes the file when
    something was recorded. Build one with :func:`use_cassette`, which documents the options.
    """

    def __init__(
        self,
        path: str | PathLike[str],
        *,
        record_mode: str | RecordMode = RecordMode.NONE,
        match_on: str | Iterable[str | Matcher] = ("method", "url", "body"),
        allow_playback_repeats: bool = False,
        ignore_headers: Iterable[str] = (),
        ignore_json_pointers: Iterable[str] = (),
        normalize_text: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
        redact_headers: Iterable[str] = (),
        redact_query_parameters: Iterable[str] = (),
        allowed_hosts: Iterable[str] = (),
        replay_retry_after: float | None = None,
        record_command: str | None = None,
        secrets: str = "redact",
    ):
        self.path = Path(path)
        self.record_mode = RecordMode.parse(record_mode)
        self.match_config = match_config(
            match_on=match_on,
            allow_playback_repeats=allow_playback_repeats,
            ignore_headers=ignore_headers,
            ignore_json_pointers=ignore_json_pointers,
            normalize_text=normalize_text,
            source="use_cassette",
        )
        self.redacted_headers = lowercase_set(DEFAULT_REDACTED_HEADERS, redact_headers)
        self.redacted_query_parameters = lowercase_set(
            DEFAULT_REDACTED_QUERY_PARAMETERS, redact_query_parameters
        )
        self.allowed_hosts = tuple(allowed_hosts)
        self.replay_retry_after = retry_wait(replay_retry_after)
        self.record_command = record_command
        self.secrets = secrets_policy(secrets)
        self.secrets_found: list[Finding] = []  # credentials the last write redacted
        self.existed = False
        self.saved = False
        self._loaded: list[Interaction] = []
        self._index = MatchIndex([], self.match_config)
        self._may_record = False
        self._used: list[Interaction | Recording] = []
        self._recordings: list[Recording] = []
        self._mismatches: list[CassetteMismatchError] = []
        self._blocked: list[NetworkBlockedError] = []
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
        """Interactions loaded from the file that no request has replayed."""
        return self._index.unplayed()

    @property
    def mismatches(self) -> list[CassetteMismatchError]:
        """The errors raised for requests that had nothing to replay."""
        return list(self._mismatches)

    @property
    def blocked(self) -> list[NetworkBlockedError]:
        """The connections and clients stopped while this cassette was in use."""
        return list(self._blocked)

    def block(self, error: NetworkBlockedError) -> None:
        """Note a request stopped on this cassette's behalf (the test fails with it)."""
        with self._lock:
            self._blocked.append(error)

    @property
    def conversation(self) -> Conversation:
        """A provider-neutral view of :attr:`exchanges`: messages, text, tool calls, usage."""
        from .conversation import Conversation

        return Conversation.of(self.exchanges)

    @property
    def tool_calls(self) -> list[ToolCall]:
        """The tool calls the model made in :attr:`exchanges`, in order."""
        return self.conversation.tool_calls

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
        self._loaded, self._used, self._recordings, self._mismatches = [], [], [], []
        self._blocked, self.secrets_found, self.saved = [], [], False
        self.existed, self._opened = self.path.exists(), file_state(self.path)
        hint = fix_hint(self.record_command)
        if self.existed and self.record_mode is not RecordMode.ALL:
            self._loaded = load_cassette(self.path, fix_hint=hint)
        try:
            self._index = MatchIndex(self._loaded, self.match_config)
        except UnusableInteraction as unusable:
            raise self._unusable(unusable) from None
        self._may_record = self.record_mode in (RecordMode.ALL, RecordMode.NEW_EPISODES) or (
            self.record_mode is RecordMode.ONCE and not self.existed
        )

    def _close(self) -> None:
        for recording in list(self._recordings):
            recording.close()
        if not self._may_record:
            return
        if not (self.recorded or (self.record_mode is RecordMode.ALL and self.existed)):
            return
        with save_turn(self.path):  # another process may have saved this file meanwhile
            interactions = self.interactions
            if self.record_mode is not RecordMode.ALL:
                hint = fix_hint(self.record_command)
                interactions = merged(
                    self.path, self._opened, interactions, self.recorded, fix_hint=hint
                )
            self.secrets_found = guard_secrets(self.path, interactions, self.secrets, warn=False)
            save_cassette(self.path, interactions)
            self.saved = True
        warn_found(self.path, self.secrets_found)  # after the write: -W error must not stop it

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Answer one intercepted request: replay it, or raise to record or to refuse it."""
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers.raw]
        live = RecordedRequest(
            request.method,
            redact_url(str(request.url), self.redacted_query_parameters),
            redact_headers(headers, self.redacted_headers),
            Body.from_bytes(request.content),
        )
        found = None
        if self.record_mode is not RecordMode.ALL:
            with self._lock:
                try:
                    found = self._index.take(live)
                    if found is None and (probe := redacted_for_matching(live)) is not live:
                        found = self._index.take(probe)  # as the cassette stores it
                except UnusableInteraction as unusable:
                    raise self._unusable(unusable) from None
                if found is not None:
                    self._used.append(found)
        if found is not None:
            return self._replay(found)
        if self._may_record:
            recording = Recording(live, self.redacted_headers)
            with self._lock:
                self._recordings.append(recording)
                self._used.append(recording)
            raise RecordThrough(recording)
        probe = redacted_for_matching(live)  # no credential in the error
        try:
            error = self._mismatch(probe, self._index.live_key(probe))
        except UnusableInteraction as unusable:
            raise self._unusable(unusable) from None
        with self._lock:
            self._mismatches.append(error)
        raise error

    def _unusable(self, unusable: UnusableInteraction) -> CassetteError:
        """A recorded request that cannot be compared, located in the file."""
        where = ("interactions", unusable.index, "request", *unusable.where)
        return located_error(self.path, where, str(unusable), fix_hint(self.record_command))

    def _replay(self, found: Interaction) -> httpx.Response:
        try:
            return replayed_response(found.response, retry_after=self.replay_retry_after)
        except (BodyFormatError, TypeError, ValueError) as malformed:
            below = malformed.where if isinstance(malformed, BodyFormatError) else ()
            where = ("interactions", found.id, "response", "body", *below)
            hint = fix_hint(self.record_command)
            raise located_error(self.path, where, str(malformed), hint) from None

    def _mismatch(self, live: RecordedRequest, key: RequestKey) -> CassetteMismatchError:
        with self._lock:
            nearest = find_nearest(self._index, live, key) if self.existed else None
            played = sum(self._index.played)
        changes = []
        if nearest is not None and nearest.patch:
            recorded = recorded_comparable(self.match_config, nearest.interaction)
            changes = render_patch(nearest.patch, recorded)
        details, advice = mismatch_message(
            method=live.method,
            url=live.url,
            shown_path=display_path(self.path),
            exists=self.existed,
            record_mode=self.record_mode,
            total=len(self._loaded),
            played=played,
            nearest=nearest,
            changes=changes,
            record_command=self.record_command,
        )
        mode = "once" if not self.existed else "rewrite"
        return CassetteMismatchError(
            details,
            advice,
            path=self.path,
            method=live.method,
            url=live.url,
            record_mode=self.record_mode.value,
            nearest=nearest.interaction if nearest else None,
            reason=nearest.reason if nearest else None,
            patch=nearest.patch if nearest else [],
            record_command=(
                self.record_command.replace("{mode}", mode) if self.record_command else None
            ),
        )


def use_cassette(
    path: str | PathLike[str],
    *,
    record_mode: str | RecordMode = RecordMode.NONE,
    match_on: str | Iterable[str | Matcher] = ("method", "url", "body"),
    allow_playback_repeats: bool = False,
    ignore_headers: Iterable[str] = (),
    ignore_json_pointers: Iterable[str] = (),
    normalize_text: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
    redact_headers: Iterable[str] = (),
    redact_query_parameters: Iterable[str] = (),
    allowed_hosts: Iterable[str] = (),
    replay_retry_after: float | None = None,
    record_command: str | None = None,
    secrets: str = "redact",
) -> Cassette:
    """Build a :class:`Cassette` to run a ``with`` block in, replaying or recording its traffic.

    Example: ``with use_cassette("tests/cassettes/explain.yaml", record_mode="once"): ...``;
    ``async with`` works too, and so does ``@use_cassette(...)`` on a function.

    - ``record_mode``: ``"none"`` (default: replay only), ``"once"``, ``"new_episodes"``,
      ``"all"`` (alias ``"rewrite"``); see :class:`RecordMode`.
    - ``match_on``: what must agree, among ``"method"``, ``"url"``, ``"body"``,
      ``"headers"`` and callables ``(live, recorded) -> bool``; or ``"sequential"``
      (recorded order, method and URL only: for cassettes made by another runtime).
    - ``allow_playback_repeats``: let an interaction answer again once all its equals are used.
    - ``ignore_headers``: header names (``*`` globs) left out when headers are compared.
    - ``ignore_json_pointers``: body fields left out of the comparison, e.g.
      ``"/metadata/user_id"`` (``*`` stands for any key or index).
    - ``normalize_text``: ``{regex: replacement}`` applied to body text before comparing.
    - ``redact_headers`` / ``redact_query_parameters``: names added to the credentials that
      are always replaced by ``REDACTED`` before anything is written.
    - ``allowed_hosts``: hosts (``*`` globs) that code outside httpx may still reach while
      the cassette replays; this machine always may, anything else is stopped.
    - ``replay_retry_after``: seconds to put in ``retry-after``/``retry-after-ms`` of
      replayed 429 and 5xx responses (added if missing), so that an SDK's retry does not
      wait what the provider once asked; ``None`` (default) replays them as recorded.
    - ``record_command``: the command that records this cassette, shown in error messages;
      ``{mode}`` in it is replaced by the record mode to use.
    - ``secrets``: credentials (API keys, tokens, private keys) in what would be written are
      ``"redact"``-ed (default: ``REDACTED``, with a warning) or ``"refuse"``-d (an error).
    """
    return Cassette(
        path,
        record_mode=record_mode,
        match_on=match_on,
        allow_playback_repeats=allow_playback_repeats,
        ignore_headers=ignore_headers,
        ignore_json_pointers=ignore_json_pointers,
        normalize_text=normalize_text,
        redact_headers=redact_headers,
        redact_query_parameters=redact_query_parameters,
        allowed_hosts=allowed_hosts,
        replay_retry_after=replay_retry_after,
        record_command=record_command,
        secrets=secrets,
    )
