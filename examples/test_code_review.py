"""The code-review agent of cagent's session-recording article, tested with its cassette.

``pytest examples`` replays ``cassettes/test_code_review/code-review.yaml``: no API key,
no network. The README says how that cassette was made and how to record it from Claude.
"""

from collections.abc import Iterator
from pathlib import Path

import pytest

import agentcore
from pytest_agentcassette import Cassette

HERE = Path(__file__).parent
PROMPT = "Review examples/pkg/auth/handler.go for security issues"


@pytest.fixture
def code_reviewer() -> Iterator[agentcore.Team]:
    """The agent of ``code-reviewer.yaml``; its tools work from the repository's root, as
    they do for ``agentcore exec examples/code-reviewer.yaml ...`` run from there.
    """
    with agentcore.load(HERE / "code-reviewer.yaml", working_dir=HERE.parent) as team:
        yield team


@pytest.mark.cassette("code-review")
def test_the_review_finds_the_injection_and_the_weak_hashing(
    code_reviewer: agentcore.Team, agent_cassette: Cassette
) -> None:
    result = code_reviewer.run(PROMPT, yolo=True)

    review = result.output.lower()
    assert "sql injection" in review
    assert "md5" in review
    # The reviewer read the file it was asked about, through the filesystem toolset...
    reads = [call for call in agent_cassette.tool_calls if call.name == "read_file"]
    assert {"path": "examples/pkg/auth/handler.go"} in [call.arguments for call in reads]
    # ...and wrote nothing.
    writes = {"write_file", "edit_file", "create_directory", "move_file", "remove_file"}
    assert not [call for call in agent_cassette.tool_calls if call.name in writes]
