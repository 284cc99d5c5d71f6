"""What the session's replays left behind: telemetry answered locally (or sent live, not
recorded, while recording) and connections refused after their test ended, for the
summary. Nothing is imported when no test used a cassette: the transport's modules are
read only if a cassette imported them.
"""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["from_worker", "lines", "session_over", "to_wire"]

_GUARD = "pytest_agentcassette._transport.network_guard"
_TELEMETRY = "pytest_agentcassette._transport.telemetry"

_from_workers: list[str] = []  # lines of refusals that pytest-xdist workers sent


def _refused_lines() -> list[str]:
    guard = sys.modules.get(_GUARD)
    refused = guard.take_refused() if guard is not None else []
    counts: dict[tuple[str, str], int] = {}
    for error in refused:
        key = (error.details, error.advice)
        counts[key] = counts.get(key, 0) + 1
    lines = []
    for (details, advice), count in counts.items():
        times = f" ({count} times)" if count > 1 else ""
        lines += [f"  {details}{times}", f"    {advice}"]
    return lines


def to_wire() -> dict[str, Any]:
    """A worker's telemetry tally and refusals, as plain data for the controller."""
    telemetry = sys.modules.get(_TELEMETRY)
    tally = telemetry.take_tally() if telemetry is not None else []
    return {"tally": [list(entry) for entry in tally], "refused": _refused_lines()}


def from_worker(wire: dict[str, Any]) -> None:
    """Add what a worker sent (see :func:`to_wire`)."""
    if wire.get("tally"):
        from pytest_agentcassette._transport import telemetry

        telemetry.add_tally(wire["tally"])
    _from_workers.extend(wire.get("refused", []))


def lines() -> list[str]:
    """The summary's lines: telemetry per endpoint with its switch, then the connections
    refused after their test; both start over (a session run inside another one).
    """
    telemetry = sys.modules.get(_TELEMETRY)
    found = telemetry.telemetry_lines(telemetry.take_tally()) if telemetry is not None else []
    refused = [*_from_workers, *_refused_lines()]
    _from_workers.clear()
    if refused:
        found.append("connections refused after their test, a cassette having replayed:")
        found += refused
    return found


def session_over(*, nested: bool) -> None:
    """The session ended. Outermost, the guard (if a cassette installed it) refuses every
    connection off the machine until the process ends; inside another session
    (pytester's in-process runs), it forgets this session's replays.
    """
    guard = sys.modules.get(_GUARD)
    if guard is None:
        return
    if nested:
        guard.disarm()
    else:
        guard.session_over()
