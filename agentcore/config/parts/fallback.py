"""An agent's ``fallback``: ``{models, retries, cooldown}`` (cagent's ``FallbackConfig``)."""

from __future__ import annotations

import re

import yaml

from agentcore.config.model import FallbackConfig
from agentcore.config.nodes import Document, check_keys, mapping, name_list, typed, value_of

__all__ = ["FALLBACK_KEYS", "read_fallback", "seconds"]

FALLBACK_KEYS = ("models", "retries", "cooldown")
_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")


def seconds(text: str) -> float | None:
    """A Go duration (``1m``, ``30s``, ``2m30s``) in seconds, or None if it is not one."""
    text = text.strip()
    if text in ("", "0"):
        return 0.0
    total, at = 0.0, 0
    for part in _PART.finditer(text):
        if part.start() != at:
            return None
        total += float(part.group(1)) * _UNITS[part.group(2)]
        at = part.end()
    return total if at == len(text) else None


def read_fallback(doc: Document, node: yaml.Node, where: str) -> tuple[FallbackConfig, yaml.Node]:
    """The fallback settings, and the node of ``models`` (to point at a model not found)."""
    keys = check_keys(doc, mapping(doc, node, where), where, FALLBACK_KEYS)
    if "models" not in keys:
        raise doc.error(node, where, "missing 'models' (the models to try, e.g. [openai/gpt-4o])")
    models = tuple(name for name, _ in name_list(doc, keys["models"], f"{where}.models"))
    retries = 0
    if "retries" in keys:
        retries = typed(doc, keys["retries"], f"{where}.retries", int, "a whole number")
        if retries < -1:
            raise doc.error(keys["retries"], f"{where}.retries", "use -1 (no retries) or more")
    cooldown = 0.0
    if "cooldown" in keys:
        raw = value_of(doc, keys["cooldown"], f"{where}.cooldown")
        found = float(raw) if isinstance(raw, int) and not isinstance(raw, bool) else None
        found = seconds(raw) if isinstance(raw, str) else found
        if found is None:
            raise doc.error(
                keys["cooldown"],
                f"{where}.cooldown",
                f"expected a duration such as 30s, 1m or 2m30s (or a number of seconds), "
                f"got {raw!r}",
            )
        cooldown = found
    return FallbackConfig(models, retries, cooldown), keys["models"]
