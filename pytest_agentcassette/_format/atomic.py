"""Writing a file so that a crash at any moment leaves either the old file or the new one.

The text goes to a temporary file in the same folder (named after the file and the writing
process, and locked while it is written), is flushed to disk, and is renamed over the old
file; the folder is synced so the rename itself survives a power cut. A process killed half
way leaves only its temporary file, which the next save of that file removes once no
process holds it. A symlinked file is written where the link points, and the link stays.
"""

from __future__ import annotations

import contextlib
import glob
import os
import secrets
import sys
from pathlib import Path

if sys.platform == "win32":  # no advisory locks: abandoned files are left alone

    def _lock(fd: int) -> None:
        pass

    def _take_lock(fd: int) -> bool:
        return False

else:
    import fcntl

    def _lock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX)

    def _take_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True


__all__ = ["write_atomically"]


def write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` (UTF-8, Unix line ends). An existing file keeps its
    permissions; a new one gets the umask's.
    """
    target = Path(os.path.realpath(path))
    target.parent.mkdir(parents=True, exist_ok=True)
    _remove_abandoned(target)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    lock = os.dup(fd)  # held until the rename: a cleaner never takes a file being written
    try:
        _lock(lock)
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        if target.exists():
            os.chmod(temporary, target.stat().st_mode & 0o7777)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    finally:
        os.close(lock)
    _sync_folder(target.parent)


def _sync_folder(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not every platform can open a folder
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _remove_abandoned(path: Path) -> None:
    """Remove temporary files for ``path`` that no process is writing: their writer is not
    running here, and nobody holds their lock (a writer in another container or on another
    host over a shared folder does).
    """
    for name in glob.glob(glob.escape(f"{path.parent}{os.sep}.{path.name}.") + "*.tmp"):
        temporary = Path(name)
        pid = temporary.name[len(path.name) + 2 :].partition(".")[0]
        if not pid.isdigit() or _running(int(pid)):
            continue
        with contextlib.suppress(OSError):
            fd = os.open(temporary, os.O_RDONLY)
            try:
                if _take_lock(fd):
                    temporary.unlink()
            finally:
                os.close(fd)


def _running(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # it exists, under another user
        return True
    return True
