"""Agent files load as cagent's do, and every mistake names the file, the YAML path and the
line, with the valid choices."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from agentcore import ConfigError, load_config

GOOD = """\
version: "2"
models:
  fast:
    provider: openai
    model: gpt-4o-mini
    max_tokens: 1000
    temperature: 0.2
agents:
  root:
    model: fast
    description: The coordinator
    instruction: Delegate weather questions.
    sub_agents: [weather]
    toolsets:
      - type: filesystem
      - type: think
  weather:
    model: anthropic/claude-sonnet-4-0
    instruction: Answer weather questions.
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "agent.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def test_a_cagent_file_loads_with_agents_in_order(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, GOOD))
    assert list(config.agents) == ["root", "weather"]
    assert config.models["fast"].max_tokens == 1000
    assert config.model_for("weather").provider == "anthropic"
    assert [t.type for t in config.agents["root"].toolsets] == ["filesystem", "think"]


def test_the_corpus_agents_load(cagent_corpus: Path) -> None:
    for name in ("basic", "fs_tools", "multi_transfer"):
        config = load_config(cagent_corpus / "testdata" / f"{name}.yaml")
        assert "root" in config.agents


def test_models_can_be_overridden_per_agent_or_for_all(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    config = load_config(path, model_overrides={"weather": "google/gemini-2.5-flash"})
    assert config.model_for("weather").provider == "google"
    assert config.model_for("root").name == "fast"
    everything = load_config(path, model_overrides={"*": "mistral/mistral-small"})
    assert {everything.model_for(name).provider for name in everything.agents} == {"mistral"}


CASES = {
    "unknown key": (
        GOOD.replace("    description: The coordinator", "    descripton: The coordinator"),
        "line 11 (at agents.root.descripton): unknown key 'descripton'; valid keys: model, "
        "description,",
        "Did you mean 'description'?",
    ),
    "missing model": (
        GOOD.replace("    model: fast\n", ""),
        "line 10 (at agents.root): missing 'model' (a name under models:, or provider/model)",
        "",
    ),
    "model not defined": (
        GOOD.replace("    model: fast\n", "    model: fats\n"),
        "line 10 (at agents.root.model): model 'fats' not found; define it under models: or "
        "write provider/model (e.g. openai/gpt-4o). Models defined: fast.",
        "Did you mean 'fast'?",
    ),
    "unknown toolset type": (
        GOOD.replace("      - type: think", "      - type: thinking"),
        "line 16 (at agents.root.toolsets[1].type): unknown toolset type 'thinking'; valid "
        "types: filesystem, shell, think, todo, memory, fetch, script, user_prompt, model_picker, "
        "api, mcp.",
        "Did you mean 'think'?",
    ),
    "toolset not supported yet": (
        GOOD.replace("      - type: think", "      - type: openapi"),
        "line 16 (at agents.root.toolsets[1].type): toolset type 'openapi' is not supported yet by "
        "agentcore",
        "",
    ),
    "sub-agent that does not exist": (
        GOOD.replace("sub_agents: [weather]", "sub_agents: [wether]"),
        "line 13 (at agents.root.sub_agents[0]): agent 'wether' does not exist; agents "
        "defined: root, weather.",
        "Did you mean 'weather'?",
    ),
    "key not supported yet": (
        GOOD.replace("    description: The coordinator", "    code_mode_tools: true"),
        "line 11 (at agents.root.code_mode_tools): 'code_mode_tools' is not supported yet by "
        "agentcore "
        "(cagent accepts it); remove it to run this file here",
        "",
    ),
    "unknown provider": (
        GOOD.replace("provider: openai", "provider: openia"),
        "line 4 (at models.fast.provider): unknown provider 'openia'; valid providers: openai,",
        "Did you mean 'openai'?",
    ),
    "provider not supported yet": (
        GOOD.replace("model: anthropic/claude-sonnet-4-0", "model: amazon-bedrock/claude"),
        "line 18 (at agents.weather.model): provider 'amazon-bedrock' is not supported yet",
        "",
    ),
    "wrong type": (
        GOOD.replace("max_tokens: 1000", "max_tokens: lots"),
        "line 6 (at models.fast.max_tokens): expected a whole number of tokens, got str 'lots'",
        "",
    ),
    "unknown tool in the tools filter": (
        GOOD.replace(
            "      - type: filesystem", "      - type: filesystem\n        tools: [read_fil]"
        ),
        "line 16 (at agents.root.toolsets[0].tools[0]): unknown tool 'read_fil' for toolset "
        "type filesystem; its tools: directory_tree,",
        "Did you mean 'read_file'?",
    ),
    "unsupported version": (
        GOOD.replace('version: "2"', 'version: "8"'),
        "line 1 (at version): unsupported version '8'; valid: 0, 1, 2, 3, 4, 5, 6, 7",
        "",
    ),
    "a version 1 file with handoffs": (
        GOOD.replace('version: "2"', 'version: "1"').replace("sub_agents:", "handoffs:"),
        "line 13 (at agents.root.handoffs): 'handoffs' needs version: \"2\" or later; this "
        'file says version: "1". Set version: "2" (or later), or remove \'handoffs\'',
        "",
    ),
    "not YAML": ("agents:\n  root: [unclosed\n", "line 3, column 1: not valid YAML:", ""),
}


@pytest.mark.parametrize("case", CASES)
def test_each_mistake_names_the_file_the_place_and_the_choices(case: str, tmp_path: Path) -> None:
    text, expected, suggestion = CASES[case]
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert message.startswith(f"{path}, ")
    assert expected in message
    assert suggestion in message
    assert caught.value.path == str(path)


def test_no_root_agent_is_an_error_when_running(tmp_path: Path) -> None:
    import agentcore

    path = write(tmp_path, "agents:\n  main:\n    model: openai/gpt-4o\n")
    team = agentcore.load(path)
    with pytest.raises(ConfigError, match="there is no agent 'root' to run; agents defined: main"):
        team.run("hi")
    team.close()
