"""pytest-agentcassette: record an AI agent's LLM traffic once, replay it forever.

Public API::

    from pytest_agentcassette import use_cassette

    with use_cassette("cassettes/explain.yaml", record_mode="once") as cassette:
        ...  # every httpx / httpx2 request in here is recorded or replayed

The names below are imported on first use, so that loading the pytest plugin in a session
that never opens a cassette costs nothing.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .bodies import Body
    from .cassette import Cassette, use_cassette
    from .errors import (
        CassetteError,
        CassetteMismatchError,
        CassetteSecretError,
        NetworkBlockedError,
        SecretRedactedWarning,
        UnusedInteractionsWarning,
    )
    from .model import Interaction, RecordedRequest, RecordedResponse, TransportError
    from .record_mode import RecordMode

__all__ = [
    "Body",
    "Cassette",
    "CassetteError",
    "CassetteMismatchError",
    "CassetteSecretError",
    "Interaction",
    "NetworkBlockedError",
    "RecordMode",
    "RecordedRequest",
    "RecordedResponse",
    "SecretRedactedWarning",
    "TransportError",
    "UnusedInteractionsWarning",
    "__version__",
    "use_cassette",
]

_LAZY = {
    "Body": ".bodies",
    "Cassette": ".cassette",
    "use_cassette": ".cassette",
    "CassetteError": ".errors",
    "CassetteMismatchError": ".errors",
    "CassetteSecretError": ".errors",
    "NetworkBlockedError": ".errors",
    "SecretRedactedWarning": ".errors",
    "Interaction": ".model",
    "RecordedRequest": ".model",
    "RecordedResponse": ".model",
    "TransportError": ".model",
    "RecordMode": ".record_mode",
    "UnusedInteractionsWarning": ".errors",
}


def __getattr__(name: str) -> Any:
    if name == "__version__":
        from importlib.metadata import version

        return version("pytest-agentcassette")
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'pytest_agentcassette' has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
