"""The ``agentcore`` command line: subcommands, flags, and what ``--record`` takes as its name.

``--record`` has an optional value. In cagent a bare ``--record`` never takes the next word,
yet the article that introduced it writes both of these, and both must work as written::

    agentcore run my-agent.yaml --record "What is Docker?"        # the prompt stays a prompt
    agentcore run my-agent.yaml --record my-test "Explain containers"  # records my-test.yaml

So the word after a bare ``--record`` is its name only when it looks like a file name (no
spaces) and a prompt still follows it; ``--record=NAME`` is always explicit.
"""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from typing import NoReturn

__all__ = ["Options", "UsageError", "parse_arguments"]

_NAME_LIKE = re.compile(r"[\w.\-/\\:]+")
_VALUE_FLAGS = ("--agent", "-a", "--model", "--working-dir", "--fake", "--match")

DESCRIPTION = """\
Run agents written in cagent's YAML format. Record a session once with --record, replay it
offline with --fake: no API key, no network, the same output every time."""

EPILOG = """\
examples:
  agentcore run agent.yaml --record my-test "Explain containers"
  agentcore exec agent.yaml --fake my-test.yaml "Explain containers"
  agentcore exec agent.yaml --yolo --model anthropic/claude-sonnet-4-0 "Review main.py"

exit status: 0 done; 1 the agent file, the cassette or the run failed; 2 bad command line."""


class UsageError(Exception):
    """The command line is wrong; the message says how."""


@dataclass
class Options:
    """What the command line asks for."""

    command: str
    agent_file: str
    prompts: list[str] = field(default_factory=list)
    agent: str = "root"
    yolo: bool = False
    model_overrides: dict[str, str] = field(default_factory=dict)
    working_dir: str | None = None
    record: str | None = None
    """``None``: not recording; ``""``: bare ``--record`` (a timestamped name); else the name."""
    fake: str | None = None
    match: str = "strict"
    hide_tool_calls: bool = False
    json: bool = False


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message}\nSee '{self.prog} --help'.")


def _parsers() -> tuple[argparse.ArgumentParser, dict[str, argparse.ArgumentParser]]:
    """The top-level parser (for ``--help``) and one parser per subcommand."""
    common = _Parser(add_help=False)
    _add_run_arguments(common)
    _add_cassette_arguments(common)
    _add_output_arguments(common)
    parser = _Parser(
        prog="agentcore",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"agentcore {_version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    run = commands.add_parser(
        "run",
        parents=[common],
        help="run an agent; with no PROMPT, talk to it turn by turn",
        description="Run an agent, streaming its answers; with no PROMPT, a '> ' prompt "
        "reads one turn per line. Tools that need approval are asked about.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument(
        "--exec",
        action="store_true",
        help="cagent's spelling of a run without its terminal interface; the same as run",
    )
    exec_ = commands.add_parser(
        "exec",
        parents=[common],
        help="run an agent on PROMPTs and print cagent's exec transcript",
        description="Run an agent on one or more PROMPTs (successive turns) without "
        "interaction and print the transcript as cagent's exec does. Without --yolo and "
        "without a terminal, tools that need approval are rejected.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    return parser, {"run": run, "exec": exec_}


def _add_run_arguments(parser: argparse.ArgumentParser) -> None:
    """What to run: the agent file, the prompts, the agent, its models and its tools."""
    parser.add_argument("agent_file", metavar="AGENT.yaml", help="the agent file to run")
    parser.add_argument(
        "prompts",
        metavar="PROMPT",
        nargs="*",
        help="messages sent as successive turns of one conversation ('-' reads stdin)",
    )
    parser.add_argument(
        "-a", "--agent", default="root", help="the agent to talk to (default: root)"
    )
    parser.add_argument(
        "--yolo", action="store_true", help="run every tool without asking for approval"
    )
    parser.add_argument(
        "--model",
        action="append",
        default=[],
        metavar="[AGENT=]PROVIDER/MODEL",
        help="use this model (for AGENT only, or for all agents); repeatable",
    )
    parser.add_argument(
        "--working-dir", metavar="DIR", help="the folder the tools work in (default: here)"
    )


def _add_cassette_arguments(parser: argparse.ArgumentParser) -> None:
    """Recording a session (``--record``) and replaying one (``--fake``, ``--match``)."""
    parser.add_argument(
        "--record",
        metavar="NAME",
        help="record the session into NAME.yaml (bare --record: "
        "agentcore-recording-<unix seconds>.yaml); needs the provider's API key",
    )
    parser.add_argument(
        "--fake",
        metavar="FILE",
        help="replay the session recorded in FILE (.yaml may be left out): offline, no key",
    )
    parser.add_argument(
        "--match",
        choices=("strict", "sequential"),
        default="strict",
        help="how --fake finds recorded answers: strict (method, URL and body, the default) "
        "or sequential (recorded order; for sessions recorded by cagent)",
    )


def _add_output_arguments(parser: argparse.ArgumentParser) -> None:
    """What is printed: tool calls or not, a transcript or JSON events."""
    parser.add_argument(
        "--hide-tool-calls", action="store_true", help="do not print tool calls and results"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON event per line")


def _version() -> str:
    try:
        return version("pytest-agentcassette")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "unknown"


def _positions(argv: list[str]) -> list[int]:
    """Indexes of the positional words (not flags, not flag values)."""
    found, skip, ended = [], False, False
    for index, word in enumerate(argv):
        if skip:
            skip = False
        elif ended or word == "-" or not word.startswith("-"):
            found.append(index)
        elif word == "--":
            ended = True
        elif word in _VALUE_FLAGS:
            skip = True
    return found


def _explicit_record(argv: list[str]) -> list[str]:
    """``argv`` with every bare ``--record`` written as ``--record=NAME`` or ``--record=``."""
    result = list(argv)
    for index, word in enumerate(argv):
        if word == "--":
            break
        if word != "--record":
            continue
        positions = _positions(argv)
        after = [p for p in positions if p > index]
        before = [p for p in positions if p < index]
        candidate = after[0] if after and after[0] == index + 1 else None
        # Once the name is taken, the agent file and a prompt after the name must remain.
        if (
            candidate is not None
            and argv[candidate] != "-"
            and _NAME_LIKE.fullmatch(argv[candidate])
            and len(after) >= 2
            and (len(before) >= 1 or len(after) >= 3)
        ):
            result[index] = f"--record={argv[candidate]}"
            result[candidate] = "\0"  # dropped below
        else:
            result[index] = "--record="
    return [word for word in result if word != "\0"]


def parse_arguments(argv: list[str]) -> Options:
    """The :class:`Options` of ``argv`` (without the program name); raises :class:`UsageError`.

    ``--help`` prints the help and raises ``SystemExit(0)``, as argparse does.
    """
    parser, commands = _parsers()
    if not argv or argv[0] not in commands:
        parser.parse_args(argv)  # --help, --version, or an error naming the commands
        raise UsageError("agentcore: choose a command: run or exec\nSee 'agentcore --help'.")
    # Flags may come before, between and after the words (argparse alone wants them apart).
    parsed = commands[argv[0]].parse_intermixed_args(_explicit_record(argv[1:]))
    parsed.command = argv[0]
    overrides: dict[str, str] = {}
    for value in parsed.model:
        agent, _, model = value.rpartition("=")
        if not model.strip("/") or model.startswith("/") or model.endswith("/"):
            raise UsageError(
                f"agentcore: --model {value!r}: write provider/model (or the name of a model "
                f"of the agent file), optionally for one agent: --model openai/gpt-4o or "
                f"--model root=anthropic/claude-sonnet-4-0"
            )
        overrides[agent or "*"] = model
    if parsed.record is not None and parsed.fake is not None:
        raise UsageError("agentcore: --record and --fake cannot be used together")
    if parsed.command == "exec" and not parsed.prompts:
        raise UsageError(
            "agentcore exec: no PROMPT given; write one or more after the agent file "
            "(or use 'agentcore run AGENT.yaml' to talk turn by turn)"
        )
    if parsed.match != "strict" and parsed.fake is None:
        raise UsageError("agentcore: --match applies to a replay; use it with --fake FILE")
    return Options(
        command=parsed.command,
        agent_file=parsed.agent_file,
        prompts=list(parsed.prompts),
        agent=parsed.agent,
        yolo=parsed.yolo,
        model_overrides=overrides,
        working_dir=parsed.working_dir,
        record=parsed.record,
        fake=parsed.fake,
        match=parsed.match,
        hide_tool_calls=parsed.hide_tool_calls,
        json=parsed.json,
    )
