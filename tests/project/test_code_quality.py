"""The style gates run with the suite, so CI enforces them: ruff (lint and format), mypy,
no import cycles, and no long functions in the libraries."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True)


@pytest.mark.parametrize("command", [("check", "."), ("format", "--check", ".")])
def test_ruff(command: tuple[str, ...]) -> None:
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    if ruff is None:
        pytest.skip("ruff is not installed (pip install -e '.[test]')")
    result = _run(ruff, *command)
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict() -> None:
    pytest.importorskip("mypy", reason="mypy is not installed (pip install -e '.[test]')")
    result = _run(sys.executable, "-m", "mypy")
    assert result.returncode == 0, result.stdout + result.stderr


LIBRARIES = ("pytest_agentcassette", "agentcore")
MAX_FUNCTION_LINES = 60


def _modules() -> dict[str, Path]:
    """Every module of the libraries, by dotted name (a package by its own name)."""
    modules = {}
    for package in LIBRARIES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            modules[name] = path
    return modules


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The project modules ``name`` imports anywhere: at the top, in functions, and under
    ``if TYPE_CHECKING:`` (a cycle of type-only imports is still a cycle)."""
    found = set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                found.add(submodule if submodule in modules else base)
    return {module for module in found if module in modules and module != name}


def _cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import cycle of ``graph`` as the list of modules around it, or ``[]``."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(module: str) -> list[str]:
        state[module] = 1
        path.append(module)
        for imported in sorted(graph[module]):
            if state.get(imported) == 1:
                return [*path[path.index(imported) :], imported]
            if imported not in state and (found := visit(imported)):
                return found
        path.pop()
        state[module] = 2
        return []

    for module in sorted(graph):
        if module not in state and (found := visit(module)):
            return found
    return []


def test_no_module_imports_itself_back_through_others() -> None:
    modules = _modules()
    graph = {name: _imports(name, path, modules) for name, path in modules.items()}
    assert _cycle(graph) == []


# What each room of the plugin must not import (ARCHITECTURE.md, "What may import what").
_PLUGIN = "pytest_agentcassette"
_NOT_IMPORTED_BY = {
    "_model": {""},  # nothing of the package
    "_format": {"_transport", "_cassette", "plugin", "_conversation"},
    "_matching": {"_transport", "_cassette", "plugin", "_format"},
    "_secrets": {"_transport", "_cassette", "plugin", "_matching"},
    "_conversation": {"_transport", "_cassette", "plugin", "_format", "_matching", "_secrets"},
    "_transport": {"_cassette", "plugin"},
    "_cassette": {"plugin"},
    "_report": {"_transport", "_cassette", "plugin"},
    "_convert": {"_transport", "_cassette", "plugin", "_matching", "_conversation", "_report"},
}


def _room(module: str) -> str:
    parts = module.split(".")
    return parts[1] if parts[0] == _PLUGIN and len(parts) > 1 else ""


def test_each_room_of_the_plugin_imports_only_what_lies_below_it() -> None:
    modules = _modules()
    crossings = []
    for name, path in modules.items():
        forbidden = _NOT_IMPORTED_BY.get(_room(name), set())
        for imported in sorted(_imports(name, path, modules)):
            target = _room(imported) if imported.startswith(_PLUGIN) else None
            if target is not None and ("" in forbidden or target in forbidden):
                crossings.append(f"{name} imports {imported}")
    assert crossings == []


def test_a_cycle_is_found_when_there_is_one() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}
    assert _cycle(graph) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) == []


def test_no_library_function_is_longer_than_60_lines() -> None:
    long = []
    for path in _modules().values():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}: {lines}")
    assert long == []
