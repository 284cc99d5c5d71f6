"""``model: auto``: the first provider with a key, in cagent's order (anthropic, openai,
google, mistral; Docker Model Runner when none is set), with cagent's default model.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from agentcore.config.model import ModelConfig
from agentcore.errors import ConfigError

__all__ = ["DEFAULT_MODELS", "auto_model"]

DEFAULT_MODELS = {
    "anthropic": "claude-sonnet-4-5",
    "openai": "gpt-5-mini",
    "google": "gemini-2.5-flash",
    "mistral": "mistral-small-latest",
    "dmr": "ai/qwen3:latest",
}
_KEYS = (
    ("anthropic", ("ANTHROPIC_API_KEY",)),
    ("openai", ("OPENAI_API_KEY",)),
    ("google", ("GOOGLE_API_KEY", "GEMINI_API_KEY", "GOOGLE_GENAI_USE_VERTEXAI")),
    ("mistral", ("MISTRAL_API_KEY",)),
)
_BEDROCK = ("AWS_BEARER_TOKEN_BEDROCK", "AWS_ACCESS_KEY_ID", "AWS_PROFILE", "AWS_ROLE_ARN")


def auto_model(model: ModelConfig, env: Mapping[str, str]) -> ModelConfig:
    """``model`` (named ``auto``) resolved: provider, default model, and cagent's
    ``max_tokens`` (32000; 16000 for DMR).
    """
    provider = next((name for name, keys in _KEYS if any(env.get(k) for k in keys)), "")
    if not provider and any(env.get(key) for key in _BEDROCK):
        raise ConfigError(
            "model 'auto' would use amazon-bedrock (AWS credentials are set), which agentcore "
            "does not support yet; set ANTHROPIC_API_KEY or OPENAI_API_KEY, or name a model"
        )
    provider = provider or "dmr"
    return dataclasses.replace(
        model,
        provider=provider,
        model=DEFAULT_MODELS[provider],
        max_tokens=16000 if provider == "dmr" else 32000,
    )
