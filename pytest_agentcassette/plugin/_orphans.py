"""Orphaned cassettes: files in the cassette folder of a test module that ran whole which no
test of that module uses (a test renamed or removed, its cassette left behind).

A module ran whole when every test of it was collected and none deselected (no node id,
``-k``, ``-m``, ``--lf`` narrowed it): only then does the run know every cassette its tests
name. A test uses the cassette it names whether it ran, was skipped or was never reached;
a parametrized test names one per case, a shared named cassette is used by each test that
names it. Under pytest-xdist each worker collects every test, so each one's folders agree;
the controller joins what the workers saw and what their tests opened.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from pytest_agentcassette._errors import CassetteError

if TYPE_CHECKING:
    import pytest

__all__ = ["CassetteFolders", "collected_folders", "orphan_lines"]

SUFFIXES = (".yaml", ".yml")


class CassetteFolders:
    """The cassette folders of the modules a session collected, and the files its tests use:
    ``whole``, folders of modules whose every test was collected and selected; ``partial``,
    folders of modules that ran in part (what they hold is not judged); ``used``, cassette
    files the collected tests name, or opened.
    """

    def __init__(self) -> None:
        self.whole: set[Path] = set()
        self.partial: set[Path] = set()
        self.used: set[Path] = set()

    def use(self, paths: Iterable[Path]) -> None:
        """Count ``paths`` as used (the cassettes tests opened)."""
        self.used.update(_real_file(path) for path in paths)

    def to_wire(self) -> dict[str, list[str]]:
        """The folders and files as plain data, for a pytest-xdist worker to send."""
        self._use_opened()
        return {name: sorted(map(str, getattr(self, name))) for name in _WIRE}

    def _use_opened(self) -> None:
        """Count as used the cassettes this process opened, ``use_cassette`` blocks
        inside tests included (only if a cassette was ever opened: the engine is not
        imported for nothing).
        """
        if "pytest_agentcassette._cassette.cassette" in sys.modules:
            from pytest_agentcassette._cassette import opened_paths

            self.use(opened_paths())

    def add_wire(self, wire: dict[str, list[str]]) -> None:
        """Add what a worker sent (see :meth:`to_wire`)."""
        for name in _WIRE:
            getattr(self, name).update(Path(text) for text in wire.get(name, ()))

    def orphans(self) -> list[Path]:
        """The cassette files of the whole modules' folders that no test uses."""
        self._use_opened()
        found = []
        for folder in sorted(self.whole - self.partial):
            if not folder.is_dir():
                continue
            for path in sorted(folder.rglob("*")):
                if path.suffix in SUFFIXES and path.is_file() and path not in self.used:
                    found.append(path)
        return found


_WIRE = ("whole", "partial", "used")


def orphan_lines(orphans: Sequence[Path], policy: str) -> list[str]:
    """The summary's section about ``orphans``; empty when there are none."""
    from pytest_agentcassette._located import display_path

    if not orphans:
        return []
    lines = [
        "orphaned cassettes (no test of their module uses them; remove them or rename them "
        "to a test):",
        *(f"  {display_path(path)}" for path in orphans),
    ]
    if policy == "fail":
        count = f"{len(orphans)} orphaned cassette{'' if len(orphans) == 1 else 's'}"
        lines.append(f"the session fails: {count} (orphaned_cassettes = fail)")
    return lines


def _narrowed(config: pytest.Config) -> set[Path] | None:
    """The files that node ids on the command line narrow (``test_x.py::test_a``); None when
    one of them names no file (``--pyargs``): then no module is known to have run whole.
    """
    narrowed = set()
    for argument in config.args:
        file, separator, _ = str(argument).partition("::")
        if not separator:
            continue
        path = config.invocation_params.dir / file
        if not path.is_file():
            return None
        narrowed.add(path.resolve())
    return narrowed


def collected_folders(
    items: Sequence[pytest.Item], deselected: Sequence[pytest.Item], config: pytest.Config
) -> CassetteFolders:
    """The cassette folders of the collected tests' modules, whole or partial, and the
    cassette files the tests name.
    """
    import pytest

    from pytest_agentcassette.plugin._settings import cassette_file, module_folder, uses_a_cassette

    folders = CassetteFolders()
    if "pytest_agentcassette._cassette.cassette" in sys.modules:  # an earlier session's
        from pytest_agentcassette._cassette import opened_paths

        opened_paths(forget=True)
    narrowed = _narrowed(config)
    if narrowed is None:
        return folders
    for item in deselected:
        folders.partial.add(_real(module_folder(item)))
    partial = narrowed | {_real(item.path) for item in deselected}
    of_module: dict[Path, tuple[Path, bool]] = {}  # a module -> its folder, whether whole
    for item in items:
        if not isinstance(item, pytest.Function):
            continue
        if item.path not in of_module:
            whole = _real(item.path) not in partial
            of_module[item.path] = (_real(module_folder(item)), whole)
        folder, whole = of_module[item.path]
        (folders.whole if whole else folders.partial).add(folder)
        if uses_a_cassette(item):
            try:
                folders.used.add(_real_file(cassette_file(item)))
            except CassetteError:  # a wrong name: the test fails with it
                folders.partial.add(folder)
    return folders


@functools.lru_cache(maxsize=4096)
def _real(path: Path) -> Path:
    """``path`` resolved, once: a test's cassette is resolved when collected and again
    when its use is counted.
    """
    return path.resolve()


def _real_file(path: Path) -> Path:
    """A cassette file as the search of its folder finds it: its folder resolved (once per
    folder), its own name kept (a file that is a link is the link, as the search lists it).
    """
    return _real(path.parent) / path.name
