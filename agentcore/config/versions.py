"""The format versions of cagent's agent files, each parsed with its own keys.

cagent keeps one schema per ``version`` (``pkg/config/v0`` ... ``v6``, ``latest`` being 7),
parses a file strictly with the schema of its version, then upgrades it step by step. A key
that a later version brought in is refused in an older file, as cagent refuses it; a key that
a later version dropped is refused in a newer one. ``version: "0"`` is migrated as cagent's
v1 upgrade does (:func:`migrate_v0`).

:func:`check_version_keys` only looks at keys that some version has and this one has not;
the loader checks the rest (unknown keys, types) afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator

import yaml

from agentcore.config.nodes import Document, text

__all__ = ["LATEST", "VERSIONS", "check_version_keys", "migrate_v0", "read_version"]

VERSIONS = ("0", "1", "2", "3", "4", "5", "6", "7")
LATEST = VERSIONS[-1]

INTRODUCED: dict[str, dict[str, int]] = {
    "top": {"metadata": 1, "rag": 2, "providers": 3, "permissions": 3, "mcps": 6},
    "agent": {
        "add_environment_info": 1,
        "welcome_message": 2,
        "handoffs": 2,
        "rag": 2,
        "code_mode_tools": 2,
        "max_iterations": 2,
        "add_prompt_files": 2,
        "structured_output": 2,
        "skills": 3,
        "hooks": 3,
        "fallback": 4,
        "add_description_parameter": 4,
    },
    "model": {
        "provider": 1,
        "token_key": 1,
        "provider_opts": 1,
        "track_usage": 2,
        "thinking_budget": 2,
        "routing": 3,
    },
    "toolset": {
        **dict.fromkeys(("ref", "config", "shared", "path", "shell", "post_edit"), 1),
        **dict.fromkeys(("instruction", "toon", "api_config", "ignore_vcs", "timeout"), 2),
        **dict.fromkeys(("defer", "name", "url", "sandbox"), 3),
        **dict.fromkeys(("headers", "file_types"), 4),
        **dict.fromkeys(("model", "version", "models"), 6),
    },
    "metadata": {"author": 1, "license": 1, "readme": 1, "version": 3, "description": 4},
    "permissions": {"ask": 4},
    "hooks": {"on_user_input": 6},
    "rag": {"tool": 3, "respect_vcs": 3},
    "rag_results": {"reranking": 3},
    "rag_chunking": {"code_aware": 3},
}
"""By scope, the version that brought each key in (keys of every version are not listed)."""

REMOVED: dict[str, dict[str, tuple[int, str]]] = {
    "top": {"env": (2, "set the variables in the environment, or in a toolset's env")},
    "model": {
        "type": (1, "write provider: instead"),
        "env": (2, "set the variables in the environment"),
    },
    "agent": {
        "think": (1, "add a toolset instead: toolsets: [{type: think}]"),
        "todo": (1, "add a toolset instead: toolsets: [{type: todo}]"),
        "memory": (1, "add a toolset instead: toolsets: [{type: memory, path: PATH}]"),
        "name": (1, "the agent's name is its key under agents:"),
    },
    "toolset": {
        "env_file": (2, "set the variables in env:, or in the environment"),
        "sandbox": (6, "remove it"),
    },
}
"""By scope, the version that dropped each key, and what to write instead."""

HINTS = {("model", "provider"): " (a version 0 file writes type: instead)"}
"""What to add to the message about a key that an older file's version does not have."""

REFUSED_ON_UPGRADE = {("top", "env"), ("model", "env"), ("toolset", "env_file")}
"""Keys cagent reads in version 0 and 1 files but refuses when it upgrades them to 2."""

VERSION_0_DROPS = {("agent", "name")}
"""Keys of version 0 that cagent reads and then drops (agentcore refuses ignored settings)."""


def read_version(doc: Document, top: dict[str, yaml.Node]) -> str:
    """The file's ``version`` (the latest when not given), one cagent reads."""
    if "version" not in top:
        return LATEST
    version = text(doc, top["version"], "version")
    if version not in VERSIONS:
        raise doc.error(
            top["version"],
            "version",
            f"unsupported version '{version}'; valid: {', '.join(VERSIONS)} (write "
            f'version: "{LATEST}" for the current format)',
        )
    return version


def _entries(
    node: yaml.Node | None, merging: tuple[yaml.Node, ...] = ()
) -> Iterator[tuple[str, yaml.Node, yaml.Node]]:
    """The plain entries of a mapping node (nothing for anything else, nor for a merge key
    that loops back: the loader reports malformed structure later, with its own messages).
    """
    if not isinstance(node, yaml.MappingNode) or any(node is seen for seen in merging):
        return
    for key, value in node.value:
        if isinstance(key, yaml.ScalarNode) and key.tag != "tag:yaml.org,2002:merge":
            yield str(key.value), key, value
        elif isinstance(key, yaml.ScalarNode):  # <<: *anchor brings keys in too
            sources = value.value if isinstance(value, yaml.SequenceNode) else [value]
            for source in sources:
                yield from _entries(source, (*merging, node))


def _child(node: yaml.Node | None, name: str) -> yaml.Node | None:
    return next((value for key, _, value in _entries(node) if key == name), None)


def _items(node: yaml.Node | None) -> Iterator[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        yield from node.value


def _scopes(root: yaml.Node) -> Iterator[tuple[str, str, yaml.Node]]:
    """``(scope, YAML path, mapping node)`` of every place whose keys differ by version."""
    yield "top", "", root
    for scope in ("metadata", "permissions"):
        node = _child(root, scope)
        if node is not None:
            yield scope, scope, node
    for name, _, node in _entries(_child(root, "models")):
        yield "model", f"models.{name}", node
    for name, _, agent in _entries(_child(root, "agents")):
        where = f"agents.{name}"
        yield "agent", where, agent
        for index, item in enumerate(_items(_child(agent, "toolsets"))):
            yield "toolset", f"{where}.toolsets[{index}]", item
        hooks = _child(agent, "hooks")
        if hooks is not None:
            yield "hooks", f"{where}.hooks", hooks
    for name, _, source in _entries(_child(root, "rag")):
        yield "rag", f"rag.{name}", source
        results = _child(source, "results")
        if results is not None:
            yield "rag_results", f"rag.{name}.results", results
        for index, strategy in enumerate(_items(_child(source, "strategies"))):
            chunking = _child(strategy, "chunking")
            if chunking is not None:
                yield "rag_chunking", f"rag.{name}.strategies[{index}].chunking", chunking


def check_version_keys(doc: Document, root: yaml.Node, version: str, given: bool) -> None:
    """Refuse every key that the file's ``version`` does not have (``given``: whether the
    file says its version, or is read as the latest).
    """
    number = int(version)
    says = (
        f'this file says version: "{version}"'
        if given
        else (f'this file gives no version, so it is read as version: "{LATEST}"')
    )
    for scope, where, node in _scopes(root):
        for name, key, _ in _entries(node):
            at = f"{where}.{name}" if where else name
            since = INTRODUCED.get(scope, {}).get(name)
            if since is not None and number < since:
                raise doc.error(
                    key,
                    at,
                    f"'{name}' needs version: \"{since}\" or later; {says}. Set version: "
                    f"\"{since}\" (or later), or remove '{name}'{HINTS.get((scope, name), '')}",
                )
            removed = REMOVED.get(scope, {}).get(name)
            if removed is None:
                continue
            if (scope, name) in REFUSED_ON_UPGRADE and number < removed[0]:
                raise doc.error(
                    key,
                    at,
                    f"'{name}' is read in version {version} files, but cagent refuses it when "
                    f"it upgrades them (it was dropped in version {removed[0]}); remove it: "
                    f"{removed[1]}",
                )
            if (scope, name) in VERSION_0_DROPS and number == 0:
                raise doc.error(
                    key,
                    at,
                    f"'{name}' has no effect: cagent drops it when it migrates a version 0 "
                    f"file; remove it ({removed[1]})",
                )
            if number >= removed[0]:
                raise doc.error(
                    key,
                    at,
                    f"'{name}' was dropped in version {removed[0]}; {says}. {removed[1][0].upper()}"
                    f"{removed[1][1:]}",
                )


def _scalar(value: str, mark: yaml.Node, tag: str = "tag:yaml.org,2002:str") -> yaml.ScalarNode:
    """A new scalar node, placed where ``mark`` is (messages about it name that line)."""
    return yaml.ScalarNode(tag, value, mark.start_mark, mark.end_mark)


def _toolset(kind: str, key: yaml.Node, option: tuple[str, yaml.Node] | None) -> yaml.MappingNode:
    """A ``{type: kind[, option: value]}`` toolset node, placed at ``key``."""
    entries: list[tuple[yaml.Node, yaml.Node]] = [(_scalar("type", key), _scalar(kind, key))]
    if option is not None:
        entries.append((_scalar(option[0], key), option[1]))
    return yaml.MappingNode("tag:yaml.org,2002:map", entries, key.start_mark, key.end_mark)


def _flag(doc: Document, node: yaml.Node, where: str) -> bool:
    if isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:bool":
        return str(node.value).lower() in ("true", "yes", "on")
    if isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null":
        return False
    raise doc.error(node, where, "expected true or false")


def _only(doc: Document, node: yaml.Node, where: str, name: str) -> yaml.Node | None:
    """The value of the only key (``name``) an old-style mapping (``todo:``, ``memory:``) has."""
    found = None
    for key, key_node, value in _entries(node):
        if key != name:
            raise doc.error(key_node, f"{where}.{key}", f"unknown key '{key}'; valid keys: {name}")
        found = value
    return found


def _agent_toolsets(doc: Document, agent: yaml.Node, where: str) -> list[yaml.Node]:
    """The toolsets cagent makes of a version 0 agent's ``todo``, ``think`` and ``memory``
    (in that order, before the agent's own toolsets).
    """
    made: dict[str, yaml.Node] = {}
    for name, key, value in _entries(agent):
        at = f"{where}.{name}"
        if name == "todo" and isinstance(value, yaml.MappingNode):  # {shared: true}
            shared = _only(doc, value, at, "shared")
            made[name] = _toolset("todo", key, ("shared", shared) if shared else None)
        elif name in ("todo", "think") and _flag(doc, value, at):
            made[name] = _toolset(name, key, None)
        elif name == "memory":
            if not isinstance(value, yaml.MappingNode):
                raise doc.error(value, at, "expected a mapping: memory: {path: FILE}")
            path = _only(doc, value, at, "path")
            if path is not None and text(doc, path, f"{at}.path"):
                made[name] = _toolset("memory", key, ("path", path))
    return [made[name] for name in ("todo", "think", "memory") if name in made]


def migrate_v0(doc: Document, root: yaml.Node) -> None:
    """Rewrite a version 0 file's nodes into version 1, as cagent's upgrade does:
    ``models.*.type`` becomes ``provider``; an agent's ``todo``, ``think`` and ``memory``
    become toolsets placed before its own. New nodes keep the lines they come from.
    """
    for _, _, model in _entries(_child(root, "models")):
        if isinstance(model, yaml.MappingNode):
            model.value = [
                (_scalar("provider", key), value)
                if isinstance(key, yaml.ScalarNode) and key.value == "type"
                else (key, value)
                for key, value in model.value
            ]
    for name, _, agent in _entries(_child(root, "agents")):
        if not isinstance(agent, yaml.MappingNode):
            continue
        made = _agent_toolsets(doc, agent, f"agents.{name}")
        agent.value = [
            (key, value)
            for key, value in agent.value
            if not (isinstance(key, yaml.ScalarNode) and key.value in ("todo", "think", "memory"))
        ]
        if not made:
            continue
        own = _child(agent, "toolsets")
        if isinstance(own, yaml.SequenceNode):
            own.value[:0] = made
        elif own is None:  # (any other value: the loader says what it expects)
            first = made[0]
            items = yaml.SequenceNode(
                "tag:yaml.org,2002:seq", made, first.start_mark, first.end_mark
            )
            agent.value.append((_scalar("toolsets", first), items))
