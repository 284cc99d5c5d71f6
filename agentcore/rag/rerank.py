"""Reranking: a chat model scores each result from 0 to 1 (cagent's prompts and its
OpenAI request: one Chat Completions call, temperature 0 unless the model sets one, a JSON
schema answer ``{"scores": [...]}``). Scores below the threshold drop the result; if the
call fails, the results stay as they were, as in cagent.
"""

from __future__ import annotations

import json
import re
from typing import Any

from agentcore.errors import AgentcoreError
from agentcore.providers.base import Provider
from agentcore.rag.embeddings import post_json
from agentcore.rag.settings import Reranking
from agentcore.rag.store import Hit

__all__ = ["rerank", "rerank_request"]

_FORMAT = (
    "You MUST respond with ONLY valid JSON in this exact format and nothing else:\n"
    '{"scores":[s0,s1,...,sN]} where there is exactly one numeric score per document in order.'
)
_SCHEMA = {
    "additionalProperties": False,
    "properties": {"scores": {"items": {"type": "number"}, "type": "array"}},
    "required": ["scores"],
    "type": "object",
}


def _system(count: int, criteria: str, options: dict[str, Any]) -> str:
    override = options.get("rerank_prompt")
    if isinstance(override, str) and override.strip():
        return override
    text = (
        "You are a reranking model.\nGiven a search query and a list of documents, you assign "
        "each document a relevance score between 0 and 1.\nHigher scores mean more relevant."
    )
    if criteria:
        text += "\n\n" + criteria
    return text + (
        "\n\nYou MUST carefully evaluate each document's relevance and assign DIFFERENT scores "
        "to reflect varying degrees of relevance.\nNot all documents are equally relevant - "
        f"differentiate between them.\n{_FORMAT}\n\nIMPORTANT: You have been given {count} "
        f'documents, so you MUST return exactly {count} scores in the "scores" array.\nEach '
        "score must be a number between 0 and 1, where 1 is most relevant."
    )


def _documents(query: str, hits: list[Hit]) -> str:
    parts = [f"Query:\n{query}\n\nDocuments:\n"]
    for i, hit in enumerate(hits):
        row = hit.row
        parts.append(
            f"[{i}] (source: {row.source_path}, created_at: {row.indexed_at}):\n{row.content}\n\n"
        )
    return "".join(parts)


def rerank_request(
    provider: Provider, reranking: Reranking, query: str, hits: list[Hit]
) -> dict[str, Any]:
    """The Chat Completions body that asks ``provider``'s model to score ``hits``."""
    model = provider.model
    body: dict[str, Any] = {
        "messages": [
            {
                "content": _system(len(hits), reranking.criteria, model.provider_opts),
                "role": "system",
            },
            {"content": _documents(query, hits), "role": "user"},
        ],
        "model": model.model,
    }
    for key in ("frequency_penalty", "presence_penalty"):
        if getattr(model, key) is not None:
            body[key] = getattr(model, key)
    body["response_format"] = {
        "json_schema": {
            "description": "Relevance scores for each document, in input order.",
            "name": "rerank_scores",
            "schema": _SCHEMA,
            "strict": False,
        },
        "type": "json_schema",
    }
    body["temperature"] = model.temperature if model.temperature is not None else 0.0
    if model.top_p is not None:
        body["top_p"] = model.top_p
    return body


def _scores(provider: Provider, body: dict[str, Any], count: int) -> list[float]:
    answer = post_json(provider, "/chat/completions", body)
    raw = str(answer["choices"][0]["message"]["content"]).strip()
    try:
        scores = json.loads(raw)["scores"]
    except (ValueError, KeyError, TypeError):
        block = re.search(r"\{.*\}", raw, re.S)
        scores = json.loads(block.group())["scores"] if block else []
    if len(scores) != count:
        raise ValueError(f"expected {count} scores, got {len(scores)}")
    return [float(score) for score in scores]


def rerank(
    provider: Provider, reranking: Reranking, limit: int, query: str, hits: list[Hit]
) -> list[Hit]:
    """``hits`` with the model's scores, best first: the first ``top_k`` (else ``limit``)
    are scored, the rest keep theirs.
    """
    if not hits:
        return hits
    top = reranking.top_k or limit
    count = top if 0 < top < len(hits) else len(hits)
    body = rerank_request(provider, reranking, query, hits[:count])
    try:
        scores = _scores(provider, body, count)
    except (AgentcoreError, ValueError, LookupError, TypeError, AttributeError):
        return hits
    kept = [
        Hit(hit.row, score)
        for hit, score in zip(hits[:count], scores, strict=True)
        if not (reranking.threshold > 0 and score < reranking.threshold)
    ]
    return sorted(kept + hits[count:], key=lambda hit: -hit.similarity)
