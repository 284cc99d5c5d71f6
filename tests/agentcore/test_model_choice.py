"""Which model answers: an alloy (``model: a,b``) picks one per call with the team's seeded
``rng``; ``model: auto`` takes the first provider with a key; a ``fallback`` retries 5xx on
the same model, moves on at 429 and other 4xx, and keeps a fallback for its ``cooldown``.
Each is recorded from the scripted provider and replayed offline, without sleeping.
"""

from __future__ import annotations

import functools
import random
from pathlib import Path
from typing import Any

import pytest

from agentcore import ConfigError
from agentcore.config import ModelConfig, load_config
from agentcore.config.parts.fallback import seconds
from agentcore.providers.auto import auto_model
from agentcore.providers.choice import ModelChoice
from tests.support.model_runs import body, record_and_replay, write_agent
from tests.support.network import NetworkCut
from tests.support.provider_server import ProviderServer

CHAT, MESSAGES = "/v1/chat/completions", "/v1/messages"
ALLOY = """\
models:
  a:
    provider: openai
    model: gpt-4o
    base_url: {url}/v1
  b:
    provider: anthropic
    model: claude-sonnet-4-0
    base_url: {url}
  duo:
    model: a,b
agents:
  root:
    model: {model}
    instruction: Answer.
"""


@pytest.mark.parametrize("model", ["a,b", "duo"])
def test_an_alloy_replays_the_choices_of_its_seeded_rng(
    tmp_path: Path, provider_server: ProviderServer, network_cut: NetworkCut, model: str
) -> None:
    prompts = [f"Question {n}" for n in range(6)]
    runs = record_and_replay(
        tmp_path,
        provider_server,
        network_cut,
        ALLOY.format(url=provider_server.url, model=model),
        prompts,
        lambda: {"env": {}, "rng": random.Random(7)},
    )
    seeded = random.Random(7)
    expected = [(CHAT, MESSAGES)[seeded.randrange(2)] for _ in prompts]
    assert [r.path for r in provider_server.requests] == expected
    assert set(expected) == {CHAT, MESSAGES}  # the seed picks both models
    assert runs.replayed == [f"You said: {p}" for p in prompts]


def test_a_nested_alloy_expands_to_its_models(tmp_path: Path) -> None:
    text = ALLOY.format(url="http://x", model="trio").replace(
        "agents:", "  trio:\n    model: duo, openai/gpt-4o-mini\nagents:"
    )
    config = load_config(write_agent(tmp_path, text))
    assert [m.name for m in config.models_for("root")] == ["a", "b", "openai/gpt-4o-mini"]


@pytest.mark.parametrize(
    ("keys", "provider", "model"),
    [
        (("OPENAI_API_KEY", "ANTHROPIC_API_KEY"), "anthropic", "claude-sonnet-4-5"),
        (("MISTRAL_API_KEY", "OPENAI_API_KEY"), "openai", "gpt-5-mini"),
        (("GEMINI_API_KEY", "MISTRAL_API_KEY"), "google", "gemini-2.5-flash"),
        (("MISTRAL_API_KEY",), "mistral", "mistral-small-latest"),
        ((), "dmr", "ai/qwen3:latest"),
    ],
)
def test_auto_takes_the_first_provider_with_a_key(
    keys: tuple[str, ...], provider: str, model: str
) -> None:
    chosen = auto_model(ModelConfig("auto", "auto", "auto"), dict.fromkeys(keys, "k"))
    assert (chosen.provider, chosen.model) == (provider, model)
    assert chosen.max_tokens == (16000 if provider == "dmr" else 32000)


def test_auto_refuses_to_fall_to_bedrock() -> None:
    with pytest.raises(ConfigError, match="amazon-bedrock"):
        auto_model(ModelConfig("auto", "auto", "auto"), {"AWS_PROFILE": "dev"})


AUTO = "agents:\n  root:\n    model: auto\n    instruction: Answer.\n"


def test_auto_with_an_anthropic_key_records_and_replays(
    tmp_path: Path, provider_server: ProviderServer, network_cut: NetworkCut
) -> None:
    env = {"ANTHROPIC_API_KEY": "test", "OPENAI_API_KEY": "test"}
    env["ANTHROPIC_BASE_URL"] = provider_server.url
    runs = record_and_replay(
        tmp_path, provider_server, network_cut, AUTO, ["Hi"], lambda: {"env": env}
    )
    assert [r.path for r in provider_server.requests] == [MESSAGES]
    sent = body(provider_server, 0)
    assert (sent["model"], sent["max_tokens"]) == ("claude-sonnet-4-5", 32000)
    assert runs.replayed == ["You said: Hi"]


def test_auto_without_keys_uses_the_model_runner(
    tmp_path: Path, provider_server: ProviderServer, network_cut: NetworkCut
) -> None:
    env = {"MODEL_RUNNER_HOST": provider_server.url}
    record_and_replay(tmp_path, provider_server, network_cut, AUTO, ["Hi"], lambda: {"env": env})
    assert [r.path for r in provider_server.requests] == [
        "/engines/_configure",
        "/engines/v1/chat/completions",
    ]
    assert body(provider_server, 0) == {"model": "ai/qwen3:latest", "context-size": 16000}


FALLBACK = """\
models:
  primary:
    provider: openai
    model: gpt-4o
    base_url: {url}/v1
  backup:
    provider: anthropic
    model: claude-sonnet-4-0
    base_url: {url}
agents:
  root:
    model: primary
    instruction: Answer.
    fallback:
      models: [backup]
{settings}"""


def fallback_run(
    tmp_path: Path,
    server: ProviderServer,
    network_cut: NetworkCut,
    prompts: list[str],
    settings: str = "",
    between: Any = lambda index: None,
) -> list[float]:
    """Run ``prompts`` recorded then replayed; the waits of the recording."""
    waits: list[list[float]] = []

    def options() -> dict[str, Any]:
        waits.append([])
        return {"env": {}, "sleep": waits[-1].append, "rng": random.Random(3)}

    text = FALLBACK.format(url=server.url, settings=settings)
    record_and_replay(tmp_path, server, network_cut, text, prompts, options, between)
    assert waits[0] == waits[1]  # the replay waited as the recording did (injected: no time)
    return waits[0]


def error(status: int) -> tuple[int, dict[str, str], bytes]:
    return (status, {}, b'{"error":{"message":"try later","type":"server_error"}}')


@pytest.mark.parametrize("status", [500, 503, 408, 529])
def test_a_server_error_is_retried_on_the_same_model(
    tmp_path: Path, provider_server: ProviderServer, network_cut: NetworkCut, status: int
) -> None:
    provider_server.failures = [error(status)]
    waits = fallback_run(tmp_path, provider_server, network_cut, ["Hi"])
    assert [r.path for r in provider_server.requests] == [CHAT, CHAT]
    assert len(waits) == 1
    assert 0.18 <= waits[0] <= 0.22


def test_server_errors_move_on_after_the_retries(
    tmp_path: Path, provider_server: ProviderServer, network_cut: NetworkCut
) -> None:
    provider_server.failures = [error(500)] * 3
    waits = fallback_run(tmp_path, provider_server, network_cut, ["Hi"])
    assert [r.path for r in provider_server.requests] == [CHAT, CHAT, CHAT, MESSAGES]
    assert [round(w, 1) for w in waits] == [0.2, 0.4]  # doubling, with jitter


def test_retries_minus_one_means_no_retry(
    tmp_path: Path, provider_server: ProviderServer, network_cut: NetworkCut
) -> None:
    provider_server.failures = [error(502)]
    waits = fallback_run(tmp_path, provider_server, network_cut, ["Hi"], "      retries: -1\n")
    assert [r.path for r in provider_server.requests] == [CHAT, MESSAGES]
    assert waits == []


@pytest.mark.parametrize("status", [429, 400, 404])
def test_a_refusal_moves_to_the_next_model_at_once(
    tmp_path: Path, provider_server: ProviderServer, network_cut: NetworkCut, status: int
) -> None:
    provider_server.failures = [error(status)]
    waits = fallback_run(tmp_path, provider_server, network_cut, ["Hi"])
    assert [r.path for r in provider_server.requests] == [CHAT, MESSAGES]
    assert waits == []


@pytest.mark.parametrize(
    ("settings", "times"),
    [("      cooldown: 30s\n", (100.0, 110.0, 131.0)), ("", (100.0, 159.0, 161.0))],
)
def test_the_fallback_is_kept_for_the_cooldown(
    tmp_path: Path,
    provider_server: ProviderServer,
    network_cut: NetworkCut,
    monkeypatch: pytest.MonkeyPatch,
    settings: str,
    times: tuple[float, float, float],
) -> None:
    """The 2nd prompt comes within the cooldown (default 60 s), the 3rd after it."""
    clock = [0.0]
    monkeypatch.setattr(
        "agentcore.team.ModelChoice", functools.partial(ModelChoice, now=lambda: clock[0])
    )

    def between(index: int) -> None:
        clock[0] = times[index]

    provider_server.failures = [error(429)]
    prompts = ["Hi", "Again", "Later"]
    fallback_run(tmp_path, provider_server, network_cut, prompts, settings, between)
    assert [r.path for r in provider_server.requests] == [CHAT, MESSAGES, MESSAGES, CHAT]


def test_cooldowns_are_go_durations() -> None:
    assert seconds("2m30s") == 150.0
    assert seconds("1h") == 3600.0
    assert seconds("500ms") == 0.5
    assert seconds("0") == 0.0
    assert seconds("90") is None
    assert seconds("1 m") is None
    assert seconds("s") is None


BAD = [
    (
        "    fallback:\n      models: [openai/gpt-4o-mini]\n      cooldown: soon\n",
        "line 7 (at agents.root.fallback.cooldown): expected a duration such as 30s, 1m or "
        "2m30s (or a number of seconds), got 'soon'",
    ),
    (
        "    fallback:\n      models: [openai/gpt-4o-mini]\n      retries: -3\n",
        "line 7 (at agents.root.fallback.retries): use -1 (no retries) or more",
    ),
    (
        "    fallback:\n      retries: 1\n",
        "line 6 (at agents.root.fallback): missing 'models'",
    ),
    (
        "    fallback:\n      models: [gtp]\n",
        "line 6 (at agents.root.fallback.models): model 'gtp' not found",
    ),
]


@pytest.mark.parametrize(("fallback", "message"), BAD)
def test_bad_fallback_settings_are_refused(tmp_path: Path, fallback: str, message: str) -> None:
    text = "agents:\n  root:\n    model: openai/gpt-4o\n    instruction: Hi.\n" + fallback
    with pytest.raises(ConfigError) as caught:
        load_config(write_agent(tmp_path, text))
    assert f"agent.yaml, {message}" in str(caught.value)


def test_an_alloy_that_lists_itself_is_refused(tmp_path: Path) -> None:
    text = "models:\n  duo:\n    model: duo,openai/gpt-4o\nagents:\n  root:\n    model: duo\n"
    with pytest.raises(ConfigError) as caught:
        load_config(write_agent(tmp_path, text))
    assert "agent.yaml, line 6 (at agents.root.model): the alloy 'duo' lists itself" in str(
        caught.value
    )
    assert "list other models" in str(caught.value)


def test_settings_on_an_alloy_are_refused_not_ignored(tmp_path: Path) -> None:
    text = (
        "models:\n  duo:\n    model: openai/gpt-4o,openai/gpt-4o-mini\n    temperature: 0.2\n"
        "agents:\n  root:\n    model: duo\n"
    )
    with pytest.raises(ConfigError) as caught:
        load_config(write_agent(tmp_path, text))
    assert "line 4 (at models.duo.temperature): 'temperature' has no effect on an alloy" in str(
        caught.value
    )
