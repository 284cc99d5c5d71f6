"""Exceptions raised by pytest-agentcassette.

Hierarchy::

    Exception
     └── CassetteError              a cassette file or option is wrong; names the file and the fix
          ├── CassetteMismatchError    a request has no recorded interaction to replay
          ├── UnusedInteractionsError  a replay left recorded interactions unused
          ├── CassetteSecretError      a cassette was not written: it would hold a credential
          ├── TokenBudgetError         the exchanges cost more tokens than max_tokens allows
          └── NetworkBlockedError      (also a ConnectionError) a connection or a client that
                                       a cassette can neither record nor replay was stopped
    UserWarning
     ├── UnusedInteractionsWarning   a replay left recorded interactions unused
     ├── SecretRedactedWarning       credentials were replaced by REDACTED before a write
     └── TokenBudgetWarning          a token budget could not be checked: no usage reported
"""

from __future__ import annotations

import difflib
import sys
import threading
import traceback
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pytest_agentcassette._model import Interaction
    from pytest_agentcassette._secrets.findings import SecretFinding

__all__ = [
    "CassetteError",
    "CassetteMismatchError",
    "CassetteSecretError",
    "NetworkBlockedError",
    "ResponseDriftError",
    "SecretRedactedWarning",
    "TokenBudgetError",
    "TokenBudgetWarning",
    "UnusedInteractionsError",
    "UnusedInteractionsWarning",
    "did_you_mean",
]


class CassetteError(Exception):
    """A cassette cannot be used as it is: malformed file, bad option, nothing to replay.

    The message names the file, the place in it and what to do. ``path`` is the cassette
    file concerned (``None`` for an option error) and ``line`` the 1-based line, when known.
    """

    def __init__(self, message: str, *, path: Path | None = None, line: int | None = None):
        super().__init__(message)
        self.path = path
        self.line = line


class CassetteMismatchError(CassetteError):
    """A live request found no recorded interaction, and the record mode forbids recording it.

    The message is ``details`` (what was asked, where we looked, what came closest and what
    changed) and then ``advice`` (the command that records it). For programs, it also
    carries the request (``method``, ``url``), the ``record_mode``, ``nearest`` (the closest
    recorded :class:`~pytest_agentcassette.Interaction`, or ``None``), ``reason`` (why that
    one did not match), ``patch`` (the JSON Patch operations from the recorded body to the
    live one, normalized as compared) and ``record_command`` (what re-records it, if known).
    """

    def __init__(
        self,
        details: str,
        advice: str,
        *,
        path: Path,
        method: str,
        url: str,
        record_mode: str,
        nearest: Interaction | None = None,
        reason: str | None = None,
        patch: list[dict[str, Any]] | None = None,
        record_command: str | None = None,
    ):
        super().__init__(f"{details}\n{advice}", path=path)
        self.details = details
        self.advice = advice
        # Where the request was sent from, even if the code that sent it swallows this error;
        # from a thread of its own (a streamed or background run), where the main thread (the
        # test's) was meanwhile.
        self.stack: list[traceback.FrameSummary] = traceback.extract_stack()[:-1]
        self.thread = threading.current_thread().name
        self.main_stack: list[traceback.FrameSummary] = []
        if threading.current_thread() is not threading.main_thread():
            frame = sys._current_frames().get(threading.main_thread().ident or 0)
            self.main_stack = traceback.extract_stack(frame) if frame is not None else []
        self.method = method
        self.url = url
        self.record_mode = record_mode
        self.nearest = nearest
        self.reason = reason
        self.patch = patch or []
        self.record_command = record_command


class ResponseDriftError(CassetteError):
    """``record_mode="verify"`` found live responses whose shape is no longer the
    recording's (a field renamed or gone, another type, other event types), or requests
    that no recorded interaction matches. ``changes`` holds one line per difference, under
    the interaction it concerns.
    """

    def __init__(self, message: str, *, path: Path, changes: list[str]):
        super().__init__(message, path=path)
        self.changes = changes


class UnusedInteractionsError(CassetteError):
    """A replay ended with recorded interactions that no request played (with
    ``unused_interactions="fail"``, the default): the code sent fewer or other requests than
    when the cassette was recorded. ``unused`` lists them; the message names each one.
    """

    def __init__(self, message: str, *, path: Path, unused: list[Interaction]):
        super().__init__(message, path=path)
        self.unused = unused


class NetworkBlockedError(CassetteError, ConnectionError):
    """A connection stopped before it reached the network: one to a host a replay must not
    reach (``host``, ``port``) from outside the clients the cassette answers. It is a
    ``ConnectionError``, so that the code sees what a refused connection looks like; the
    test fails with ``details`` and ``advice`` even if the code catches it.
    """

    def __init__(
        self,
        details: str,
        advice: str,
        *,
        path: Path | None,
        host: str = "",
        port: int | None = None,
    ):
        CassetteError.__init__(self, f"{details}\n{advice}", path=path)
        self.details = details
        self.advice = advice
        self.host = host
        self.port = port


class CassetteSecretError(CassetteError):
    """A cassette was not written because it would hold a credential (with
    ``secrets="refuse"``); ``findings`` says where, the previous file is unchanged.
    """

    def __init__(self, message: str, *, path: Path, findings: list[SecretFinding]):
        super().__init__(message, path=path)
        self.findings = findings


class TokenBudgetError(CassetteError):
    """The tokens the provider counted over a cassette's exchanges (replayed or recorded)
    exceed ``max_tokens``: ``used`` of them, against ``budget``. A recording is written all
    the same; the message names the costliest turns.
    """

    def __init__(self, message: str, *, path: Path, used: int, budget: int):
        super().__init__(message, path=path)
        self.used = used
        self.budget = budget


class TokenBudgetWarning(UserWarning):
    """``max_tokens`` is set, but no response read as a model's reported token usage."""


class SecretRedactedWarning(UserWarning):
    """Credentials found in what a cassette would hold were written as ``REDACTED``."""


class UnusedInteractionsWarning(UserWarning):
    """Recorded interactions that a replay never used (with ``unused_interactions="warn"``)."""


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """`` Did you mean 'x'?`` for the closest choice, or an empty string."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" Did you mean {close[0]!r}?" if close else ""
