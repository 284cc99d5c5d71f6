"""Credentials never reach a cassette: header and query scrubbing (:mod:`.scrub`), the
patterns of keys and tokens (:mod:`.patterns`), the check before every write
(:mod:`.guard`, :mod:`.streamed` for keys a stream spells in pieces), where each credential
was found (:mod:`.findings`), and the ``scan`` command for files on disk (:mod:`.scan`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pytest_agentcassette._lazy import lazy_attributes
from pytest_agentcassette._secrets.scrub import (
    DEFAULT_REDACTED_HEADERS,
    DEFAULT_REDACTED_QUERY_PARAMETERS,
    lowercase_set,
    redact_headers,
    redact_url,
)

if TYPE_CHECKING:
    from pytest_agentcassette._secrets.findings import SecretFinding, finding_lines
    from pytest_agentcassette._secrets.guard import (
        guard_secrets,
        redacted_for_matching,
        warn_found,
    )

__all__ = [
    "DEFAULT_REDACTED_HEADERS",
    "DEFAULT_REDACTED_QUERY_PARAMETERS",
    "SecretFinding",
    "finding_lines",
    "guard_secrets",
    "lowercase_set",
    "redact_headers",
    "redact_url",
    "redacted_for_matching",
    "warn_found",
]

# The credential patterns compile on first use of what needs them (a write, a request that
# matched nothing as sent): a replay that matches loads only the scrubbing above.
__getattr__ = lazy_attributes(
    __name__,
    {
        "SecretFinding": "findings",
        "finding_lines": "findings",
        "guard_secrets": "guard",
        "redacted_for_matching": "guard",
        "warn_found": "guard",
    },
)
