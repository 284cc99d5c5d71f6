"""Reading a cassette: version-2 YAML (go-vcr's field names, as cagent writes them).

Every field is checked; the first problem is a
:class:`~pytest_agentcassette._located.LocatedError` with its place in the file (a YAML
path, or the line and column of a syntax error).
"""

from __future__ import annotations

from pathlib import Path

from pytest_agentcassette._format import yaml as yaml_format
from pytest_agentcassette._format.fields import FORMAT_VERSION, read_interactions
from pytest_agentcassette._located import LocatedError
from pytest_agentcassette._model import Interaction

__all__ = ["load_cassette"]


def load_cassette(path: Path, raw: bytes | None = None) -> list[Interaction]:
    """Read and check a cassette file (``raw``: its bytes, when already read). Raises
    ``OSError`` when it cannot be read and :class:`LocatedError` for what is wrong in it.
    """
    if raw is None:
        raw = Path(path).read_bytes()
    if not raw or raw.isspace():
        raise LocatedError(
            f"is empty: expected 'version: {FORMAT_VERSION}' and 'interactions:'", about_file=True
        )
    cut = "" if raw.endswith(b"\n") else "The file ends mid-line: was it cut short?\n"
    try:
        document = yaml_format.load_with_blocks(raw)
    except Exception as error:  # the parser's error: it is loaded only for a file that needs it
        if not yaml_format.is_yaml_error(error):
            raise
        line, column, problem = yaml_format.yaml_problem(raw, error)
        cut = "" if problem.startswith(("byte", "control")) else cut  # not text at all
        raise LocatedError(
            f"is not valid YAML: {problem}", line=line, column=column, about_file=True, note=cut
        ) from None
    try:
        return read_interactions(document)
    except LocatedError as error:
        error.note = cut
        raise
