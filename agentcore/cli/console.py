"""The person at the terminal: where the command writes, and how it asks about a tool.

As cagent does, a terminal answers the approval question with a single key (``y``, ``a``
or ``n``, no Enter; Ctrl-C stops the run), and anything else that can be read answers with
a line; an answer that is not ``y``/``a``/``n`` rejects the call.
"""

from __future__ import annotations

import io
import os
import sys
from dataclasses import dataclass
from typing import IO

__all__ = ["Console"]

ANSWERS = {"y": ("yes", "Yes 👍"), "a": ("all", "Yes to all 👍"), "n": ("no", "No 👎")}
"""Key → (what the runtime is told, what a terminal shows after the key)."""


@dataclass
class Console:
    """Where the command reads and writes; ``interactive``: a person can answer questions."""

    stdin: IO[str]
    stdout: IO[str]
    stderr: IO[str]
    interactive: bool

    @classmethod
    def system(cls) -> Console:
        """The process's own streams; interactive when both stdin and stdout are terminals.

        Output redirected to a file or a pipe is UTF-8, as cagent writes it, whatever the
        locale; a terminal that cannot show a character gets a replacement, not a crash.
        """
        for stream in (sys.stdout, sys.stderr):
            if isinstance(stream, io.TextIOWrapper) and stream.encoding.lower() != "utf-8":
                if stream.isatty():
                    stream.reconfigure(errors="replace")
                else:
                    stream.reconfigure(encoding="utf-8")
        return cls(sys.stdin, sys.stdout, sys.stderr, sys.stdin.isatty() and sys.stdout.isatty())

    def note(self, message: str) -> None:
        """A line for the person at the terminal, out of the transcript's way."""
        self.stderr.write(f"{message}\n")
        self.stderr.flush()

    def write(self, text: str) -> None:
        """Write to stdout at once."""
        self.stdout.write(text)
        self.stdout.flush()

    def answer(self) -> str:
        """The answer to the question just printed: ``"yes"``, ``"all"`` or ``"no"``."""
        key = _read_key(self.stdin)
        if key is not None:
            told, shown = ANSWERS.get(key, ANSWERS["n"])
            self.write(shown)
            return told
        line = self.stdin.readline().strip().lower()
        return {"y": "yes", "yes": "yes", "a": "all", "all": "all"}.get(line, "no")


def _read_key(stream: IO[str]) -> str | None:
    """One key from a terminal in raw mode, or ``None`` when ``stream`` is not a terminal.

    Keys other than y, a and n are ignored; Ctrl-C raises :class:`KeyboardInterrupt`; a
    terminal that closes answers n.
    """
    try:
        import termios
        import tty
    except ImportError:  # Windows: answers come as lines
        return None
    try:
        fd = stream.fileno()
        saved = termios.tcgetattr(fd)
    except (OSError, ValueError, termios.error):  # no file descriptor, or not a terminal
        return None
    try:
        tty.setraw(fd, termios.TCSANOW)  # keep keys typed ahead
        while True:
            try:
                key = os.read(fd, 1)
            except OSError:  # the terminal went away
                key = b""
            if not key:
                return "n"
            if key == b"\x03":
                raise KeyboardInterrupt
            letter = key.decode("ascii", "ignore").lower()
            if letter and letter in ANSWERS:
                return letter
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)
