"""Whether and how much a model reasons in a session, by cagent's rules: thinking is on for a
session whose first agent sets a ``thinking_budget``; then each model reasons with its own
budget, or its provider's default (OpenAI ``medium``, Anthropic 8192 tokens with interleaved
thinking, Gemini 2.5 dynamic, Gemini 3 Pro ``high`` and Flash ``medium``).
"""

from __future__ import annotations

from agentcore.config.model import ModelConfig
from agentcore.config.parts.thinking import is_gemini3

__all__ = ["budget_for", "interleaved"]


def _default(api: str, model: str) -> int | str | None:
    name = model.lower()
    if api == "openai":
        return "medium"
    if api == "anthropic":
        return 8192
    if api == "google" and name.startswith("gemini-2.5-"):
        return -1
    if api == "google" and is_gemini3(name):
        family = name.split("-", 2)[2] if name.count("-") >= 2 else ""
        if family.startswith("pro"):
            return "high"
        if family.startswith("flash"):
            return "medium"
    return None


def budget_for(model: ModelConfig, api: str, thinking: bool) -> int | str | None:
    """The budget sent for ``model`` (speaking ``api``), or None: no reasoning fields."""
    if not thinking:
        return None
    if model.thinking_budget not in (None, 0, "none"):
        return model.thinking_budget
    return _default(api, model.model)


def interleaved(model: ModelConfig, thinking: bool) -> bool:
    """Anthropic's interleaved thinking: on with thinking, unless ``provider_opts`` says no."""
    return thinking and model.provider_opts.get("interleaved_thinking", True) is not False
