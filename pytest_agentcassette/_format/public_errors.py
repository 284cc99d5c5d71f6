"""The one place where a problem in a cassette becomes the error a user reads: the file, the
line, the place in it, what is wrong, and how to fix it.
"""

from __future__ import annotations

from pathlib import Path

from pytest_agentcassette._errors import CassetteError
from pytest_agentcassette._format import yaml as yaml_format
from pytest_agentcassette._located import LocatedError, display_path, where_text

__all__ = ["cassette_error"]


def _line(path: Path, error: LocatedError, source: bytes | None) -> int | None:
    if error.line is not None or error.about_file:
        return error.line
    try:
        return yaml_format.line_of(path.read_bytes() if source is None else source, error.where)
    except OSError:
        return None


def cassette_error(
    path: Path,
    error: LocatedError | OSError,
    fix_hint: str,
    *,
    shown: str | None = None,
    source: bytes | None = None,
) -> CassetteError:
    """The :class:`CassetteError` for ``error`` in the cassette at ``path``, ending with
    ``fix_hint`` (how to fix the file or record it again). ``shown`` is the path as
    messages show it and ``source`` the file's bytes the error was found in, when the
    caller has them: given both, nothing touches the file system (a request on an event
    loop).
    """
    shown = display_path(path) if shown is None else shown
    if isinstance(error, OSError):
        fix = "give the path of a cassette file" if path.is_dir() else "make it readable"
        reason = error.strerror or str(error)
        return CassetteError(f"cannot read cassette {shown}: {reason}; {fix}.", path=path)
    line = _line(path, error, source)
    place = (f", line {line}" if line else "") + (
        f", column {error.column}" if error.column else ""
    )
    at = f" (at {where_text(error.where)})" if error.where else ""
    separator = " " if error.about_file else ": "
    return CassetteError(
        f"cassette {shown}{place}{at}{separator}{error.problem}.\n{error.note}{fix_hint}",
        path=path,
        line=line,
    )
