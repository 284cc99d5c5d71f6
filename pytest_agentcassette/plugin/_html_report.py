"""``--cassette-report=PATH``: one HTML page for the run (rendered by
:mod:`pytest_agentcassette._report.html`). Each test that used a cassette is noted when its
reports are made (the cassette, what it replayed or recorded, the conversation, the failure
pytest printed); pytest-xdist workers send their notes to the controller, which writes the
page once, atomically, when the session ends.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_agentcassette.plugin._settings import MARKER

if TYPE_CHECKING:
    from pytest_agentcassette._cassette import Cassette
    from pytest_agentcassette._report.html import ReportedTest

__all__ = ["WIRE_KEY", "register"]

WIRE_KEY = "agentcassette_report"
"""The key of a pytest-xdist worker's ``workeroutput`` under which its notes travel."""
_NAME = "agentcassette-html-report"


@dataclass
class _Test:
    """What the reports of a test's phases said so far."""

    cassette: Cassette | None = None
    outcome: str = "passed"
    headline: str = ""
    failures: list[str] = field(default_factory=list)
    note: str = ""
    duration: float = 0.0


_TEST = pytest.StashKey[_Test]()


def register(config: pytest.Config, active: pytest.StashKey[Cassette]) -> None:
    """Collect for the report when ``--cassette-report`` asks for one (``active``: where a
    test keeps the cassette it runs in).
    """
    given = config.getoption("cassette_report", None)
    if given and not config.pluginmanager.has_plugin(_NAME):
        config.pluginmanager.register(HtmlReport(config, str(given), active), _NAME)


def _headline(report: pytest.TestReport) -> str:
    crash = getattr(report.longrepr, "reprcrash", None)
    message = str(getattr(crash, "message", "") or report.longreprtext.strip())
    return message.removeprefix("Failed: ").strip().partition("\n")[0]


def _outcome(report: pytest.TestReport) -> str:
    if report.skipped:
        return "skipped"
    if report.failed:
        return "failed" if report.when == "call" else "error"
    return "passed"


def _transcript(cassette: Cassette) -> tuple[dict[str, Any] | None, str]:
    """The conversation the test replayed or recorded, or why it cannot be read."""
    from pytest_agentcassette._conversation.transcript import Transcript

    try:
        return Transcript.of(cassette.exchanges).to_json(), ""
    except ValueError as error:  # a body that does not decode: the test failed with its place
        return None, f"The conversation could not be read: {error}"


class HtmlReport:
    """The pytest plugin that collects the records and writes the page."""

    def __init__(self, config: pytest.Config, given: str, active: pytest.StashKey[Cassette]):
        self.given = given
        self.path = config.invocation_params.dir / given
        self.active = active
        self.records: list[ReportedTest] = []
        self.order: dict[str, int] = {}
        self.message = ""

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        """Note what each phase's report says; after teardown, the test's record."""
        report = yield
        test = item.stash.setdefault(_TEST, _Test())
        if test.cassette is None and report.when != "teardown":
            test.cassette = item.stash.get(self.active, None)
        test.duration += report.duration
        outcome = _outcome(report)
        if outcome != "passed" and test.outcome == "passed":
            test.outcome = outcome
        if report.failed:
            test.headline = test.headline or _headline(report)
            prefix = "" if report.when == "call" else f"at {report.when}:\n"
            test.failures.append(prefix + report.longreprtext.strip())
        elif report.skipped and isinstance(report.longrepr, tuple):
            test.note = str(report.longrepr[2])
        if report.when == "teardown":
            del item.stash[_TEST]
            self._add(item, test)
        return report

    def _add(self, item: pytest.Item, test: _Test) -> None:
        if test.cassette is None and not (
            item.get_closest_marker(MARKER) or "agent_cassette" in getattr(item, "fixturenames", ())
        ):
            return
        if not self.order:
            self.order = {each.nodeid: index for index, each in enumerate(item.session.items)}
        shown, mode, interactions, played, transcript, note = "", "", 0, 0, None, test.note
        if test.cassette is not None:
            from pytest_agentcassette._located import display_path
            from pytest_agentcassette.plugin._summary import CassetteUse

            use = CassetteUse.of(test.cassette)
            shown, mode = display_path(use.path), use.outcome
            interactions, played = use.interactions, use.played
            transcript, problem = _transcript(test.cassette)
            note = problem or note
        record: ReportedTest = {
            "nodeid": item.nodeid, "outcome": test.outcome,
            "order": self.order.get(item.nodeid, len(self.order)), "cassette": shown,
            "mode": mode, "interactions": interactions, "played": played,
            "duration": round(test.duration, 3), "headline": test.headline,
            "failure": "\n\n".join(test.failures), "transcript": transcript, "note": note,
        }  # fmt: skip
        self.records.append(record)

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        """A worker sends its records to the controller; the controller (or a run without
        pytest-xdist) writes the page.
        """
        workeroutput = getattr(session.config, "workeroutput", None)
        if workeroutput is not None:
            workeroutput[WIRE_KEY] = self.records
            return
        from pytest_agentcassette._format.atomic import write_atomically
        from pytest_agentcassette._report.html import render

        from_version = _version()
        subtitle = f"pytest run of {datetime.now():%Y-%m-%d %H:%M} in {session.config.rootpath}"
        records = sorted(self.records, key=lambda record: (record["order"], record["nodeid"]))
        page = render(records, title="Cassette report", subtitle=f"{subtitle}{from_version}")
        try:
            write_atomically(Path(self.path), page)
        except OSError as error:
            self.message = f"cassette report not written: {error}"
        else:
            self.message = f"cassette report: {self.given}"

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        """On the pytest-xdist controller: a finished worker's records."""
        self.records += getattr(node, "workeroutput", {}).get(WIRE_KEY) or []

    @pytest.hookimpl(trylast=True)
    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        """``cassette report: PATH``, after the session summary."""
        if self.message:
            terminalreporter.write_line(self.message)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f" · pytest-agentcassette {version('pytest-agentcassette')}"
    except PackageNotFoundError:
        return ""
