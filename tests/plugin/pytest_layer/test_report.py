"""The end-of-session summary's wording."""

from __future__ import annotations

from pathlib import Path

from pytest_agentcassette.plugin._summary import CassetteUse, SessionReport


def use(
    path: str, outcome: str, played: int = 0, unused: int = 0, tokens: int = 0, seconds: float = 0.0
) -> CassetteUse:
    return CassetteUse(Path(path), outcome, played + unused, played, unused, tokens, seconds)


def test_the_summary_says_what_was_replayed_recorded_and_saved() -> None:
    report = SessionReport(
        [
            use("c/a.yaml", "replayed", played=3, tokens=1_200_000, seconds=70.0),
            use("c/b.yaml", "replayed", played=2, unused=1, tokens=84_330, seconds=2.4),
            use("c/c.yaml", "recorded", played=0),
            use("c/d.yaml", "rewritten"),
            use("c/e.yaml", "unused"),
        ]
    )
    assert report.lines() == [
        "cassettes: 2 replayed (5 interactions), 1 recorded, 1 rewritten, 1 with nothing played",
        "replay saved 1,284,330 provider tokens and 1m 12.4s of provider time",
        "unused interactions:",
        "  c/b.yaml (1 of 3)",
        "written (review and commit):",
        "  c/c.yaml (0 interactions)",
        "  c/d.yaml (0 interactions)",
    ]


def test_nothing_is_said_when_no_test_used_a_cassette() -> None:
    assert SessionReport().lines() == []


def test_savings_too_small_to_matter_are_not_shown() -> None:
    assert SessionReport([use("c/a.yaml", "replayed", played=1, seconds=0.02)]).lines() == [
        "cassettes: 1 replayed (1 interaction)"
    ]
