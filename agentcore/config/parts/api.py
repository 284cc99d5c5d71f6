"""Checking an ``api`` toolset's ``api_config``: one HTTP tool (cagent's ``APIToolConfig``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import yaml

from agentcore.config.nodes import Document, check_keys, free_mapping, mapping, name_list, text

__all__ = ["ApiConfig", "read_api_config"]

KEYS = ("name", "instruction", "endpoint", "method", "headers", "args", "required", "output_schema")
METHODS = ("GET", "POST")


@dataclass(frozen=True)
class ApiConfig:
    """The tool: its ``name`` and ``instruction`` (its description), the ``endpoint`` (with
    ``${env.NAME}`` and, for GET, ``${arg}`` placeholders), the ``method``, ``headers``, the
    ``args`` (JSON-schema properties) with the ``required`` ones, and an ``output_schema``.
    """

    name: str
    endpoint: str
    method: str
    instruction: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    args: dict[str, Any] = field(default_factory=dict)
    required: tuple[str, ...] = ()
    output_schema: dict[str, Any] | None = None


def read_api_config(doc: Document, node: yaml.Node, where: str) -> ApiConfig:
    """``api_config``, checked: an http(s) endpoint with a host, GET or POST."""
    keys = check_keys(doc, mapping(doc, node, where), where, KEYS)
    for required in ("name", "endpoint", "method"):
        if required not in keys:
            raise doc.error(node, where, f"missing '{required}' (api_config needs {required})")
    endpoint = text(doc, keys["endpoint"], f"{where}.endpoint")
    parts = urlsplit(endpoint)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise doc.error(
            keys["endpoint"],
            f"{where}.endpoint",
            f"{endpoint!r} is not an http(s) URL with a host (only HTTP and HTTPS are supported)",
        )
    method = text(doc, keys["method"], f"{where}.method")
    if method not in METHODS:
        raise doc.error(
            keys["method"], f"{where}.method", f"unknown method {method!r}; valid: GET, POST"
        )
    headers = free_mapping(doc, keys["headers"], f"{where}.headers") if "headers" in keys else {}
    return ApiConfig(
        name=text(doc, keys["name"], f"{where}.name"),
        endpoint=endpoint,
        method=method,
        instruction=text(doc, keys["instruction"], f"{where}.instruction")
        if "instruction" in keys
        else "",
        headers={str(k): str(v) for k, v in headers.items()},
        args=free_mapping(doc, keys["args"], f"{where}.args") if "args" in keys else {},
        required=tuple(n for n, _ in name_list(doc, keys["required"], f"{where}.required"))
        if "required" in keys
        else (),
        output_schema=free_mapping(doc, keys["output_schema"], f"{where}.output_schema")
        if "output_schema" in keys
        else None,
    )
