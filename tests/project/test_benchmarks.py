"""The benchmark harness stays runnable (a tiny run of each part; vcrpy, a benchmark extra,
only when installed), and its target checks say what they measure."""

from __future__ import annotations

from importlib.util import find_spec
from pathlib import Path

import pytest

from benchmarks import cassetter_venv, recording, replay, scaling, shared, transports
from benchmarks.__main__ import agent_targets, memory_targets, suite_targets, table, targets


def test_the_replay_contenders_run_as_pytest_sessions(tmp_path: Path) -> None:
    cassettes = replay.record_cassettes(3, tmp_path, vcrpy=False)
    for contender in ("floor", "agentcassette"):
        times = replay.run_contender(tmp_path, contender, 3, 3, cassettes)
        assert len(times) == 2  # the first test, which pays the imports, is left out
        assert all(0 < t < 5 for t in times)


@pytest.mark.skipif(find_spec("vcr") is None, reason="vcrpy is a benchmark extra")
def test_the_vcrpy_contenders_run_too(tmp_path: Path) -> None:
    cassettes = replay.record_cassettes(3, tmp_path)
    for contender in ("vcrpy url", "vcrpy body"):
        assert len(replay.run_contender(tmp_path, contender, 3, 2, cassettes)) == 1


def test_scaling_recording_and_memory_measure_something(tmp_path: Path) -> None:
    (load,) = scaling.load_rows(tmp_path, sizes_kb=(100,))
    assert 50 <= int(load["size KB"]) <= 200  # type: ignore[call-overload]
    assert float(load["ratio"]) > 0  # type: ignore[arg-type]
    rows = scaling.match_rows(tmp_path, counts=(10,))
    assert float(rows[0]["shuffled µs"]) > 0  # type: ignore[arg-type]
    direct, recorded = recording.recording_rows(tmp_path, runs=2)
    assert (direct["path"], recorded["path"]) == ("direct", "through the recorder")
    assert float(recorded["last event ms"]) >= 60 * recording.PAUSE * 1000 * 0.9  # type: ignore[arg-type]
    memory = recording.memory_row(tmp_path / "size-100.yaml")
    assert float(memory["peak RSS MB"]) > 0  # type: ignore[arg-type]
    assert str(memory["added / cassette"]).endswith("x")


def test_the_shared_client_agent_and_the_suite_run_for_every_contender(tmp_path: Path) -> None:
    # cassetter only if its env already exists: this test never downloads anything.
    cassetter = cassetter_venv.cassetter_python(install=False)
    rows = shared.agent_rows(tmp_path, cassetter, turns=3, tests=2, rounds=1)
    names = ["floor", "floor, event chunks", "agentcassette", "cassetter", "vcrpy"]
    assert [row["contender"] for row in rows] == names
    for row in rows:
        measured = isinstance(row["steady ms"], float)
        assert measured or str(row["steady ms"]).startswith("skipped ("), row
    assert isinstance(rows[2]["cold ms"], float)
    (floor, _, ours, theirs, _) = shared.suite_rows(tmp_path, cassetter, tests=3, rounds=1)
    assert float(ours["run s"]) > 0  # type: ignore[arg-type]
    assert len(suite_targets([floor, ours, theirs])) == 1


def test_an_httpx_only_test_imports_nothing_of_the_other_transports(tmp_path: Path) -> None:
    every, alone = transports.transport_rows(tmp_path, processes=1)
    assert (every["clients patched"], alone["clients patched"]) == ("every client", "httpx only")
    assert every["imported"] == "none"
    assert float(every["steady µs"]) > 0  # type: ignore[arg-type]
    lines = targets([], [{"ratio": 1.0, "ms per MB": 1.0}], [{"in order µs": 1.0,
                    "shuffled µs": 1.0}], [{"first event ms": 1.0}] * 2, [every, alone])  # fmt: skip
    assert lines[-3].endswith("an httpx-only test imports nothing of the other transports: none")


def test_targets_are_judged_on_the_figures_given() -> None:
    replay_rows: list[dict[str, object]] = [
        {"turns": 10, "floor": 30.0, "agentcassette": 40.0, "vcrpy url": 39.0, "vcrpy body": 100.0},
        {"turns": 50, "floor": 70.0, "agentcassette": 100.0, "vcrpy body": 2500.0},
    ]
    load_rows: list[dict[str, object]] = [{"ratio": 1.2, "ms per MB": 15.0}]
    match_rows: list[dict[str, object]] = [
        {"in order µs": 40.0, "shuffled µs": 70.0},
        {"in order µs": 90.0, "shuffled µs": 80.0},
    ]
    recording_rows: list[dict[str, object]] = [
        {"first event ms": 1.0},
        {"first event ms": 1.4},
    ]
    lines = targets(replay_rows, load_rows, match_rows, recording_rows)
    assert lines == [
        "targets",
        "  [ok] 50 turns within 1.5x the floor: 1.43x",
        "  [ok] 50 turns 20x ahead of vcrpy with body matching: 25x",
        "  [MISSED] 10 turns no slower than vcrpy URL-only: 40.0 ms vs 39.0 ms",
        "  [ok] load within 1.5x libyaml: worst 1.20x",
        "  [ok] load linear in size: 15.0-15.0 ms per MB",
        "  [MISSED] match time flat from 10 to 2,000 interactions (in order): 40-90 µs",
        "  [ok] match time flat from 10 to 2,000 interactions (shuffled): 70-80 µs",
        "  [ok] first event within 1 ms of the direct path: +0.40 ms",
    ]
    assert table("t", [{"a": 1.234, "b": "x"}]) == "t\n     a  b\n  1.23  x\n"


def test_the_agent_suite_and_memory_targets_say_when_cassetter_was_skipped() -> None:
    agent: list[dict[str, object]] = [
        {"contender": "floor", "steady ms": 60.0, "cold ms": 90.0},
        {"contender": "agentcassette", "steady ms": 90.0, "cold ms": 150.0},
        {"contender": "cassetter", "steady ms": "skipped (no network)", "cold ms": ""},
    ]
    assert agent_targets(agent) == [
        "  [MISSED] agent steady within 1.35x the floor: 1.50x",
        "  [skipped] agent steady within 0.85x cassetter: cassetter skipped (no network)",
        "  [ok] agent cold within the floor + 80 ms: 150 ms vs 90 ms (+60)",
    ]
    suite: list[dict[str, object]] = [
        {"contender": "agentcassette", "run s": 2.0},
        {"contender": "cassetter", "run s": 2.5},
    ]
    assert suite_targets(suite) == [
        "  [ok] 200 short tests faster than cassetter: 2.00 s vs 2.50 s (0.80x)"
    ]
    memory: dict[str, object] = {"cassette MB": 10.0, "added by the replay MB": 25.0}
    assert memory_targets(memory) == [
        "  [MISSED] replay peak within 2x the cassette above baseline: +25.0 MB for 10.0 MB (2.50x)"
    ]
