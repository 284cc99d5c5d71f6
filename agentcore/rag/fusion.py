"""Combining the results of several strategies: ``rrf`` (reciprocal rank fusion, the
default), ``weighted`` (score times the strategy's weight, summed) and ``max`` (the best score).
A chunk is known by its file and index.
"""

from __future__ import annotations

from agentcore.rag.settings import Fusion
from agentcore.rag.store import Hit

__all__ = ["fuse"]


def fuse(fusion: Fusion, found: dict[str, list[Hit]]) -> list[Hit]:
    """One list, best first, from each strategy's list (keyed by strategy type)."""
    if len(found) == 1 and fusion.strategy in ("rrf", "reciprocal_rank_fusion"):
        return next(iter(found.values()))
    for name in found:
        if fusion.strategy == "weighted" and name not in fusion.weights:
            raise ValueError(f"missing weight for strategy: {name}")
    scores: dict[tuple[str, int], Hit] = {}
    for name, hits in found.items():
        for rank, hit in enumerate(hits):
            key = (hit.row.source_path, hit.row.chunk_index)
            if fusion.strategy == "weighted":
                score = hit.similarity * fusion.weights[name]
            elif fusion.strategy == "max":
                score = hit.similarity
            else:
                score = 1.0 / (fusion.k + rank + 1)
            before = scores.get(key)
            if before is None:
                scores[key] = Hit(hit.row, score)
            elif fusion.strategy == "max":
                scores[key] = Hit(before.row, max(before.similarity, score))
            else:
                scores[key] = Hit(before.row, before.similarity + score)
    return sorted(scores.values(), key=lambda hit: -hit.similarity)
