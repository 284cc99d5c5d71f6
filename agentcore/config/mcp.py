"""MCP toolsets (``type: mcp``) and the top-level ``mcps:`` they may refer to, checked and
resolved as cagent does (``pkg/config/latest/validate.go``, ``pkg/config/mcps.go``).

A toolset has exactly one source: ``command`` (+ ``args``, ``env``), ``remote`` (``url``,
``transport_type``, ``headers``) or ``ref`` (``docker:NAME``, or the name of an entry of
``mcps:``). A toolset that refers to an entry takes the entry's source and every field it
leaves empty; ``env`` maps merge, the toolset's values winning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml

from agentcore.config.model import McpServerConfig, Place, RemoteServer, ToolsetConfig
from agentcore.config.nodes import (
    Document,
    check_keys,
    kind_of,
    mapping,
    name_list,
    suggest,
    text,
    value_of,
)
from agentcore.mcp.expand import template_problem

__all__ = ["MCP_KEYS", "McpDefinition", "mcp_definitions", "mcp_toolset"]

MCP_KEYS = (
    "type",
    "tools",
    "instruction",
    "command",
    "args",
    "env",
    "ref",
    "remote",
    "config",
    "version",
    "name",
)
"""The keys of a ``type: mcp`` toolset (and of an entry of ``mcps:``)."""
MCP_NOT_SUPPORTED = ("toon", "model", "defer")
SOURCES = ("command", "remote", "ref")
REMOTE_KEYS = ("url", "transport_type", "headers")
TRANSPORTS = {"streamable": "streamable", "streamable-http": "streamable", "sse": "sse"}
"""cagent's transport types (``pkg/tools/mcp/remote.go``), each as agentcore names it."""
OVERRIDABLE = ("args", "version", "name", "instruction", "tools")
DOCKER = "docker:"


@dataclass(frozen=True)
class McpDefinition:
    """An entry of ``mcps:``: the fields it gives, checked, and where it is."""

    name: str
    fields: dict[str, Any]
    place: Place


def _text_value(doc: Document, node: yaml.Node, where: str) -> str:
    """A scalar as written (``8080``, ``true``, ``"x"``), as cagent reads it into a string."""
    if not isinstance(node, yaml.ScalarNode) or value_of(doc, node, where) is None:
        raise doc.error(node, where, f"expected text, got {kind_of(node)}")
    return str(node.value)


def _word(doc: Document, node: yaml.Node, where: str) -> str:
    value = text(doc, node, where)
    if not value.strip():
        raise doc.error(node, where, "must not be empty")
    return value


def _texts(doc: Document, node: yaml.Node, where: str) -> dict[str, str]:
    """A mapping of names to text (``env``, ``headers``)."""
    return {
        name: _text_value(doc, value, f"{where}.{name}")
        for name, _, value in mapping(doc, node, where)
    }


def _template(doc: Document, node: yaml.Node, where: str) -> str:
    """Text that cagent evaluates as a JavaScript template (``${env.NAME}``)."""
    value = _text_value(doc, node, where)
    problem = template_problem(value)
    if problem is not None:
        raise doc.error(node, where, problem)
    return value


def _remote(doc: Document, node: yaml.Node, where: str) -> RemoteServer:
    keys = check_keys(doc, mapping(doc, node, where), where, REMOTE_KEYS)
    if "url" not in keys:
        raise doc.error(node, where, "missing 'url' (e.g. url: https://mcp.example.com/mcp)")
    url = _template(doc, keys["url"], f"{where}.url")
    if "${" not in url and not re.match(r"https?://[^/\s]", url):
        raise doc.error(
            keys["url"], f"{where}.url", f"expected an http:// or https:// URL, got {url!r}"
        )
    if "transport_type" not in keys:
        raise doc.error(
            node,
            where,
            "missing 'transport_type': streamable (streamable HTTP) or sse; cagent does not "
            "connect without it",
        )
    transport = text(doc, keys["transport_type"], f"{where}.transport_type")
    if transport not in TRANSPORTS:
        raise doc.error(
            keys["transport_type"],
            f"{where}.transport_type",
            f"unknown transport_type '{transport}'; valid: streamable (streamable HTTP, also "
            f"written streamable-http), sse.{suggest(transport, tuple(TRANSPORTS))}",
        )
    headers = {}
    if "headers" in keys:
        for name, _, value in mapping(doc, keys["headers"], f"{where}.headers"):
            headers[name] = _template(doc, value, f"{where}.headers.{name}")
    return RemoteServer(url, TRANSPORTS[transport], headers)


def _ref(doc: Document, node: yaml.Node, where: str) -> str:
    ref = _word(doc, node, where)
    if ref.startswith(DOCKER) and not ref[len(DOCKER) :].strip():
        raise doc.error(
            node,
            where,
            "docker: needs the name of a server of the Docker MCP catalog, e.g. docker:duckduckgo",
        )
    return ref


def _version(doc: Document, node: yaml.Node, where: str) -> str:
    value = value_of(doc, node, where)
    return str(value).lower() if isinstance(value, bool) else text(doc, node, where)


def _field(doc: Document, key: str, node: yaml.Node, where: str) -> Any:
    """The value of one key of an MCP toolset, checked."""
    if key in ("command", "name"):
        return _word(doc, node, where) if key == "command" else text(doc, node, where)
    if key == "instruction":
        return text(doc, node, where)
    if key == "ref":
        return _ref(doc, node, where)
    if key == "version":
        return _version(doc, node, where)
    if key == "tools":
        return tuple(name for name, _ in name_list(doc, node, where))
    if key == "args":
        if not isinstance(node, yaml.SequenceNode):
            raise doc.error(node, where, f"expected a list of arguments, got {kind_of(node)}")
        return tuple(_text_value(doc, item, f"{where}[{i}]") for i, item in enumerate(node.value))
    if key == "env":
        return _texts(doc, node, where)
    if key == "remote":
        return _remote(doc, node, where)
    return value_of(doc, node, where)  # config: whatever the server takes


def _fields(
    doc: Document,
    entries: list[tuple[str, yaml.Node, yaml.Node]],
    node: yaml.Node,
    where: str,
    not_supported: tuple[str, ...],
) -> tuple[dict[str, Any], dict[str, yaml.Node]]:
    """The checked fields of an MCP toolset or definition, and the value node of each key."""
    keys = check_keys(doc, entries, where, MCP_KEYS, not_supported)
    if "type" in keys and text(doc, keys["type"], f"{where}.type") != "mcp":
        raise doc.error(keys["type"], f"{where}.type", "an entry of mcps: can only be of type mcp")
    fields = {
        key: _field(doc, key, value, f"{where}.{key}")
        for key, value in keys.items()
        if key != "type"
    }
    given = [key for key in SOURCES if key in keys]
    if not given:
        raise doc.error(
            node,
            where,
            "missing the MCP server: give command (a program that speaks MCP on stdin and "
            "stdout), remote (the URL of a server) or ref (docker:NAME, or an entry of mcps:)",
        )
    if len(given) > 1:
        raise doc.error(
            keys[given[1]],
            f"{where}.{given[1]}",
            f"give only one of command, remote and ref, not {' and '.join(given)}",
        )
    return fields, keys


def mcp_definitions(doc: Document, node: yaml.Node) -> dict[str, McpDefinition]:
    """The top-level ``mcps:``, each entry checked (whether a toolset uses it or not)."""
    definitions: dict[str, McpDefinition] = {}
    if isinstance(node, yaml.ScalarNode) and value_of(doc, node, "mcps") is None:
        return definitions  # "mcps:" with nothing under it, as cagent reads it
    for name, _, entry in mapping(doc, node, "mcps"):
        where = f"mcps.{name}"
        fields, keys = _fields(doc, mapping(doc, entry, where), entry, where, ("defer",))
        ref = fields.get("ref")
        if ref is not None and not ref.startswith(DOCKER):
            raise doc.error(
                keys["ref"],
                f"{where}.ref",
                f"an entry of mcps: can only refer to a server of the Docker MCP catalog "
                f"(e.g. ref: docker:context7), not to {ref!r}",
            )
        definitions[name] = McpDefinition(name, fields, doc.place(entry, where))
    return definitions


def _resolved(
    doc: Document,
    node: yaml.Node,
    where: str,
    fields: dict[str, Any],
    definitions: dict[str, McpDefinition],
) -> dict[str, Any]:
    """``fields`` of a toolset that refers to an entry of ``mcps:``, completed from it as
    cagent's ``applyMCPDefaults`` does: the entry's source, every field the toolset leaves
    empty, and both ``env`` maps (the toolset's values win).
    """
    name = fields["ref"]
    if name not in definitions:
        entries = ", ".join(definitions) or "none"
        raise doc.error(
            node,
            f"{where}.ref",
            f"'{name}' is neither docker:NAME nor an entry of mcps: (entries: {entries})."
            f"{suggest(name, tuple(definitions))}",
        )
    defined: dict[str, Any] = definitions[name].fields
    merged = {key: value for key, value in fields.items() if key != "ref"}
    merged.update({key: defined[key] for key in SOURCES if key in defined})
    for key in OVERRIDABLE:
        if not fields.get(key) and key in defined:
            merged[key] = defined[key]
    if fields.get("config") is None and "config" in defined:
        merged["config"] = defined["config"]
    if defined.get("env"):
        merged["env"] = {**defined["env"], **fields.get("env", {})}
    return merged


def mcp_toolset(
    doc: Document,
    node: yaml.Node,
    entries: list[tuple[str, yaml.Node, yaml.Node]],
    where: str,
    definitions: dict[str, McpDefinition],
) -> ToolsetConfig:
    """A ``type: mcp`` toolset, checked, with a reference to ``mcps:`` resolved."""
    fields, keys = _fields(doc, entries, node, where, MCP_NOT_SUPPORTED)
    definition = ""
    if "ref" in fields and not fields["ref"].startswith(DOCKER):
        definition = fields["ref"]
        fields = _resolved(doc, keys["ref"], where, fields, definitions)
    ref = fields.get("ref", "")
    server = McpServerConfig(
        command=fields.get("command", ""),
        args=fields.get("args", ()),
        env=dict(fields.get("env", {})),
        remote=fields.get("remote"),
        docker=ref[len(DOCKER) :] if ref else "",
        config=fields.get("config"),
        version=fields.get("version", ""),
        name=fields.get("name", ""),
        definition=definition,
    )
    tools = fields.get("tools") or None  # as cagent's filter: an empty list keeps every tool
    instruction = fields.get("instruction") or None
    return ToolsetConfig("mcp", tools, instruction, {}, server, doc.place(node, where))
