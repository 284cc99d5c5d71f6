"""Each ``version`` of the agent file is read with its own keys, as cagent parses it
(``pkg/config/v0`` ... ``v6`` and ``latest`` at 0d76412a), and ``version: "0"`` is migrated
as cagent's v1 upgrade does."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import pytest

import agentcore
from agentcore import ConfigError, load_config
from tests.support.provider_server import ProviderServer
from tests.support.wire_formats import Reply

AGENT = "agents:\n  root:\n    model: openai/gpt-4o\n    instruction: Work.\n"
# (what the key is, the file with {v} for its version, the first version that has the key)
KEYS: dict[str, tuple[str, int]] = {
    "agent add_environment_info": (AGENT + "    add_environment_info: true\n", 1),
    "agent welcome_message": (AGENT + "    welcome_message: Hi\n", 2),
    "agent max_iterations": (AGENT + "    max_iterations: 3\n", 2),
    "agent handoffs": (AGENT + "    handoffs: [root]\n", 2),
    "agent hooks": (AGENT + "    hooks: {session_start: [{type: command, command: 'true'}]}\n", 3),
    "agent fallback": (AGENT + "    fallback: {models: [openai/gpt-4o-mini]}\n", 4),
    "hooks on_user_input": (
        AGENT + "    hooks: {on_user_input: [{type: command, command: 'true'}]}\n",
        6,
    ),
    "top metadata": ("metadata: {author: Jane}\n" + AGENT, 1),
    "top providers": ("providers: {mine: {base_url: 'http://x/v1'}}\n" + AGENT, 3),
    "top permissions": ("permissions: {allow: [shell]}\n" + AGENT, 3),
    "top mcps": ("mcps: {calc: {command: calc}}\n" + AGENT, 6),
    "metadata version": ("metadata: {version: '1.0'}\n" + AGENT, 3),
    "metadata description": ("metadata: {description: A team}\n" + AGENT, 4),
    "permissions ask": ("permissions: {ask: [shell]}\n" + AGENT, 4),
    "model token_key": (
        "models: {m: {provider: openai, model: gpt-4o, token_key: MY_KEY}}\n"
        + AGENT.replace("openai/gpt-4o", "m"),
        1,
    ),
    "model track_usage": (
        "models: {m: {provider: openai, model: gpt-4o, track_usage: true}}\n"
        + AGENT.replace("openai/gpt-4o", "m"),
        2,
    ),
    "toolset shared": (AGENT + "    toolsets: [{type: todo, shared: true}]\n", 1),
    "toolset instruction": (AGENT + "    toolsets: [{type: shell, instruction: Be brief}]\n", 2),
    "toolset defer": (AGENT + "    toolsets: [{type: shell, defer: true}]\n", 3),
    "toolset model": (AGENT + "    toolsets: [{type: shell, model: openai/gpt-4o-mini}]\n", 6),
}


def write(tmp_path: Path, text: str, name: str = "agent.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


@pytest.mark.parametrize("case", KEYS)
def test_a_key_loads_from_the_version_that_brought_it_in(case: str, tmp_path: Path) -> None:
    body, since = KEYS[case]
    for version in range(since, 8):
        config = load_config(write(tmp_path, f'version: "{version}"\n{body}'))
        assert config.version == str(version)


@pytest.mark.parametrize("case", KEYS)
def test_a_key_is_refused_before_its_version_naming_the_line_and_the_fix(
    case: str, tmp_path: Path
) -> None:
    body, since = KEYS[case]
    key = case.split()[1]
    if since == 1:  # a version 0 model names its provider with type:
        body = body.replace("provider:", "type:")
    path = write(tmp_path, f'version: "{since - 1}"\n{body}')
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert message.startswith(f"{path}, line ")
    assert (
        f'\'{key}\' needs version: "{since}" or later; this file says version: "{since - 1}"'
    ) in message
    assert f'Set version: "{since}" (or later)' in message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            'version: "2"\nmodels: {m: {type: openai, model: gpt-4o}}\n' + AGENT,
            "line 2 (at models.m.type): 'type' was dropped in version 1; this file says "
            'version: "2". Write provider: instead',
        ),
        (
            AGENT + "    think: true\n",
            "line 5 (at agents.root.think): 'think' was dropped in version 1; this file gives "
            'no version, so it is read as version: "7". Add a toolset instead',
        ),
        (
            'version: "5"\n' + AGENT + "    toolsets: [{type: shell, sandbox: {image: x}}]\n",
            "'sandbox' is not supported yet by agentcore",
        ),
        (
            'version: "6"\n' + AGENT + "    toolsets: [{type: shell, sandbox: {image: x}}]\n",
            "'sandbox' was dropped in version 6",
        ),
        (
            'version: "1"\n' + AGENT + "    toolsets: [{type: shell, env_file: .env}]\n",
            "(at agents.root.toolsets[0].env_file): 'env_file' is read in version 1 files, but "
            "cagent refuses it when it upgrades them",
        ),
        (
            'version: "0"\nmodels: {m: {type: openai, model: gpt-4o, env: {A: b}}}\n'
            + AGENT.replace("openai/gpt-4o", "m"),
            "(at models.m.env): 'env' is read in version 0 files, but cagent refuses it",
        ),
        (
            'version: "0"\n' + AGENT + "    name: root\n",
            "(at agents.root.name): 'name' has no effect: cagent drops it when it migrates a "
            "version 0 file",
        ),
        (
            'version: "0"\n' + AGENT + "    todo: {shared: true, size: 3}\n",
            "(at agents.root.todo.size): unknown key 'size'; valid keys: shared",
        ),
        (
            'version: "0"\n' + AGENT + "    think: maybe\n",
            "(at agents.root.think): expected true or false",
        ),
        (
            'version: "2"\nrag: {code: {docs: [src], tool: {name: search}}}\n' + AGENT,
            "line 2 (at rag.code.tool): 'tool' needs version: \"3\" or later",
        ),
        ('version: "8"\n' + AGENT, "unsupported version '8'; valid: 0, 1, 2, 3, 4, 5, 6, 7"),
        (
            "metadata: {author: Jane, homepage: x}\n" + AGENT,
            "line 1 (at metadata.homepage): unknown key 'homepage'; valid keys: author, "
            "license, description, readme, version",
        ),
        (
            AGENT + "    sub_agents: ['https://example.com/agent.yaml']\n",
            "line 5 (at agents.root.sub_agents[0]): 'https://example.com/agent.yaml' is an "
            "external agent",
        ),
        (
            AGENT + "    handoffs: [docker.io/myorg/myagent:v1]\n",
            "'docker.io/myorg/myagent:v1' is an external agent (an OCI reference or a URL, which "
            "cagent pulls and runs); external agents are not supported yet by agentcore",
        ),
        (
            AGENT + "    sub_agents: [helpr]\n  helper:\n    model: openai/gpt-4o\n",
            "agent 'helpr' does not exist",
        ),
    ],
)
def test_keys_of_another_version_are_refused_with_the_line(
    tmp_path: Path, text: str, expected: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value).startswith(f"{path}, ")
    assert expected in str(caught.value)


def test_metadata_keeps_cagents_fields(tmp_path: Path) -> None:
    text = "metadata: {author: Jane, license: MIT, version: 1.0, readme: null}\n" + AGENT
    config = load_config(write(tmp_path, text))
    assert config.metadata == {"author": "Jane", "license": "MIT", "version": "1.0"}


V0 = """\
version: "0"
models:
  main:
    type: openai
    model: gpt-4o
    base_url: {url}
agents:
  root:
    model: main
    instruction: Work.
    todo:
      shared: true
    think: true
    memory:
      path: notes.db
    toolsets:
      - type: shell
  helper:
    model: main
    description: Helps.
    todo: true
    think: false
"""
MIGRATED = """\
version: "1"
models:
  main:
    provider: openai
    model: gpt-4o
    base_url: {url}
agents:
  root:
    model: main
    instruction: Work.
    toolsets:
      - type: todo
        shared: true
      - type: think
      - type: memory
        path: notes.db
      - type: shell
  helper:
    model: main
    description: Helps.
    toolsets:
      - type: todo
"""


def test_version_0_is_migrated_as_cagent_migrates_it(tmp_path: Path) -> None:
    old = load_config(write(tmp_path, V0.format(url="http://x/v1"), "old.yaml"))
    new = load_config(write(tmp_path, MIGRATED.format(url="http://x/v1"), "new.yaml"))
    assert old.version == "0"
    assert old.models == new.models
    assert old.agents == new.agents
    assert [t.type for t in old.agents["root"].toolsets] == ["todo", "think", "memory", "shell"]


def test_a_mistake_in_a_migrated_setting_names_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, 'version: "0"\n' + AGENT + "    todo:\n      shared: maybe\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value).startswith(
        f"{path}, line 7 (at agents.root.toolsets[0].shared): expected true or false"
    )


def run(tmp_path: Path, server: ProviderServer, text: str) -> list[object]:
    server.script = [Reply(tool=("think", {"thought": "plan"})), Reply("done")]
    tmp_path.mkdir()
    path = write(tmp_path, text.format(url=f"{server.url}/v1"))
    (tmp_path / "work").mkdir(exist_ok=True)
    with agentcore.load(path, working_dir=tmp_path / "work", env={"OPENAI_API_KEY": "k"}) as t:
        t.run("Plan")
    # the server names each tool call at random
    bodies = [json.loads(re.sub(rb"call_[0-9a-f]+", b"call_N", r.body)) for r in server.requests]
    server.requests.clear()
    return [(body["messages"], body.get("tools")) for body in bodies]


def test_a_version_0_file_runs_like_its_migrated_form(
    tmp_path: Path, provider_server: ProviderServer
) -> None:
    old = run(tmp_path / "old", provider_server, V0)
    new = run(tmp_path / "new", provider_server, MIGRATED)
    assert old == new
    assert len(old) == 2
