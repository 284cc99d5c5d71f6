"""pytest-agentcassette: record an AI agent's LLM traffic once, replay it forever.

Public API::

    from pytest_agentcassette import use_cassette

    with use_cassette("cassettes/explain.yaml", record_mode="once") as cassette:
        ...  # every httpx / httpx2 request in here is recorded or replayed

The names below are imported on first use, so that loading the pytest plugin in a session
that never opens a cassette costs nothing. The package holds no asserts for pytest to
rewrite (PYTEST_DONT_REWRITE; see :mod:`pytest_agentcassette.plugin._no_rewrite`).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pytest_agentcassette._cassette import Cassette, use_cassette
    from pytest_agentcassette._conversation import (
        Conversation,
        Exchange,
        McpCall,
        ToolCall,
        Usage,
    )
    from pytest_agentcassette._errors import (
        CassetteError,
        CassetteMismatchError,
        CassetteSecretError,
        NetworkBlockedError,
        ResponseDriftError,
        SecretRedactedWarning,
        TokenBudgetError,
        TokenBudgetWarning,
        UnusedInteractionsError,
        UnusedInteractionsWarning,
    )
    from pytest_agentcassette._model import (
        Body,
        Interaction,
        Matcher,
        RecordedRequest,
        RecordedResponse,
        TransportError,
    )
    from pytest_agentcassette._options import CassetteOptions
    from pytest_agentcassette._record_mode import RecordMode
    from pytest_agentcassette._secrets import SecretFinding

__all__ = [
    "Body",
    "Cassette",
    "CassetteError",
    "CassetteMismatchError",
    "CassetteOptions",
    "CassetteSecretError",
    "Conversation",
    "Exchange",
    "Interaction",
    "Matcher",
    "McpCall",
    "NetworkBlockedError",
    "RecordMode",
    "RecordedRequest",
    "RecordedResponse",
    "ResponseDriftError",
    "SecretFinding",
    "SecretRedactedWarning",
    "TokenBudgetError",
    "TokenBudgetWarning",
    "ToolCall",
    "TransportError",
    "UnusedInteractionsError",
    "UnusedInteractionsWarning",
    "Usage",
    "__version__",
    "use_cassette",
]

_LAZY = {
    "Body": "_model",
    "Cassette": "_cassette",
    "CassetteError": "_errors",
    "CassetteMismatchError": "_errors",
    "CassetteOptions": "_options",
    "CassetteSecretError": "_errors",
    "Conversation": "_conversation",
    "Exchange": "_conversation",
    "Interaction": "_model",
    "Matcher": "_model",
    "McpCall": "_conversation",
    "NetworkBlockedError": "_errors",
    "RecordMode": "_record_mode",
    "RecordedRequest": "_model",
    "RecordedResponse": "_model",
    "ResponseDriftError": "_errors",
    "SecretFinding": "_secrets",
    "SecretRedactedWarning": "_errors",
    "TokenBudgetError": "_errors",
    "TokenBudgetWarning": "_errors",
    "ToolCall": "_conversation",
    "TransportError": "_model",
    "UnusedInteractionsError": "_errors",
    "UnusedInteractionsWarning": "_errors",
    "Usage": "_conversation",
    "use_cassette": "_cassette",
}


def __getattr__(name: str) -> Any:
    if name == "__version__":
        from importlib.metadata import version

        return version("pytest-agentcassette")
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'pytest_agentcassette' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
