"""``python -m tests.support.cagent_examples FOLDER``: how many agent files load, and the
first error of each that does not."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.support.cagent_examples import report

ROOT = Path(__file__).parents[3]


def test_it_counts_the_agent_files_that_load_and_gives_each_first_error(tmp_path: Path) -> None:
    (tmp_path / "good.yaml").write_text("agents:\n  root:\n    model: openai/gpt-4o\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "bad.yaml").write_text(
        "agents:\n  root:\n    model: openai/gpt-4o\n    code_mode_tools: true\n"
    )
    (tmp_path / "compose.yaml").write_text("services:\n  db: {}\n")  # not an agent file
    expected = [
        "1 of 2 load",
        "sub/bad.yaml: line 4 (at agents.root.code_mode_tools): 'code_mode_tools' is not "
        "supported yet by agentcore (cagent accepts it); remove it to run this file here",
    ]
    assert report(tmp_path) == expected
    done = subprocess.run(
        [sys.executable, "-m", "tests.support.cagent_examples", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.splitlines() == expected
