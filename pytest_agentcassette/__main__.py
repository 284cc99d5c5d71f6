"""The command line, ``python -m pytest_agentcassette``.

- ``scan PATH...``: report credentials in YAML files (cassettes included), for CI and
  pre-commit hooks. Exit status: 0 when there are none, 1 when there are, 2 when a path
  cannot be read or the command line is wrong.
- ``show CASSETTE...``: each cassette's conversation as a transcript (``--json``: as data).
  Exit status: 0, or 2 when a cassette cannot be read.
- ``convert PATH... (--out DIR | --in-place)``: vcrpy (pytest-recording) cassettes in this
  plugin's format. Exit status: 0, 1 when a file failed, 2 when the command line is wrong.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from pytest_agentcassette._secrets.scan import ScanError, scan_paths

_DESCRIPTION = (
    "Report credentials (API keys, bearer tokens, private keys, the values of key "
    "variables set here) in YAML files; folders are searched for *.yaml and *.yml. "
    "Secrets are never printed, only their kind and place."
)


_SHOW = (
    "Show each cassette's conversation as a transcript: what was asked, what the model "
    "answered, the tools it called with their arguments and results (MCP servers' "
    "included), which agent spoke, the tokens and the provider time of each turn. Reads "
    "this plugin's cassettes and cagent's."
)


_CONVERT = (
    "Convert vcrpy cassettes (pytest-recording's, version 1) to this plugin's format; "
    "folders are searched for *.yaml and *.yml. Files in this format already, and files "
    "that are not HTTP cassettes, are left alone. Nothing is overwritten unless "
    "--in-place says so."
)


class _Help(argparse.HelpFormatter):
    """argparse's help, with each command on a line of its own and no ``COMMAND`` line
    above them.
    """

    def _format_action(self, action: argparse.Action) -> str:
        if isinstance(action, argparse._SubParsersAction):
            return "".join(self._format_action(a) for a in action._get_subactions())
        return super()._format_action(action)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        formatter_class=_Help,
        prog="python -m pytest_agentcassette",
        description="The cassettes' command-line tools (pytest itself needs none of them).",
        epilog="python -m pytest_agentcassette COMMAND --help says more of each.",
    )
    commands = parser.add_subparsers(
        dest="command", required=True, title="commands", metavar="COMMAND"
    )
    scan = commands.add_parser("scan", help="report credentials in YAML files",
                               description=_DESCRIPTION)  # fmt: skip
    scan.add_argument("paths", nargs="+", metavar="PATH", help="a YAML file or a folder")
    show = commands.add_parser("show", help="show cassettes as transcripts", description=_SHOW)
    show.add_argument("paths", nargs="+", metavar="CASSETTE", help="a cassette or a folder")
    show.add_argument("--json", action="store_true", help="print the transcripts as JSON")
    show.add_argument("--full", action="store_true", help="show long system prompts whole")
    show.add_argument(
        "--color",
        choices=("auto", "always", "never"),
        default="auto",
        help="colour the output (auto: on a terminal, unless NO_COLOR is set)",
    )
    convert = commands.add_parser("convert", help="convert vcrpy cassettes",
                                  description=_CONVERT)  # fmt: skip
    convert.add_argument("paths", nargs="+", metavar="PATH", help="a cassette or a folder")
    where = convert.add_mutually_exclusive_group(required=True)
    where.add_argument("--out", metavar="DIR", help="write into DIR, keeping relative paths")
    where.add_argument("--in-place", action="store_true", help="replace the originals")
    return parser


def _convert(options: argparse.Namespace) -> int:
    from pathlib import Path

    from pytest_agentcassette._convert import MATCHING_ADVICE, ConvertError, convert_paths

    try:
        report = convert_paths(options.paths, None if options.in_place else Path(options.out))
    except ConvertError as error:
        print(f"agentcassette convert: {error}", file=sys.stderr)
        return 2
    for result in report.results:
        print(result)
    print(report.summary())
    if report.count("converted"):
        print(MATCHING_ADVICE)
    return 1 if report.count("failed") else 0


def _colour(choice: str) -> bool:
    if choice != "auto":
        return choice == "always"
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def _show(options: argparse.Namespace) -> int:
    from pytest_agentcassette._report.sources import read_transcripts
    from pytest_agentcassette._report.terminal import as_data, render

    transcripts, errors = read_transcripts(options.paths)
    if options.json:
        data = [as_data(t.shown, t.transcript) for t in transcripts]
        print(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        colour = _colour(options.color)
        print("\n".join(render(t.shown, t.transcript, colour=colour, full=options.full)
                        for t in transcripts), end="")  # fmt: skip
    for error in errors:
        print(f"agentcassette show: {error}", file=sys.stderr)
    return 2 if errors else 0


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    options = _parser().parse_args(argv)
    if options.command == "show":
        return _show(options)
    if options.command == "convert":
        return _convert(options)
    try:
        result = scan_paths(options.paths)
    except ScanError as error:
        print(f"agentcassette scan: {error}", file=sys.stderr)
        return 2
    for finding in result.findings:
        print(finding)
    for problem in result.errors:
        print(f"agentcassette scan: {problem}", file=sys.stderr)
    files = f"{result.files} file{'' if result.files == 1 else 's'}"
    cassettes = f"{result.cassettes} cassette{'' if result.cassettes == 1 else 's'}"
    if result.findings:
        count = len(result.findings)
        print(
            f"{count} credential{'' if count == 1 else 's'} found in {files} ({cassettes}): "
            f"remove them, or re-record with the plugin, which writes REDACTED in their place"
        )
    elif not result.errors:
        print(f"no credentials in {files} ({cassettes})")
    return 2 if result.errors else 1 if result.findings else 0


if __name__ == "__main__":
    sys.exit(main())
