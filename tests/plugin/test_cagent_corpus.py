"""Cassettes that cagent recorded against the real OpenAI, Anthropic, Gemini and Mistral
APIs load and replay unchanged: each recorded request, sent again with a plain client,
gets the recorded body back byte for byte, streamed one SSE event per chunk."""

from __future__ import annotations

from pathlib import Path

import httpx
import httpx2
import pytest

from pytest_agentcassette import use_cassette
from tests.support.cassettes import load_cassette
from tests.support.corpus import CAGENT_CORPUS
from tests.support.network import NetworkCut

CASSETTES = sorted(p.name for p in (CAGENT_CORPUS / "cassettes").glob("*.yaml")) or ["(absent)"]


@pytest.mark.parametrize("name", CASSETTES)
def test_a_cagent_cassette_replays_every_recorded_body(
    name: str, cagent_corpus: Path, network_cut: NetworkCut
) -> None:
    path = cagent_corpus / "cassettes" / name
    recorded = load_cassette(path, fix_hint="")
    assert recorded, "every corpus cassette holds interactions"
    raw_bodies = [i.response.body.content for i in recorded]
    before = path.read_bytes()

    with network_cut, use_cassette(path) as cassette, httpx.Client() as client:
        for interaction, expected in zip(recorded, raw_bodies, strict=False):
            request = interaction.request
            with client.stream(request.method, request.url, content=request.body.content) as r:
                chunks = list(r.iter_raw())
            assert r.status_code == interaction.response.status_code
            assert b"".join(chunks) == expected
            assert len(chunks) == expected.replace(b"\r\n", b"\n").count(b"\n\n")  # one per event

    assert len(cassette.played) == len(recorded)
    assert not cassette.saved
    assert path.read_bytes() == before
    assert network_cut.attempts == []


def test_cagent_request_bodies_match_whatever_the_json_key_order(
    cagent_corpus: Path, network_cut: NetworkCut
) -> None:
    path = cagent_corpus / "cassettes" / "TestExec_OpenAI_ToolCall.yaml"
    recorded = load_cassette(path, fix_hint="")
    with network_cut, use_cassette(path) as cassette, httpx2.Client() as client:
        for interaction in recorded:
            body = interaction.request.json()
            reordered = dict(reversed(list(body.items())))
            client.post(interaction.request.url, json=reordered).read()
    assert [i.id for i in cassette.played] == [i.id for i in recorded]
