"""Checking an agent's ``structured_output``: ``{name, description, schema, strict}``."""

from __future__ import annotations

import yaml

from agentcore.config.model import StructuredOutput
from agentcore.config.nodes import Document, check_keys, free_mapping, mapping, text, typed

__all__ = ["read_structured_output"]

KEYS = ("name", "description", "schema", "strict")


def read_structured_output(doc: Document, node: yaml.Node, where: str) -> StructuredOutput:
    """The response format the agent's answers must follow."""
    keys = check_keys(doc, mapping(doc, node, where), where, KEYS)
    for required in ("name", "schema"):
        if required not in keys:
            raise doc.error(
                node, where, f"missing '{required}' (structured_output needs a name and a schema)"
            )
    return StructuredOutput(
        name=text(doc, keys["name"], f"{where}.name"),
        schema=free_mapping(doc, keys["schema"], f"{where}.schema"),
        description=text(doc, keys["description"], f"{where}.description")
        if "description" in keys
        else "",
        strict=typed(doc, keys["strict"], f"{where}.strict", bool, "true or false")
        if "strict" in keys
        else False,
    )
