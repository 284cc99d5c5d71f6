"""``provider_opts``: the options cagent reads for each provider agentcore has; any other key
is refused (never ignored), naming the key, the file and the line.
"""

from __future__ import annotations

from typing import Any

import yaml

from agentcore.config.nodes import Document, mapping

__all__ = ["PROVIDER_OPTS", "check_provider_opts"]

_DMR = (
    "runtime_flags",
    "speculative_draft_model",
    "speculative_num_tokens",
    "speculative_acceptance_rate",
)
PROVIDER_OPTS: dict[str, tuple[str, ...]] = {
    "openai": ("api_type",),
    "anthropic": ("api_type", "interleaved_thinking"),
    "google": ("api_type",),
    "dmr": ("api_type", *_DMR),
}
"""The keys agentcore honours, by wire api (``dmr`` apart: it is OpenAI's api plus these)."""

_HINTS = {
    "context_size": "DMR takes the context size from max_tokens; set max_tokens instead",
    "project": "Vertex AI is not supported yet by agentcore; use a Gemini API key",
    "location": "Vertex AI is not supported yet by agentcore; use a Gemini API key",
    "api_version": "it is for Azure OpenAI, which agentcore does not support yet",
}


_TYPES: dict[str, tuple[tuple[type, ...], str]] = {
    "interleaved_thinking": ((bool,), "true or false"),
    "runtime_flags": ((str, list), "a string or a list of flags"),
    "speculative_draft_model": ((str,), "a model name"),
    "speculative_num_tokens": ((int,), "a whole number"),
    "speculative_acceptance_rate": ((int, float), "a number"),
}


def _fits(name: str, value: Any) -> bool:
    kinds = _TYPES[name][0] if name in _TYPES else (object,)
    if isinstance(value, bool) and bool not in kinds:
        return False
    return isinstance(value, kinds)


def check_provider_opts(
    doc: Document, node: yaml.Node, where: str, provider: str, api: str, opts: dict[str, Any]
) -> None:
    """Refuse keys that ``provider`` (speaking ``api``) does not read, and values of the
    wrong type.
    """
    allowed = PROVIDER_OPTS["dmr" if provider == "dmr" else api]
    for name, key_node, value_node in mapping(doc, node, where):
        at = f"{where}.{name}"
        if name not in allowed:
            hint = _HINTS.get(name, f"{provider} reads only: {', '.join(allowed)}")
            raise doc.error(
                key_node,
                at,
                f"provider_opts '{name}' is not supported yet by agentcore for provider "
                f"'{provider}' ({hint}); remove it to run this file here",
            )
        if not _fits(name, opts[name]):
            raise doc.error(value_node, at, f"expected {_TYPES[name][1]}, got {opts[name]!r}")
