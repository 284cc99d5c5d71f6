"""Cassettes that several tests share, and saving a cassette that another process may have
written meanwhile (two pytest-xdist workers recording tests that share a cassette, say):
saves of one folder take turns, and a save whose file changed since it was opened keeps
what the file holds now, so that neither recording is lost.

In a shared cassette each interaction names the test that recorded it (``test:``); each
test replays, records and is checked against its own, and a save replaces only the saving
test's part of the file.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path

from pytest_agentcassette._format.loading import load_cassette
from pytest_agentcassette._model import Interaction

__all__ = ["FileState", "SharedParts", "file_state", "merged", "save_turn", "split_shared"]

FileState = tuple[int, int, int] | None
"""A file's identity, size and modification time, or ``None`` when it does not exist."""


def file_state(path: Path) -> FileState:
    """What :func:`merged` compares to tell whether ``path`` changed."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return (stat.st_ino, stat.st_size, stat.st_mtime_ns)


@contextlib.contextmanager
def save_turn(path: Path) -> Iterator[None]:
    """Hold the folder of ``path`` while a save reads and replaces the file (an advisory
    lock on the folder; other processes saving into it wait their turn).
    """
    folder = path.resolve().parent
    folder.mkdir(parents=True, exist_ok=True)
    if sys.platform == "win32":  # no advisory locks: saves do not take turns
        yield
        return
    import fcntl

    fd = -1
    try:
        fd = os.open(folder, os.O_RDONLY)
        fcntl.flock(fd, fcntl.LOCK_EX)
    except OSError:  # a file system without locks: saves do not take turns
        if fd >= 0:
            os.close(fd)
        fd = -1
    try:
        yield
    finally:
        if fd >= 0:
            os.close(fd)  # releases the lock


def merged(
    path: Path,
    opened: FileState,
    interactions: list[Interaction],
    recorded: list[Interaction],
) -> list[Interaction]:
    """What to write: ``interactions`` when ``path`` is as it was when the cassette opened
    (``opened``); otherwise what the file holds now, followed by what was ``recorded``.
    Call it inside :func:`save_turn`; raises as :func:`load_cassette` does.
    """
    if file_state(path) == opened:
        return interactions
    result = load_cassette(path) if path.exists() else []
    result += recorded
    for position, interaction in enumerate(result):
        interaction.id = position
    return result


class SharedParts:
    """A cassette's interactions, split between one test and the others that share it."""

    __slots__ = ("at", "others", "own")

    def __init__(self, own: list[Interaction] | None = None) -> None:
        self.own: list[Interaction] = own if own is not None else []
        self.others: list[Interaction] = []
        self.at = 0  # how many of ``others`` come before the test's own in the file

    def joined(self, own: list[Interaction]) -> list[Interaction]:
        """The file with ``own`` in place of the test's part (where it was, else last)."""
        return [*self.others[: self.at], *own, *self.others[self.at :]]


def split_shared(interactions: list[Interaction], test: str | None) -> SharedParts:
    """``interactions`` split for ``test``: those it recorded are its own; without any, the
    ones no test is named on (a cassette written before it was shared). With no ``test``,
    every interaction is its own.
    """
    if test is None:
        return SharedParts(own=list(interactions))
    owner = test if any(i.test == test for i in interactions) else None
    parts = SharedParts()
    for interaction in interactions:
        if interaction.test == owner:
            if not parts.own:
                parts.at = len(parts.others)
            parts.own.append(interaction)
        else:
            parts.others.append(interaction)
    if not parts.own:
        parts.at = len(parts.others)
    return parts
