"""A file's ``rag:`` sources as agentcore holds them (cagent's ``RAGConfig``): the sources,
their strategies and what happens to their results; read by :mod:`agentcore.config.parts.rag`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "CHUNKING_KEYS",
    "COMMON_KEYS",
    "EMBEDDING_KEYS",
    "FUSIONS",
    "FUSION_KEYS",
    "RERANKING_KEYS",
    "RESULTS_KEYS",
    "SOURCE_KEYS",
    "STRATEGIES",
    "STRATEGIES_NOT_SUPPORTED",
    "TOOL_KEYS",
    "Chunking",
    "Fusion",
    "RagSource",
    "Reranking",
    "Results",
    "Strategy",
    "rag_data_dir",
]

SOURCE_KEYS = ("tool", "docs", "strategies", "results")
TOOL_KEYS = ("name", "description", "instruction")
COMMON_KEYS = ("type", "docs", "database", "chunking", "limit")
BM25_KEYS = (*COMMON_KEYS, "k1", "b", "threshold")
EMBEDDING_KEYS = (
    *COMMON_KEYS,
    "embedding_model",
    "vector_dimensions",
    "similarity_metric",
    "threshold",
    "embedding_batch_size",
    "batch_size",
    "max_embedding_concurrency",
    "max_indexing_concurrency",
)
CHUNKING_KEYS = ("size", "overlap", "respect_word_boundaries", "code_aware")
RESULTS_KEYS = (
    "limit",
    "fusion",
    "reranking",
    "deduplicate",
    "include_score",
    "return_full_content",
)
FUSION_KEYS = ("strategy", "k", "weights")
FUSIONS = ("rrf", "reciprocal_rank_fusion", "weighted", "max")
RERANKING_KEYS = ("model", "top_k", "threshold", "criteria")
STRATEGIES = ("chunked-embeddings", "bm25")
STRATEGIES_NOT_SUPPORTED = ("semantic-embeddings",)


@dataclass(frozen=True)
class Chunking:
    """How documents are cut: ``size`` and ``overlap`` in characters (runes)."""

    size: int = 1500
    overlap: int = 75
    respect_word_boundaries: bool = False


@dataclass(frozen=True)
class Strategy:
    """One retrieval strategy of a source: ``bm25`` or ``chunked-embeddings``."""

    type: str
    docs: tuple[Path, ...]
    database: Path
    limit: int = 5
    threshold: float = 0.0
    chunking: Chunking = field(default_factory=Chunking)
    k1: float = 1.5
    b: float = 0.75
    embedding_model: str = ""
    """The name under ``models:`` of the embedding model (chunked-embeddings)."""
    vector_dimensions: int = 0
    batch_size: int = 50


@dataclass(frozen=True)
class Fusion:
    """How the results of several strategies are combined."""

    strategy: str = "rrf"
    k: int = 60
    weights: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Reranking:
    """Results re-scored by a chat model (the name under ``models:``)."""

    model: str
    top_k: int = 0
    threshold: float = 0.5
    criteria: str = ""


@dataclass(frozen=True)
class Results:
    """What happens to the results: fusion, reranking, limit and deduplication."""

    limit: int = 15
    deduplicate: bool = True
    fusion: Fusion = field(default_factory=Fusion)
    reranking: Reranking | None = None
    return_full_content: bool = False
    """Whole files instead of the chunks found (read again when the tool answers)."""


@dataclass(frozen=True)
class RagSource:
    """A named source (``rag.<name>``) and the search tool that queries it."""

    name: str
    tool_name: str
    description: str
    instruction: str
    strategies: tuple[Strategy, ...]
    results: Results = field(default_factory=Results)


def rag_data_dir(config_path: Path) -> Path:
    """Where a strategy without ``database:`` keeps its index:
    ``~/.agentcore/rag/<agent file stem>/`` (cagent: its data directory).
    """
    return Path.home() / ".agentcore" / "rag" / config_path.stem
