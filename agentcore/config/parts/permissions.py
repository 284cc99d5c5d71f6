"""Checking the file's ``permissions``: ``allow``, ``ask`` and ``deny``, each a list of
tool patterns (cagent's ``PermissionsConfig``, from version 3 of the format).
"""

from __future__ import annotations

import yaml

from agentcore.config.model import Permissions
from agentcore.config.nodes import Document, check_keys, mapping, name_list

__all__ = ["permissions"]

PERMISSION_KEYS = ("allow", "ask", "deny")


def permissions(doc: Document, node: yaml.Node) -> Permissions:
    """The ``permissions`` mapping (``null``: none); :mod:`agentcore.config.versions` has
    refused it already in a file older than version 3.
    """
    if isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null":
        return Permissions()
    keys = check_keys(doc, mapping(doc, node, "permissions"), "permissions", PERMISSION_KEYS)
    lists = {
        name: tuple(pattern for pattern, _ in name_list(doc, value, f"permissions.{name}"))
        for name, value in keys.items()
        if not (isinstance(value, yaml.ScalarNode) and value.tag.endswith(":null"))
    }
    return Permissions(**lists)
