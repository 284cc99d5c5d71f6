"""The search tool of a ``rag:`` source, as cagent's ``RAGTool``: named after the source
(or ``tool.name``), one ``query`` argument, and a JSON list of the chunks found.

A query runs every strategy (indexing new or changed files first, so the first query
indexes everything), fuses their results when there are several, reranks them when asked,
then keeps ``results.limit`` (and at most 10), whole files if ``return_full_content``,
without duplicates. The databases close with the session.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from agentcore.config.model import Config
from agentcore.messages import ToolDefinition
from agentcore.providers import HttpExchange, create_provider
from agentcore.rag.bm25 import bm25_search
from agentcore.rag.embeddings import Embedder, vector_search
from agentcore.rag.fusion import fuse
from agentcore.rag.rerank import rerank
from agentcore.rag.settings import RagSource, Strategy
from agentcore.rag.store import ChunkStore, Hit, Row
from agentcore.tools.base import Arguments, Tool, ToolError, Toolset, go_json, object_schema
from agentcore.tools.context import ToolContext

__all__ = ["go_float", "rag_toolset", "results_json"]

MAX_RESULTS = 10


def rag_toolset(source: RagSource, config: Config, context: ToolContext) -> Toolset:
    """The toolset with ``source``'s search tool; its databases open now, close with it."""
    search = Search(source, config, context)
    description = source.description or (
        f"Search project documents from {source.tool_name} to find relevant code or "
        f"documentation. Provide a natural language query describing what you need. "
        f"Returns the most relevant document chunks with file paths."
    )
    schema = object_schema({"query": {"description": "Search query", "type": "string"}}, ["query"])
    definition = ToolDefinition(source.tool_name, description, schema, read_only=True)
    instruction = source.instruction or (
        f"Search documents in {source.tool_name} to find relevant code or documentation. "
        f"Provide a clear search query describing what you need."
    )
    return Toolset("rag", [Tool(definition, search.answer)], instruction, close=search.close)


class Search:
    """A source's strategies, each with its index, and how a query goes through them."""

    def __init__(self, source: RagSource, config: Config, context: ToolContext):
        self.source = source
        self.http = HttpExchange(context.client)
        self.config, self.env = config, context.env
        self.indexed = False
        self.stores: list[tuple[ChunkStore, Callable[[str], list[Hit]], Embedder | None]] = []
        try:
            for strategy in source.strategies:
                self.stores.append(self._open(strategy, context))
        except Exception:
            self.close()
            raise

    def _open(
        self, strategy: Strategy, context: ToolContext
    ) -> tuple[ChunkStore, Callable[[str], list[Hit]], Embedder | None]:
        store = ChunkStore(strategy, context.clock)
        if strategy.type == "bm25":
            return store, lambda query: bm25_search(store, query), None
        model = self.config.models[strategy.embedding_model]
        provider = create_provider(model, self.config, self.http, self.env)
        embedder = Embedder(provider, strategy.vector_dimensions, strategy.batch_size)
        return store, lambda query: vector_search(store, embedder, query), embedder

    def close(self) -> None:
        """Close every database."""
        for store, _, _ in self.stores:
            store.close()

    def answer(self, arguments: Arguments) -> str:
        """The tool's answer to ``{"query": ...}``."""
        query = arguments.get("query")
        if not isinstance(query, str) or not query:
            raise ToolError("query cannot be empty")
        try:
            return results_json(self.query(query))
        except (ValueError, OSError) as error:
            raise ToolError(f"RAG query failed: {error}") from None

    def query(self, query: str) -> list[Hit]:
        """The hits for ``query``, after fusion, reranking, limit, full content and dedup."""
        if not self.indexed:
            for store, _, embedder in self.stores:
                store.refresh(embedder)
            self.indexed = True
        results = self.source.results
        found = {store.strategy.type: search(query) for store, search, _ in self.stores}
        hits = next(iter(found.values())) if len(found) == 1 else fuse(results.fusion, found)
        if results.reranking is not None:
            model = self.config.models[results.reranking.model]
            provider = create_provider(model, self.config, self.http, self.env)
            hits = rerank(provider, results.reranking, results.limit, query, hits)
        hits = hits[: results.limit]
        if results.return_full_content:
            hits = [_whole_file(hit) for hit in hits]
        if results.deduplicate:
            unique = {hit.row.content: hit for hit in reversed(hits)}
            hits = [hit for hit in hits if unique[hit.row.content] is hit]
        return hits


def _whole_file(hit: Hit) -> Hit:
    """The hit with its file's whole text (chunk 0), or as it is if the file is gone."""
    try:
        text = Path(hit.row.source_path).read_bytes().decode("utf-8", errors="replace")
    except OSError:
        return hit
    return Hit(Row(hit.row.source_path, 0, text, hit.row.indexed_at), hit.similarity)


def go_float(value: float) -> str:
    """``value`` as Go's ``encoding/json`` writes a float64 (shortest form; exponent below
    1e-6 and from 1e21).
    """
    if value == int(value) and abs(value) < 1e21:
        return str(int(value))
    text = repr(value)
    if 1e-6 <= abs(value) < 1e21:
        return format(Decimal(text), "f") if "e" in text else text
    mantissa, _, exponent = text.partition("e")
    power = int(exponent)
    return f"{mantissa}e-{-power}" if power < 0 else f"{mantissa}e+{power:02d}"


def results_json(hits: list[Hit]) -> str:
    """The hits, best first (at most 10), as cagent's JSON list of ``QueryResult``."""
    ordered = sorted(hits, key=lambda hit: -hit.similarity)[:MAX_RESULTS]
    items = [
        f'{{"source_path":{go_json(h.row.source_path)},"content":{go_json(h.row.content)},'
        f'"similarity":{go_float(h.similarity)},"chunk_index":{h.row.chunk_index}}}'
        for h in ordered
    ]
    return f"[{','.join(items)}]"
