"""Loading cagent's agent YAML strictly: every error names the file, the YAML path
(``agents.root.toolsets[1].type``) and the line, and lists the valid choices.

Validation walks the YAML *nodes* (not the loaded data) so that each value still knows its
line. Keys that cagent accepts but agentcore does not implement yet are refused as "not
supported yet", never silently ignored.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import yaml

from agentcore.config.mcp import McpDefinition, mcp_definitions
from agentcore.config.model import AgentConfig, Config, ModelConfig, ProviderConfig, ToolsetConfig
from agentcore.config.nodes import (
    Document,
    check_keys,
    compose_file,
    free_mapping,
    kind_of,
    mapping,
    name_list,
    suggest,
    text,
    typed,
)
from agentcore.config.toolsets import toolset
from agentcore.errors import ConfigError
from agentcore.providers.catalog import BUILTIN_PROVIDERS, NOT_SUPPORTED_PROVIDERS

__all__ = ["load_config"]

T = TypeVar("T")

VERSIONS = ("1", "2", "3", "4", "5", "6", "7")
TOP_KEYS = ("version", "agents", "models", "providers", "mcps", "metadata")
TOP_NOT_SUPPORTED = ("rag", "permissions")
AGENT_KEYS = (
    "model",
    "description",
    "instruction",
    "toolsets",
    "sub_agents",
    "handoffs",
    "add_date",
    "add_environment_info",
    "add_prompt_files",
    "max_iterations",
    "num_history_items",
    "welcome_message",
)
AGENT_NOT_SUPPORTED = (
    "commands",
    "fallback",
    "structured_output",
    "rag",
    "add_description_parameter",
    "code_mode_tools",
    "skills",
    "hooks",
)
MODEL_KEYS = (
    "provider",
    "model",
    "max_tokens",
    "temperature",
    "top_p",
    "frequency_penalty",
    "presence_penalty",
    "base_url",
    "token_key",
    "parallel_tool_calls",
    "track_usage",
    "provider_opts",
)
MODEL_NOT_SUPPORTED = ("thinking_budget", "routing")
PROVIDER_KEYS = ("api_type", "base_url", "token_key")
API_TYPES = ("openai_chatcompletions", "openai_responses")


def _model(doc: Document, name: str, node: yaml.Node, where: str) -> ModelConfig:
    if isinstance(node, yaml.ScalarNode):  # shorthand "provider/model"
        return _inline_model(doc, text(doc, node, where), node, where, name=name)
    keys = check_keys(doc, mapping(doc, node, where), where, MODEL_KEYS, MODEL_NOT_SUPPORTED)
    for required in ("provider", "model"):
        if required not in keys:
            raise doc.error(
                node, where, f"missing '{required}' (e.g. provider: openai, model: gpt-4o)"
            )
    values: dict[str, Any] = {}
    for key, value in keys.items():
        at = f"{where}.{key}"
        if key == "token_key":
            values[key] = _variable(doc, value, at)
        elif key in ("provider", "model", "base_url"):
            values[key] = text(doc, value, at)
        elif key == "max_tokens":
            values[key] = typed(doc, value, at, int, "a whole number of tokens")
        elif key in ("temperature", "top_p", "frequency_penalty", "presence_penalty"):
            values[key] = typed(doc, value, at, float, "a number")
        elif key in ("parallel_tool_calls", "track_usage"):
            values[key] = typed(doc, value, at, bool, "true or false")
        elif key == "provider_opts":
            values[key] = free_mapping(doc, value, at)
    api_type = values.get("provider_opts", {}).get("api_type")
    if api_type is not None and api_type not in API_TYPES:
        raise doc.error(
            keys["provider_opts"],
            f"{where}.provider_opts.api_type",
            f"unknown api_type {api_type!r}; valid: {', '.join(API_TYPES)}",
        )
    return ModelConfig(name=name, **values)


def _variable(doc: Document, node: yaml.Node, where: str) -> str:
    """``token_key``: the name of an environment variable, not a reference to one."""
    name = text(doc, node, where)
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        return name
    bare = re.sub(r"^\$\{?(?:env\.)?|\}$", "", name)
    hint = f"; write {bare}" if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", bare) else ""
    raise doc.error(
        node,
        where,
        f"token_key names the environment variable that holds the key (e.g. OPENAI_API_KEY), "
        f"got {name!r}{hint}",
    )


def _inline_model(
    doc: Document, ref: str, node: yaml.Node, where: str, *, name: str | None = None
) -> ModelConfig:
    provider, slash, model = ref.partition("/")
    if not slash or not provider or not model:
        raise doc.error(
            node, where, f"'{ref}' is not a model: write provider/model, e.g. openai/gpt-4o"
        )
    return ModelConfig(name=name or ref, provider=provider, model=model)


def _check_provider(
    doc: Document,
    model: ModelConfig,
    node: yaml.Node,
    where: str,
    custom: dict[str, ProviderConfig],
) -> None:
    if model.provider in BUILTIN_PROVIDERS or model.provider in custom:
        return
    if model.provider in NOT_SUPPORTED_PROVIDERS:
        raise doc.error(
            node, where, f"provider '{model.provider}' is not supported yet by agentcore"
        )
    known = (*BUILTIN_PROVIDERS, *custom)
    raise doc.error(
        node,
        where,
        f"unknown provider '{model.provider}'; valid providers: {', '.join(known)} (or define "
        f"it under providers:).{suggest(model.provider, known)}",
    )


def _provider(doc: Document, name: str, node: yaml.Node, where: str) -> ProviderConfig:
    keys = check_keys(doc, mapping(doc, node, where), where, PROVIDER_KEYS)
    if "base_url" not in keys:
        raise doc.error(node, where, "missing 'base_url' (the OpenAI-compatible endpoint)")
    api_type = (
        text(doc, keys["api_type"], f"{where}.api_type") if "api_type" in keys else API_TYPES[0]
    )
    if api_type not in API_TYPES:
        raise doc.error(
            keys["api_type"],
            f"{where}.api_type",
            f"unknown api_type '{api_type}'; valid: {', '.join(API_TYPES)}",
        )
    token_key = (
        _variable(doc, keys["token_key"], f"{where}.token_key") if "token_key" in keys else None
    )
    return ProviderConfig(
        name, text(doc, keys["base_url"], f"{where}.base_url"), api_type, token_key
    )


def _field(
    doc: Document,
    keys: dict[str, yaml.Node],
    name: str,
    where: str,
    read: Callable[[Document, yaml.Node, str], T],
    default: T,
) -> T:
    return read(doc, keys[name], f"{where}.{name}") if name in keys else default


def _boolean(doc: Document, node: yaml.Node, where: str) -> bool:
    return typed(doc, node, where, bool, "true or false")


def _count(doc: Document, node: yaml.Node, where: str) -> int:
    value = typed(doc, node, where, int, "a whole number")
    if value < 0:
        raise doc.error(node, where, "must not be negative (0 means no limit)")
    return value


def _names(doc: Document, node: yaml.Node, where: str) -> tuple[str, ...]:
    return tuple(name for name, _ in name_list(doc, node, where))


def _toolsets(
    doc: Document,
    keys: dict[str, yaml.Node],
    where: str,
    definitions: dict[str, McpDefinition],
) -> tuple[ToolsetConfig, ...]:
    """An agent's ``toolsets``, each checked (``definitions``: the file's ``mcps:``)."""
    if "toolsets" not in keys:
        return ()
    items = keys["toolsets"]
    if not isinstance(items, yaml.SequenceNode):
        raise doc.error(
            items, f"{where}.toolsets", f"expected a list of toolsets, got {kind_of(items)}"
        )
    return tuple(
        toolset(doc, item, f"{where}.toolsets[{i}]", definitions)
        for i, item in enumerate(items.value)
    )


def _agent(
    doc: Document,
    name: str,
    node: yaml.Node,
    where: str,
    definitions: dict[str, McpDefinition],
) -> tuple[AgentConfig, dict[str, yaml.Node]]:
    keys = check_keys(doc, mapping(doc, node, where), where, AGENT_KEYS, AGENT_NOT_SUPPORTED)
    if "model" not in keys:
        raise doc.error(node, where, "missing 'model' (a name under models:, or provider/model)")
    toolsets = _toolsets(doc, keys, where, definitions)
    agent = AgentConfig(
        name=name,
        model=text(doc, keys["model"], f"{where}.model"),
        description=_field(doc, keys, "description", where, text, ""),
        instruction=_field(doc, keys, "instruction", where, text, ""),
        toolsets=toolsets,
        sub_agents=_field(doc, keys, "sub_agents", where, _names, ()),
        handoffs=_field(doc, keys, "handoffs", where, _names, ()),
        add_date=_field(doc, keys, "add_date", where, _boolean, False),
        add_environment_info=_field(doc, keys, "add_environment_info", where, _boolean, False),
        add_prompt_files=_field(doc, keys, "add_prompt_files", where, _names, ()),
        max_iterations=_field(doc, keys, "max_iterations", where, _count, 0),
        num_history_items=_field(doc, keys, "num_history_items", where, _count, 0),
        welcome_message=_field(doc, keys, "welcome_message", where, text, ""),
    )
    return agent, keys


def load_config(path: str | Path, *, model_overrides: dict[str, str] | None = None) -> Config:
    """Load and check an agent file; ``model_overrides`` maps agent names (``"*"``: all) to
    ``provider/model`` refs, as cagent's ``--model [agent=]provider/model`` does.
    """
    path = Path(path)
    doc = Document(path)
    root = compose_file(doc)
    if root is None:
        raise ConfigError(
            f"{path}: the agent file is empty; it needs at least 'agents:'", path=str(path)
        )
    top = check_keys(doc, mapping(doc, root, ""), "", TOP_KEYS, TOP_NOT_SUPPORTED)
    version = _version(doc, top)
    providers = _providers(doc, top)
    models = _models(doc, top, providers)
    definitions = mcp_definitions(doc, top["mcps"]) if "mcps" in top else {}
    agents, agent_keys = _agents(doc, root, top, definitions)
    overrides = model_overrides or {}
    for name, agent in list(agents.items()):
        override = overrides.get(name) or overrides.get("*")
        agents[name] = _with_model(doc, agent, agent_keys[name], override, models, providers)
        _check_team(doc, f"agents.{name}", agent_keys[name], agents)
    metadata = free_mapping(doc, top["metadata"], "metadata") if "metadata" in top else {}
    return Config(path, version, agents, models, providers, metadata)


def _version(doc: Document, top: dict[str, yaml.Node]) -> str:
    """The file's ``version`` (the latest when not given), one agentcore reads."""
    version = text(doc, top["version"], "version") if "version" in top else VERSIONS[-1]
    if version not in VERSIONS:
        extra = " (version 0 used another format; cagent migrates it)" if version == "0" else ""
        raise doc.error(
            top["version"],
            "version",
            f"unsupported version '{version}'{extra}; valid: {', '.join(VERSIONS)}",
        )
    return version


def _providers(doc: Document, top: dict[str, yaml.Node]) -> dict[str, ProviderConfig]:
    """The custom providers under ``providers:``."""
    return {
        name: _provider(doc, name, node, f"providers.{name}")
        for name, _, node in (
            mapping(doc, top["providers"], "providers") if "providers" in top else []
        )
    }


def _models(
    doc: Document, top: dict[str, yaml.Node], providers: dict[str, ProviderConfig]
) -> dict[str, ModelConfig]:
    """The models under ``models:``, each of a known provider."""
    models: dict[str, ModelConfig] = {}
    for name, _, node in mapping(doc, top["models"], "models") if "models" in top else []:
        models[name] = _model(doc, name, node, f"models.{name}")
        _check_provider(doc, models[name], node, f"models.{name}.provider", providers)
    return models


def _agents(
    doc: Document,
    root: yaml.Node,
    top: dict[str, yaml.Node],
    definitions: dict[str, McpDefinition],
) -> tuple[dict[str, AgentConfig], dict[str, dict[str, yaml.Node]]]:
    """The agents under ``agents:`` (at least one), each with its keys' nodes
    (``definitions``: the MCP servers of ``mcps:``, which toolsets may refer to).
    """
    if "agents" not in top:
        raise doc.error(root, "", "missing 'agents:' (at least one agent, named root)")
    agents: dict[str, AgentConfig] = {}
    agent_keys: dict[str, dict[str, yaml.Node]] = {}
    for name, _, node in mapping(doc, top["agents"], "agents"):
        agents[name], agent_keys[name] = _agent(doc, name, node, f"agents.{name}", definitions)
    if not agents:
        raise doc.error(top["agents"], "agents", "no agents defined")
    return agents, agent_keys


def _with_model(
    doc: Document,
    agent: AgentConfig,
    keys: dict[str, yaml.Node],
    override: str | None,
    models: dict[str, ModelConfig],
    providers: dict[str, ProviderConfig],
) -> AgentConfig:
    """``agent`` talking to its model, or to ``override``: a model under ``models:``, or a
    ``provider/model`` ref (then added to ``models``).
    """
    where = f"agents.{agent.name}.model"
    ref = override or agent.model
    if ref in ("auto",) or "," in ref:
        raise doc.error(keys["model"], where, f"model '{ref}' is not supported yet by agentcore")
    if ref not in models:
        if "/" not in ref:
            raise doc.error(
                keys["model"],
                where,
                f"model '{ref}' not found; define it under models: or write provider/model "
                f"(e.g. openai/gpt-4o). Models defined: {', '.join(models) or 'none'}."
                f"{suggest(ref, tuple(models))}",
            )
        models[ref] = _inline_model(doc, ref, keys["model"], where)
        _check_provider(doc, models[ref], keys["model"], where, providers)
    return dataclasses.replace(agent, model=ref) if override else agent


def _check_team(
    doc: Document, where: str, keys: dict[str, yaml.Node], agents: dict[str, AgentConfig]
) -> None:
    """Every agent named in ``sub_agents`` and ``handoffs`` must exist."""
    for field_name in ("sub_agents", "handoffs"):
        listed = (
            name_list(doc, keys[field_name], f"{where}.{field_name}") if field_name in keys else ()
        )
        for index, (target, item) in enumerate(listed):
            if target not in agents:
                raise doc.error(
                    item,
                    f"{where}.{field_name}[{index}]",
                    f"agent '{target}' does not exist; agents defined: {', '.join(agents)}."
                    f"{suggest(target, tuple(agents))}",
                )
