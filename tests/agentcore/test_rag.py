"""``rag:`` sources: their search tool as the model sees it and its answers, recorded through
the plugin and replayed with the provider gone; and the config errors."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from agentcore import ConfigError, Team, load_config
from pytest_agentcassette import use_cassette
from tests.support.provider_server import ProviderServer
from tests.support.wire_formats import Reply

GUIDE = "Blorks are small blue creatures.\nThey eat glowing moss in caves.\n"
NOTES = "Field notes: the moss grows near water.\nRivers carry spores.\n"

STRATEGIES = {
    "bm25": "      - type: bm25\n        database: ./bm25.db\n",
    "embeddings": (
        "      - type: chunked-embeddings\n        embedding_model: embedder\n"
        "        database: ./vectors.db\n        vector_dimensions: 8\n        threshold: 0.1\n"
    ),
}


def _project(tmp_path: Path, url: str, kinds: list[str]) -> Path:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "guide.txt").write_text(GUIDE)
    (tmp_path / "docs" / "notes.txt").write_text(NOTES)
    strategies = "".join(STRATEGIES[kind] for kind in kinds)
    path = tmp_path / "agent.yaml"
    path.write_text(
        "agents:\n  root:\n    model: chat\n    instruction: Answer.\n    rag: [kb]\n"
        f"models:\n  chat:\n    provider: openai\n    model: gpt-4o\n    base_url: {url}/v1\n"
        f"  embedder:\n    provider: openai\n    model: text-embedding-3-small\n"
        f"    base_url: {url}/v1\n"
        "rag:\n  kb:\n    tool:\n      description: blork documents\n    docs: [./docs]\n"
        f"    strategies:\n{strategies}"
        "    results:\n      limit: 3\n"
    )
    return path


def _indexed_at() -> datetime:
    return datetime(2026, 1, 2, 3, 4, 5)


def _run(path: Path, cassette: Path) -> list[str]:
    env = {"OPENAI_API_KEY": "k"}
    with (
        use_cassette(cassette, record_mode="once"),
        # a fixed clock: a reranking prompt shows when each chunk was indexed
        Team(load_config(path), working_dir=path.parent, env=env, clock=_indexed_at) as team,
    ):
        result = team.run("What do blorks eat?", yolo=True)
    return [m.content for m in result.messages if m.role == "tool"]


@pytest.mark.parametrize("kinds", [["bm25"], ["embeddings"], ["embeddings", "bm25"]])
def test_the_search_tool_records_and_replays(tmp_path: Path, kinds: list[str]) -> None:
    server = ProviderServer().start()
    server.script = [Reply(tool=("kb", {"query": "blorks eat moss"})), Reply(text="Moss.")]
    path = _project(tmp_path, server.url, kinds)
    cassette = tmp_path / "rag.yaml"
    try:
        recorded = _run(path, cassette)
    finally:
        server.stop()
    chats = [json.loads(r.body) for r in server.requests if r.path.endswith("/chat/completions")]
    tool = chats[0]["tools"][0]["function"]
    assert tool == {
        "name": "kb",
        "description": "blork documents",
        "parameters": {
            "additionalProperties": False,
            "properties": {"query": {"description": "Search query", "type": "string"}},
            "required": ["query"],
            "type": "object",
        },
    }
    found = json.loads(recorded[0])
    assert found[0]["source_path"] == str(tmp_path / "docs" / "guide.txt")
    assert found[0]["content"] == GUIDE.strip()
    assert list(found[0]) == ["source_path", "content", "similarity", "chunk_index"]
    assert 0 < found[0]["similarity"] <= 1
    for database in tmp_path.glob("*.db"):
        database.unlink()  # a replay indexes again, from the recorded embeddings
    assert _run(path, cassette) == recorded


@pytest.mark.parametrize(
    ("rag", "message"),
    [
        ("    strategies: []\n", "no strategies configured"),
        ("    strategies:\n      - type: vectors\n", "unknown strategy type 'vectors'"),
        (
            "    strategies:\n      - type: semantic-embeddings\n",
            "strategy 'semantic-embeddings' is not supported yet",
        ),
        ("    strategies:\n      - type: chunked-embeddings\n", "missing 'embedding_model'"),
        (
            "    strategies:\n      - type: bm25\n        chunking: {code_aware: true}\n",
            "code-aware chunking (tree-sitter) is not supported yet",
        ),
        ("    respect_vcs: false\n", "'respect_vcs' is not supported yet"),
    ],
)
def test_config_errors_name_the_place(tmp_path: Path, rag: str, message: str) -> None:
    path = tmp_path / "agent.yaml"
    path.write_text(
        "agents:\n  root:\n    model: openai/gpt-4o\n    rag: [kb]\nrag:\n  kb:\n" + rag
    )
    with pytest.raises(ConfigError, match="line") as error:
        load_config(path)
    assert message in str(error.value)
    assert "rag.kb" in str(error.value)


def test_an_agent_names_a_source_that_does_not_exist(tmp_path: Path) -> None:
    path = tmp_path / "agent.yaml"
    path.write_text("agents:\n  root:\n    model: openai/gpt-4o\n    rag: [kb]\n")
    with pytest.raises(ConfigError, match=r"line 4 \(at agents.root.rag\[0\]\): rag source 'kb'"):
        load_config(path)


def test_reranking_asks_the_model_for_scores_and_reorders_the_results(tmp_path: Path) -> None:
    server = ProviderServer().start()
    server.script = [
        Reply(tool=("kb", {"query": "blorks eat moss"})),
        Reply(text='{"scores": [0.2, 0.9]}'),  # the reranking call: notes first, guide dropped
        Reply(text="Moss."),
    ]
    path = _project(tmp_path, server.url, ["bm25"])
    path.write_text(
        path.read_text().replace(
            "    results:\n      limit: 3\n",
            "    results:\n      limit: 3\n      reranking:\n        model: chat\n",
        )
    )
    cassette = tmp_path / "rerank.yaml"
    try:
        recorded = _run(path, cassette)
    finally:
        server.stop()
    chats = [json.loads(r.body) for r in server.requests if r.path.endswith("/chat/completions")]
    assert len(chats) == 3
    rerank = chats[1]
    assert rerank["temperature"] == 0
    assert rerank["response_format"]["json_schema"]["name"] == "rerank_scores"
    assert "blorks eat moss" in json.dumps(rerank["messages"])
    found = json.loads(recorded[0])
    assert [hit["source_path"] for hit in found] == [str(tmp_path / "docs" / "notes.txt")]
    for database in tmp_path.glob("*.db"):
        database.unlink()
    assert _run(path, cassette) == recorded
