"""The ``api`` toolset: one tool that calls an HTTP endpoint, as cagent's ``api.go`` does.

GET fills ``${arg}`` placeholders of the endpoint with the call's (string) arguments; POST
sends the arguments as a JSON body. The answer's body (its first MiB) is the result, whatever
the status. The request goes through the team's HTTP client, so a cassette records it.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping
from typing import Any

import httpx

from agentcore.config.parts.api import ApiConfig
from agentcore.jstemplate import EnvView, evaluate
from agentcore.messages import ToolDefinition
from agentcore.tools.base import Arguments, Tool, ToolError, Toolset, go_json

__all__ = ["api_toolset"]

TIMEOUT = 30.0
MAX_BODY = 1 << 20


def _typed(properties: dict[str, Any]) -> dict[str, Any]:
    """Every property with a ``type`` (``object`` when missing), nested ones too."""
    result: dict[str, Any] = {}
    for name, schema in sorted(properties.items()):
        if isinstance(schema, dict):
            schema = dict(schema)
            schema.setdefault("type", "object")
            if schema["type"] is None:
                schema["type"] = "object"
            if isinstance(schema.get("properties"), dict):
                schema["properties"] = _typed(schema["properties"])
            if isinstance(schema.get("items"), dict) and isinstance(
                schema["items"].get("properties"), dict
            ):
                schema["items"] = {
                    **schema["items"],
                    "properties": _typed(schema["items"]["properties"]),
                }
            schema = dict(sorted(schema.items()))
        result[name] = schema
    return result


def _definition(config: ApiConfig) -> ToolDefinition:
    """The tool as the model sees it: the args as properties, and ``required`` if any."""
    schema: dict[str, Any] = {"properties": _typed(config.args)}
    if config.required:
        schema["required"] = list(config.required)
    schema["type"] = "object"
    return ToolDefinition(config.name, config.instruction, schema, read_only=True)


def _call(client: httpx.Client, config: ApiConfig, env: Mapping[str, str], args: Arguments) -> str:
    """The endpoint's answer to this call (its body, cut at 1 MiB)."""
    endpoint, content = config.endpoint, None
    headers = dict(config.headers)
    if config.method == "GET":
        if any(not isinstance(value, str) for value in args.values()):
            raise ToolError("invalid arguments: every argument of a GET must be a string")
        endpoint = evaluate(endpoint, {"env": EnvView(env), **args})
    else:
        content = go_json(args).encode("utf-8")
        headers["Content-Type"] = "application/json"
    try:
        with client.stream(
            config.method, endpoint, content=content, headers=headers, timeout=TIMEOUT
        ) as response:
            body = b""
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) >= MAX_BODY:
                    break
    except httpx.HTTPError as error:
        raise ToolError(f"request failed: {error}") from None
    return body[:MAX_BODY].decode("utf-8", errors="replace")


def api_toolset(config: ApiConfig, client: httpx.Client, env: Mapping[str, str]) -> Toolset:
    """The one tool of ``config``; ``${env.NAME}`` in the endpoint and headers is filled now."""
    scope = {"env": EnvView(env)}
    config = dataclasses.replace(
        config,
        endpoint=evaluate(config.endpoint, scope),
        headers={k: evaluate(v, scope) for k, v in config.headers.items()},
    )
    tool = Tool(_definition(config), functools.partial(_call, client, config, env))
    return Toolset("api", [tool], config.instruction)
