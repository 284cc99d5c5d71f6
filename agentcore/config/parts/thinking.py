"""``thinking_budget``: how much a model may reason, checked against what its provider takes
(cagent's rules: OpenAI reasoning models take an effort, Anthropic a token count of at least
1024, Gemini 2.5 a token count, Gemini 3 an effort).
"""

from __future__ import annotations

import yaml

from agentcore.config.nodes import Document, kind_of, value_of

__all__ = ["EFFORTS", "check_thinking_budget", "is_gemini3", "is_openai_reasoning", "read_budget"]

EFFORTS = ("minimal", "low", "medium", "high", "none")


def is_openai_reasoning(model: str) -> bool:
    """Whether cagent sends a reasoning effort to this OpenAI model (o1/o3/o4, gpt-5)."""
    return model.lower().startswith(("o1", "o3", "o4", "gpt-5"))


def is_gemini3(model: str) -> bool:
    """Gemini 3 and later (``gemini-3-pro``, ``gemini-3.1-flash``), which take a level."""
    rest = model.lower().removeprefix("gemini-3")
    if rest == model.lower() or not rest:
        return False
    return rest[0] == "-" or (rest[0] == "." and "-" in rest)


def read_budget(doc: Document, node: yaml.Node, where: str) -> int | str:
    """An effort (lower-cased) or a whole number of tokens (-1 or more)."""
    value = value_of(doc, node, where) if isinstance(node, yaml.ScalarNode) else None
    if isinstance(value, str) and value.strip().lower() in EFFORTS:
        return value.strip().lower()
    if isinstance(value, int) and not isinstance(value, bool) and value >= -1:
        return value
    raise doc.error(
        node,
        where,
        f"thinking_budget takes an effort ({', '.join(EFFORTS)}) or a number of tokens "
        f"(0: off, -1: dynamic), got {kind_of(node)}",
    )


def check_thinking_budget(
    doc: Document, node: yaml.Node, where: str, api: str, model: str, budget: int | str
) -> None:
    """Refuse a budget the model's provider (its wire ``api``) cannot take."""
    if budget in (0, "none"):
        return
    problem = ""
    if api == "openai" and is_openai_reasoning(model) and isinstance(budget, int):
        problem = "OpenAI reasoning models take an effort: minimal, low, medium or high"
    elif api == "anthropic" and (isinstance(budget, str) or budget < 1024):
        problem = "Anthropic takes a number of tokens, at least 1024 (e.g. 8192)"
    elif api == "google" and is_gemini3(model) and isinstance(budget, int):
        problem = "Gemini 3 models take a level: minimal, low, medium or high"
    elif api == "google" and not is_gemini3(model) and isinstance(budget, str):
        problem = "Gemini 2.5 models take a number of tokens (-1: dynamic), not an effort"
    if problem:
        raise doc.error(node, where, f"thinking_budget {budget!r} does not fit {model}: {problem}")
