"""The ``bm25`` strategy: keyword scores over the stored chunks, as cagent computes them
(its tokenizer and stopwords, the score divided by the number of query terms, capped at 1).
"""

from __future__ import annotations

import math
import re
from collections import Counter

from agentcore.rag.store import ChunkStore, Hit

__all__ = ["bm25_search", "tokenize"]

_PUNCTUATION = re.compile(r"[.,!?;:()\[\]{}\"'\n\t]")
_STOPWORDS = frozenset(
    "the a an and or but in on at to for of as by is was are were be been".split()  # noqa: SIM905
)


def tokenize(text: str) -> list[str]:
    """Lowercase words longer than two letters, punctuation removed, stopwords dropped."""
    words = _PUNCTUATION.sub(" ", text.lower()).split()
    return [word for word in words if len(word) > 2 and word not in _STOPWORDS]


def bm25_search(store: ChunkStore, query: str) -> list[Hit]:
    """The chunks scoring at least the strategy's threshold, best first, at most its limit."""
    strategy = store.strategy
    terms = tokenize(query)
    if not terms:
        raise ValueError("query contains no valid terms")
    rows = store.rows()
    counts = [Counter(tokenize(row.content)) for row in rows]
    lengths = [float(sum(count.values())) for count in counts]
    average = sum(lengths) / len(lengths) if lengths else 0.0
    frequency = {term: sum(1 for count in counts if count[term]) for term in terms}
    hits = []
    for row, count, length in zip(rows, counts, lengths, strict=True):
        score = 0.0
        for term in terms:
            seen, having = float(count[term]), frequency[term]
            if not seen or not having:
                continue
            idf = math.log((len(rows) - having + 0.5) / (having + 0.5) + 1.0)
            ratio = length / average if average > 0 else 1.0
            score += (
                idf
                * seen
                * (strategy.k1 + 1)
                / (seen + strategy.k1 * (1 - strategy.b + strategy.b * ratio))
            )
        score = min(score / len(terms), 1.0)
        if score >= strategy.threshold:
            hits.append(Hit(row, score))
    hits.sort(key=lambda hit: -hit.similarity)
    return hits[: strategy.limit]
