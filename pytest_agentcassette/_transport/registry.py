"""Which cassette a request belongs to: the cassettes open in the process.

A request belongs to the cassette its task or thread entered (a context
variable), else, for a worker thread that an SDK started, to the one cassette open in the
process; when cassettes are open in several threads, such a request is refused, not
guessed. The network guard asks another question, whose cassette a connection is
(:func:`cassette_in_charge`): there, a thread nobody entered answers to the strictest one.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextvars import ContextVar, Token
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from pytest_agentcassette._errors import CassetteError, NetworkBlockedError
from pytest_agentcassette._record_mode import RecordMode

if TYPE_CHECKING:
    import httpx

__all__ = [
    "ActiveCassette",
    "cassette_for_this_request",
    "cassette_in_charge",
    "register",
    "unregister",
    "when_idle",
]


class ActiveCassette(Protocol):
    """What the interception and the network guard need of a cassette in use."""

    @property
    def path(self) -> Path:
        """The cassette file, for messages."""

    @property
    def _shown_path(self) -> str:
        """The file as messages show it, computed when the cassette opened (a message
        built on an event loop must not touch the file system).
        """

    @property
    def record_mode(self) -> RecordMode:
        """The record mode, for messages."""

    @property
    def record_command(self) -> str | None:
        """The command that records the cassette again, if known."""

    @property
    def allowed_hosts(self) -> tuple[str, ...]:
        """Hosts (``fnmatch`` patterns) a replay may still reach."""

    @property
    def is_recording(self) -> bool:
        """Whether requests may go to the network (the guard then lets connections pass)."""

    def _answer_http(self, request: httpx.Request) -> httpx.Response:
        """Replay ``request``, or raise to record it or to refuse it."""

    def _note_blocked(self, error: NetworkBlockedError) -> None:
        """Keep ``error``, raised on this cassette's behalf, for the test to fail with."""


_current: ContextVar[ActiveCassette | None] = ContextVar("agentcassette_current", default=None)
_lock = threading.RLock()
_active: list[tuple[ActiveCassette, int]] = []


def cassette_for_this_request() -> ActiveCassette | None:
    """The cassette of this task or thread; else the one cassette open in the process."""
    with _lock:
        cassette = _current.get()
        if cassette is not None and any(entry[0] is cassette for entry in _active):
            return cassette
        # A worker thread starts with an empty context, and a task may outlive the
        # cassette it copied: fall back to the open cassettes, if they are unambiguous.
        threads = {thread for _, thread in _active}
        if len(threads) > 1:
            raise CassetteError(
                f"a request came from a thread that entered no cassette while "
                f"{len(_active)} cassettes are open in different threads, so it is unclear "
                f"which one it belongs to. Run that thread's code with "
                f"contextvars.copy_context().run(...) from inside its cassette, or enter "
                f"the cassette in that thread."
            )
        return _active[-1][0] if _active else None


def cassette_in_charge() -> ActiveCassette | None:
    """The cassette of this task or thread; else, for a thread an SDK started, a replaying
    one among the open cassettes (the strictest), else the last one opened.
    """
    with _lock:
        cassette = _current.get()
        if cassette is not None and any(entry[0] is cassette for entry in _active):
            return cassette
        replaying = [entry[0] for entry in _active if not entry[0].is_recording]
        if replaying:
            return replaying[0]
        return _active[-1][0] if _active else None


def register(cassette: ActiveCassette, *, on_first: Callable[[], None]) -> Token[Any]:
    """Make ``cassette`` the one of this context (and of threads); ``on_first()`` runs,
    under the registry's lock, when no cassette was open before.
    """
    with _lock:
        if not _active:
            on_first()
        _active.append((cassette, threading.get_ident()))
    return _current.set(cassette)


def unregister(cassette: ActiveCassette, token: Token[Any], *, on_last: Callable[[], None]) -> None:
    """Undo :func:`register`; ``on_last()`` runs, under the lock, when no cassette is left."""
    try:
        _current.reset(token)
    except ValueError:  # exited in another context than it was entered in
        if _current.get() is cassette:
            _current.set(None)
    with _lock:
        _active[:] = [entry for entry in _active if entry[0] is not cassette]
        if not _active:
            on_last()


def when_idle(action: Callable[[], None]) -> None:
    """Run ``action`` under the registry's lock if no cassette is open."""
    with _lock:
        if not _active:
            action()
