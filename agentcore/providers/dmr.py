"""Docker Model Runner: OpenAI's Chat Completions at ``http://127.0.0.1:12434/engines/v1``
(``MODEL_RUNNER_HOST`` or ``base_url`` elsewhere). Before its first call, as cagent does,
the model is configured with ``POST {base without /v1}/_configure``: ``context-size`` (from
``max_tokens``), ``runtime-flags`` (llama.cpp flags from temperature, top_p and penalties, then
``provider_opts.runtime_flags``) and ``speculative`` decoding; a refusal is ignored.
"""

from __future__ import annotations

import contextlib
import json
import os
from typing import Any

import httpx

from agentcore.messages import Message, ToolDefinition
from agentcore.providers.openai_chat import OpenAIChat

__all__ = ["DmrChat", "configure_body", "dmr_base_url"]

_FLAGS = (
    ("temperature", "--temp"),
    ("top_p", "--top-p"),
    ("frequency_penalty", "--frequency-penalty"),
    ("presence_penalty", "--presence-penalty"),
)


def dmr_base_url(env: dict[str, str] | Any) -> str:
    """``MODEL_RUNNER_HOST``'s engines, or the runner in Docker Desktop or on this host."""
    host = str(env.get("MODEL_RUNNER_HOST", "")).strip()
    if host:
        return host.rstrip("/") + "/engines/v1"
    if os.path.isfile("/.dockerenv"):
        return "http://model-runner.docker.internal/engines/v1"
    return "http://127.0.0.1:12434/engines/v1"


def _merge_flags(derived: list[str], user: list[str]) -> list[str]:
    """The flags, a user's flag replacing the derived one of the same name."""
    names = {flag.split("=")[0] for flag in user if flag.startswith("-")}
    merged: list[str] = []
    skip = False
    for index, flag in enumerate(derived):
        if skip:
            skip = False
            continue
        if flag.startswith("-") and flag.split("=")[0] in names:
            nxt = derived[index + 1] if index + 1 < len(derived) else "-"
            skip = "=" not in flag and not nxt.startswith("-")
            continue
        merged.append(flag)
    return merged + user


def configure_body(provider: OpenAIChat) -> dict[str, Any]:
    """The body of ``_configure`` for this model (cagent's fields)."""
    model = provider.model
    opts = model.provider_opts
    body: dict[str, Any] = {"model": model.model}
    if model.max_tokens is not None:
        body["context-size"] = model.max_tokens
    derived: list[str] = []
    for key, flag in _FLAGS:
        value = getattr(model, key)
        if value is not None:
            derived += [flag, format(value, "g")]
    raw = opts.get("runtime_flags", [])
    user = [str(f) for f in raw] if isinstance(raw, list) else str(raw).replace(",", " ").split()
    flags = _merge_flags(derived, user)
    if flags:
        body["runtime-flags"] = flags
    speculative = {
        name: opts[key]
        for key, name in (
            ("speculative_draft_model", "draft_model"),
            ("speculative_num_tokens", "num_tokens"),
            ("speculative_acceptance_rate", "min_acceptance_rate"),
        )
        if opts.get(key)
    }
    if speculative:
        body["speculative"] = speculative
    return body


class DmrChat(OpenAIChat):
    """Chat Completions on the Model Runner, configured once before the first call."""

    configured = False

    def request(
        self, messages: list[Message], tools: list[ToolDefinition]
    ) -> tuple[str, dict[str, Any], dict[str, str]]:
        """Configure the model first (once), then the usual request."""
        if not self.configured:
            self.configured = True
            url = self.base_url.removesuffix("/v1") + "/_configure"
            content = json.dumps(configure_body(self), separators=(",", ":")).encode()
            with contextlib.suppress(httpx.HTTPError):  # cagent goes on regardless
                self.http.client.post(
                    url, content=content, headers={"content-type": "application/json"}
                ).close()
        return super().request(messages, tools)
