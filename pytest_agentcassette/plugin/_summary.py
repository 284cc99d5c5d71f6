"""The end-of-session summary: cassettes replayed, recorded, rewritten; interactions played;
unused interactions; credentials redacted or refused; and what replaying saved (provider
tokens and provider time, from the usage and durations recorded with the interactions that
were played).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from pytest_agentcassette._cassette import Cassette
    from pytest_agentcassette._model import Interaction
    from pytest_agentcassette._secrets import SecretFinding

__all__ = ["CassetteUse", "SessionReport"]


class CassetteUse(NamedTuple):
    """What one test did with its cassette."""

    path: Path
    outcome: str  # replayed, recorded, rewritten, extended, unused, refused, outage, skipped,
    # xfailed, verified, drifted
    interactions: int
    played: int
    unused: int
    tokens: int
    seconds: float
    redacted: tuple[str, ...] = ()  # where credentials were written as REDACTED
    refused: tuple[str, ...] = ()  # where credentials stopped the write
    faults: tuple[str, ...] = ()  # transport errors among the interactions it recorded
    failed: bool = False  # written by a test that failed: what it recorded may be wrong
    test: str = ""  # the test, in a cassette that several tests may share

    @classmethod
    def of(
        cls,
        cassette: Cassette,
        refused: list[SecretFinding] | None = None,
        not_run: str = "",
        failed: bool = False,
    ) -> CassetteUse:
        """Summarize a cassette once its test is over (``refused``: the credentials that
        stopped its write; ``not_run``: ``skipped`` or ``xfailed`` when the test was, and
        what it left unplayed is then no one's concern; ``failed``: the test's call failed).
        """
        played = cassette.played
        if cassette.saved:
            outcome = "recorded"
            if cassette.had_recording:
                outcome = "rewritten" if cassette.record_mode.value == "all" else "extended"
        elif refused:
            outcome = "refused"
        elif cassette.outage:
            outcome = "outage"
        elif cassette.record_mode.value == "verify":
            outcome = "drifted" if cassette.drift else "verified"
        elif not_run:
            outcome = not_run
        else:
            outcome = "replayed" if played else "unused"
        return cls(
            path=cassette.path,
            outcome=outcome,
            interactions=len(cassette.interactions),
            played=len(played),
            unused=len(cassette.unplayed) if not (cassette.is_recording or not_run) else 0,
            tokens=_tokens(played),
            seconds=sum(i.response.duration or 0.0 for i in played),
            redacted=_finding_lines(cassette.secrets_found),
            refused=_finding_lines(refused or []),
            faults=tuple(_fault_lines(cassette.recorded) if cassette.saved else ()),
            failed=failed and cassette.saved and not not_run,
            test=cassette.test or "",
        )


def _fault_lines(recorded: list[Interaction]) -> list[str]:
    lines = []
    for interaction in recorded:
        error = interaction.response.error
        if error is not None:
            when = "no response" if interaction.response.status_code == 0 else "mid-body"
            lines.append(f"interaction {interaction.id}: {error.kind} ({when}) {error.message}")
    return lines


def _finding_lines(findings: list[SecretFinding]) -> tuple[str, ...]:
    """Where ``findings`` are, a line each (the secrets package loaded only for some)."""
    if not findings:
        return ()
    from pytest_agentcassette._secrets import finding_lines

    return tuple(finding_lines(findings))


def _tokens(played: list[Interaction]) -> int:
    """Tokens the played interactions report; a body no reader understands counts none."""
    from pytest_agentcassette._conversation.wire import parse_usage

    total = 0
    for interaction in played:
        try:
            usage = parse_usage(interaction.request, interaction.response)
        except ValueError:  # a malformed body: the test already failed with its place
            usage = None
        total += usage[2] if usage is not None else 0
    return total


def _shown(path: Path) -> str:
    from pytest_agentcassette._located import display_path

    return display_path(path)


def _duration(seconds: float) -> str:
    minutes, rest = divmod(seconds, 60)
    return f"{int(minutes)}m {rest:.1f}s" if minutes else f"{rest:.1f}s"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _by_cassette(uses: list[CassetteUse]) -> dict[Path, list[CassetteUse]]:
    """``uses`` grouped by file, in the order the files were first used."""
    grouped: dict[Path, list[CassetteUse]] = {}
    for use in uses:
        grouped.setdefault(use.path, []).append(use)
    return grouped


def _tests(uses: list[CassetteUse]) -> str:
    """``; tests: a, b`` for a cassette that several of ``uses``' tests share."""
    tests = list(dict.fromkeys(u.test.partition("::")[2] or u.test for u in uses if u.test))
    return f"; tests: {', '.join(tests)}" if len(tests) > 1 else ""


def _written_lines(uses: list[CassetteUse]) -> list[str]:
    """The cassettes written, to review and commit, each once (with its tests when they
    share it); apart, those written by a test that failed (what it recorded may be the
    failure).
    """
    written = [u for u in uses if u.outcome in ("recorded", "rewritten", "extended")]
    lines = []
    for failed, title in (
        (False, "written (review and commit):"),
        (True, "recorded while the test failed (review them before you commit them):"),
    ):
        listed = _by_cassette([u for u in written if u.failed is failed])
        if listed:
            lines.append(title)
            lines += [
                f"  {_shown(path)} ({_count(group[-1].interactions, 'interaction')}{_tests(group)})"
                for path, group in listed.items()
            ]
    return lines


def _unused_lines(uses: list[CassetteUse]) -> list[str]:
    """The cassettes that kept interactions no replay played, each once."""
    unused = _by_cassette([u for u in uses if u.unused])
    if not unused:
        return []
    lines = ["unused interactions:"]
    for path, group in unused.items():
        count = sum(u.unused for u in group)
        lines.append(f"  {_shown(path)} ({count} of {group[-1].interactions}{_tests(group)})")
    return lines


def _counts(uses: list[CassetteUse]) -> str:
    """``cassettes: 2 replayed (5 interactions), 1 recorded``: each file counted once per
    outcome, whatever the number of tests that share it.
    """
    outcomes: dict[str, dict[Path, list[CassetteUse]]] = {}
    for use in uses:
        outcomes.setdefault(use.outcome, {}).setdefault(use.path, []).append(use)
    parts = []
    if "replayed" in outcomes:
        replayed = outcomes["replayed"]
        played = sum(u.played for group in replayed.values() for u in group)
        parts.append(f"{len(replayed)} replayed ({_count(played, 'interaction')})")
    for outcome in ("recorded", "rewritten", "extended"):
        if outcome in outcomes:
            parts.append(f"{len(outcomes[outcome])} {outcome}")
    if "unused" in outcomes:
        parts.append(f"{len(outcomes['unused'])} with nothing played")
    if "verified" in outcomes:
        parts.append(f"{len(outcomes['verified'])} verified against the live API")
    if "drifted" in outcomes:
        parts.append(f"{len(outcomes['drifted'])} no longer as the live API answers")
    for outcome in ("skipped", "xfailed"):  # pytest's words for the tests
        if outcome in outcomes:
            parts.append(f"{len(outcomes[outcome])} {outcome}")
    if "refused" in outcomes:
        parts.append(f"{len(outcomes['refused'])} not written (credentials)")
    if "outage" in outcomes:
        parts.append(f"{len(outcomes['outage'])} not written (no response)")
    return f"cassettes: {', '.join(parts)}"


class SessionReport:
    """Collects :class:`CassetteUse` records over a pytest session and renders them."""

    def __init__(self, uses: list[CassetteUse] | None = None) -> None:
        self.uses: list[CassetteUse] = uses if uses is not None else []

    def add(
        self,
        cassette: Cassette,
        refused: list[SecretFinding] | None = None,
        not_run: str = "",
        failed: bool = False,
    ) -> None:
        """Count a cassette whose test is over (``not_run``, ``failed``: see
        :meth:`CassetteUse.of`).
        """
        self.uses.append(CassetteUse.of(cassette, refused, not_run, failed))

    def to_wire(self) -> list[dict[str, Any]]:
        """The records as plain data, for a pytest-xdist worker to send to the controller."""
        return [{**use._asdict(), "path": str(use.path)} for use in self.uses]

    def add_wire(self, records: list[dict[str, Any]]) -> None:
        """Add the records a worker sent (see :meth:`to_wire`)."""
        for record in records:
            fields = {**record, "path": Path(record["path"])}
            fields["redacted"] = tuple(record.get("redacted", ()))
            fields["refused"] = tuple(record.get("refused", ()))
            fields["faults"] = tuple(record.get("faults", ()))
            self.uses.append(CassetteUse(**fields))

    def lines(self) -> list[str]:
        """The summary lines; empty when no test used a cassette."""
        if not self.uses:
            return []
        lines = [_counts(self.uses)]
        tokens = sum(u.tokens for u in self.uses)
        seconds = sum(u.seconds for u in self.uses)
        saved = [f"{tokens:,} provider tokens"] if tokens else []
        if seconds >= 0.1:
            saved.append(f"{_duration(seconds)} of provider time")
        if saved:
            lines.append(f"replay saved {' and '.join(saved)}")
        lines += _unused_lines(self.uses)
        lines += _written_lines(self.uses)
        for attribute, title in (
            ("redacted", "credentials written as REDACTED (review these cassettes):"),
            ("refused", "not written, credentials found (the files are unchanged):"),
            (
                "faults",
                "transport errors recorded (replays meet them again; if the network, not the "
                "provider, failed, re-record):",
            ),
        ):
            found = [(u, getattr(u, attribute)) for u in self.uses if getattr(u, attribute)]
            if found:
                lines.append(title)
                lines += [f"  {_shown(u.path)}: {line}" for u, ls in found for line in ls]
        return lines
