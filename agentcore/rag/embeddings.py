"""The ``chunked-embeddings`` strategy: chunks embedded through the provider's OpenAI-style
``POST {base_url}/embeddings`` (so a cassette records it like any request), and found again
by cosine similarity to the query's vector.
"""

from __future__ import annotations

import json
import math
from typing import Any

from agentcore.errors import ProviderError
from agentcore.providers.base import Provider
from agentcore.rag.store import ChunkStore, Hit

__all__ = ["Embedder", "cosine", "post_json", "vector_search"]


class Embedder:
    """Vectors for texts from the embedding model behind ``provider`` (its base URL, key
    and HTTP exchange), ``batch_size`` texts per request.
    """

    def __init__(self, provider: Provider, dimensions: int, batch_size: int = 50):
        self.provider = provider
        self.dimensions = dimensions
        self.batch_size = max(batch_size, 1)

    def __call__(self, texts: list[str]) -> list[list[float]]:
        """The vectors of ``texts``, in order."""
        vectors: list[list[float]] = []
        for start in range(0, len(texts), self.batch_size):
            vectors += self._batch(texts[start : start + self.batch_size])
        return vectors

    def _batch(self, texts: list[str]) -> list[list[float]]:
        provider = self.provider
        url = f"{provider.base_url}/embeddings"
        answer = post_json(provider, "/embeddings", {"input": texts, "model": provider.model.model})
        try:
            data = sorted(answer["data"], key=lambda item: item.get("index", 0))
            vectors = [[float(x) for x in item["embedding"]] for item in data]
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise ProviderError(
                provider.name, 0, f"unreadable embeddings from {url}: {error}", url=url
            ) from error
        if len(vectors) != len(texts):
            raise ProviderError(
                provider.name, 0, f"expected {len(texts)} embeddings, got {len(vectors)}", url=url
            )
        for vector in vectors:
            if len(vector) != self.dimensions:
                raise ProviderError(
                    provider.name,
                    0,
                    f"embedding dimension mismatch: got {len(vector)}, expected "
                    f"{self.dimensions} (vector_dimensions)",
                    url=url,
                )
        return vectors


def cosine(a: list[float], b: list[float]) -> float:
    """The cosine similarity of two vectors (0 when their lengths differ or one is zero)."""
    if len(a) != len(b):
        return 0.0
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    norms = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return dot / norms if norms else 0.0


def vector_search(store: ChunkStore, embedder: Embedder, query: str) -> list[Hit]:
    """The ``limit`` chunks nearest the query, then those at least at the threshold."""
    strategy = store.strategy
    wanted = embedder([query])[0]
    hits = [Hit(row, cosine(wanted, row.vector or [])) for row in store.rows()]
    hits.sort(key=lambda hit: -hit.similarity)
    return [hit for hit in hits[: strategy.limit] if hit.similarity >= strategy.threshold]


def post_json(provider: Provider, path: str, body: dict[str, Any]) -> Any:
    """POST ``body`` to ``path`` of an OpenAI-compatible ``provider`` (its key as a bearer
    token), through the team's client so that a cassette records it; the answer's JSON.
    """
    headers = {"authorization": f"Bearer {provider.key}"} if provider.key else {}
    url = f"{provider.base_url}{path}"
    response = provider.http.stream(
        provider.name, url, body, headers, missing_key=provider.missing_key
    )
    try:
        return json.loads(response.read())
    finally:
        response.close()
