"""The public surface: one curated namespace, cheap to import."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import respx

import pytest_agentcassette
from pytest_agentcassette import use_cassette


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


_REPLAY = """
import httpx
from pytest_agentcassette import use_cassette

with use_cassette(PATH, record_mode="none"):
    for turn in range(2):
        httpx.post("https://api.example.test/v1/chat", json={"messages": ["m" * 200] * (turn + 5)})
"""


def test_replaying_a_written_cassette_loads_no_parser_patch_library_or_secret_patterns(
    tmp_path: Path,
) -> None:
    """What a replay that matches needs is read from the file as the plugin wrote it: YAML's
    parser, jsonpatch, the credential patterns, the recorder and the explanation of a miss
    load for writes and misses only.
    """
    path = tmp_path / "session.yaml"
    with respx.mock() as router:
        router.post("https://api.example.test/v1/chat").respond(200, json={"ok": True})
        with use_cassette(path, record_mode="all"):
            for turn in range(2):  # the second request is stored as a patch of the first
                body = {"messages": ["m" * 200] * (turn + 5)}
                httpx.post("https://api.example.test/v1/chat", json=body)
    assert "json_patch" in path.read_text()
    loaded = _modules_after(_REPLAY.replace("PATH", repr(str(path))))
    assert "pytest_agentcassette._cassette" in loaded  # the replay ran
    not_needed = {"yaml", "jsonpatch", "jsonpointer"} | {
        f"pytest_agentcassette.{module}"
        for module in (
            "_secrets.guard",
            "_matching.nearest",
            "_transport.tee",
            "_conversation.conversation",
        )
    }
    assert not loaded & not_needed


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
