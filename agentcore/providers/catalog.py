"""The providers agentcore knows, with cagent's endpoints and key variables, so that
sessions recorded by either runtime name the same URLs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["BUILTIN_PROVIDERS", "NOT_SUPPORTED_PROVIDERS", "ProviderSpec", "uses_responses_api"]


@dataclass(frozen=True)
class ProviderSpec:
    """How to reach a provider: its wire ``api``, default ``base_url``, key variables, and
    the variable its official SDK reads a base URL from (``base_url_variable``), which
    applies when the agent file sets no ``base_url``.
    """

    name: str
    api: str  # "openai" (Chat Completions or Responses), "anthropic" or "google"
    base_url: str
    key_variables: tuple[str, ...]
    base_url_variable: str = ""


BUILTIN_PROVIDERS = {
    spec.name: spec
    for spec in (
        ProviderSpec(
            "openai", "openai", "https://api.openai.com/v1", ("OPENAI_API_KEY",), "OPENAI_BASE_URL"
        ),
        ProviderSpec(
            "anthropic",
            "anthropic",
            "https://api.anthropic.com",
            ("ANTHROPIC_API_KEY",),
            "ANTHROPIC_BASE_URL",
        ),
        ProviderSpec(
            "google",
            "google",
            "https://generativelanguage.googleapis.com/",
            ("GOOGLE_API_KEY", "GEMINI_API_KEY"),
            "GOOGLE_GEMINI_BASE_URL",
        ),
        ProviderSpec("mistral", "openai", "https://api.mistral.ai/v1", ("MISTRAL_API_KEY",)),
        ProviderSpec("xai", "openai", "https://api.x.ai/v1", ("XAI_API_KEY",)),
        ProviderSpec("nebius", "openai", "https://api.studio.nebius.com/v1", ("NEBIUS_API_KEY",)),
        ProviderSpec("requesty", "openai", "https://router.requesty.ai/v1", ("REQUESTY_API_KEY",)),
        ProviderSpec("minimax", "openai", "https://api.minimax.io/v1", ("MINIMAX_API_KEY",)),
        ProviderSpec("ollama", "openai", "http://localhost:11434/v1", ()),
        ProviderSpec("dmr", "openai", "http://127.0.0.1:12434/engines/v1", ()),
    )
}
"""Built-in providers (cagent's core providers and its OpenAI-compatible aliases)."""

NOT_SUPPORTED_PROVIDERS = ("amazon-bedrock", "azure")
"""Providers cagent has that agentcore does not implement yet."""

_RESPONSES_MODELS = re.compile(r"^(gpt-4\.1|o1|o3|o4|gpt-5|codex)|-codex$")


def uses_responses_api(provider: str, model: str) -> bool:
    """Whether cagent sends this OpenAI model to the Responses API rather than Chat Completions."""
    return provider == "openai" and bool(_RESPONSES_MODELS.search(model))
