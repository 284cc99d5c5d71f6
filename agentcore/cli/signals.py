"""SIGTERM and SIGHUP end a run as Ctrl-C does: ``timeout``, a cancelled CI job, ``docker
stop`` or a closed terminal still leave the recording and stop the MCP servers.

While :func:`signals_as_interrupts` is active, either signal raises :class:`Interrupted`
(a :class:`KeyboardInterrupt`) in the main thread, so every ``except KeyboardInterrupt``
and ``finally`` of the run does its work; the command then exits with 128 + the signal's
number, as a shell reports a process that the signal killed.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

__all__ = ["Interrupted", "exit_status", "signals_as_interrupts"]

_CAUGHT = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))


class Interrupted(KeyboardInterrupt):
    """The run was stopped by ``signum`` (SIGTERM or SIGHUP)."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def exit_status(interruption: KeyboardInterrupt) -> int:
    """What a shell expects after the run was stopped: 128 + the signal (130 for Ctrl-C)."""
    if isinstance(interruption, Interrupted):
        return 128 + interruption.signum
    return 128 + signal.SIGINT


@contextmanager
def signals_as_interrupts() -> Iterator[None]:
    """SIGTERM and SIGHUP raise :class:`Interrupted` until the block ends, then the previous
    handlers come back. Only the first signal interrupts: the ones that follow are ignored
    while the run cleans up (saves the recording, stops its servers); SIGKILL still works.
    A signal the process ignores (SIGHUP under ``nohup``) stays ignored.
    Outside the main thread (where handlers cannot be set) this does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    raised: list[int] = []

    def interrupt(signum: int, frame: FrameType | None) -> None:
        if not raised:
            raised.append(signum)
            raise Interrupted(signum)

    previous = {
        signum: signal.signal(signum, interrupt)
        for signum in _CAUGHT
        if signal.getsignal(signum) is not signal.SIG_IGN  # nohup: SIGHUP stays ignored
    }
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
