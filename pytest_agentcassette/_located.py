"""A problem at a place in a cassette file: the one internal error that has a place,
turned into the public :class:`~pytest_agentcassette.CassetteError` at the cassette's
boundary (:func:`pytest_agentcassette._format.cassette_error`), where the file is known and
the line of the place can be found. Also how messages show a place and a path.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

__all__ = ["LocatedError", "Where", "display_path", "json_problem", "where_text"]

Where = tuple[str | int, ...]
"""A YAML path: mapping keys and list indexes, from the document's root
(``("interactions", 3, "request", "body", "json_patch")``)."""


class LocatedError(ValueError):
    """``problem`` at ``where`` in a cassette.

    ``where`` is a YAML path, from the document's root once :attr:`rooted` (code that
    reads a part of the document, such as one body, raises with the path below that part,
    and its caller puts the part's own path in front with :meth:`under`). ``line`` and
    ``column`` are given when the place is known by position (a YAML syntax error);
    otherwise the line is looked up from ``where``. ``about_file`` problems describe the
    whole file (``is empty: ...``, ``is not valid YAML: ...``) and read as a predicate of
    it; ``note`` is a line of context after the problem.
    """

    def __init__(
        self,
        problem: str,
        where: Where = (),
        *,
        rooted: bool = False,
        line: int | None = None,
        column: int | None = None,
        about_file: bool = False,
        note: str = "",
    ):
        super().__init__(problem)
        self.problem = problem
        self.where = where
        self.rooted = rooted
        self.line = line
        self.column = column
        self.about_file = about_file
        self.note = note

    def under(self, *prefix: str | int) -> LocatedError:
        """The same problem, placed below ``prefix``; a rooted error keeps its place (a
        patch further up a chain of patches is at fault, not the body that was decoded).
        """
        if not self.rooted:
            self.where = (*prefix, *self.where)
        return self

    def rooted_at(self, *prefix: str | int) -> LocatedError:
        """The same problem, placed below ``prefix``, which starts at the document's root."""
        self.under(*prefix)
        self.rooted = True
        return self


def json_problem(error: ValueError | RecursionError) -> str:
    """Where text that should be JSON is not, in this project's words (CPython's own
    wording of the problem changes between versions): ``line 3, column 1, near '...'``.
    """
    if isinstance(error, RecursionError):
        return "it is nested too deeply"
    position = getattr(error, "pos", None)
    document = getattr(error, "doc", None)
    if not isinstance(position, int) or not isinstance(document, str):
        return "it is not JSON"
    line, column = getattr(error, "lineno", 1), getattr(error, "colno", 1)
    near = document[max(0, position - 12) : position + 12]
    return f"line {line}, column {column}, near {near!r}"


def where_text(where: Where) -> str:
    """A YAML path as a message shows it: ``interactions[3].request.body``."""
    text = ""
    for step in where:
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else str(step))
    return text


def display_path(path: Path) -> str:
    """``path`` relative to the working directory when it lies below it."""
    return _display_path(os.fspath(path), os.getcwd())


@functools.lru_cache(maxsize=1024)
def _display_path(path: str, cwd: str) -> str:
    """:func:`display_path`, once per file and working directory: read from the path's
    text where it lies below ``cwd`` as written (as pytest gives a test's files), else
    with both paths' symlinks resolved.
    """
    below = os.path.normpath(path)
    prefix = cwd if cwd.endswith(os.sep) else cwd + os.sep
    if os.path.isabs(below) and below.startswith(prefix):
        return below[len(prefix) :]
    try:
        return str(Path(path).resolve().relative_to(Path(cwd).resolve()))
    except ValueError:
        return path
