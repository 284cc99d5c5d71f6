"""Record a session against the provider server through the plugin, then replay it with the
server stopped and the network cut: the model-level features (thinking, DMR, alloys,
fallbacks) must send the same requests in both runs.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import agentcore
from pytest_agentcassette import use_cassette
from pytest_agentcassette._cassette.cassette import Cassette
from tests.support.network import NetworkCut
from tests.support.provider_server import ProviderServer

__all__ = ["Runs", "body", "record_and_replay", "write_agent"]


@dataclass
class Runs:
    """The outputs of the recorded run and of the replay, and the replaying cassette."""

    recorded: list[str]
    replayed: list[str]
    replay: Cassette


def write_agent(tmp_path: Path, text: str) -> Path:
    """``text`` as ``agent.yaml`` in ``tmp_path`` (and a ``work`` folder beside it)."""
    (tmp_path / "work").mkdir(exist_ok=True)
    path = tmp_path / "agent.yaml"
    path.write_text(text)
    return path


def _run(path: Path, prompts: Sequence[str], options: dict[str, Any], between: Any) -> list[str]:
    outputs: list[str] = []
    with agentcore.load(path, working_dir=path.parent / "work", **options) as team:
        session = team.session()
        for index, prompt in enumerate(prompts):
            between(index)
            list(session.stream(prompt))
            outputs.append(session.messages[-1].content)
    return outputs


def record_and_replay(
    tmp_path: Path,
    server: ProviderServer,
    network_cut: NetworkCut,
    text: str,
    prompts: Sequence[str],
    options: Callable[[], dict[str, Any]] = lambda: {"env": {}},
    between: Callable[[int], None] = lambda index: None,
) -> Runs:
    """Run ``prompts`` in one session of the agent file ``text``, recorded, then replayed;
    ``options`` makes the team's keyword arguments for each run, ``between(i)`` runs
    before the i-th prompt, from 0 (to set an injected clock).
    """
    path = write_agent(tmp_path, text)
    cassette = tmp_path / "session.yaml"
    with use_cassette(cassette, record_mode="once"):
        recorded = _run(path, prompts, options(), between)
    server.stop()
    with network_cut, use_cassette(cassette) as replay:
        replayed = _run(path, prompts, options(), between)
    assert network_cut.attempts == []
    assert replayed == recorded
    assert replay.unplayed == []
    return Runs(recorded, replayed, replay)


def body(server: ProviderServer, index: int) -> dict[str, Any]:
    """The JSON body of the index-th request the server received."""
    value = json.loads(server.requests[index].body)
    assert isinstance(value, dict)
    return value
