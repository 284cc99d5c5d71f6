"""A strategy's index in SQLite: the files indexed (with their hash) and their chunks.

A file is chunked (and embedded) again only when its hash changed; files no longer listed
are dropped. Several strategies may share one database file: each has its own tables.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from agentcore.rag.chunking import chunk_text, collect_files, file_hash
from agentcore.rag.settings import Strategy

__all__ = ["ChunkStore", "Embed", "Hit", "Row"]

Embed = Callable[[list[str]], list[list[float]]]
"""Texts → their vectors, in order."""


@dataclass(frozen=True)
class Row:
    """A stored chunk."""

    source_path: str
    chunk_index: int
    content: str
    indexed_at: str
    vector: list[float] | None = None


@dataclass(frozen=True)
class Hit:
    """A chunk a strategy found, with its score."""

    row: Row
    similarity: float


class ChunkStore:
    """The chunks of ``strategy``'s files, in its database (created when missing)."""

    def __init__(self, strategy: Strategy, clock: Callable[[], datetime]):
        self.strategy = strategy
        self.clock = clock
        prefix = re.sub(r"[^A-Za-z0-9_]", "_", strategy.type)
        self.files, self.chunks = f"{prefix}_files", f"{prefix}_chunks"
        strategy.database.parent.mkdir(parents=True, exist_ok=True)
        self.database = sqlite3.connect(str(strategy.database), check_same_thread=False)
        self.database.executescript(
            f"CREATE TABLE IF NOT EXISTS {self.files} (source_path TEXT PRIMARY KEY, "
            f"file_hash TEXT NOT NULL, indexed_at TEXT NOT NULL);"
            f"CREATE TABLE IF NOT EXISTS {self.chunks} (source_path TEXT NOT NULL, "
            f"chunk_index INTEGER NOT NULL, content TEXT NOT NULL, vector TEXT, "
            f"PRIMARY KEY (source_path, chunk_index));"
        )
        self.database.commit()

    def close(self) -> None:
        """Close the database."""
        self.database.close()

    def refresh(self, embed: Embed | None = None) -> None:
        """Index the files that are new or changed (``embed``: vectors for their chunks)
        and forget the files no longer listed.
        """
        files = collect_files(self.strategy.docs)
        known = dict(self.database.execute(f"SELECT source_path, file_hash FROM {self.files}"))
        for path in files:
            digest = file_hash(path)
            if known.get(str(path)) != digest:
                self._index(path, digest, embed)
        listed = {str(path) for path in files}
        for gone in set(known) - listed:
            self._forget(gone)
        self.database.commit()

    def _forget(self, path: str) -> None:
        self.database.execute(f"DELETE FROM {self.files} WHERE source_path = ?", (path,))
        self.database.execute(f"DELETE FROM {self.chunks} WHERE source_path = ?", (path,))

    def _index(self, path: Path, digest: str, embed: Embed | None) -> None:
        text = path.read_bytes().decode("utf-8", errors="replace")
        chunks = chunk_text(text, self.strategy.chunking)
        vectors = embed([c.content for c in chunks]) if embed and chunks else None
        self._forget(str(path))
        for i, chunk in enumerate(chunks):
            vector = json.dumps(vectors[i]) if vectors is not None else None
            self.database.execute(
                f"INSERT INTO {self.chunks} VALUES (?, ?, ?, ?)",
                (str(path), chunk.index, chunk.content, vector),
            )
        when = self.clock().strftime("%Y-%m-%dT%H:%M:%SZ")
        self.database.execute(
            f"INSERT INTO {self.files} VALUES (?, ?, ?)", (str(path), digest, when)
        )

    def rows(self) -> list[Row]:
        """Every chunk, in the order it was indexed."""
        found = self.database.execute(
            f"SELECT c.source_path, c.chunk_index, c.content, f.indexed_at, c.vector "
            f"FROM {self.chunks} c JOIN {self.files} f ON c.source_path = f.source_path "
            f"ORDER BY c.rowid"
        )
        return [
            Row(path, index, content, when, json.loads(vector) if vector else None)
            for path, index, content, when, vector in found
        ]
