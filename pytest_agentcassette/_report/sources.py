"""Cassettes read for a person to look at: each file's transcript, or the error that says
what is wrong with it (the file, the line, the fix).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pytest_agentcassette._conversation.transcript import Transcript
from pytest_agentcassette._errors import CassetteError
from pytest_agentcassette._format import cassette_error, load_cassette
from pytest_agentcassette._located import LocatedError, display_path
from pytest_agentcassette._model import Interaction

__all__ = ["CassetteTranscript", "read_transcripts"]


@dataclass(frozen=True)
class CassetteTranscript:
    """A cassette file and its transcript."""

    path: Path
    transcript: Transcript

    @property
    def shown(self) -> str:
        """The path as messages show it (relative to the current folder when inside it)."""
        return display_path(self.path)


def _files(paths: list[str]) -> list[Path]:
    found = []
    for given in map(Path, paths):
        if given.is_dir():
            found += sorted(p for p in given.rglob("*") if p.suffix in (".yaml", ".yml"))
        else:
            found.append(given)
    return found


def _decode_bodies(interactions: list[Interaction]) -> None:
    """Decode every body now (loading leaves them stored), so that one that does not
    decode is named with its place in the file.
    """
    for position, interaction in enumerate(interactions):
        for part in ("request", "response"):
            try:
                getattr(interaction, part).body.content  # noqa: B018
            except LocatedError as error:
                raise error.rooted_at("interactions", position, part, "body") from None


def read_transcripts(paths: list[str]) -> tuple[list[CassetteTranscript], list[CassetteError]]:
    """The transcripts of the cassettes at ``paths`` (files, or folders searched for YAML
    files), and the errors of those that could not be read.
    """
    transcripts, errors = [], []
    for path in _files(paths):
        try:
            interactions = load_cassette(path)
            _decode_bodies(interactions)
            transcripts.append(CassetteTranscript(path, Transcript.of(interactions)))
        except (LocatedError, OSError) as error:
            errors.append(cassette_error(path, error, "Fix it by hand, or record it again."))
    return transcripts, errors
