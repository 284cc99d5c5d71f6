"""Entering and leaving cassettes: the patches come with the first and go with the last,
whatever happens in between."""

from __future__ import annotations

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
