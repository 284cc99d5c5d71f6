"""Keeping pytest's assertion rewriting off this distribution's own packages.

pytest rewrites the assertions of every module of a distribution that registers a plugin,
so that a plugin's helpers report failed asserts in detail. This package and agentcore
hold no ``assert`` (library code raises explicit exceptions), so rewriting them gains
nothing, and costs much: a rewritten module is parsed and compiled from source on every run
that cannot write bytecode (``PYTHONDONTWRITEBYTECODE=1``, common in CI images), where a
module imported as usual loads the bytecode pip wrote when it installed the package. That
was most of a first test's cost.

pytest has no public switch for this (``PYTEST_DONT_REWRITE`` skips the rewrite, not the
compiling), so the names are taken off the rewriting hook's list when the plugin loads,
before the plugin imports anything else. If pytest changes that list, nothing breaks: the
modules are rewritten again, as before (a test watches for it).
"""

from __future__ import annotations

import sys

__all__ = ["PACKAGES", "stop_rewriting_packages"]

PACKAGES = ("pytest_agentcassette", "agentcore")


def stop_rewriting_packages() -> None:
    """Take :data:`PACKAGES` off the list of pytest's assertion-rewriting import hook."""
    for finder in sys.meta_path:
        marked = getattr(finder, "_must_rewrite", None)
        known = getattr(finder, "_marked_for_rewrite_cache", None)
        if not isinstance(marked, set) or not isinstance(known, dict):
            continue
        # The packages (an installed plugin's distribution) and any module of them named
        # with -p (``-p pytest_agentcassette.plugin``, where plugins are not autoloaded).
        marked.difference_update([name for name in marked if name.partition(".")[0] in PACKAGES])
        for name in [name for name in known if name.partition(".")[0] in PACKAGES]:
            del known[name]
