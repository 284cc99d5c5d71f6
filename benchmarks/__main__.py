"""Run every benchmark and print the tables: ``python -m benchmarks``.

Needs the benchmark extras (``pip install -e ".[benchmarks]"``: vcrpy and pytest-recording,
which the plugin itself never uses). Options: ``--tests N`` (tests per pytest run, default
10), ``--rounds N`` (runs per contender, default 3), ``--quick`` (10 and 50 turns only,
one round: a smoke test of the harness, not a measurement).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from benchmarks import recording, replay, scaling, transports


def table(title: str, rows: Sequence[dict[str, object]]) -> str:
    """A plain-text table, numbers right-aligned with sensible precision."""
    if not rows:
        return f"{title}\n  (nothing)\n"
    columns = list(rows[0])

    def cell(value: object) -> str:
        if isinstance(value, float):
            return (
                f"{value:,.2f}"
                if value < 10
                else f"{value:,.1f}"
                if value < 100
                else f"{value:,.0f}"
            )
        return str(value)

    cells = [[cell(row.get(c, "")) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    lines = [title, "  " + "  ".join(c.rjust(w) for c, w in zip(columns, widths, strict=True))]
    lines += ["  " + "  ".join(v.rjust(w) for v, w in zip(r, widths, strict=True)) for r in cells]
    return "\n".join(lines) + "\n"


def _check(name: str, holds: bool, detail: str) -> str:
    return f"  [{'ok' if holds else 'MISSED'}] {name}: {detail}"


def _replay_targets(replay_rows: list[dict[str, object]]) -> list[str]:
    """Replay against the floor and vcrpy, at 50 and 10 turns."""
    by_turns = {row["turns"]: row for row in replay_rows}
    lines: list[str] = []
    if 50 in by_turns:
        row = by_turns[50]
        ours, floor, vcr = (float(row[k]) for k in ("agentcassette", "floor", "vcrpy body"))  # type: ignore[arg-type]
        lines.append(
            _check("50 turns within 1.5x the floor", ours <= 1.5 * floor, f"{ours / floor:.2f}x")
        )
        lines.append(
            _check(
                "50 turns 20x ahead of vcrpy with body matching",
                vcr >= 20 * ours,
                f"{vcr / ours:.0f}x",
            )
        )
    if 10 in by_turns:
        row = by_turns[10]
        ours, vcr_url = float(row["agentcassette"]), float(row["vcrpy url"])  # type: ignore[arg-type]
        lines.append(
            _check(
                "10 turns no slower than vcrpy URL-only",
                ours <= vcr_url,
                f"{ours:.1f} ms vs {vcr_url:.1f} ms",
            )
        )
    return lines


def targets(
    replay_rows: list[dict[str, object]],
    load_rows: list[dict[str, object]],
    match_rows: list[dict[str, object]],
    recording_rows: list[dict[str, object]],
    transport_rows: list[dict[str, object]] | None = None,
) -> list[str]:
    """The issue's targets, each with the figure that decides it."""
    lines = ["targets", *_replay_targets(replay_rows)]
    worst = max(float(r["ratio"]) for r in load_rows)  # type: ignore[arg-type]
    per_mb = [float(r["ms per MB"]) for r in load_rows]  # type: ignore[arg-type]
    lines.append(_check("load within 1.5x libyaml", worst <= 1.5, f"worst {worst:.2f}x"))
    lines.append(
        _check(
            "load linear in size",
            max(per_mb) <= 2 * min(per_mb),
            f"{min(per_mb):.1f}-{max(per_mb):.1f} ms per MB",
        )
    )
    for key in ("in order µs", "shuffled µs"):
        values = [float(r[key]) for r in match_rows]  # type: ignore[arg-type]
        lines.append(
            _check(
                f"match time flat from 10 to 2,000 interactions ({key.removesuffix(' µs')})",
                max(values) <= 2 * min(values),
                f"{min(values):.0f}-{max(values):.0f} µs",
            )
        )
    direct, recorded = (float(r["first event ms"]) for r in recording_rows)  # type: ignore[arg-type]
    lines.append(
        _check(
            "first event within 1 ms of the direct path",
            recorded - direct <= 1.0,
            f"+{recorded - direct:.2f} ms",
        )
    )
    if transport_rows:
        lines += _transport_targets(transport_rows)
    return lines


def _transport_targets(rows: list[dict[str, object]]) -> list[str]:
    """An httpx-only test pays nothing measurable for the other transports."""
    every, alone = ({k: row[k] for k in row} for row in rows)
    cold = float(every["cold ms"]) - float(alone["cold ms"])  # type: ignore[arg-type]
    steady = float(every["steady µs"]) / float(alone["steady µs"])  # type: ignore[arg-type]
    return [
        _check(
            "an httpx-only test imports nothing of the other transports",
            every["imported"] == "none",
            str(every["imported"]),
        ),
        _check(
            "the other transports cost an httpx-only first test nothing (within 10 ms)",
            cold <= 10.0,
            f"{cold:+.1f} ms",
        ),
        _check(
            "the other transports cost an httpx-only test nothing in steady state (within 10%)",
            steady <= 1.10,
            f"{steady:.2f}x",
        ),
    ]


def machine() -> str:
    """What the numbers ran on."""
    cpus = os.cpu_count()
    return f"{platform.platform()}, Python {platform.python_version()}, {cpus} CPUs"


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks; print the tables and whether each target holds."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--tests", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true")
    options = parser.parse_args(argv)
    rounds = 1 if options.quick else options.rounds
    print(f"machine: {machine()}\n", flush=True)
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        replay_rows = replay.benchmark(folder, (10, 50), tests=options.tests, rounds=rounds)
        print(
            table("replay: milliseconds per test (median test, best of rounds)", replay_rows),
            flush=True,
        )
        load_rows = scaling.load_rows(folder)
        print(table("opening a cassette vs a bare libyaml load", load_rows), flush=True)
        match_rows = scaling.match_rows(folder)
        print(table("matching: microseconds per request", match_rows), flush=True)
        recording_rows = recording.recording_rows(folder)
        print(
            table("recording: one 60-event stream, 1 ms between events", recording_rows), flush=True
        )
        largest = folder / f"size-{scaling.SIZES_KB[-1]}.yaml"
        print(table("memory: replaying the largest cassette", [recording.memory_row(largest)]))
        transport_rows = transports.transport_rows(folder, processes=3 if options.quick else 11)
        print(
            table("an httpx-only test, with the other transports patched or not", transport_rows),
            flush=True,
        )
        lines = targets(replay_rows, load_rows, match_rows, recording_rows, transport_rows)
    print("\n".join(lines))
    return 0 if all("[ok]" in line for line in lines[1:]) else 1


if __name__ == "__main__":
    sys.exit(main())
