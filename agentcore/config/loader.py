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
from agentcore.config.model import (
    AgentConfig,
    Config,
    ModelConfig,
    Permissions,
    ProviderConfig,
    ToolsetConfig,
)
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
from agentcore.config.parts.commands import commands as read_commands
from agentcore.config.parts.fallback import read_fallback
from agentcore.config.parts.hooks import read_hooks
from agentcore.config.parts.permissions import permissions as read_permissions
from agentcore.config.parts.provider_opts import check_provider_opts
from agentcore.config.parts.rag import read_rag
from agentcore.config.parts.structured import read_structured_output
from agentcore.config.parts.thinking import check_thinking_budget, read_budget
from agentcore.config.toolsets import toolset
from agentcore.config.versions import check_version_keys, migrate_v0, read_version
from agentcore.errors import ConfigError
from agentcore.providers.catalog import BUILTIN_PROVIDERS, NOT_SUPPORTED_PROVIDERS
from agentcore.rag.settings import RagSource, rag_data_dir

__all__ = ["load_config"]

T = TypeVar("T")

TOP_KEYS = (
    "version",
    "agents",
    "models",
    "providers",
    "mcps",
    "metadata",
    "permissions",
    "rag",
)
TOP_NOT_SUPPORTED: tuple[str, ...] = ()
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
    "fallback",
    "commands",
    "rag",
    "structured_output",
    "hooks",
)
AGENT_NOT_SUPPORTED = (
    "add_description_parameter",
    "code_mode_tools",
    "skills",
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
    "thinking_budget",
)
MODEL_NOT_SUPPORTED = ("routing",)
PROVIDER_KEYS = ("api_type", "base_url", "token_key")
METADATA_KEYS = ("author", "license", "description", "readme", "version")
API_TYPES = ("openai_chatcompletions", "openai_responses")


def _model(doc: Document, name: str, node: yaml.Node, where: str) -> ModelConfig:
    if isinstance(node, yaml.ScalarNode):  # shorthand "provider/model"
        return _inline_model(doc, text(doc, node, where), node, where, name=name)
    keys = check_keys(doc, mapping(doc, node, where), where, MODEL_KEYS, MODEL_NOT_SUPPORTED)
    listed = text(doc, keys["model"], f"{where}.model") if "model" in keys else ""
    alloy = "provider" not in keys and "," in listed
    if alloy and len(keys) > 1:  # cagent ignores them; an ignored setting is refused here
        extra = next(key for key in keys if key != "model")
        raise doc.error(
            keys[extra],
            f"{where}.{extra}",
            f"'{extra}' has no effect on an alloy (model: a,b uses one of its models per "
            f"call); set it on each model the alloy lists",
        )
    for required in ("provider", "model"):
        if required not in keys and not (alloy and required == "provider"):
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
        elif key == "thinking_budget":
            values[key] = read_budget(doc, value, at)
    api_type = values.get("provider_opts", {}).get("api_type")
    if api_type is not None and api_type not in API_TYPES:
        raise doc.error(
            keys["provider_opts"],
            f"{where}.provider_opts.api_type",
            f"unknown api_type {api_type!r}; valid: {', '.join(API_TYPES)}",
        )
    if alloy:  # models: a,b — expanded where an agent uses it
        return ModelConfig(name=name, provider="", model=values["model"])
    return ModelConfig(name=name, **values)


def _check_options(
    doc: Document, model: ModelConfig, node: yaml.Node, where: str, api: str
) -> None:
    """The model's ``thinking_budget`` and ``provider_opts`` fit its provider (``api``)."""
    if not isinstance(node, yaml.MappingNode):
        return
    keys = {name: value for name, _, value in mapping(doc, node, where)}
    if model.thinking_budget is not None:
        check_thinking_budget(
            doc,
            keys["thinking_budget"],
            f"{where}.thinking_budget",
            api,
            model.model,
            model.thinking_budget,
        )
    if "provider_opts" in keys:
        check_provider_opts(
            doc,
            keys["provider_opts"],
            f"{where}.provider_opts",
            model.provider,
            api,
            model.provider_opts,
        )


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
        commands=_field(doc, keys, "commands", where, read_commands, {}),
        fallback=read_fallback(doc, keys["fallback"], f"{where}.fallback")[0]
        if "fallback" in keys
        else None,
        rag=_field(doc, keys, "rag", where, _names, ()),
        structured_output=_field(
            doc, keys, "structured_output", where, read_structured_output, None
        ),
        hooks=_field(doc, keys, "hooks", where, read_hooks, None),
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
    top = _top(doc, root)
    version = read_version(doc, top)
    providers = _providers(doc, top)
    models = _models(doc, top, providers)
    definitions = mcp_definitions(doc, top["mcps"]) if "mcps" in top else {}
    agents, agent_keys = _agents(doc, root, top, definitions)
    overrides = model_overrides or {}
    for name, agent in list(agents.items()):
        override = overrides.get(name) or overrides.get("*")
        agents[name] = _with_model(doc, agent, agent_keys[name], override, models, providers)
        _check_team(doc, f"agents.{name}", agent_keys[name], agents)
    metadata = _metadata(doc, top)
    rag = _rag(doc, top, agent_keys, models, providers)
    permissions = _permissions(doc, root)
    return Config(path, version, agents, models, providers, metadata, permissions, rag)


def _rag(
    doc: Document,
    top: dict[str, yaml.Node],
    agent_keys: dict[str, dict[str, yaml.Node]],
    models: dict[str, ModelConfig],
    providers: dict[str, ProviderConfig],
) -> dict[str, RagSource]:
    """The ``rag:`` sources (their models added to ``models``); each agent's ``rag`` names
    one of them.
    """

    def resolve(ref: str, node: yaml.Node, where: str) -> str:
        return _single(doc, ref, node, where, models, providers)

    sources = read_rag(doc, top["rag"], resolve, rag_data_dir(doc.path)) if "rag" in top else {}
    for agent, keys in agent_keys.items():
        where = f"agents.{agent}.rag"
        for index, (name, item) in enumerate(
            name_list(doc, keys["rag"], where) if "rag" in keys else ()
        ):
            if name not in sources:
                raise doc.error(
                    item,
                    f"{where}[{index}]",
                    f"rag source '{name}' does not exist; sources defined under rag: "
                    f"{', '.join(sources) or 'none'}.{suggest(name, tuple(sources))}",
                )
    return sources


def _permissions(doc: Document, root: yaml.Node) -> Permissions:
    """The file's ``permissions``, if any (the version check has let them through)."""
    for name, _, value in mapping(doc, root, ""):
        if name == "permissions":
            return read_permissions(doc, value)
    return Permissions()


def _top(doc: Document, root: yaml.Node) -> dict[str, yaml.Node]:
    """The file's top-level keys, once every key is checked against the file's ``version``
    (a version 0 file migrated to version 1 first, as cagent does).
    """
    given = {name: value for name, _, value in mapping(doc, root, "")}
    version = read_version(doc, given)
    check_version_keys(doc, root, version, "version" in given)
    if version == "0":
        migrate_v0(doc, root)
    return check_keys(doc, mapping(doc, root, ""), "", TOP_KEYS, TOP_NOT_SUPPORTED)


def _metadata(doc: Document, top: dict[str, yaml.Node]) -> dict[str, Any]:
    """The file's ``metadata``: cagent's fields only, each a string."""
    if "metadata" not in top:
        return {}
    node = top["metadata"]
    if isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null":
        return {}
    keys = check_keys(doc, mapping(doc, node, "metadata"), "metadata", METADATA_KEYS)
    return {
        name: text(doc, value, f"metadata.{name}")
        for name, value in keys.items()
        if not (isinstance(value, yaml.ScalarNode) and value.tag == "tag:yaml.org,2002:null")
    }


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
        models[name] = model = _model(doc, name, node, f"models.{name}")
        if not model.provider:  # an alloy: its models are checked where they are defined
            continue
        _check_provider(doc, model, node, f"models.{name}.provider", providers)
        api = "openai" if model.provider in providers else BUILTIN_PROVIDERS[model.provider].api
        _check_options(doc, model, node, f"models.{name}", api)
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
    names = ",".join(_expand(doc, override or agent.model, keys["model"], where, models, providers))
    fallback = agent.fallback
    if fallback is not None:
        at = f"agents.{agent.name}.fallback.models"
        listed = [
            _single(doc, ref, keys["fallback"], at, models, providers) for ref in fallback.models
        ]
        fallback = dataclasses.replace(fallback, models=tuple(listed))
    if agent.toolsets:
        items = keys["toolsets"].value
        for index, item in enumerate(items):
            _toolset_models(doc, item, f"agents.{agent.name}.toolsets[{index}]", models, providers)
    return dataclasses.replace(agent, model=names, fallback=fallback)


def _toolset_models(
    doc: Document,
    node: yaml.Node,
    where: str,
    models: dict[str, ModelConfig],
    providers: dict[str, ProviderConfig],
) -> None:
    """A toolset's ``model`` and a ``model_picker``'s ``models`` name models of the file
    (``provider/model`` refs are added to ``models``, alloys checked model by model).
    """
    entries = {name: value for name, _, value in mapping(doc, node, where)}
    if "model" in entries:
        ref = text(doc, entries["model"], f"{where}.model")
        _single(doc, ref, entries["model"], f"{where}.model", models, providers)
    picker = "type" in entries and text(doc, entries["type"], f"{where}.type") == "model_picker"
    if picker and "models" in entries:
        for index, (ref, item) in enumerate(name_list(doc, entries["models"], f"{where}.models")):
            _expand(doc, ref, item, f"{where}.models[{index}]", models, providers)


def _expand(
    doc: Document,
    ref: str,
    node: yaml.Node,
    where: str,
    models: dict[str, ModelConfig],
    providers: dict[str, ProviderConfig],
    seen: tuple[str, ...] = (),
) -> list[str]:
    """The names of the models ``ref`` stands for: one, or several for an alloy (``a,b``, or
    a ``models:`` entry whose model is such a list), each defined in ``models``.
    """
    names: list[str] = []
    for part in (item.strip() for item in ref.split(",")):
        if not part:
            continue
        if part in seen:
            raise doc.error(
                node,
                where,
                f"the alloy '{part}' lists itself; list other models (names under models: "
                f"or provider/model)",
            )
        model = models.get(part)
        if model is not None and not model.provider:
            names += _expand(doc, model.model, node, where, models, providers, (*seen, part))
        else:
            names.append(_single(doc, part, node, where, models, providers))
    if not names:
        raise doc.error(
            node, where, "no model given (write a name under models:, or provider/model)"
        )
    return names


def _single(
    doc: Document,
    ref: str,
    node: yaml.Node,
    where: str,
    models: dict[str, ModelConfig],
    providers: dict[str, ProviderConfig],
) -> str:
    """``ref``, a model under ``models:``, ``auto`` or ``provider/model`` (then added)."""
    if ref in models:
        return ref
    if ref == "auto":  # the provider is chosen when the team starts, from the keys set
        models[ref] = ModelConfig(name=ref, provider="auto", model="auto")
        return ref
    if "/" not in ref:
        raise doc.error(
            node,
            where,
            f"model '{ref}' not found; define it under models: or write provider/model "
            f"(e.g. openai/gpt-4o). Models defined: {', '.join(models) or 'none'}."
            f"{suggest(ref, tuple(models))}",
        )
    models[ref] = _inline_model(doc, ref, node, where)
    _check_provider(doc, models[ref], node, where, providers)
    return ref


def _check_team(
    doc: Document, where: str, keys: dict[str, yaml.Node], agents: dict[str, AgentConfig]
) -> None:
    """Every agent named in ``sub_agents`` and ``handoffs`` must exist."""
    for field_name in ("sub_agents", "handoffs"):
        listed = (
            name_list(doc, keys[field_name], f"{where}.{field_name}") if field_name in keys else ()
        )
        for index, (target, item) in enumerate(listed):
            if target not in agents and _external(target):
                raise doc.error(
                    item,
                    f"{where}.{field_name}[{index}]",
                    f"'{target}' is an external agent (an OCI reference or a URL, which cagent "
                    f"pulls and runs); external agents are not supported yet by agentcore: "
                    f"define the agent under agents: and list its name here",
                )
            if target not in agents:
                raise doc.error(
                    item,
                    f"{where}.{field_name}[{index}]",
                    f"agent '{target}' does not exist; agents defined: {', '.join(agents)}."
                    f"{suggest(target, tuple(agents))}",
                )


_OCI_PART = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_OCI = re.compile(
    rf"(?:[A-Za-z0-9.-]+(?::[0-9]+)?/)?{_OCI_PART}(?:/{_OCI_PART})*"
    r"(?::\w[\w.-]{0,127})?(?:@sha256:[0-9a-f]{64})?"
)


def _external(ref: str) -> bool:
    """Whether ``ref`` names an agent outside the file, as cagent's ``IsExternalReference``
    tells: a URL, or an OCI reference with a slash (``agentcatalog/pirate``,
    ``docker.io/org/agent:v1``) that is not a YAML file; local agent names have no slash.
    """
    if ref.startswith(("http://", "https://")):
        return True
    if "/" not in ref or ref.lower().endswith((".yaml", ".yml")):
        return False
    return _OCI.fullmatch(ref) is not None
