"""The bad-input corpus in ``tests/data/bad/``: its manifest (``cases.yaml``) and its counts.

Each case is a file below ``tests/data/bad/`` (or one made at test time, ``generate:``), the
entry point a user would run it through, and the lines they must read.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

__all__ = ["BAD", "CLASSES", "ENTRIES", "MANIFEST", "Case", "corpus_files", "load_cases", "summary"]

BAD = Path(__file__).parents[1] / "data" / "bad"
MANIFEST = BAD / "cases.yaml"
CLASSES = {"cassette": "cassette", "sse": "sse", "agent": "agent config"}
"""The folder of a case (its class) and the name the report gives it."""
ENTRIES = {
    "load": "use_cassette(FILE) opened",
    "replay": "use_cassette(FILE) and the requests sent",
    "pytest": "an inner pytest run with @pytest.mark.cassette",
    "config": "agentcore.load(FILE)",
    "cli": "the agentcore command line, in process",
    "sse": "agentcore exec --fake, the file as the recorded response body",
}
MINIMUM = 40


@dataclass(frozen=True)
class Case:
    """One bad input and what a user must read about it."""

    name: str
    """The file's path below ``tests/data/bad/`` (``cassette/empty.yaml``)."""
    entry: str
    expect: tuple[str, ...]
    """Substrings of what the user reads, each on its own (they name the file and place)."""
    requests: tuple[Any, ...] = ({"model": "gpt-4o"},)
    """JSON bodies POSTed to the chat endpoint, for ``replay`` and ``pytest``."""
    argv: tuple[str, ...] = ()
    """The command line for ``cli`` (``{file}``: the case's file)."""
    provider: str = ""
    """For ``sse``: openai, openai-responses, anthropic or google."""
    generate: str = ""
    """A case made at test time instead of a file: ``directory`` or ``unreadable``."""
    expand: dict[str, int] = field(default_factory=dict)
    """Placeholders replaced by that many ``x`` at test time (huge bodies are not committed)."""
    max_seconds: float = 10.0

    @property
    def kind(self) -> str:
        """``cassette``, ``sse`` or ``agent config``."""
        return CLASSES[self.name.split("/")[0]]

    @property
    def path(self) -> Path:
        return BAD / self.name


def load_cases() -> dict[str, Case]:
    """The manifest's cases by name; a malformed entry fails with its name."""
    data = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    cases = {}
    for name, entry in data["cases"].items():
        if name.split("/")[0] not in CLASSES:
            raise ValueError(f"{MANIFEST}: {name}: the folder must be one of {', '.join(CLASSES)}")
        if entry.get("entry") not in ENTRIES:
            raise ValueError(f"{MANIFEST}: {name}: entry must be one of {', '.join(ENTRIES)}")
        if not entry.get("expect"):
            raise ValueError(f"{MANIFEST}: {name}: no expected lines")
        entry = dict(entry)
        entry["expect"] = tuple(entry["expect"])
        for key in ("requests", "argv"):
            if key in entry:
                entry[key] = tuple(entry[key])
        cases[name] = Case(name=name, **entry)
    return cases


def corpus_files() -> set[str]:
    """Every case file below ``tests/data/bad/`` (the manifest aside)."""
    return {
        path.relative_to(BAD).as_posix()
        for path in BAD.rglob("*")
        if path.is_file() and path != MANIFEST
    }


def summary(cases: dict[str, Case]) -> str:
    """``bad-input corpus: N cases (cassette: a, sse: b, agent config: c)``."""
    counts = Counter(case.kind for case in cases.values())
    parts = ", ".join(f"{kind}: {counts[kind]}" for kind in CLASSES.values())
    return f"bad-input corpus: {len(cases)} cases ({parts})"
