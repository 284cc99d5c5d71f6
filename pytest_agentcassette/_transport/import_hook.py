"""Patching a module when it is imported, not before: importing the MCP SDK costs half a
second, which a test run that never starts an MCP server should not pay. While a cassette
is open, a finder on ``sys.meta_path`` waits for the module and patches it as soon as it
has run.
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import sys
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

__all__ = ["when_imported"]


class _Loader(importlib.abc.Loader):
    """The module's own loader, then ``then(module)``."""

    def __init__(self, loader: importlib.abc.Loader, then: Callable[[ModuleType], None]):
        self._loader = loader
        self._then = then

    def create_module(self, spec: Any) -> ModuleType | None:
        return self._loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        self._loader.exec_module(module)
        self._then(module)


class _Finder(importlib.abc.MetaPathFinder):
    def __init__(self, name: str, then: Callable[[ModuleType], None]):
        self.name = name
        self.then = then
        self._finding = False

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> Any:
        if fullname != self.name or self._finding:
            return None
        self._finding = True  # the other finders find it; this one only wraps the loader
        try:
            spec = importlib.util.find_spec(fullname)
        finally:
            self._finding = False
        if spec is None or spec.loader is None:
            return None
        spec.loader = _Loader(spec.loader, self.then)
        return spec


def when_imported(name: str, then: Callable[[ModuleType], None]) -> Callable[[], None]:
    """Call ``then(module)`` with module ``name``: now if it is imported already, else
    when it is. Returns what stops waiting for it.
    """
    module = sys.modules.get(name)
    if module is not None:
        then(module)
        return lambda: None
    finder = _Finder(name, then)
    sys.meta_path.insert(0, finder)

    def stop() -> None:
        if finder in sys.meta_path:
            sys.meta_path.remove(finder)

    return stop
