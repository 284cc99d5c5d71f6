"""The ``dmr`` provider (Docker Model Runner): Chat Completions under ``/engines/v1``, and
one ``POST /engines/_configure`` before the first call, both through the team's client, so
both are recorded and replayed.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from agentcore import ConfigError
from agentcore.config import Config, ModelConfig, load_config
from agentcore.messages import Message
from agentcore.providers import HttpExchange, create_provider
from agentcore.providers.dmr import DmrChat, configure_body, dmr_base_url
from tests.support.model_runs import body, record_and_replay, write_agent
from tests.support.network import NetworkCut
from tests.support.provider_server import ProviderServer

AGENT = """\
models:
  local:
    provider: dmr
    model: ai/qwen3
    max_tokens: 8192
    temperature: 0.7
    provider_opts:
      runtime_flags: ["--temp", "0.2", "--threads", "4"]
      speculative_draft_model: ai/qwen3:0.6B
      speculative_num_tokens: 8
agents:
  root:
    model: local
    instruction: Answer.
"""


def test_dmr_configures_the_model_once_then_chats_through_the_cassette(
    tmp_path: Path, provider_server: ProviderServer, network_cut: NetworkCut
) -> None:
    env = {"MODEL_RUNNER_HOST": provider_server.url}
    runs = record_and_replay(
        tmp_path, provider_server, network_cut, AGENT, ["Hi", "Again"], lambda: {"env": env}
    )
    paths = [r.path for r in provider_server.requests]
    assert paths == [
        "/engines/_configure",
        "/engines/v1/chat/completions",
        "/engines/v1/chat/completions",
    ]
    assert body(provider_server, 0) == {
        "model": "ai/qwen3",
        "context-size": 8192,
        "runtime-flags": ["--temp", "0.2", "--threads", "4"],  # the file's --temp wins
        "speculative": {"draft_model": "ai/qwen3:0.6B", "num_tokens": 8},
    }
    assert body(provider_server, 1)["model"] == "ai/qwen3"
    assert runs.replay.played[0].request.url.endswith("/engines/_configure")
    assert len(runs.replay.played) == 3
    assert runs.replayed == ["You said: Hi", "You said: Again"]


def test_a_refused_configure_is_ignored(
    tmp_path: Path, provider_server: ProviderServer, network_cut: NetworkCut
) -> None:
    provider_server.failures = [(500, {}, b'{"error":"no such model"}')]
    env = {"MODEL_RUNNER_HOST": provider_server.url + "/"}
    runs = record_and_replay(
        tmp_path, provider_server, network_cut, AGENT, ["Hi"], lambda: {"env": env}
    )
    assert runs.replayed == ["You said: Hi"]
    assert [r.path for r in provider_server.requests][-1] == "/engines/v1/chat/completions"


def _dmr(env: dict[str, str], **extra: object) -> DmrChat:
    model = ModelConfig(name="m", provider="dmr", model="ai/smollm2", **extra)  # type: ignore[arg-type]
    provider = create_provider(
        model, Config(Path("a.yaml"), "2", {}, {"m": model}), HttpExchange(httpx.Client()), env
    )
    assert isinstance(provider, DmrChat)
    return provider


def test_dmr_base_url_default_and_model_runner_host(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("os.path.isfile", lambda path: False)
    assert dmr_base_url({}) == "http://127.0.0.1:12434/engines/v1"
    assert dmr_base_url({"MODEL_RUNNER_HOST": "http://h:1/"}) == "http://h:1/engines/v1"
    provider = _dmr({})
    assert provider.base_url == "http://127.0.0.1:12434/engines/v1"
    assert provider.missing_key is None  # the runner takes no key
    assert _dmr({}, base_url="http://box:9/engines/v1").base_url == "http://box:9/engines/v1"


def test_configure_body_derives_flags_from_sampling_settings() -> None:
    provider = _dmr(
        {},
        max_tokens=4096,
        temperature=0.5,
        top_p=0.9,
        provider_opts={"runtime_flags": "--top-p=0.8,--ctx-shift", "speculative_num_tokens": 0},
    )
    assert configure_body(provider) == {
        "model": "ai/smollm2",
        "context-size": 4096,
        "runtime-flags": ["--temp", "0.5", "--top-p=0.8", "--ctx-shift"],
    }
    assert configure_body(_dmr({})) == {"model": "ai/smollm2"}
    configured = _dmr({})
    configured.configured = True  # (no _configure to a runner that may be on this host)
    url, sent, _ = configured.request([Message("user", "hi")], [])
    assert url.endswith("/engines/v1/chat/completions")
    assert sent["model"] == "ai/smollm2"


@pytest.mark.parametrize(
    ("opts", "message"),
    [
        (
            "{context_size: 4096}",
            "line 6 (at models.local.provider_opts.context_size): provider_opts 'context_size' is "
            "not supported yet by agentcore for provider 'dmr' (DMR takes the context size "
            "from max_tokens; set max_tokens instead)",
        ),
        (
            "{speculative_num_tokens: many}",
            "line 6 (at models.local.provider_opts.speculative_num_tokens): expected a whole "
            "number, got 'many'",
        ),
    ],
)
def test_dmr_options_it_does_not_read_are_refused(tmp_path: Path, opts: str, message: str) -> None:
    text = (
        "models:\n  local:\n    provider: dmr\n    model: ai/qwen3\n"
        f"    provider_opts:\n      {opts[1:-1]}\nagents:\n  root:\n    model: local\n"
    )
    with pytest.raises(ConfigError) as caught:
        load_config(write_agent(tmp_path, text))
    assert message in str(caught.value)
    assert json.dumps(str(caught.value)).count("agent.yaml") == 1
