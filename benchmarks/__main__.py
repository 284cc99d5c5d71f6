"""Run every benchmark and print the tables: ``python -m benchmarks``.

Needs the benchmark extras (``pip install -e ".[benchmarks]"``: vcrpy and pytest-recording,
which the plugin itself never uses); cassetter is installed in a virtual env of its own
(:mod:`benchmarks.cassetter_venv`). Options: ``--tests N`` (tests per pytest run, default
10), ``--rounds N`` (runs per contender, default 5), ``--agent-rounds N`` (the same for
the shared-client agent, default 5), ``--suite N`` (tests in the short suite, default
200), ``--suite-rounds N`` (its runs per contender, default 7: a run is short and timed
whole, so it takes more runs than elsewhere for the best of them to stand clear of the
machine's noise; vcrpy runs once in these two sections), ``--quick`` (one round: a smoke
test of the harness, not a measurement), ``--only NAME`` (one section alone, repeatable:
replay, agent, suite, scaling, recording, memory, transports), ``--no-install`` (never
create cassetter's env).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from benchmarks import cassetter_venv, recording, replay, scaling, shared, transports


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


def _figure(rows: list[dict[str, object]], name: str, column: str) -> float | str:
    """A contender's figure, or why it has none (the reason in its skipped row)."""
    row = next(r for r in rows if r["contender"] == name)
    value = row[column]
    return value if isinstance(value, float) else f"{name} {value}"


def _judge(
    name: str,
    figures: tuple[float | str, float | str],
    holds: Callable[[float, float], bool],
    detail: Callable[[float, float], str],
) -> str:
    """Whether ``holds`` on the two figures, unless one is missing (then it is skipped)."""
    ours, other = figures
    if isinstance(ours, str) or isinstance(other, str):
        return f"  [skipped] {name}: {ours if isinstance(ours, str) else other}"
    return _check(name, holds(ours, other), detail(ours, other))


def agent_targets(rows: list[dict[str, object]]) -> list[str]:
    """The shared-client agent against the floor and cassetter, steady and cold."""
    ours = _figure(rows, "agentcassette", "steady ms")
    floor, theirs = _figure(rows, "floor", "steady ms"), _figure(rows, "cassetter", "steady ms")
    cold = (_figure(rows, "agentcassette", "cold ms"), _figure(rows, "floor", "cold ms"))
    return [
        _judge("agent steady within 1.35x the floor", (ours, floor),
               lambda a, b: a <= 1.35 * b, lambda a, b: f"{a / b:.2f}x"),
        _judge("agent steady within 0.85x cassetter", (ours, theirs),
               lambda a, b: a <= 0.85 * b, lambda a, b: f"{a / b:.2f}x ({a:.1f} vs {b:.1f} ms)"),
        _judge("agent cold within the floor + 80 ms", cold,
               lambda a, b: a <= b + 80, lambda a, b: f"{a:.0f} ms vs {b:.0f} ms (+{a - b:.0f})"),
    ]  # fmt: skip


def suite_targets(rows: list[dict[str, object]]) -> list[str]:
    """The 200 short tests: this plugin's run faster than cassetter's."""
    figures = (_figure(rows, "agentcassette", "run s"), _figure(rows, "cassetter", "run s"))
    return [
        _judge("200 short tests faster than cassetter", figures,
               lambda a, b: a < b, lambda a, b: f"{a:.2f} s vs {b:.2f} s ({a / b:.2f}x)"),
    ]  # fmt: skip


def memory_targets(row: dict[str, object]) -> list[str]:
    """Replaying the largest cassette adds at most twice its size to the process."""
    added, size = float(row["added by the replay MB"]), float(row["cassette MB"])  # type: ignore[arg-type]
    return [
        _check(
            "replay peak within 2x the cassette above baseline",
            added <= 2 * size,
            f"+{added:.1f} MB for {size:.1f} MB ({added / size:.2f}x)",
        )
    ]


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


def _scaling_targets(
    load_rows: list[dict[str, object]], match_rows: list[dict[str, object]]
) -> list[str]:
    """Opening a cassette against libyaml, and matching against the cassette's size."""
    worst = max(float(r["ratio"]) for r in load_rows)  # type: ignore[arg-type]
    per_mb = [float(r["ms per MB"]) for r in load_rows]  # type: ignore[arg-type]
    lines = [_check("load within 1.5x libyaml", worst <= 1.5, f"worst {worst:.2f}x")]
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
    return lines


def _recording_targets(recording_rows: list[dict[str, object]]) -> list[str]:
    direct, recorded = (float(r["first event ms"]) for r in recording_rows)  # type: ignore[arg-type]
    return [
        _check(
            "first event within 1 ms of the direct path",
            recorded - direct <= 1.0,
            f"+{recorded - direct:.2f} ms",
        )
    ]


def targets(
    replay_rows: list[dict[str, object]],
    load_rows: list[dict[str, object]],
    match_rows: list[dict[str, object]],
    recording_rows: list[dict[str, object]],
    transport_rows: list[dict[str, object]] | None = None,
) -> list[str]:
    """The issue's targets, each with the figure that decides it."""
    lines = ["targets", *_replay_targets(replay_rows)]
    lines += _scaling_targets(load_rows, match_rows)
    lines += _recording_targets(recording_rows)
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


SECTIONS = ("replay", "agent", "suite", "scaling", "recording", "memory", "transports")


def _show(title: str, rows: list[dict[str, object]]) -> None:
    print(table(title, rows), flush=True)


def _cassetter(options: argparse.Namespace) -> tuple[Path | None, str]:
    """cassetter's interpreter and version (installed unless --no-install), or why not."""
    if options.cassetter is None:
        python, detail = cassetter_venv.cassetter_python(install=not options.no_install)
        print(f"cassetter: {detail}" if python else f"cassetter: skipped ({detail})", flush=True)
        options.cassetter = (python, detail)
    return options.cassetter  # type: ignore[no-any-return]


def _run_section(name: str, folder: Path, options: argparse.Namespace) -> list[str]:
    """Print one section's tables; returns its target lines."""
    rounds, quick = (1 if options.quick else options.rounds), options.quick
    if name == "replay":
        rows = replay.benchmark(folder, (10, 50), tests=options.tests, rounds=rounds)
        _show("replay: milliseconds per test (median test, best of rounds)", rows)
        return _replay_targets(rows)
    if name == "agent":
        rounds = 1 if quick else options.agent_rounds
        rows = shared.agent_rows(folder, _cassetter(options), rounds=rounds)
        _show("agent: 50 turns, one client per process, ms per test (best of rounds)", rows)
        return agent_targets(rows)
    if name == "suite":
        rounds = 1 if quick else options.suite_rounds
        rows = shared.suite_rows(folder, _cassetter(options), tests=options.suite, rounds=rounds)
        _show(f"suite: {options.suite} tests of 2 turns, one pytest process (best of rounds)", rows)
        return suite_targets(rows)
    if name == "scaling":
        load_rows = scaling.load_rows(folder)
        _show("opening a cassette vs a bare libyaml load", load_rows)
        match_rows = scaling.match_rows(folder)
        _show("matching: microseconds per request", match_rows)
        return _scaling_targets(load_rows, match_rows)
    if name == "recording":
        rows = recording.recording_rows(folder)
        _show("recording: one 60-event stream, 1 ms between events", rows)
        return _recording_targets(rows)
    if name == "memory":
        row = recording.memory_row(scaling.cassette_of_size(folder, scaling.SIZES_KB[-1]))
        _show("memory: replaying the largest cassette", [row])
        return memory_targets(row)
    rows = transports.transport_rows(folder, processes=3 if quick else 11)
    _show("an httpx-only test, with the other transports patched or not", rows)
    return _transport_targets(rows)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks; print the tables and whether each target holds."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--tests", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--suite", type=int, default=200, help="tests in the short suite")
    parser.add_argument("--agent-rounds", type=int, default=5, help="runs of the agent")
    parser.add_argument("--suite-rounds", type=int, default=7, help="runs of the short suite")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", choices=SECTIONS, action="append", help="repeatable")
    parser.add_argument("--no-install", action="store_true", help="never create cassetter's env")
    options = parser.parse_args(argv)
    options.cassetter = None
    started = time.perf_counter()
    print(f"machine: {machine()}\n", flush=True)
    lines = ["targets"]
    with tempfile.TemporaryDirectory() as scratch:
        for name in options.only or SECTIONS:
            lines += _run_section(name, Path(scratch), options)
    print("\n".join(lines))
    print(f"\n(the run took {time.perf_counter() - started:.0f} s)")
    return 0 if not any("[MISSED]" in line for line in lines) else 1


if __name__ == "__main__":
    sys.exit(main())
