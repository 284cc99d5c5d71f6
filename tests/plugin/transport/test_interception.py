"""Entering and leaving cassettes: the patches come with the first and go with the last,
whatever happens in between."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from pytest_agentcassette import use_cassette


def test_a_failure_to_start_the_interception_leaves_nothing_patched(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import httpcore
    import httpcore2  # noqa: F401  (imported: its patch runs when the cassette opens)

    from pytest_agentcassette._transport import httpcore_mocker

    original = httpcore.ConnectionPool.handle_request

    def broken(cls: Any) -> None:
        raise ImportError("httpcore2 is broken")

    monkeypatch.setattr(httpcore_mocker.Httpcore2CassetteMocker, "start", classmethod(broken))
    with pytest.raises(ImportError), use_cassette(tmp_path / "c.yaml"):
        pass
    assert httpcore.ConnectionPool.handle_request is original


def test_a_library_imported_inside_a_cassette_is_patched_with_those_its_adapter_imports(
    tmp_path: Path,
) -> None:
    # httpcore2's adapter imports httpcore: in a fresh process, where neither is imported
    # yet, both are patched, one after the other, and both are put back.
    script = f"""
import sys
from pytest_agentcassette import use_cassette
assert "httpcore" not in sys.modules and "httpcore2" not in sys.modules
with use_cassette({str(tmp_path / "c.yaml")!r}, record_mode="once"):
    import httpcore2
    import httpcore
    patched = (httpcore2.ConnectionPool.handle_request, httpcore.ConnectionPool.handle_request)
    assert all("handle_request" in method.__qualname__ and method.__wrapped__ for method in patched)
restored = (httpcore2.ConnectionPool.handle_request, httpcore.ConnectionPool.handle_request)
assert not any(hasattr(method, "__wrapped__") for method in restored), restored
print("both patched, both restored")
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.stdout == "both patched, both restored\n", done.stderr
