"""Providers over httpx: one wire format per module, chosen by cagent's rules.

``openai`` models go to Chat Completions, or to the Responses API for the models cagent
routes there (gpt-4.1*, o1/o3/o4*, gpt-5*, codex) or when ``api_type: openai_responses``;
Mistral, xAI, Nebius, the other OpenAI-compatible aliases and custom ``providers:`` speak
Chat Completions at their own base URL; ``anthropic`` and ``google`` have their own.
"""

from __future__ import annotations

from collections.abc import Mapping

from agentcore.config.model import Config, ModelConfig
from agentcore.providers.anthropic import Anthropic
from agentcore.providers.auto import auto_model
from agentcore.providers.base import HttpExchange, ModelTurn, Provider, Sleep, TextDelta, api_key
from agentcore.providers.catalog import BUILTIN_PROVIDERS, uses_responses_api
from agentcore.providers.dmr import DmrChat, dmr_base_url
from agentcore.providers.gemini import Gemini
from agentcore.providers.openai_chat import OpenAIChat
from agentcore.providers.openai_responses import OpenAIResponses

__all__ = ["HttpExchange", "ModelTurn", "Provider", "Sleep", "TextDelta", "create_provider"]


def create_provider(
    model: ModelConfig,
    config: Config,
    http: HttpExchange,
    env: Mapping[str, str],
    *,
    thinking: bool = False,
) -> Provider:
    """The provider that serves ``model``; its key is read from ``env`` now, and a missing
    key only matters if a request is refused for it (a replay needs none); ``thinking``:
    whether the session reasons.
    """
    if model.provider == "auto":
        model = auto_model(model, env)
    provider = _create(model, config, http, env)
    provider.thinking = thinking
    return provider


def _create(
    model: ModelConfig, config: Config, http: HttpExchange, env: Mapping[str, str]
) -> Provider:
    custom = config.providers.get(model.provider)
    if custom is not None:
        api_type = model.provider_opts.get("api_type", custom.api_type)
        token_key = model.token_key or custom.token_key
        names = (token_key,) if token_key else ()
        key, missing = api_key(model, names, env) if names else ("", None)
        kind: type[Provider] = OpenAIResponses if api_type == "openai_responses" else OpenAIChat
        base_url = model.base_url or custom.base_url
        return kind(
            model, base_url=base_url, key=key, missing_key=missing, http=http, name=model.provider
        )
    spec = BUILTIN_PROVIDERS[model.provider]
    key, missing = api_key(model, spec.key_variables, env)
    # as the official SDKs: the file's base_url, else their variable, else the default
    from_env = env.get(spec.base_url_variable, "").strip() if spec.base_url_variable else ""
    base_url = model.base_url or from_env or spec.base_url
    if model.provider == "dmr":
        base_url = model.base_url or dmr_base_url(env)
        return DmrChat(model, base_url=base_url, key="", missing_key=None, http=http, name="dmr")
    if spec.api == "anthropic":
        kind = Anthropic
    elif spec.api == "google":
        kind = Gemini
    elif model.provider_opts.get("api_type") == "openai_responses" or (
        "api_type" not in model.provider_opts and uses_responses_api(model.provider, model.model)
    ):
        kind = OpenAIResponses
    else:
        kind = OpenAIChat
    return kind(
        model, base_url=base_url, key=key, missing_key=missing, http=http, name=model.provider
    )
