"""Credentials found in what a cassette would hold: where each one is, and the lines that
name them (never the secret itself), grouped as an agent's re-sent history repeats them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["SecretFinding", "finding_lines"]


@dataclass(frozen=True)
class SecretFinding:
    """A credential in the interaction at position ``interaction``, in ``field``
    (``request body``, ``response header x-trace``, ``request URL``...).
    """

    interaction: int
    field: str
    kind: str
    shown: str

    def __str__(self) -> str:
        return f"interaction {self.interaction}, {self.field}: {self.kind} ({self.shown})"


def _spans(positions: Iterable[int]) -> str:
    """``0, 2-5``: interaction positions as ranges."""
    spans: list[list[int]] = []
    for position in sorted(set(positions)):
        if spans and position == spans[-1][1] + 1:
            spans[-1][1] = position
        else:
            spans.append([position, position])
    return ", ".join(f"{a}" if a == b else f"{a}-{b}" for a, b in spans)


def finding_lines(findings: list[SecretFinding]) -> list[str]:
    """One line per credential and place, interactions grouped: an agent re-sends its
    history, so a credential in one request is in every later one.
    """
    grouped: dict[tuple[str, str, str], list[int]] = {}
    for finding in findings:
        key = (finding.field, finding.kind, finding.shown)
        grouped.setdefault(key, []).append(finding.interaction)
    lines = []
    for (field, kind, shown), positions in grouped.items():
        many = "s" if len(set(positions)) > 1 else ""
        lines.append(f"interaction{many} {_spans(positions)}, {field}: {kind} ({shown})")
    return lines
