"""Switching models mid-run: the ``model_picker`` toolset (``change_model`` /
``revert_model``, cagent's texts) and a toolset's ``model`` (the turn that reads its
results), recorded once and replayed with the provider gone."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import agentcore
from agentcore.errors import ConfigError
from pytest_agentcassette import use_cassette
from tests.support.agents import results, sent
from tests.support.network import NetworkCut
from tests.support.provider_server import ProviderServer
from tests.support.wire_formats import Reply

PICKER = """\
agents:
  root:
    model: main
    instruction: Work.
    toolsets:
      - type: model_picker
        models: [fast, main]
"""
ROUTED = """\
agents:
  root:
    model: main
    instruction: Work.
    toolsets:
      - type: think
        model: fast
      - type: todo
"""


def _load(tmp_path: Path, server: ProviderServer, agents: str) -> agentcore.Team:
    path = tmp_path / "agent.yaml"
    models = "".join(
        f"  {name}:\n    provider: openai\n    model: {model}\n    base_url: {server.url}/v1\n"
        for name, model in (("main", "gpt-4o"), ("fast", "gpt-4o-mini"))
    )
    path.write_text(f"models:\n{models}{agents}")
    return agentcore.load(path, working_dir=tmp_path, env={})


def _models(server: ProviderServer) -> list[str]:
    return [json.loads(request.body)["model"] for request in server.requests]


def test_change_and_revert_model_record_then_replay(
    tmp_path: Path, provider_server: ProviderServer, network_cut: NetworkCut
) -> None:
    provider_server.script = [
        Reply(tool=("change_model", {"model": "fast"})),
        Reply(tool=("change_model", {"model": "huge"})),
        Reply(tool=("revert_model", {})),
        Reply("Back."),
    ]
    cassette = tmp_path / "picker.yaml"
    with (
        use_cassette(cassette, record_mode="once"),
        _load(tmp_path, provider_server, PICKER) as team,
    ):
        recorded = team.run("Go")
    assert _models(provider_server) == ["gpt-4o", "gpt-4o-mini", "gpt-4o-mini", "gpt-4o"]
    tools = json.loads(provider_server.requests[0].body)["tools"]
    assert [t["function"] for t in tools] == [
        {
            "name": "change_model",
            "description": "Change the current model to one of the available models: fast, "
            "main. Use this when you need a different model for the current task.",
            "parameters": {
                "additionalProperties": False,
                "properties": {
                    "model": {
                        "description": "The model to switch to. Must be one of the available "
                        "models.",
                        "type": "string",
                    }
                },
                "required": ["model"],
                "type": "object",
            },
        },
        {
            "name": "revert_model",
            "description": "Revert to the agent's original/default model. Use this after "
            "completing a task that required a different model.",
            "parameters": {
                "additionalProperties": False,
                "properties": {},
                "required": [],
                "type": "object",
            },
        },
    ]
    assert sent(provider_server, 0)[1]["content"] == (
        "## Model Switching\n\nAvailable models: fast, main.\n\n"
        "Use `change_model` to switch to a model better suited for the current task "
        "(e.g., faster model for simple tasks, more capable model for complex reasoning).\n"
        "Use `revert_model` to return to the original model when done."
    )
    expected = [
        ("change_model", "Model changed to fast"),
        ("change_model", 'model "huge" is not in the allowed list. Available models: fast, main'),
        ("revert_model", "Model reverted to the agent's default model"),
    ]
    assert results(recorded) == expected
    provider_server.stop()

    with network_cut, use_cassette(cassette), _load(tmp_path, provider_server, PICKER) as team:
        replayed = team.run("Go")
    assert results(replayed) == expected
    assert replayed.output == "Back."
    assert network_cut.attempts == []


def test_the_picked_model_stays_for_the_next_turns(
    tmp_path: Path, provider_server: ProviderServer
) -> None:
    provider_server.script = [
        Reply(tool=("change_model", {"model": "fast"})),
        Reply("a"),
        Reply("b"),
    ]
    with _load(tmp_path, provider_server, PICKER) as team, team.session() as session:
        list(session.stream("one"))
        list(session.stream("two"))
    assert _models(provider_server) == ["gpt-4o", "gpt-4o-mini", "gpt-4o-mini"]


def test_a_toolsets_model_reads_its_results_record_then_replay(
    tmp_path: Path, provider_server: ProviderServer, network_cut: NetworkCut
) -> None:
    provider_server.script = [
        Reply(tool=("think", {"thought": "plan"})),
        Reply(tool=("list_todos", {})),
        Reply("Done."),
    ]
    cassette = tmp_path / "routed.yaml"
    with (
        use_cassette(cassette, record_mode="once"),
        _load(tmp_path, provider_server, ROUTED) as team,
    ):
        recorded = team.run("Go", yolo=True)
    # the turn after think's result uses fast; the one after list_todos the agent's model
    assert _models(provider_server) == ["gpt-4o", "gpt-4o-mini", "gpt-4o"]
    provider_server.stop()

    with network_cut, use_cassette(cassette), _load(tmp_path, provider_server, ROUTED) as team:
        replayed = team.run("Go", yolo=True)
    assert results(replayed) == results(recorded)
    assert replayed.output == "Done."
    assert network_cut.attempts == []


@pytest.mark.parametrize(
    ("agents", "message"),
    [
        (
            PICKER.replace("[fast, main]", "[fats]"),
            "line 10 (at agents.root.toolsets[0].models[0]): model 'fats' not found",
        ),
        (PICKER.replace("        models: [fast, main]\n", ""), "missing 'models'"),
        (
            ROUTED.replace("model: fast", "model: nope"),
            "line 10 (at agents.root.toolsets[0].model): model 'nope' not found",
        ),
        (
            ROUTED.replace("      - type: todo\n", "      - type: todo\n        models: [a]\n"),
            "unknown key 'models'",
        ),
    ],
)
def test_the_models_named_are_checked(tmp_path: Path, agents: str, message: str) -> None:
    path = tmp_path / "agent.yaml"
    path.write_text(
        "models:\n  main: {provider: openai, model: gpt-4o}\n"
        "  fast: {provider: openai, model: gpt-4o-mini}\n" + agents
    )
    with pytest.raises(ConfigError, match=re.escape(message)):
        agentcore.load(path)


def test_inline_refs_are_models_too(tmp_path: Path) -> None:
    path = tmp_path / "agent.yaml"
    path.write_text(
        PICKER.replace("[fast, main]", "[openai/gpt-4o-mini, anthropic/claude-haiku-4-5]").replace(
            "model: main", "model: openai/gpt-4o"
        )
    )
    team = agentcore.load(path, env={})
    assert {"openai/gpt-4o-mini", "anthropic/claude-haiku-4-5"} <= set(team.config.models)
    team.close()
