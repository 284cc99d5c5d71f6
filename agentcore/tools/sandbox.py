"""The working directory as a sandbox: paths are resolved inside it and refused if they lead
out (``..``, absolute paths elsewhere, symlinks), files are opened so that a symlink swapped
in after the check cannot lead out either, and reads are bounded.
"""

from __future__ import annotations

import codecs
import contextlib
import errno
import os
import stat
from pathlib import Path
from typing import Any

from agentcore.prompts import MAX_TOOL_OUTPUT
from agentcore.tools.base import ToolError

__all__ = ["MAX_READ", "MAX_WHOLE_FILE", "VCS", "Sandbox"]

VCS = frozenset({".git", ".hg", ".svn", ".bzr"})
MAX_READ = 4 * MAX_TOOL_OUTPUT + 4
"""Bytes read to show a file: enough for the 30,000 characters a model is shown of it."""
MAX_WHOLE_FILE = 10 * 2**20
"""Files that are read whole (to edit them, or to search them) are at most 10 MiB."""
_MAX_NAME = 255  # bytes in one file name (NAME_MAX on Linux and macOS)
_MAX_PATH = 4096  # bytes in a path (PATH_MAX on Linux)
_DIRECTORY = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC


def _short(given: str) -> str:
    return given if len(given) <= 300 else given[:300] + "…"


class Sandbox:
    """Resolves tool paths inside ``root`` and refuses any that lead out of it."""

    def __init__(self, root: Path, *, ignore_vcs: bool = True):
        self.root = Path(os.path.realpath(root))
        self.ignore_vcs = ignore_vcs

    def path(self, given: Any, *, argument: str = "path") -> Path:
        """The real path of ``given`` (relative to the root, or absolute); refused if outside."""
        if not isinstance(given, str) or not given:
            raise ToolError(f"'{argument}' must be a non-empty path")
        if "\0" in given:
            raise ToolError(f"path {given!r} contains a NUL byte, which no file name can hold")
        try:
            encoded = os.fsencode(self.root / given)
        except UnicodeError:
            raise ToolError(f"path {_short(given)!r} is not valid Unicode text") from None
        if len(encoded) > _MAX_PATH or any(len(name) > _MAX_NAME for name in encoded.split(b"/")):
            raise ToolError(
                f"path '{_short(given)}' is too long ({len(given)} characters): a file name "
                f"holds at most {_MAX_NAME} bytes and a path {_MAX_PATH}"
            )
        resolved = Path(os.path.realpath(self.root / given))
        if not self.contains(resolved):
            raise ToolError(
                f"path '{_short(given)}' is outside the working directory {self.root} and "
                "cannot be used"
            )
        return resolved

    def contains(self, resolved: Path) -> bool:
        """Whether the real path ``resolved`` is the root or below it."""
        return resolved == self.root or self.root in resolved.parents

    def shown(self, path: Path) -> str:
        """``path`` as the model should see it: relative to the root."""
        relative = path.relative_to(self.root)
        return str(relative) if str(relative) != "." else "."

    def entries(self, directory: Path) -> list[Path]:
        """The entries of ``directory`` by name, without VCS folders when asked."""
        try:
            children = sorted(directory.iterdir(), key=lambda p: p.name)
        except FileNotFoundError:
            raise ToolError(f"directory '{self.shown(directory)}' does not exist") from None
        except NotADirectoryError:
            raise ToolError(f"'{self.shown(directory)}' is not a directory") from None
        return [c for c in children if not (self.ignore_vcs and c.name in VCS)]

    def open(self, path: Path, flags: int) -> int:
        """A descriptor for the regular file at ``path`` (a real path from :meth:`path`).

        The check and the use are apart in time, so the file is opened the safe way: its
        directory first (checked to be still inside), then the name without following a
        symlink, non-blocking (a FIFO cannot hang the tool), and only a regular file is kept.
        Open for writing without ``O_TRUNC``: truncate once the descriptor is known good. A
        file with other hard links is refused for writing (they may be outside), not for
        reading: the agent cannot make one, and tool caches link files into projects.
        """
        shown = self.shown(path)
        directory = self._directory(path.parent, shown)
        try:
            fd = os.open(
                path.name,
                flags | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC,
                0o666,
                dir_fd=directory,
            )
        except OSError as error:
            if error.errno == errno.ELOOP:
                raise ToolError(
                    f"'{shown}' became a symbolic link after it was checked; refused"
                ) from None
            if error.errno == errno.ENXIO:  # a FIFO with no reader
                raise ToolError(f"'{shown}' is not a regular file") from None
            raise
        finally:
            os.close(directory)
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            os.close(fd)
            raise ToolError(f"'{shown}' is not a regular file")
        if flags & (os.O_WRONLY | os.O_RDWR) and info.st_nlink > 1:
            # its other names may be outside, and a write in place would change them too
            os.close(fd)
            raise ToolError(
                f"'{shown}' has other hard links, possibly outside the working directory; "
                "writing it would change them too, so it is refused"
            )
        os.set_blocking(fd, True)
        return fd

    def _directory(self, path: Path, shown: str) -> int:
        """A descriptor for the directory ``path``, refused if it is no longer inside."""
        directory = os.open(path, _DIRECTORY)
        if not self._holds(directory, path):
            os.close(directory)
            raise ToolError(f"'{shown}' moved outside the working directory; refused")
        return directory

    def _holds(self, directory: int, path: Path) -> bool:
        """Whether the open ``directory`` is still inside: where the kernel says it is (Linux),
        else where its path leads now.
        """
        try:
            where = os.readlink(f"/proc/self/fd/{directory}")
        except OSError:
            where = os.path.realpath(path)
        return self.contains(Path(where))

    def read(self, path: Path, *, whole: bool = False) -> str:
        """The UTF-8 text of the file at ``path`` (a real path from :meth:`path`): its first
        :data:`MAX_READ` bytes, or all of it (``whole``, refused above :data:`MAX_WHOLE_FILE`).
        A file with NUL bytes is binary and refused, as is a file that is not UTF-8.
        """
        shown = self.shown(path)
        with os.fdopen(self.open(path, os.O_RDONLY), "rb") as file:
            size = os.fstat(file.fileno()).st_size
            if whole and size > MAX_WHOLE_FILE:
                raise ToolError(
                    f"file '{shown}' is {size} bytes, more than the {MAX_WHOLE_FILE} bytes "
                    "(10 MiB) that can be read whole"
                )
            data = file.read(min(size, MAX_WHOLE_FILE) + 1 if whole else MAX_READ)
        if b"\0" in data:
            raise ToolError(f"file '{shown}' is binary (it holds NUL bytes), not text")
        cut = not whole and len(data) == MAX_READ and size > MAX_READ
        try:  # a cut read may end inside a character: not final, so that is no error
            return codecs.getincrementaldecoder("utf-8")().decode(data, final=not cut)
        except UnicodeDecodeError:
            raise ToolError(f"file '{shown}' is not UTF-8 text") from None

    def write(self, path: Path, text: str) -> None:
        """Replace the file at ``path`` (a real path from :meth:`path`) with ``text``."""
        with os.fdopen(self.open(path, os.O_WRONLY | os.O_CREAT), "wb") as file:
            file.truncate(0)
            file.write(text.encode("utf-8"))

    def make_directories(self, path: Path, given: str) -> None:
        """Create the directory ``path`` (a real path from :meth:`path`) and its parents, one
        level at a time from the root, each made and entered without following a symlink: one
        swapped in after the check is refused before anything is made through it.
        """
        parts = path.relative_to(self.root).parts
        directory = self._directory(self.root, ".")
        try:
            for level, name in enumerate(parts, 1):
                with contextlib.suppress(FileExistsError):
                    os.mkdir(name, dir_fd=directory)
                shown = given if level == len(parts) else str(Path(*parts[:level]))
                try:
                    below = os.open(name, _DIRECTORY | os.O_NOFOLLOW, dir_fd=directory)
                except OSError as error:
                    if error.errno in (errno.ELOOP, errno.ENOTDIR) and stat.S_ISLNK(
                        os.lstat(name, dir_fd=directory).st_mode
                    ):  # Linux says ENOTDIR for a symlink opened with O_DIRECTORY | O_NOFOLLOW
                        raise ToolError(
                            f"'{shown}' became a symbolic link after it was checked; refused"
                        ) from None
                    if error.errno == errno.ENOTDIR:
                        raise ToolError(f"'{shown}' exists and is not a directory") from None
                    raise
                os.close(directory)
                directory = below
        finally:
            os.close(directory)

    def remove_directory(self, given: str) -> Path:
        """Remove the empty directory ``given`` names, where it is: a symlink there is refused,
        never followed (what it leads to stays). Returns its path.
        """
        head, name = os.path.split(given.rstrip("/"))
        if name in (".", ".."):
            raise ToolError(f"cannot remove '{given}': name the directory itself, not '{name}'")
        parent = self.path(head or ".")
        shown = self.shown(parent / name)
        directory = self._directory(parent, shown)
        try:
            if stat.S_ISLNK(os.lstat(name, dir_fd=directory).st_mode):
                raise ToolError(
                    f"'{given}' is a symbolic link, not a directory; refused (what it leads "
                    "to is not removed through it)"
                )
            os.rmdir(name, dir_fd=directory)  # a symlink swapped in now: ENOTDIR, not followed
        except OSError as error:
            raise ToolError(f"cannot remove '{given}': {error.strerror}") from None
        finally:
            os.close(directory)
        return parent / name
