"""The validated configuration of a team of agents (cagent's YAML format, version 0 to 7)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agentcore.rag.settings import RagSource

__all__ = [
    "AgentConfig",
    "Command",
    "Config",
    "FallbackConfig",
    "HookCommand",
    "HookMatcher",
    "Hooks",
    "McpServerConfig",
    "ModelConfig",
    "Permissions",
    "Place",
    "ProviderConfig",
    "RemoteServer",
    "StructuredOutput",
    "ToolsetConfig",
]


@dataclass(frozen=True)
class Place:
    """Where something is written: the agent file, the YAML path and the line, read as
    ``agent.yaml, line 12 (at agents.root.toolsets[0])`` (the head of every message about it).
    """

    path: Path
    where: str = ""
    line: int | None = None

    def __str__(self) -> str:
        line = f", line {self.line}" if self.line else ""
        at = f" (at {self.where})" if self.where else ""
        return f"{self.path}{line}{at}"


@dataclass(frozen=True)
class ModelConfig:
    """A model: which provider, which model, and how to call it."""

    name: str
    provider: str
    model: str
    max_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    frequency_penalty: float | None = None
    presence_penalty: float | None = None
    base_url: str | None = None
    token_key: str | None = None
    parallel_tool_calls: bool | None = None
    track_usage: bool | None = None
    provider_opts: dict[str, Any] = field(default_factory=dict)
    thinking_budget: int | str | None = None
    """An effort (``minimal``...``high``, ``none``) or a token count (0: off, -1: dynamic)."""


@dataclass(frozen=True)
class ProviderConfig:
    """A custom OpenAI-compatible endpoint (``providers.<name>``)."""

    name: str
    base_url: str
    api_type: str = "openai_chatcompletions"
    token_key: str | None = None


@dataclass(frozen=True)
class RemoteServer:
    """An MCP server reached over HTTP (``remote:``): ``transport_type`` is ``streamable``
    (streamable HTTP) or ``sse``; header values and the URL may hold ``${env.NAME}``.
    """

    url: str
    transport_type: str
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class McpServerConfig:
    """The server of a ``type: mcp`` toolset, a reference to ``mcps:`` already resolved:
    exactly one of ``command`` (a program speaking MCP on stdio), ``remote`` and ``docker``
    (``ref: docker:NAME``, run through the Docker MCP gateway).
    """

    command: str = ""
    args: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    """Variables for the server; values may hold ``$NAME`` / ``${NAME}``, expanded at start."""
    remote: RemoteServer | None = None
    docker: str = ""
    config: Any = None
    """For ``docker:`` servers: the server's configuration, handed to the gateway."""
    version: str = ""
    """Where cagent would install ``command`` from when it is missing (agentcore does not)."""
    name: str = ""
    """A prefix for the tools' names (``NAME_tool``), as cagent's ``name:``."""
    definition: str = ""
    """The entry of ``mcps:`` the toolset refers to, if any."""


@dataclass(frozen=True)
class ToolsetConfig:
    """A toolset of an agent: its ``type``, the ``tools`` it keeps, and its own options
    (``mcp``: the MCP server of a ``type: mcp`` toolset); ``place``: where it is written.
    """

    type: str
    tools: tuple[str, ...] | None = None
    instruction: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    mcp: McpServerConfig | None = None
    place: Place | None = field(default=None, compare=False)
    model: str | None = None
    """The model of the turn that reads this toolset's results (a name under ``models:``)."""


@dataclass(frozen=True)
class FallbackConfig:
    """An agent's ``fallback``: the models tried after its own fails, ``retries`` per model
    for 5xx answers (0: cagent's default of 2, -1: none) and ``cooldown`` (seconds; 0: 60)
    during which a fallback that answered is kept.
    """

    models: tuple[str, ...]
    retries: int = 0
    cooldown: float = 0.0


@dataclass(frozen=True)
class Command:
    """A named prompt of an agent (``commands.<name>``), sent as ``/name args``: its
    ``instruction`` (cagent's JavaScript template) and ``description``.
    """

    instruction: str
    description: str = ""


@dataclass(frozen=True)
class Permissions:
    """The file's ``permissions``: glob patterns over tool names and arguments
    (``shell:cmd=ls*``), checked deny first, then allow, then ask.
    """

    allow: tuple[str, ...] = ()
    ask: tuple[str, ...] = ()
    deny: tuple[str, ...] = ()


@dataclass(frozen=True)
class StructuredOutput:
    """An agent's ``structured_output``: the JSON schema its answers must follow, sent as
    each provider's response format (``strict``: OpenAI's strict schema adherence).
    """

    name: str
    schema: dict[str, Any]
    description: str = ""
    strict: bool = False


@dataclass(frozen=True)
class HookCommand:
    """One hook: a shell ``command`` given the event as JSON on stdin, stopped after
    ``timeout`` seconds (0: cagent's 60).
    """

    command: str
    timeout: int = 0
    type: str = "command"


@dataclass(frozen=True)
class HookMatcher:
    """Tool hooks for the tools whose names match ``matcher`` (a regular expression over
    the whole name; empty or ``*``: every tool).
    """

    matcher: str
    hooks: tuple[HookCommand, ...]


@dataclass(frozen=True)
class Hooks:
    """An agent's ``hooks``, by event."""

    pre_tool_use: tuple[HookMatcher, ...] = ()
    post_tool_use: tuple[HookMatcher, ...] = ()
    session_start: tuple[HookCommand, ...] = ()
    session_end: tuple[HookCommand, ...] = ()
    on_user_input: tuple[HookCommand, ...] = ()


@dataclass(frozen=True)
class AgentConfig:
    """One agent (``agents.<name>``)."""

    name: str
    model: str
    description: str = ""
    instruction: str = ""
    toolsets: tuple[ToolsetConfig, ...] = ()
    sub_agents: tuple[str, ...] = ()
    handoffs: tuple[str, ...] = ()
    add_date: bool = False
    add_environment_info: bool = False
    add_prompt_files: tuple[str, ...] = ()
    max_iterations: int = 0
    num_history_items: int = 0
    welcome_message: str = ""
    commands: dict[str, Command] = field(default_factory=dict)
    fallback: FallbackConfig | None = None
    rag: tuple[str, ...] = ()
    """The ``rag:`` sources whose search tools the agent has."""
    structured_output: StructuredOutput | None = None
    hooks: Hooks | None = None


@dataclass(frozen=True)
class Config:
    """A whole agent file: agents in file order, the models they use, custom providers."""

    path: Path
    version: str
    agents: dict[str, AgentConfig]
    models: dict[str, ModelConfig]
    providers: dict[str, ProviderConfig] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)
    permissions: Permissions = field(default_factory=Permissions)
    rag: dict[str, RagSource] = field(default_factory=dict)
    """The file's ``rag:`` sources (see :mod:`agentcore.rag`)."""

    def model_for(self, agent: str) -> ModelConfig:
        """The model the agent ``agent`` talks to."""
        return self.models[self.agents[agent].model.split(",")[0]]

    def models_for(self, agent: str) -> tuple[ModelConfig, ...]:
        """Every model of ``agent``: one, or the models of an alloy (``model: a,b``)."""
        return tuple(self.models[name] for name in self.agents[agent].model.split(","))

    def thinking_configured(self, agent: str) -> bool:
        """Whether a model of ``agent`` sets a ``thinking_budget`` that is not 0 or ``none``:
        cagent then turns thinking on for a session that starts with this agent.
        """
        return any(
            model.thinking_budget not in (None, 0, "none") for model in self.models_for(agent)
        )
