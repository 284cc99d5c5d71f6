"""The base URL variables the official SDKs read (``OPENAI_BASE_URL``,
``ANTHROPIC_BASE_URL``, ``GOOGLE_GEMINI_BASE_URL``) apply when the agent file sets no
``base_url``; a ``base_url`` in the file wins."""

from __future__ import annotations

from pathlib import Path

import pytest

import agentcore
from tests.support.provider_server import ProviderServer

NOWHERE = "http://127.0.0.1:9"  # nothing listens there

MODELS = {
    # provider: (model, variable, base path on the scripted server, path of the request)
    "openai": ("gpt-4o", "OPENAI_BASE_URL", "/v1", "/v1/chat/completions"),
    "anthropic": ("claude-sonnet-4-0", "ANTHROPIC_BASE_URL", "", "/v1/messages"),
    "google": (
        "gemini-2.5-flash",
        "GOOGLE_GEMINI_BASE_URL",
        "/",
        "/v1beta/models/gemini-2.5-flash:streamGenerateContent",
    ),
}
KEYS = {"OPENAI_API_KEY": "k", "ANTHROPIC_API_KEY": "k", "GOOGLE_API_KEY": "k"}


def _agent_file(tmp_path: Path, provider: str, base_url: str | None = None) -> Path:
    model = MODELS[provider][0]
    line = f"    base_url: {base_url}\n" if base_url else ""
    path = tmp_path / "agent.yaml"
    path.write_text(
        f"models:\n  main:\n    provider: {provider}\n    model: {model}\n{line}"
        "agents:\n  root:\n    model: main\n    instruction: Answer.\n"
    )
    return path


@pytest.mark.parametrize("provider", MODELS)
def test_the_sdks_variable_sends_the_requests_there(
    tmp_path: Path, provider_server: ProviderServer, provider: str
) -> None:
    _, variable, base, path = MODELS[provider]
    env = {**KEYS, variable: provider_server.url + base}
    with agentcore.load(_agent_file(tmp_path, provider), working_dir=tmp_path, env=env) as team:
        assert team.run("hi").output == "You said: hi"
    assert [r.path.split("?")[0] for r in provider_server.requests] == [path]


@pytest.mark.parametrize("provider", MODELS)
def test_a_base_url_in_the_file_wins_over_the_variable(
    tmp_path: Path, provider_server: ProviderServer, provider: str
) -> None:
    _, variable, base, _ = MODELS[provider]
    agent = _agent_file(tmp_path, provider, provider_server.url + base)
    env = {**KEYS, variable: NOWHERE + base}
    with agentcore.load(agent, working_dir=tmp_path, env=env) as team:
        assert team.run("hi").output == "You said: hi"
    assert len(provider_server.requests) == 1


@pytest.mark.parametrize(
    ("provider", "env", "expected"),
    [
        ("openai", {}, "https://api.openai.com/v1"),
        ("openai", {"OPENAI_BASE_URL": " "}, "https://api.openai.com/v1"),  # blank: unset
        ("anthropic", {"OPENAI_BASE_URL": NOWHERE}, "https://api.anthropic.com"),
        ("mistral", {"OPENAI_BASE_URL": NOWHERE}, "https://api.mistral.ai/v1"),
        ("xai", {"OPENAI_BASE_URL": NOWHERE}, "https://api.x.ai/v1"),
    ],
)
def test_each_variable_applies_to_its_own_provider_only(
    tmp_path: Path, provider: str, env: dict[str, str], expected: str
) -> None:
    path = tmp_path / "agent.yaml"
    path.write_text(
        f"models:\n  main:\n    provider: {provider}\n    model: some-model\n"
        "agents:\n  root:\n    model: main\n    instruction: Answer.\n"
    )
    with agentcore.load(path, working_dir=tmp_path, env=env) as team:
        assert team.provider_for("root").base_url == expected
