"""Cassette files in the tests: loaded as a cassette's boundary reports them, and bodies in
their stored forms."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pytest_agentcassette import Body, Interaction
from pytest_agentcassette._format import cassette_error
from pytest_agentcassette._format import load_cassette as read_file
from pytest_agentcassette._format.stored_body import StoredBody, stored_form
from pytest_agentcassette._located import LocatedError

__all__ = ["load_cassette", "stored_body", "stored_form"]


def load_cassette(path: Path, fix_hint: str = "") -> list[Interaction]:
    """The interactions of the cassette at ``path``; a problem is the ``CassetteError`` a
    cassette in use raises for it (ending with ``fix_hint``)."""
    try:
        return read_file(path)
    except (LocatedError, OSError) as error:
        raise cassette_error(Path(path), error, fix_hint) from None


def stored_body(stored: Any) -> Body:
    """A body as a cassette stores it (``stored``), decoded on first use."""
    return Body.decoded_from(StoredBody(stored))
