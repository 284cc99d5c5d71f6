"""A file's ``rag:`` sources (cagent's ``RAGConfig``), read from YAML nodes with their lines.

Paths (``docs``, ``database``) are made absolute against the agent file's folder, as cagent
does; model references (``embedding_model``, ``reranking.model``) are resolved by the
loader's ``resolve`` callback to names under ``models:``. What is read is held in
:mod:`agentcore.rag.settings`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import yaml

from agentcore.config.nodes import Document, check_keys, mapping, name_list, text, typed
from agentcore.rag.settings import (
    BM25_KEYS,
    CHUNKING_KEYS,
    EMBEDDING_KEYS,
    FUSION_KEYS,
    FUSIONS,
    RERANKING_KEYS,
    RESULTS_KEYS,
    SOURCE_KEYS,
    STRATEGIES,
    STRATEGIES_NOT_SUPPORTED,
    TOOL_KEYS,
    Chunking,
    Fusion,
    RagSource,
    Reranking,
    Results,
    Strategy,
)

__all__ = ["read_rag"]

Resolve = Callable[[str, yaml.Node, str], str]
"""``(model ref, node, where)`` → the name of the model under ``models:`` (or an error)."""


def read_rag(
    doc: Document, node: yaml.Node, resolve: Resolve, data_dir: Path
) -> dict[str, RagSource]:
    """The sources under ``rag:``; ``data_dir``: where a database without a path goes."""
    return {
        name: _source(doc, name, value, f"rag.{name}", resolve, data_dir)
        for name, _, value in mapping(doc, node, "rag")
    }


def _source(
    doc: Document, name: str, node: yaml.Node, where: str, resolve: Resolve, data_dir: Path
) -> RagSource:
    keys = check_keys(doc, mapping(doc, node, where), where, SOURCE_KEYS, ("respect_vcs",))
    tool: dict[str, str] = {}
    if "tool" in keys:
        at = f"{where}.tool"
        found = check_keys(doc, mapping(doc, keys["tool"], at), at, TOOL_KEYS)
        tool = {key: text(doc, value, f"{at}.{key}") for key, value in found.items()}
    shared = _paths(doc, keys, where)
    if "strategies" not in keys or not isinstance(keys["strategies"], yaml.SequenceNode):
        raise doc.error(
            keys.get("strategies", node),
            f"{where}.strategies",
            "expected a list of strategies (each with type: bm25 or chunked-embeddings)",
        )
    items = keys["strategies"].value
    if not items:
        raise doc.error(keys["strategies"], f"{where}.strategies", "no strategies configured")
    strategies = tuple(
        _strategy(doc, name, item, f"{where}.strategies[{i}]", shared, resolve, data_dir)
        for i, item in enumerate(items)
    )
    results = (
        _results(doc, keys["results"], f"{where}.results", resolve)
        if "results" in keys
        else Results()
    )
    return RagSource(
        name,
        tool.get("name") or name,
        tool.get("description", ""),
        tool.get("instruction", ""),
        strategies,
        results,
    )


def _paths(doc: Document, keys: dict[str, yaml.Node], where: str) -> tuple[Path, ...]:
    if "docs" not in keys:
        return ()
    base = doc.path.resolve().parent
    listed = name_list(doc, keys["docs"], f"{where}.docs")
    return tuple(base / Path(item).expanduser() for item, _ in listed)


def _number(
    doc: Document, keys: dict[str, yaml.Node], key: str, where: str, default: float
) -> float:
    return typed(doc, keys[key], f"{where}.{key}", float, "a number") if key in keys else default


def _whole(doc: Document, keys: dict[str, yaml.Node], key: str, where: str, default: int) -> int:
    if key not in keys:
        return default
    value = typed(doc, keys[key], f"{where}.{key}", int, "a whole number")
    if value < 0:
        raise doc.error(keys[key], f"{where}.{key}", "must not be negative")
    return value


def _strategy(
    doc: Document,
    source: str,
    node: yaml.Node,
    where: str,
    shared: tuple[Path, ...],
    resolve: Resolve,
    data_dir: Path,
) -> Strategy:
    entries = mapping(doc, node, where)
    kinds = {name: value for name, _, value in entries}
    if "type" not in kinds:
        raise doc.error(node, where, f"missing 'type' ({', '.join(STRATEGIES)})")
    kind = text(doc, kinds["type"], f"{where}.type")
    if kind in STRATEGIES_NOT_SUPPORTED:
        raise doc.error(
            kinds["type"], f"{where}.type", f"strategy '{kind}' is not supported yet by agentcore"
        )
    if kind not in STRATEGIES:
        raise doc.error(
            kinds["type"],
            f"{where}.type",
            f"unknown strategy type '{kind}'; valid: {', '.join(STRATEGIES)}",
        )
    keys = check_keys(doc, entries, where, BM25_KEYS if kind == "bm25" else EMBEDDING_KEYS)
    docs = tuple(dict.fromkeys((*shared, *_paths(doc, keys, where))))
    base = doc.path.resolve().parent
    suffix = "bm25" if kind == "bm25" else "chunked_embeddings"
    database = data_dir / f"rag_{source}_{suffix}.db"
    if "database" in keys:
        database = base / Path(text(doc, keys["database"], f"{where}.database")).expanduser()
    common = {
        "docs": docs,
        "database": database,
        "limit": _whole(doc, keys, "limit", where, 0) or 5,
        "chunking": _chunking(doc, keys["chunking"], f"{where}.chunking")
        if "chunking" in keys
        else Chunking(),
    }
    if kind == "bm25":
        return Strategy(
            kind,
            threshold=_number(doc, keys, "threshold", where, 0.0),
            k1=_number(doc, keys, "k1", where, 1.5),
            b=_number(doc, keys, "b", where, 0.75),
            **common,  # type: ignore[arg-type]
        )
    return _embeddings(doc, node, keys, where, resolve, common)


def _embeddings(
    doc: Document,
    node: yaml.Node,
    keys: dict[str, yaml.Node],
    where: str,
    resolve: Resolve,
    common: dict[str, object],
) -> Strategy:
    for required in ("embedding_model", "vector_dimensions"):
        if required not in keys:
            raise doc.error(node, where, f"missing '{required}' (chunked-embeddings needs it)")
    at = f"{where}.embedding_model"
    model = resolve(text(doc, keys["embedding_model"], at), keys["embedding_model"], at)
    if "similarity_metric" in keys:
        metric = text(doc, keys["similarity_metric"], f"{where}.similarity_metric")
        if metric != "cosine_similarity":
            raise doc.error(
                keys["similarity_metric"],
                f"{where}.similarity_metric",
                f"unknown similarity metric '{metric}'; valid: cosine_similarity",
            )
    return Strategy(
        "chunked-embeddings",
        threshold=_number(doc, keys, "threshold", where, 0.5),
        embedding_model=model,
        vector_dimensions=_whole(doc, keys, "vector_dimensions", where, 0),
        batch_size=_whole(doc, keys, "embedding_batch_size", where, 50) or 50,
        **common,  # type: ignore[arg-type]
    )


def _chunking(doc: Document, node: yaml.Node, where: str) -> Chunking:
    keys = check_keys(doc, mapping(doc, node, where), where, CHUNKING_KEYS)
    if "code_aware" in keys and typed(
        doc, keys["code_aware"], f"{where}.code_aware", bool, "true or false"
    ):
        raise doc.error(
            keys["code_aware"],
            f"{where}.code_aware",
            "code-aware chunking (tree-sitter) is not supported yet by agentcore; remove it "
            "to chunk as text",
        )
    boundaries = False
    if "respect_word_boundaries" in keys:
        at = f"{where}.respect_word_boundaries"
        boundaries = typed(doc, keys["respect_word_boundaries"], at, bool, "true or false")
    return Chunking(
        _whole(doc, keys, "size", where, 0) or 1500,
        _whole(doc, keys, "overlap", where, 0) or 75,
        boundaries,
    )


def _results(doc: Document, node: yaml.Node, where: str, resolve: Resolve) -> Results:
    keys = check_keys(doc, mapping(doc, node, where), where, RESULTS_KEYS)
    deduplicate = _flag(doc, keys, "deduplicate", where, True)
    if "include_score" in keys:  # cagent reads it and does nothing with it
        typed(doc, keys["include_score"], f"{where}.include_score", bool, "true or false")
    return Results(
        _whole(doc, keys, "limit", where, 0) or 15,
        deduplicate,
        _fusion(doc, keys["fusion"], f"{where}.fusion") if "fusion" in keys else Fusion(),
        _reranking(doc, keys["reranking"], f"{where}.reranking", resolve)
        if "reranking" in keys
        else None,
        _flag(doc, keys, "return_full_content", where, False),
    )


def _flag(doc: Document, keys: dict[str, yaml.Node], key: str, where: str, default: bool) -> bool:
    if key not in keys:
        return default
    return typed(doc, keys[key], f"{where}.{key}", bool, "true or false")


def _fusion(doc: Document, node: yaml.Node, where: str) -> Fusion:
    keys = check_keys(doc, mapping(doc, node, where), where, FUSION_KEYS)
    strategy = text(doc, keys["strategy"], f"{where}.strategy") if "strategy" in keys else "rrf"
    if strategy not in FUSIONS:
        raise doc.error(
            keys["strategy"],
            f"{where}.strategy",
            f"unknown fusion strategy '{strategy}'; valid: {', '.join(FUSIONS)}",
        )
    weights: dict[str, float] = {}
    if "weights" in keys:
        at = f"{where}.weights"
        weights = {
            name: typed(doc, value, f"{at}.{name}", float, "a number")
            for name, _, value in mapping(doc, keys["weights"], at)
        }
    if strategy == "weighted" and not weights:
        raise doc.error(node, where, "weighted fusion needs 'weights' (a number per strategy type)")
    return Fusion(strategy, _whole(doc, keys, "k", where, 0) or 60, weights)


def _reranking(doc: Document, node: yaml.Node, where: str, resolve: Resolve) -> Reranking:
    keys = check_keys(doc, mapping(doc, node, where), where, RERANKING_KEYS)
    if "model" not in keys:
        raise doc.error(node, where, "missing 'model' (the chat model that scores the results)")
    model = resolve(text(doc, keys["model"], f"{where}.model"), keys["model"], f"{where}.model")
    criteria = text(doc, keys["criteria"], f"{where}.criteria") if "criteria" in keys else ""
    return Reranking(
        model,
        _whole(doc, keys, "top_k", where, 0),
        _number(doc, keys, "threshold", where, 0.5),
        criteria,
    )
