"""How many of cagent's example agent files agentcore loads.

``python -m tests.support.cagent_examples /path/to/cagent/examples`` loads every agent YAML
file under that folder with :func:`agentcore.load_config` and prints ``N of M load``, then,
for each file that does not, its path and the first error (on one line: the line number,
the YAML path and the problem).

A YAML file counts as an agent file when its top level is a mapping with ``agents:`` (the
examples folder also holds other YAML: evaluation data, Docker Compose files...).
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

from agentcore import AgentcoreError, load_config


def agent_files(folder: Path) -> list[Path]:
    """The agent files under ``folder``, in path order."""
    found = []
    for path in sorted([*folder.rglob("*.yaml"), *folder.rglob("*.yml")]):
        try:
            document = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            found.append(path)  # agentcore will say what is wrong with it
            continue
        if isinstance(document, dict) and "agents" in document:
            found.append(path)
    return found


def first_error(path: Path) -> str | None:
    """The first problem agentcore finds in ``path``, on one line; ``None`` if it loads."""
    try:
        load_config(path)
    except AgentcoreError as error:
        message = str(error)
        if message.startswith(str(path)):  # the file is named on the line already
            message = message[len(str(path)) :].lstrip(":, ")
        return " ".join(message.split())
    return None


def report(folder: Path) -> list[str]:
    """The lines :func:`main` prints for ``folder``."""
    files = agent_files(folder)
    errors = {path: first_error(path) for path in files}
    failing = {path: error for path, error in errors.items() if error is not None}
    lines = [f"{len(files) - len(failing)} of {len(files)} load"]
    for path, error in failing.items():
        lines.append(f"{path.relative_to(folder)}: {error}")
    return lines


def main(argv: list[str]) -> int:
    if len(argv) != 1 or not Path(argv[0]).is_dir():
        print("usage: python -m tests.support.cagent_examples CAGENT_EXAMPLES_FOLDER")
        return 2
    for line in report(Path(argv[0])):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
