"""Finding a source's files and cutting them into chunks, as cagent's text chunker does."""

from __future__ import annotations

import glob
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from agentcore.rag.settings import Chunking

__all__ = ["Chunk", "chunk_text", "collect_files", "file_hash"]

_SPACE = " \t\n\r"


@dataclass(frozen=True)
class Chunk:
    """A piece of a file: its position among the file's chunks, and its text."""

    index: int
    content: str


def collect_files(paths: tuple[Path, ...]) -> list[Path]:
    """The files ``paths`` name: files, folders (walked in name order) and globs (``**``),
    each once, in order; paths that do not exist are skipped.
    """
    found: dict[Path, None] = {}
    for pattern in paths:
        text = str(pattern)
        matches = (
            sorted(glob.glob(text, recursive=True)) if any(c in text for c in "*?[") else [text]
        )
        for match in matches:
            path = Path(os.path.abspath(match))
            if path.is_dir():
                found.update(dict.fromkeys(_walk(path)))
            elif path.is_file():
                found[path] = None
    return list(found)


def _walk(folder: Path) -> list[Path]:
    files: list[Path] = []
    try:
        entries = sorted(os.listdir(folder))
    except OSError:
        return files
    for name in entries:
        child = folder / name
        if child.is_dir():
            files += _walk(child)
        elif child.is_file():
            files.append(child)
    return files


def file_hash(path: Path) -> str:
    """The SHA-256 of the file's bytes, in hex (whether it must be indexed again)."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def chunk_text(text: str, chunking: Chunking) -> list[Chunk]:
    """Chunks of ``size`` characters overlapping by ``overlap``; with word boundaries, a cut
    moves back to whitespace and the next chunk starts at a word. Empty chunks are dropped.
    """
    size = chunking.size if chunking.size > 0 else 1000
    overlap = max(chunking.overlap, 0)
    overlap = size // 2 if overlap >= size else overlap
    chunks: list[Chunk] = []
    start, total, index = 0, len(text), 0
    while start < total:
        end = min(start + size, total)
        if chunking.respect_word_boundaries and start < end < total:
            found = _nearest_space(text[start : end + 1], end - start) + start
            if start < found < end:
                end = found
        chunks.append(Chunk(index, text[start:end].strip()))
        index += 1
        if end >= total:
            break
        following = max(end - overlap, start + 1)
        if chunking.respect_word_boundaries:
            while following < total and text[following] not in _SPACE:
                following += 1
            while following < total and text[following] in _SPACE:
                following += 1
        start = following
    return [chunk for chunk in chunks if chunk.content]


def _nearest_space(window: str, target: int) -> int:
    """The whitespace nearest ``target`` in ``window``: backwards first (to the start of a
    run of spaces), then forwards, within a fifth of the window (50 to 500 characters).
    """
    reach = min(max(len(window) // 5, 50), 500)
    for step in range(reach):
        at = target - step
        if at <= 0:
            break
        if window[at] in _SPACE:
            while at > 0 and window[at - 1] in _SPACE:
                at -= 1
            return at
    for step in range(1, reach):
        at = target + step
        if at >= len(window):
            break
        if window[at] in _SPACE:
            return at
    return target
