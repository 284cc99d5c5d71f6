"""Which recorded interaction answers a live request: request keys (:mod:`.config`), the
index of a cassette's interactions (:mod:`.index`), what a body is compared as
(:mod:`.normalize`, :mod:`.urls`), and, for a request that matches nothing, the nearest
recorded one and what changed (:mod:`.nearest`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pytest_agentcassette._lazy import lazy_attributes
from pytest_agentcassette._matching.config import (
    DEFAULT_IGNORED_HEADERS,
    MATCHERS,
    MatchConfig,
    Matcher,
    RequestKey,
)
from pytest_agentcassette._matching.index import MatchIndex
from pytest_agentcassette._matching.normalize import parse_pointer
from pytest_agentcassette._matching.urls import normalize_url

if TYPE_CHECKING:
    from pytest_agentcassette._matching.nearest import (
        Nearest,
        find_nearest,
        recorded_comparable,
        render_patch,
    )

__all__ = [
    "DEFAULT_IGNORED_HEADERS",
    "MATCHERS",
    "MatchConfig",
    "MatchIndex",
    "Matcher",
    "Nearest",
    "RequestKey",
    "find_nearest",
    "normalize_url",
    "parse_pointer",
    "recorded_comparable",
    "render_patch",
]

# For a request that matched nothing only.
__getattr__ = lazy_attributes(
    __name__,
    dict.fromkeys(("Nearest", "find_nearest", "recorded_comparable", "render_patch"), "nearest"),
)
