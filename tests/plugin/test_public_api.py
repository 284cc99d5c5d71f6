"""The public surface: one curated namespace, cheap to import."""

from __future__ import annotations

import subprocess
import sys

import pytest

import pytest_agentcassette


def test_all_is_sorted_and_every_name_resolves() -> None:
    names = pytest_agentcassette.__all__
    assert list(names) == sorted(names)
    for name in names:
        assert getattr(pytest_agentcassette, name) is not None
    assert set(dir(pytest_agentcassette)) == set(names)


def test_the_issue_names_are_public() -> None:
    for name in (
        "use_cassette",
        "Cassette",
        "RecordMode",
        "CassetteError",
        "CassetteMismatchError",
    ):
        assert name in pytest_agentcassette.__all__


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="has no attribute 'Casette'"):
        pytest_agentcassette.Casette  # noqa: B018


def _modules_after(statement: str) -> set[str]:
    code = f"import sys\n{statement}\nprint(' '.join(sorted(sys.modules)))"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(run.stdout.split())


def test_importing_the_package_imports_neither_pytest_nor_the_http_stack() -> None:
    loaded = _modules_after("import pytest_agentcassette")
    assert not loaded & {"pytest", "_pytest", "httpx", "respx", "yaml"}


def test_loading_the_plugin_leaves_the_engine_unimported_until_a_cassette_is_used() -> None:
    loaded = _modules_after("import pytest_agentcassette.plugin")
    engine = {"_cassette", "_format", "_matching", "_transport", "_secrets", "_conversation"}
    assert not loaded & {"httpx", "respx", "yaml", *(f"pytest_agentcassette.{m}" for m in engine)}


def test_errors_form_one_hierarchy() -> None:
    assert issubclass(
        pytest_agentcassette.CassetteMismatchError, pytest_agentcassette.CassetteError
    )
    assert issubclass(pytest_agentcassette.CassetteError, Exception)


def test_agentcore_exports_a_sorted_complete_api() -> None:
    import agentcore

    assert list(agentcore.__all__) == sorted(agentcore.__all__)
    for name in agentcore.__all__:
        assert getattr(agentcore, name) is not None


def test_agentcore_knows_nothing_of_cassettes() -> None:
    loaded = _modules_after("import agentcore")
    assert not {name for name in loaded if name.startswith("pytest_agentcassette")}
