"""A small realistic run for the HTML report (``--cassette-report``): a tool-calling session,
an agentcore team that delegates, a skipped test; recorded against the scripted provider
server, then replayed after the tool's result changed, so that one replay fails with the
drift from its recording.

The tests run it through pytester; ``docs/images/report.png`` was made from it with
headless Chromium. To make it again::

    python -m tests.support.report_example
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.support.chromium import screenshot
from tests.support.cli_runs import TEAM, agent_file
from tests.support.provider_server import ProviderServer
from tests.support.wire_formats import Reply

SESSION_TESTS = """
import os

import httpx
import pytest

import agentcore

URL = os.environ["PROVIDER_URL"] + "/v1/chat/completions"
FILE_SAYS = "the file says hello"


def chat(messages):
    body = {"model": "gpt-4o", "messages": messages}
    reply = httpx.post(URL, json=body, headers={"authorization": "Bearer sk-inner-secret"})
    return reply.json()["choices"][0]["message"]


@pytest.mark.cassette
def test_reads_the_file():
    messages = [
        {"role": "system", "content": "You read files for the user."},
        {"role": "user", "content": "Summarize the file x"},
    ]
    answer = chat(messages)
    (call,) = answer["tool_calls"]
    messages += [answer, {"role": "tool", "tool_call_id": call["id"], "content": FILE_SAYS}]
    assert chat(messages)["content"] == "It greets you."


@pytest.mark.cassette
def test_team_asks_the_weather_expert():
    team = agentcore.load(os.environ["TEAM_FILE"], env={})
    assert team.run("What's the weather in Paris?").output == "It is sunny in Paris."


@pytest.mark.cassette
def test_not_today():
    pytest.skip("no weather on Sundays")
"""

CHANGED = ("says hello", "says goodbye")
"""What changes in the tests between the recording and the replay (the tool's result)."""

TASK = {"agent": "weather", "task": "Weather in Paris?", "expected_output": "One sentence."}
SCRIPT = [
    Reply(tool=("read_file", {"path": "x"})),
    Reply("It greets you."),
    Reply("Asking the expert.", tool=("transfer_task", TASK)),
    Reply("Sunny, 21°C."),
    Reply("It is sunny in Paris."),
]
"""The model's answers while the session is recorded, in order."""


def session_files(folder: Path, server: ProviderServer) -> dict[str, str]:
    """Write the tests and the team's agent file into ``folder``; the environment they need."""
    (folder / "test_session.py").write_text(SESSION_TESTS)
    team = agent_file(folder, server, TEAM, name="team.yaml")
    server.script = list(SCRIPT)
    return {"PROVIDER_URL": server.url, "TEAM_FILE": str(team)}


def change_the_tool_result(folder: Path) -> None:
    path = folder / "test_session.py"
    path.write_text(path.read_text().replace(*CHANGED))


def anchor_of(page: str, name: str) -> str:
    """``#tN``: the URL fragment that opens the test ``name`` in the report."""
    found = re.search(rf'id="(t\d+)"[^>]*><summary>.{{0,200}}::{name}<', page)
    assert found is not None, name
    return f"#{found[1]}"


def main() -> int:
    """Record, replay with the report, and take its screenshot for the docs."""
    target = Path(__file__).parents[2] / "docs" / "images" / "report.png"
    server = ProviderServer(event_pause=0).start()
    try:
        with tempfile.TemporaryDirectory() as scratch:
            folder = Path(scratch) / "my-agent"
            folder.mkdir()
            env = {**os.environ, **session_files(folder, server)}
            pytest_ = [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly"]
            subprocess.run([*pytest_, "--record-mode=once"], cwd=folder, env=env, check=True)
            change_the_tool_result(folder)
            subprocess.run([*pytest_, "--cassette-report=report.html"], cwd=folder, env=env,
                           check=False)  # fmt: skip
            report = folder / "report.html"
            anchor = anchor_of(report.read_text(), "test_team_asks_the_weather_expert")
            target.parent.mkdir(exist_ok=True)
            screenshot(report, target, anchor, size="1280,1330")
    finally:
        server.stop()
    print(f"wrote {target} ({target.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
