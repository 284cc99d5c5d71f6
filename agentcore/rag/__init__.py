"""Retrieval over local documents (cagent's ``rag:``): sources, strategies, the search tool.

config.py reads ``rag:``; chunking.py finds and cuts the files; bm25.py and embeddings.py
are the two strategies (each an index in SQLite); fusion.py combines them; rerank.py asks a
chat model to re-score; tool.py is the search tool an agent's ``rag: [names]`` adds.
"""
